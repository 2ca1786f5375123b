// Baseline (c): the seeds' polling pattern, Tk's `after(50, poll)` in C++.
//
// Producers push into a mutex-protected queue and never wake anyone; the
// consumer wakes every 50 ms, drains the whole queue, runs it, and re-arms
// its next check 50 ms after that (as after() re-armed from the callback
// does). It wakes ~20 times a second with nothing to do, and a post waits
// half an interval on average.
//
// Thread contract: post and stop from any thread; run on the consumer thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>

namespace bench {

class polling_loop {
 public:
  using clock = std::chrono::steady_clock;

  explicit polling_loop(std::chrono::milliseconds interval = std::chrono::milliseconds(50))
      : interval_(interval) {}

  template <class F>
  bool post(F&& fn) {
    std::lock_guard lock(mutex_);  // guards the queue; no wake: the poll finds it
    queue_.emplace_back(std::forward<F>(fn));
    return true;
  }

  /// Polls until stop(). Consumer thread only.
  void run() {
    std::deque<std::function<void()>> batch;
    auto next_check = clock::now() + interval_;
    for (;;) {
      {
        std::unique_lock lock(mutex_);  // the condition variable serves stop() only
        if (signal_.wait_until(lock, next_check, [&] { return stop_; })) break;
        ++wakeups_;
        batch.swap(queue_);
      }
      for (auto& fn : batch) fn();
      batch.clear();
      next_check = clock::now() + interval_;
    }
  }

  /// Makes run() return at once. Any thread.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    signal_.notify_one();
  }

  /// Polls made (each one a wake-up). Any thread.
  std::uint64_t wakeups() {
    std::lock_guard lock(mutex_);
    return wakeups_;
  }

 private:
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;  // guards the queue and the fields below
  std::condition_variable signal_;
  std::deque<std::function<void()>> queue_;
  std::uint64_t wakeups_ = 0;
  bool stop_ = false;
};

}  // namespace bench
