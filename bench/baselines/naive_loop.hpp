// Baseline (a): the loop most people write first.
//
// A mutex, a std::deque<std::function<void()>> and a condition variable;
// every post notifies; the consumer pops one task per lock. Timers live in a
// heap under the same mutex and are looked at only once the queue is drained,
// so a flood of posts delays them until the flood stops.
//
// Thread contract: post, post_after and stop from any thread; run on the one
// thread that consumes.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace bench {

class naive_loop {
 public:
  using clock = std::chrono::steady_clock;

  template <class F>
  bool post(F&& fn) {
    {
      std::lock_guard lock(mutex_);  // the push and the sleeper's emptiness check are one step
      queue_.emplace_back(std::forward<F>(fn));
    }
    signal_.notify_one();
    return true;
  }

  template <class F>
  void post_after(std::chrono::nanoseconds delay, F&& fn) {
    {
      std::lock_guard lock(mutex_);  // heap and sequence move together
      timers_.push_back(
          timer_entry{clock::now() + delay, sequence_++, std::function<void()>(std::forward<F>(fn))});
      std::push_heap(timers_.begin(), timers_.end(), later{});
    }
    signal_.notify_one();
  }

  /// Runs tasks, then due timers, until stop(). Consumer thread only.
  void run() {
    std::unique_lock lock(mutex_);  // held except while a task or timer runs
    for (;;) {
      while (!queue_.empty()) {
        std::function<void()> fn = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        fn();
        lock.lock();
      }
      if (stop_) break;
      const auto now = clock::now();
      while (!timers_.empty() && timers_.front().deadline <= now) {
        std::pop_heap(timers_.begin(), timers_.end(), later{});
        std::function<void()> fn = std::move(timers_.back().fn);
        timers_.pop_back();
        lock.unlock();
        fn();
        lock.lock();
      }
      if (!queue_.empty()) continue;
      if (stop_) break;
      if (timers_.empty()) {
        signal_.wait(lock);
      } else {
        signal_.wait_until(lock, timers_.front().deadline);
      }
      ++wakeups_;
    }
  }

  /// Runs what is queued now, one task per lock as run() does, on the calling
  /// thread: for single-thread cost measurements while run() is not running.
  void drain() {
    std::unique_lock lock(mutex_);
    while (!queue_.empty()) {
      std::function<void()> fn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  /// Makes run() return once the queue is drained. Any thread.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    signal_.notify_one();
  }

  /// Returns from the condition-variable wait, timed or not. Any thread.
  std::uint64_t wakeups() {
    std::lock_guard lock(mutex_);
    return wakeups_;
  }

 private:
  struct timer_entry {
    clock::time_point deadline;
    std::uint64_t sequence;
    std::function<void()> fn;
  };
  struct later {
    bool operator()(const timer_entry& a, const timer_entry& b) const noexcept {
      if (a.deadline != b.deadline) return a.deadline > b.deadline;
      return a.sequence > b.sequence;
    }
  };

  std::mutex mutex_;  // guards everything below
  std::condition_variable signal_;
  std::deque<std::function<void()>> queue_;
  std::vector<timer_entry> timers_;
  std::uint64_t sequence_ = 0;
  std::uint64_t wakeups_ = 0;
  bool stop_ = false;
};

}  // namespace bench
