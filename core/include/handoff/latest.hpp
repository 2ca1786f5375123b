// handoff::latest<T>: a coalescing mailbox into a loop.
//
// What it is: producers on any thread publish() values; the loop thread hands
// the newest one to a consumer. A producer never waits and never builds a
// backlog: a value published before the previous one was delivered simply
// replaces it (SwingWorker's publish/process, minus the list).
//
// Ordering and threads:
//   - The consumer runs on the loop thread only, never inline in publish().
//   - At most one delivery task is queued at a time, so the consumer runs at
//     most once per pump (a pump runs only the tasks queued when it began),
//     and always with the newest value published before that delivery ran.
//   - Values published by one thread are never delivered out of order; some
//     are skipped (coalesced). published() - delivered() of a drained latest
//     counts the skipped ones.
//   - deliver_pending() is the one exception to "once per pump": it calls the
//     consumer synchronously, for owners that must flush before a final event.
//
// What it does not guarantee: that every value is seen (only the last one), or
// anything once the loop is closed: a closed loop delivers nothing.
//
// Lifetime and shutdown: close() refuses later publishes; the last value
// published before it is still delivered while the loop is open. Destroy the
// latest on the loop thread, or after the loop stopped running: once the
// destructor returns, the consumer never runs again and its captures are
// released. (Destroyed on another thread while the loop runs, a consumer call
// already under way finishes, and no new one starts.) The queued delivery
// task holds shared state, never the latest object itself.
#pragma once

#include "handoff/detail/latest_state.hpp"
#include "handoff/errors.hpp"
#include "handoff/loop.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace handoff {

template <class T>
class latest {
 public:
  /// Delivers into `target`, which must outlive this object, by calling
  /// `consumer` (not empty) on the loop thread. Any thread.
  latest(loop& target, std::function<void(T)> consumer) : state_(make_state(target, std::move(consumer))) {}

  latest(const latest&) = delete;
  latest& operator=(const latest&) = delete;

  /// No consumer call starts after this returns. Loop thread only (or any
  /// thread once the loop has stopped running).
  ~latest() { state_->kill(); }

  /// Stores `value` as the newest and makes sure one delivery is queued. False
  /// (and `value` dropped) once this latest or its loop is closed. Any thread.
  bool publish(T value) { return state_->publish(std::move(value)); }

  /// Refuses later publishes; the value already published is still delivered
  /// while the loop is open. Idempotent. Any thread.
  void close() noexcept { state_->close(); }

  /// True once close() was called (or the object is being destroyed). Any thread.
  [[nodiscard]] bool closed() const noexcept { return state_->closed(); }

  /// Calls the consumer now with the value not yet delivered, if any; the
  /// queued delivery then finds nothing. True if the consumer ran. Loop thread only.
  bool deliver_pending() { return state_->deliver_now(); }

  /// Values accepted by publish(). Any thread.
  [[nodiscard]] std::uint64_t published() const noexcept { return state_->published(); }

  /// Times the consumer was called. Any thread.
  [[nodiscard]] std::uint64_t delivered() const noexcept { return state_->delivered(); }

 private:
  static std::shared_ptr<detail::latest_state<T>> make_state(loop& target, std::function<void(T)> consumer) {
    if (!consumer) throw errors::invalid_argument("latest needs a consumer");
    return std::make_shared<detail::latest_state<T>>(target, std::move(consumer));
  }

  std::shared_ptr<detail::latest_state<T>> state_;
};

}  // namespace handoff
