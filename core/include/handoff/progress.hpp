// handoff::progress<T>: rate-limited progress from work to the loop.
//
// What it is: work on any thread calls report(value) as often as it likes;
// the loop thread sees a consumer call at most once per interval (default
// 50 ms) and at most once per pump, always with the newest value. It is a
// rate limiter in front of a latest<T> (see latest.hpp), the C++ form of the
// seeds' RateLimitedWorker and of .NET's IProgress<T>.
//
// Ordering and threads:
//   - The first value is sent at once. A value reported within the interval
//     after the last one sent is held (a newer one replaces it), and a loop
//     timer, armed at most once per interval, sends the newest held value when
//     the interval ends: the UI never stays stale while work goes quiet.
//   - finish(value) and flush() send regardless of the interval, so the final
//     value ("100%") is always delivered.
//   - Time is read from the loop's clock (loop::time_source()): with a
//     manual_clock the whole rate limit follows virtual time.
//   - The consumer runs on the loop thread only; values from one thread are
//     never delivered out of order.
//
// What it does not guarantee: that every value is seen, or anything once the
// loop is closed.
//
// Lifetime and shutdown: close() and finish() refuse later reports (what was
// reported before is still delivered). Destroy the progress on the loop thread
// or after the loop stopped running: once the destructor returns the consumer
// never runs again (from another thread while the loop runs, a call already
// under way finishes and no new one starts). A pending timer only holds a
// weak reference and does nothing after destruction.
#pragma once

#include "handoff/detail/progress_state.hpp"
#include "handoff/errors.hpp"
#include "handoff/loop.hpp"
#include "handoff/progress_values.hpp"

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace handoff {

template <class T>
class progress {
 public:
  static constexpr std::chrono::milliseconds default_interval{50};

  /// Delivers into `target` (which must outlive this object) by calling
  /// `consumer` (not empty) on the loop thread, at most once per
  /// `min_interval` (not negative; zero only coalesces per pump). Any thread.
  progress(loop& target, std::function<void(T)> consumer,
           std::chrono::nanoseconds min_interval = default_interval)
      : state_(make_state(target, std::move(consumer), min_interval)), interval_(min_interval) {}

  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  /// No consumer call starts after this returns. Loop thread only (or any
  /// thread once the loop has stopped running).
  ~progress() { state_->kill(); }

  /// Sends `value` now if the interval since the last one sent has passed,
  /// else holds it for the timer. False once closed or the loop is closed. Any thread.
  bool report(T value) {
    return state_->report_made([&]() -> T&& { return std::move(value); });
  }

  /// Counts one more beat and reports it. Any thread.
  bool beat() requires std::same_as<T, heartbeat> {
    return state_->report_made([this] {
      // Built under the state's lock, so beats are reported in order.
      return heartbeat{++beats_};
    });
  }

  /// Sends `value` now, whatever the interval, as the last value: later reports
  /// are refused. False if already closed. Any thread.
  bool finish(T value) { return state_->finish(std::move(value)); }

  /// Sends the held value now, whatever the interval; false if none was held. Any thread.
  bool flush() { return state_->flush(); }

  /// Flushes, then refuses later reports. Idempotent. Any thread.
  void close() { state_->close(); }

  /// Calls the consumer now with the newest value not yet delivered (held or
  /// queued), if any; nothing older arrives afterwards. Used to flush progress
  /// before a final event on the loop. True if the consumer ran. Loop thread only.
  bool deliver_pending() { return state_->deliver_pending(); }

  /// True once close() or finish() was called. Any thread.
  [[nodiscard]] bool closed() const noexcept { return state_->closed(); }

  /// The minimum interval between two values sent. Any thread.
  [[nodiscard]] std::chrono::nanoseconds interval() const noexcept { return interval_; }

  /// Values accepted by report(), beat() and finish(). Any thread.
  [[nodiscard]] std::uint64_t reported() const noexcept { return state_->reported(); }

  /// Times the consumer was called. Any thread.
  [[nodiscard]] std::uint64_t delivered() const noexcept { return state_->delivered(); }

 private:
  static std::shared_ptr<detail::progress_state<T>> make_state(loop& target, std::function<void(T)> consumer,
                                                               std::chrono::nanoseconds min_interval) {
    if (!consumer) throw errors::invalid_argument("progress needs a consumer");
    if (min_interval < std::chrono::nanoseconds::zero()) {
      throw errors::invalid_argument("progress interval must not be negative");
    }
    return std::make_shared<detail::progress_state<T>>(
        target, std::move(consumer), std::chrono::duration_cast<clock::duration>(min_interval));
  }

  std::shared_ptr<detail::progress_state<T>> state_;
  std::chrono::nanoseconds interval_;
  std::uint64_t beats_ = 0;  // guarded by the state's lock (beat() builds its value under it)
};

/// Progress with a known total: "37 of 120".
using determinate_progress = progress<fraction>;

/// Progress with no known total: a beat per step, for busy indicators.
using indeterminate_progress = progress<heartbeat>;

}  // namespace handoff
