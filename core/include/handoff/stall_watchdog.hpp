// handoff::stall_watchdog: reports when the loop thread is stuck in one pump.
//
// A frozen window is a pump that does not return: a task doing long work, a
// blocking call, a deadlock. The watchdog (opt-in) watches a loop's pumps from
// its own thread and, when one has run longer than the threshold, reports it
// once: by default one line on stderr followed by dump_threads(), so the log
// shows what every handoff thread was doing at that moment.
//
// Cost: on the loop thread, one uncontended lock and one notify per pump while
// the watchdog exists. Its thread sleeps while the loop is idle and wakes only
// at a running pump's threshold: it never polls.
//
// Lifetime: construct and destroy it on the loop thread (it installs itself as
// the loop's observer, replacing any other); it must not outlive the loop. Its
// thread is joined by the destructor.
#pragma once

#include "handoff/loop.hpp"
#include "handoff/loop_observer.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace handoff {

class stall_watchdog final : public loop_observer {
 public:
  using reporter = std::function<void(std::chrono::nanoseconds stalled_for)>;

  /// Watches `target`'s pumps; `report` (default: stderr and a thread dump)
  /// runs on the watchdog thread once per stalled pump. Loop thread only.
  stall_watchdog(loop& target, std::chrono::nanoseconds threshold, reporter report = {});
  stall_watchdog(const stall_watchdog&) = delete;
  stall_watchdog& operator=(const stall_watchdog&) = delete;
  /// Removes itself from the loop and joins its thread. Loop thread only.
  ~stall_watchdog() override;

  /// How many stalls were reported so far. Any thread.
  [[nodiscard]] std::uint64_t stalls_reported() const;

  void on_pump_begin() noexcept override;
  void on_pump_end() noexcept override;

 private:
  void watch(const std::stop_token& stop);

  loop& target_;
  const std::chrono::nanoseconds threshold_;
  reporter report_;
  mutable std::mutex mutex_;  // guards the pump state below against the watchdog thread
  std::condition_variable_any pump_started_;
  bool in_pump_ = false;
  std::uint64_t pump_number_ = 0;
  std::chrono::steady_clock::time_point pump_began_;
  std::uint64_t stalls_ = 0;
  std::jthread thread_;  // last member: starts after the state it reads exists
};

}  // namespace handoff
