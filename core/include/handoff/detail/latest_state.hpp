// The shared state behind handoff::latest<T> (and the mailbox inside progress<T>).
//
// It outlives the latest object while a delivery task is queued on the loop:
// that task holds a shared_ptr, and after kill() it only clears the
// outstanding flag. The consumer is called without the lock held; `delivering_`
// counts calls under way so that kill() from another thread never destroys the
// consumer while it runs (the last call destroys it instead).
#pragma once

#include "handoff/loop.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace handoff::detail {

template <class T>
class latest_state : public std::enable_shared_from_this<latest_state<T>> {
 public:
  latest_state(loop& target, std::function<void(T)> consumer)
      : target_(target), consumer_(std::move(consumer)) {}

  /// Overwrites the slot; posts a delivery unless one is outstanding. Any thread.
  bool publish(T&& value) {
    if (target_.closed()) return false;
    bool must_post = false;
    {
      std::lock_guard lock(mutex_);  // the slot and the outstanding flag change together
      if (closed_ || !alive_) return false;
      slot_ = std::move(value);
      must_post = !outstanding_;
      outstanding_ = true;
      // relaxed: a statistic; nothing is ordered by it.
      if (!must_post) published_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!must_post) return true;
    if (!target_.post([self = this->shared_from_this()] { self->deliver_queued(); })) {
      std::lock_guard lock(mutex_);  // let a later publish try again (it will find the loop closed)
      outstanding_ = false;
      return false;
    }
    published_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    return true;
  }

  /// Refuses later publishes; what the slot holds is still delivered. Any thread.
  void close() noexcept {
    std::lock_guard lock(mutex_);  // ordered with publish's closed check
    closed_ = true;
  }

  /// No consumer call starts after this returns; drops the slot and (unless a
  /// call is under way, which then does it) the consumer. Any thread.
  void kill() noexcept {
    std::function<void(T)> doomed;
    std::optional<T> dropped;
    {
      std::lock_guard lock(mutex_);  // ordered with every consumer call's start
      alive_ = false;
      closed_ = true;
      dropped.swap(slot_);
      if (delivering_ == 0) doomed.swap(consumer_);
    }
    // `doomed` and `dropped` are destroyed here, unlocked: their destructors may take other locks.
  }

  /// The posted delivery: hands the newest value to the consumer. Loop thread only.
  void deliver_queued() {
    std::optional<T> value;
    {
      std::lock_guard lock(mutex_);  // take the slot and clear the flag as one step against publish
      outstanding_ = false;
      if (!alive_ || !slot_) return;
      value.swap(slot_);
      ++delivering_;
    }
    call(std::move(*value));
  }

  /// Calls the consumer now with the slot's value, if any; the queued delivery
  /// then finds nothing. Ignores close(). Loop thread only.
  bool deliver_now() {
    std::optional<T> value;
    {
      std::lock_guard lock(mutex_);  // the slot is shared with publishers
      if (!alive_ || !slot_) return false;
      value.swap(slot_);
      ++delivering_;
    }
    call(std::move(*value));
    return true;
  }

  [[nodiscard]] bool closed() const noexcept {
    std::lock_guard lock(mutex_);  // closed_ is written under the lock
    return closed_;
  }

  [[nodiscard]] std::uint64_t published() const noexcept {
    return published_.load(std::memory_order_relaxed);  // relaxed: a statistic
  }
  [[nodiscard]] std::uint64_t delivered() const noexcept {
    return delivered_.load(std::memory_order_relaxed);  // relaxed: a statistic
  }

  [[nodiscard]] loop& target() const noexcept { return target_; }

 private:
  // Precondition: delivering_ was incremented for this call.
  void call(T&& value) {
    struct finish_guard {
      latest_state* self;
      ~finish_guard() { self->finish_call(); }
    } guard{this};
    delivered_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    consumer_(std::move(value));
  }

  void finish_call() noexcept {
    std::function<void(T)> doomed;
    {
      std::lock_guard lock(mutex_);  // pairs with kill(): whoever comes last destroys the consumer
      if (--delivering_ == 0 && !alive_) doomed.swap(consumer_);
    }
  }

  loop& target_;
  mutable std::mutex mutex_;  // guards every field below except the counters
  std::function<void(T)> consumer_;
  std::optional<T> slot_;
  bool outstanding_ = false;  // a delivery task is queued on the loop
  bool closed_ = false;
  bool alive_ = true;
  int delivering_ = 0;  // consumer calls under way (only the loop thread calls it)
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> delivered_{0};
};

}  // namespace handoff::detail
