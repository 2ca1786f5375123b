// handoff::clock: where a loop reads the time for timers, pump budgets and rate limits.
//
// Loops read time through this interface so that tests can substitute a
// manual_clock and drive timers and rate limits without sleeping. The default
// is the process-wide steady clock.
//
// Thread contract: now() may be called from any thread.
#pragma once

#include <chrono>

namespace handoff {

class clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  clock() = default;
  clock(const clock&) = delete;
  clock& operator=(const clock&) = delete;
  virtual ~clock() = default;

  /// The current time. Any thread.
  [[nodiscard]] virtual time_point now() const noexcept = 0;

  /// The real monotonic clock shared by the whole process. Any thread.
  static const clock& steady() noexcept;
};

}  // namespace handoff
