// Baseline (b): the batched floor, the least a correct cross-thread loop can do.
//
// Producers push into a vector under a mutex; only the post that finds it
// empty writes the eventfd. The consumer blocks in read() on the eventfd,
// swaps the whole vector out per wake and runs it. Tasks are handoff::task
// (inline storage), and the two vectors are swapped back and forth keeping
// their capacity, so a post allocates nothing once the vectors have grown.
// (A std::deque would free its blocks on clear() and allocate again.)
//
// Thread contract: post and stop from any thread; run on the consumer thread.
#pragma once

#include "handoff/task.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

namespace bench {

class batched_loop {
 public:
  batched_loop() : event_fd_(::eventfd(0, EFD_CLOEXEC)) {
    if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  batched_loop(const batched_loop&) = delete;
  batched_loop& operator=(const batched_loop&) = delete;
  ~batched_loop() { ::close(event_fd_); }

  template <class F>
  bool post(F&& fn) {
    bool was_empty = false;
    {
      std::lock_guard lock(mutex_);  // the emptiness test and the push are one step against the swap
      was_empty = incoming_.empty();
      incoming_.emplace_back(std::forward<F>(fn));
    }
    if (was_empty) signal();
    return true;
  }

  /// Runs batches until stop(). Consumer thread only.
  void run() {
    std::vector<handoff::task> batch;
    for (;;) {
      std::uint64_t count = 0;
      while (::read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
      }
      wakeups_.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard lock(mutex_);  // take everything queued so far in one swap
        batch.swap(incoming_);
      }
      for (auto& t : batch) t();
      batch.clear();  // keeps the capacity for the next swap
      // acquire: pairs with stop(); the flag is checked once per wake.
      if (stop_.load(std::memory_order_acquire)) break;
    }
  }

  /// Runs what is queued now, on the calling thread, without waiting: for
  /// single-thread cost measurements while run() is not running.
  void drain() {
    std::vector<handoff::task> batch;
    {
      std::lock_guard lock(mutex_);  // the same swap as run()
      batch.swap(incoming_);
    }
    for (auto& t : batch) t();
    batch.clear();
    std::lock_guard lock(mutex_);
    if (incoming_.empty()) incoming_.swap(batch);  // hand the capacity back, as run()'s reuse does
  }

  /// Makes run() return after its current batch. Any thread.
  void stop() {
    stop_.store(true, std::memory_order_release);
    signal();
  }

  /// Returns from read(). Any thread.
  std::uint64_t wakeups() const noexcept { return wakeups_.load(std::memory_order_relaxed); }

 private:
  void signal() noexcept {
    const std::uint64_t one = 1;
    while (::write(event_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }

  int event_fd_;
  std::mutex mutex_;  // guards incoming_
  std::vector<handoff::task> incoming_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> wakeups_{0};  // relaxed: a statistic
};

}  // namespace bench
