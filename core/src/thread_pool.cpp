#include "handoff/thread_pool.hpp"

#include "handoff/errors.hpp"
#include "handoff/thread_registry.hpp"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <limits>
#include <typeinfo>

namespace handoff {

namespace detail {

// What the threads share with the pool object. Held by shared_ptr so that a
// thread detached after the shutdown deadline can still use it.
struct pool_shared {
  explicit pool_shared(std::string pool_name, std::size_t threads)
      : name(std::move(pool_name)), exited(threads, false) {}

  const std::string name;
  std::mutex mutex;  // guards queue, accepting and exited
  std::condition_variable_any work_ready;
  std::condition_variable exits;
  std::deque<std::unique_ptr<pool_work>> queue;
  bool accepting = true;
  std::vector<bool> exited;
};

}  // namespace detail

namespace {

// Which pool (and which of its threads) the calling thread belongs to, so that
// shutdown never tries to join the thread it runs on.
thread_local const detail::pool_shared* current_pool = nullptr;
thread_local std::size_t current_index = 0;

void report_escaped(const std::string& pool_name) noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "handoff: thread_pool '%s': work threw %s: %s\n", pool_name.c_str(),
                 typeid(e).name(), e.what());
  } catch (...) {
    std::fprintf(stderr, "handoff: thread_pool '%s': work threw a non-standard exception\n",
                 pool_name.c_str());
  }
}

void worker_main(const std::stop_token& stop, std::shared_ptr<detail::pool_shared> shared,
                 std::size_t index) {
  current_pool = shared.get();
  current_index = index;
  {
    const thread_registration registration(shared->name + "-" + std::to_string(index));
    for (;;) {
      std::unique_ptr<detail::pool_work> work;
      {
        const thread_activity idle("waiting for work");
        std::unique_lock lock(shared->mutex);  // the queue and the wait's predicate
        shared->work_ready.wait(lock, stop, [&] { return !shared->queue.empty(); });
        if (stop.stop_requested()) break;
        work = std::move(shared->queue.front());
        shared->queue.pop_front();
      }
      const thread_activity running("running work");
      try {
        work->run(stop);
      } catch (...) {
        report_escaped(shared->name);
      }
      work.reset();  // its captures go before the thread waits again
    }
  }
  {
    std::lock_guard lock(shared->mutex);  // the shutdown's wait reads exited under it
    shared->exited[index] = true;
  }
  shared->exits.notify_all();
  current_pool = nullptr;
}

}  // namespace

thread_pool::thread_pool(std::size_t threads, std::string name) : name_(std::move(name)), size_(threads) {
  if (threads == 0) throw errors::invalid_argument("a thread_pool needs at least one thread");
  shared_ = std::make_shared<detail::pool_shared>(name_, threads);
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back(worker_main, shared_, i);
}

thread_pool::~thread_pool() { shutdown(std::chrono::seconds(5)); }

bool thread_pool::enqueue(std::unique_ptr<detail::pool_work> work) {
  {
    std::lock_guard lock(shared_->mutex);   // the accepting check and the push are one step against shutdown
    if (!shared_->accepting) return false;  // `work` is destroyed after the lock is released
    shared_->queue.push_back(std::move(work));
  }
  shared_->work_ready.notify_one();
  return true;
}

std::size_t thread_pool::pending() const {
  std::lock_guard lock(shared_->mutex);  // the queue is shared with the threads
  return shared_->queue.size();
}

bool thread_pool::is_pool_thread() const noexcept { return current_pool == shared_.get(); }

bool thread_pool::shutdown(std::chrono::nanoseconds deadline) {
  std::lock_guard guard(shutdown_mutex_);  // a second caller waits for the first and returns its result
  if (shut_down_) return all_joined_;
  shut_down_ = true;

  const auto now = std::chrono::steady_clock::now();
  const bool forever =
      deadline >= std::chrono::steady_clock::time_point::max() - now;  // avoid overflowing the time point
  const auto until = forever
                         ? std::chrono::steady_clock::time_point::max()
                         : now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline);

  std::deque<std::unique_ptr<detail::pool_work>> dropped;
  {
    std::lock_guard lock(shared_->mutex);  // no submit may slip in after the queue is taken
    shared_->accepting = false;
    dropped.swap(shared_->queue);
  }
  for (auto& thread : threads_) thread.request_stop();
  dropped.clear();  // destroyed unrun, here, without the lock: their destructors may post to a loop

  const std::size_t self = is_pool_thread() ? current_index : std::numeric_limits<std::size_t>::max();
  {
    std::unique_lock lock(shared_->mutex);  // exited is written by the threads under it
    const auto others_exited = [&] {
      for (std::size_t i = 0; i < shared_->exited.size(); ++i) {
        if (i != self && !shared_->exited[i]) return false;
      }
      return true;
    };
    if (forever) {
      shared_->exits.wait(lock, others_exited);
    } else {
      shared_->exits.wait_until(lock, until, others_exited);
    }
  }

  bool all_joined = true;
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    if (i == self) {
      threads_[i].detach();  // cannot join itself; it ends when its current work returns
      continue;
    }
    bool exited = false;
    {
      std::lock_guard lock(shared_->mutex);  // as above
      exited = shared_->exited[i];
    }
    if (exited) {
      threads_[i].join();
    } else {
      std::fprintf(stderr,
                   "handoff: thread_pool '%s': thread %s-%zu did not stop within the shutdown deadline; "
                   "detached\n",
                   name_.c_str(), name_.c_str(), i);
      threads_[i].detach();
      all_joined = false;
    }
  }
  all_joined_ = all_joined;
  return all_joined;
}

}  // namespace handoff
