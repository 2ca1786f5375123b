// handoff::channel<T>: a bounded queue between threads.
//
// What it is: the way threads hand values to each other (producers to workers,
// workers to a coordinator). Any number of threads send and receive. It holds
// at most capacity() values: a send into a full channel blocks, so a producer
// that outruns its consumers is slowed down instead of growing memory
// (backpressure). close() ends the stream: no sentinel values needed.
//
// Ordering and threads:
//   - First in, first out: values leave in the order their sends completed;
//     values sent by one thread are received in the order that thread sent them.
//   - Every value whose send returned true is received exactly once (by a
//     receive, drain or the destructor); a send that returns false leaves its
//     argument untouched, so no value is lost or duplicated.
//   - Blocking calls wake without polling: on the state they wait for, on
//     close(), or at once when their std::stop_token is stopped. A stop that
//     was requested before the call makes it return at once without taking or
//     giving anything, even if it could have.
//   - One mutex guards everything; a waiter is notified only when one is
//     waiting, and notifications are sent after the mutex is released.
//
// What it does not guarantee: fairness between blocked senders or between
// blocked receivers (who goes first is up to the scheduler), or that a timed
// call returns exactly at its timeout. Never receive with a blocking call on
// the loop thread: use try_receive / try_drain there, or let a worker post.
//
// Lifetime and shutdown: close() (idempotent, any thread) makes every blocked
// and later send return false at once; receivers still get every value that
// was sent before, then nullopt (or an empty batch). The destructor destroys
// values never received; destroy the channel only once no thread can still be
// inside one of its calls (close() it, then join its users).
#pragma once

#include "handoff/cancellation.hpp"
#include "handoff/errors.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <vector>

namespace handoff {

template <class T>
class channel {
  // A value is moved into and out of the ring while the lock is held; a move
  // that could throw half way through a batch could lose values.
  static_assert(std::is_nothrow_move_constructible_v<T> && std::is_nothrow_destructible_v<T>,
                "handoff::channel<T> needs a T that moves and destroys without throwing");

 public:
  using value_type = T;

  /// A channel holding at most `capacity` values; throws errors::invalid_argument
  /// for 0 (a channel that can hold nothing could never deliver). Any thread.
  explicit channel(std::size_t capacity) : capacity_(checked_capacity(capacity)) {
    ring_ = allocator_.allocate(capacity_);
  }

  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  /// Destroys the values never received. No thread may still be inside a call. Any thread.
  ~channel() {
    while (count_ > 0) pop_front();
    allocator_.deallocate(ring_, capacity_);
  }

  /// Moves `value` in, waiting while the channel is full. False if the channel
  /// is closed (before or during the wait) or `stop` is requested (before or
  /// during it); `value` is then left as it was. Any thread.
  bool send(T&& value, std::stop_token stop = {}) {
    return send_until(value, std::chrono::steady_clock::time_point::max(), stop);
  }

  /// Moves `value` in if there is room now; never blocks. False if full or
  /// closed, and `value` is then left as it was. Any thread.
  bool try_send(T&& value) {
    bool notify = false;
    {
      // Guards the ring and the closed flag for one check-and-push.
      std::lock_guard lock(mutex_);
      if (closed_ || count_ == capacity_) return false;
      push_back(value);
      notify = receivers_waiting_ > 0;
    }
    if (notify) not_empty_.notify_one();
    return true;
  }

  /// As send, but also false (value untouched) once `timeout` passes with the
  /// channel still full. Any thread.
  template <class Rep, class Period>
  bool send_for(T&& value, std::chrono::duration<Rep, Period> timeout, std::stop_token stop = {}) {
    return send_until(value, detail::saturating_deadline(timeout), stop);
  }

  /// Takes the oldest value, waiting while the channel is empty. nullopt once
  /// the channel is closed and empty, or at once if `stop` is requested. Any thread.
  std::optional<T> receive(std::stop_token stop = {}) {
    return receive_until(std::chrono::steady_clock::time_point::max(), stop);
  }

  /// As receive, but also nullopt once `timeout` passes with the channel still
  /// empty. Any thread.
  template <class Rep, class Period>
  std::optional<T> receive_for(std::chrono::duration<Rep, Period> timeout, std::stop_token stop = {}) {
    return receive_until(detail::saturating_deadline(timeout), stop);
  }

  /// Takes the oldest value if there is one; never blocks. Any thread.
  std::optional<T> try_receive() {
    std::optional<T> out;
    bool notify = false;
    {
      // Guards the ring for one check-and-pop.
      std::lock_guard lock(mutex_);
      if (count_ == 0) return out;
      out.emplace(pop_front());
      notify = senders_waiting_ > 0;
    }
    if (notify) not_full_.notify_one();
    return out;
  }

  /// Waits like receive for at least one value, then takes up to `max` values
  /// at once, oldest first: one lock and one wakeup for a whole batch. Empty
  /// once the channel is closed and empty, or at once if `stop` is requested.
  /// Throws errors::invalid_argument for max == 0. Any thread.
  std::vector<T> drain(std::size_t max, std::stop_token stop = {}) {
    check_batch(max);
    std::vector<T> out;
    if (stop.stop_requested()) return out;
    std::size_t taken = 0;
    bool notify = false;
    {
      // Guards the ring across the wait and the batch it takes.
      std::unique_lock lock(mutex_);
      if (!wait_for_value(lock, std::chrono::steady_clock::time_point::max(), stop)) return out;
      taken = take_batch(out, max);
      notify = senders_waiting_ > 0;
    }
    notify_senders(notify, taken);
    return out;
  }

