// handoff::manual_clock: a clock that only moves when a test moves it.
//
// Give one to a headless_loop (or any loop) and timers, pump budgets and
// rate-limited progress follow virtual time: a test advances the clock and
// pumps, and nothing depends on how fast the machine is.
//
// A listener (set by the loop that uses the clock) is called after every
// advance so a loop blocked in run() re-examines its timers.
//
// Thread contract: every member may be called from any thread.
#pragma once

#include "handoff/clock.hpp"

#include <atomic>
#include <functional>
#include <mutex>

namespace handoff {

class manual_clock final : public clock {
 public:
  /// Starts at an arbitrary fixed point far from zero, so `now() - 1h` is valid.
  manual_clock() noexcept;

  [[nodiscard]] time_point now() const noexcept override;

  /// Moves time forward by `step` (never backward) and tells the listener. Any thread.
  void advance(duration step);

  /// Called after each advance; one listener at a time, empty to remove. Any thread.
  void set_listener(std::function<void()> on_advance);

 private:
  std::atomic<duration::rep> since_epoch_;
  std::mutex listener_mutex_;  // guards listener_ against concurrent set and advance
  std::function<void()> listener_;
};

}  // namespace handoff
