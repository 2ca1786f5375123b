// The shared state behind handoff::progress<T>: a rate limiter in front of a
// latest_state mailbox.
//
// One mutex orders every decision (publish now, hold, arm the timer) so that a
// value can never overtake a newer one on its way to the mailbox. The timer
// holds only a weak_ptr, so a pending timer never keeps a dead progress alive.
// Lock order: this mutex, then the mailbox's, then the loop's queue; the loop
// never calls back into us while holding its own locks.
#pragma once

#include "handoff/clock.hpp"
#include "handoff/detail/latest_state.hpp"
#include "handoff/loop.hpp"
#include "handoff/timer.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace handoff::detail {

template <class T>
class progress_state : public std::enable_shared_from_this<progress_state<T>> {
 public:
  progress_state(loop& target, std::function<void(T)> consumer, clock::duration interval)
      : target_(target),
        mailbox_(std::make_shared<latest_state<T>>(target, std::move(consumer))),
        interval_(interval) {}

  /// Sends (or holds) the value `make()` builds under the lock. Any thread.
  template <class Make>
  bool report_made(Make&& make) {
    if (target_.closed()) return false;
    std::lock_guard lock(mutex_);  // decide, store and arm as one step against other reporters and the timer
    if (closed_) return false;
    reported_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    const clock::time_point now = target_.time_source().now();
    if (!sent_any_ || now - last_sent_ >= interval_) {
      held_.reset();  // superseded by this newer value
      return publish_locked(make(), now);
    }
    held_.emplace(make());
    if (!timer_armed_) {
      timer_armed_ = true;
      timer_ = target_.post_after(last_sent_ + interval_ - now, [weak = this->weak_from_this()] {
        if (auto self = weak.lock()) self->on_timer();
      });
    }
    return !target_.closed();
  }

  /// Publishes `value` now regardless of the interval and closes. Any thread.
  bool finish(T&& value) {
    std::lock_guard lock(mutex_);  // ordered with reporters: nothing published after the final value
    if (closed_) return false;
    reported_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    held_.reset();
    disarm_locked();
    closed_ = true;
    const bool sent = publish_locked(std::move(value), target_.time_source().now());
    mailbox_->close();
    return sent;
  }

  /// Publishes the held value now, if any. Any thread.
  bool flush() {
    std::lock_guard lock(mutex_);  // the held value and the timer change together
    return flush_locked();
  }

  /// Flushes, then refuses later reports. Any thread.
  void close() {
    std::lock_guard lock(mutex_);  // as flush, plus the closed flag
    if (closed_) return;
    flush_locked();
    closed_ = true;
    mailbox_->close();
  }

  /// Hands the newest undelivered value to the consumer now. Loop thread only.
  bool deliver_pending() {
    {
      // Move a held value into the mailbox before a reporter can publish past it.
      std::lock_guard lock(mutex_);
      flush_locked();
    }
    // Unlocked: the consumer may report again. The mailbox's slot is the newest value by now.
    return mailbox_->deliver_now();
  }

  /// No consumer call starts after this returns. Any thread.
  void kill() noexcept {
    std::optional<T> dropped;
    {
      std::lock_guard lock(mutex_);  // no reporter may publish after the mailbox dies
      closed_ = true;
      dropped.swap(held_);
      disarm_locked();
    }
    mailbox_->kill();
  }

  [[nodiscard]] bool closed() const noexcept {
    std::lock_guard lock(mutex_);  // closed_ is written under the lock
    return closed_;
  }

  [[nodiscard]] std::uint64_t reported() const noexcept {
    return reported_.load(std::memory_order_relaxed);  // relaxed: a statistic
  }
  [[nodiscard]] std::uint64_t delivered() const noexcept { return mailbox_->delivered(); }

 private:
  bool publish_locked(T&& value, clock::time_point now) {
    last_sent_ = now;
    sent_any_ = true;
    return mailbox_->publish(std::move(value));
  }

  bool flush_locked() {
    disarm_locked();
    if (!held_) return false;
    std::optional<T> value;
    value.swap(held_);
    return publish_locked(std::move(*value), target_.time_source().now());
  }

  void disarm_locked() noexcept {
    timer_.cancel();
    timer_armed_ = false;
  }

  // The interval that held a value has ended: send the newest held value.
  void on_timer() {
    std::lock_guard lock(mutex_);  // as report_made
    timer_armed_ = false;
    if (!held_) return;  // a report after the interval already sent a newer value
    std::optional<T> value;
    value.swap(held_);
    publish_locked(std::move(*value), target_.time_source().now());
  }

  loop& target_;
  const std::shared_ptr<latest_state<T>> mailbox_;
  const clock::duration interval_;
  mutable std::mutex mutex_;  // guards every field below except the counter
  bool sent_any_ = false;
  clock::time_point last_sent_{};
  std::optional<T> held_;
  bool timer_armed_ = false;
  timer timer_;
  bool closed_ = false;
  std::atomic<std::uint64_t> reported_{0};
};

}  // namespace handoff::detail
