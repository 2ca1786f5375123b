// handoff::thread_pool: a fixed set of named threads running submitted work.
//
// What it is: N std::jthreads named "<name>-<i>" in the thread registry
// (thread_registry.hpp), taking work from one FIFO queue. Each piece of work
// is a callable taking a std::stop_token that is stopped when the pool shuts
// down, so long work can end early. While a thread runs work its activity
// reads "running work" (and "waiting for work" while idle), so a thread dump
// shows what every pool thread is doing. Jobs (job.hpp) run on it.
//
// Ordering and threads: work starts in the order submitted (with several
// threads it may finish in any order). An exception escaping work is written
// to stderr as one line and the thread goes on.
//
// What it does not guarantee: bounded memory for the queue (callers that may
// flood it bound themselves, as job_group does by its size), or that work
// which ignores its stop_token ever stops.
//
// Lifetime and shutdown: shutdown(deadline) refuses later submits, destroys
// queued work unrun (its destructor runs, on the calling thread, so a job
// dropped this way ends as cancelled), stops every thread's token and joins
// them under the deadline. A thread still running work after the deadline is
// reported on stderr (one line) and detached; what it uses is kept alive by a
// shared_ptr until it returns. Called from one of the pool's own threads (say
// by work that drops the last owner of the pool), shutdown cannot join the
// calling thread: it detaches it, and that thread ends when its work returns.
// The destructor calls shutdown(5 s).
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace handoff {

namespace detail {

/// One piece of submitted work, type-erased; destroying it unrun is how shutdown drops it.
class pool_work {
 public:
  pool_work() = default;
  pool_work(const pool_work&) = delete;
  pool_work& operator=(const pool_work&) = delete;
  virtual ~pool_work() = default;
  virtual void run(std::stop_token stop) = 0;
};

template <class F>
class pool_work_of final : public pool_work {
 public:
  // Never copied or moved, so the forwarding constructor hides nothing.
  template <class G>
  explicit pool_work_of(G&& fn)  // NOLINT(bugprone-forwarding-reference-overload)
      : fn_(std::forward<G>(fn)) {}
  void run(std::stop_token stop) override { std::invoke(fn_, std::move(stop)); }

 private:
  F fn_;
};

struct pool_shared;

}  // namespace detail

class thread_pool {
 public:
  /// Starts `threads` (at least 1) threads named "<name>-<i>". Any thread.
  explicit thread_pool(std::size_t threads, std::string name = "handoff-pool");
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// shutdown(5 s). Any thread (see the header on the pool's own threads).
  ~thread_pool();

  /// Queues fn, to be called as fn(std::stop_token) on a pool thread. False
  /// after shutdown; fn is then destroyed on the calling thread. Any thread.
  template <class F>
  requires std::invocable < std::decay_t<F>
  &, std::stop_token > bool submit(F&& fn) {
    return enqueue(std::make_unique<detail::pool_work_of<std::decay_t<F>>>(std::forward<F>(fn)));
  }

  /// Refuses later submits, destroys queued work unrun, stops and joins every
  /// thread within `deadline` (real time). A thread still busy after it is
  /// reported on stderr and detached. True when every thread joined (from a
  /// pool thread: every other thread). Later calls return the first result.
  /// Any thread.
  bool shutdown(std::chrono::nanoseconds deadline);

  /// Number of threads. Any thread.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// The name the threads are named after. Any thread.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// Work queued and not yet started. Any thread.
  [[nodiscard]] std::size_t pending() const;

  /// True on one of this pool's threads. Any thread.
  [[nodiscard]] bool is_pool_thread() const noexcept;

 private:
  bool enqueue(std::unique_ptr<detail::pool_work> work);

  const std::string name_;
  const std::size_t size_;
  std::shared_ptr<detail::pool_shared> shared_;
  std::vector<std::jthread> threads_;
  std::mutex shutdown_mutex_;  // one shutdown at a time; guards the two fields below and threads_
  bool shut_down_ = false;
  bool all_joined_ = false;
};

}  // namespace handoff
