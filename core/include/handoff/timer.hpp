// handoff::timer: the handle post_after() returns, used to cancel a pending timer.
//
// Guarantees: cancel() and the loop's firing race on one atomic state, so
// exactly one of them wins; a timer whose cancel() returned true never runs.
// cancel() does not wait for a callback that has already started.
//
// Lifetime: the handle does not own the timer; dropping it leaves the timer
// pending. The callable is destroyed on the loop thread, when the timer fires,
// is found cancelled, or when the loop closes.
#pragma once

#include "handoff/clock.hpp"
#include "handoff/task.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

namespace handoff {

namespace detail {
struct timer_state {
  enum status_value : int { pending, cancelled, fired };
  std::atomic<int> status{pending};
  clock::time_point deadline;
  std::uint64_t sequence = 0;
  task callback;  // moved out and run (or destroyed) on the loop thread only
};
}  // namespace detail

class timer {
 public:
  timer() noexcept = default;
  explicit timer(std::shared_ptr<detail::timer_state> state) noexcept : state_(std::move(state)) {}

  /// Stops the timer from running. True when this call stopped it; false when it
  /// already ran, started, was cancelled before, or was refused by a closed loop. Any thread.
  bool cancel() noexcept {
    if (!state_) return false;
    int expected = detail::timer_state::pending;
    // acq_rel: pairs with the loop's own compare_exchange so exactly one side wins.
    return state_->status.compare_exchange_strong(expected, detail::timer_state::cancelled,
                                                  std::memory_order_acq_rel);
  }

  /// True while the timer may still run. Any thread.
  [[nodiscard]] bool pending() const noexcept {
    return state_ && state_->status.load(std::memory_order_acquire) == detail::timer_state::pending;
  }

  /// True once the callback has started (or finished). Any thread.
  [[nodiscard]] bool fired() const noexcept {
    return state_ && state_->status.load(std::memory_order_acquire) == detail::timer_state::fired;
  }

 private:
  std::shared_ptr<detail::timer_state> state_;
};

}  // namespace handoff