  /// Takes up to `max` values that are there now, oldest first; never blocks.
  /// Throws errors::invalid_argument for max == 0. Any thread.
  std::vector<T> try_drain(std::size_t max) {
    check_batch(max);
    std::vector<T> out;
    std::size_t taken = 0;
    bool notify = false;
    {
      // Guards the ring for one batch.
      std::lock_guard lock(mutex_);
      if (count_ == 0) return out;
      taken = take_batch(out, max);
      notify = senders_waiting_ > 0;
    }
    notify_senders(notify, taken);
    return out;
  }

  /// Ends the stream: later and blocked sends return false at once; receivers
  /// get what is left, then nullopt. Idempotent. Any thread.
  void close() noexcept {
    bool wake_senders = false;
    bool wake_receivers = false;
    {
      // Guards the flag so that no waiter can check it and then miss the notify below.
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      wake_senders = senders_waiting_ > 0;
      wake_receivers = receivers_waiting_ > 0;
    }
    if (wake_senders) not_full_.notify_all();
    if (wake_receivers) not_empty_.notify_all();
  }

  /// True once close() was called. Any thread.
  [[nodiscard]] bool closed() const {
    // Guards the flag, written under this lock by close().
    std::lock_guard lock(mutex_);
    return closed_;
  }

  /// How many values wait to be received; stale as soon as it returns. Any thread.
  [[nodiscard]] std::size_t size() const {
    // Guards the count, written under this lock by every send and receive.
    std::lock_guard lock(mutex_);
    return count_;
  }

  /// The most values the channel holds. Any thread.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  static std::size_t checked_capacity(std::size_t capacity) {
    if (capacity == 0) throw errors::invalid_argument("channel capacity must be at least 1");
    return capacity;
  }

  static void check_batch(std::size_t max) {
    if (max == 0) throw errors::invalid_argument("channel drain of at most 0 values");
  }

  bool send_until(T& value, std::chrono::steady_clock::time_point deadline, const std::stop_token& stop) {
    if (stop.stop_requested()) return false;
    bool notify = false;
    {
      // Guards the ring and the closed flag across the wait and the push.
      std::unique_lock lock(mutex_);
      const auto can_send = [&] { return closed_ || count_ < capacity_; };
      if (!can_send()) {
        // Counted so that receivers notify only when a sender can be waiting.
        ++senders_waiting_;
        wait(not_full_, lock, stop, deadline, can_send);
        --senders_waiting_;
      }
      if (closed_ || count_ == capacity_) return false;
      push_back(value);
      notify = receivers_waiting_ > 0;
    }
    if (notify) not_empty_.notify_one();
    return true;
  }

  std::optional<T> receive_until(std::chrono::steady_clock::time_point deadline,
                                 const std::stop_token& stop) {
    std::optional<T> out;
    if (stop.stop_requested()) return out;
    bool notify = false;
    {
      // Guards the ring across the wait and the pop.
      std::unique_lock lock(mutex_);
      if (!wait_for_value(lock, deadline, stop)) return out;
      out.emplace(pop_front());
      notify = senders_waiting_ > 0;
    }
    if (notify) not_full_.notify_one();
    return out;
  }

  // Waits (lock held on entry and exit) until a value is there; false if
  // closed and empty, stopped or past the deadline with nothing to take.
  bool wait_for_value(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point deadline,
                      const std::stop_token& stop) {
    const auto can_receive = [&] { return count_ > 0 || closed_; };
    if (!can_receive()) {
      // Counted so that senders notify only when a receiver can be waiting.
      ++receivers_waiting_;
      wait(not_empty_, lock, stop, deadline, can_receive);
      --receivers_waiting_;
    }
    return count_ > 0;
  }

  // Lock held on entry and exit. A stop request ends the wait at once through the
  // stop_callback that condition_variable_any registers: no polling.
  template <class Predicate>
  static void wait(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                   const std::stop_token& stop, std::chrono::steady_clock::time_point deadline,
                   Predicate ready) {
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      cv.wait(lock, stop, ready);
    } else {
      cv.wait_until(lock, stop, deadline, ready);
    }
  }

  // Lock held. Reserves first, so the only thing that can throw does so before any value moves.
  std::size_t take_batch(std::vector<T>& out, std::size_t max) {
    const std::size_t n = std::min(max, count_);
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(pop_front());
    return n;
  }

  // Called without the lock: one freed slot wakes one sender, a batch wakes them all.
  void notify_senders(bool someone_waits, std::size_t freed) {
    if (!someone_waits || freed == 0) return;
    if (freed == 1) {
      not_full_.notify_one();
    } else {
      not_full_.notify_all();
    }
  }

  // Lock held, count_ < capacity_.
  void push_back(T& value) noexcept {
    std::size_t tail = head_ + count_;
    if (tail >= capacity_) tail -= capacity_;
    std::construct_at(ring_ + tail, std::move(value));
    ++count_;
  }

  // Lock held, count_ > 0.
  T pop_front() noexcept {
    T* slot = ring_ + head_;
    T out(std::move(*slot));
    std::destroy_at(slot);
    if (++head_ == capacity_) head_ = 0;
    --count_;
    return out;
  }

  const std::size_t capacity_;
  [[no_unique_address]] std::allocator<T> allocator_;
  T* ring_ = nullptr;  // capacity_ slots; the live ones are [head_, head_ + count_) modulo capacity_

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable_any not_full_;
  std::condition_variable_any not_empty_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t senders_waiting_ = 0;
  std::size_t receivers_waiting_ = 0;
  bool closed_ = false;
};

}  // namespace handoff
