// handoff::loop: runs tasks on the one thread that owns the UI.
//
// What it is: the door through which every other thread talks to the UI. Any
// thread may post() a callable, schedule one with post_after(), or invoke() one
// and wait for its result. The tasks run on the loop thread, inside pump(),
// which the host event loop (headless_loop, Tk, Qt) calls when the driver
// (loop_driver.hpp) asks it to.
//
// Ordering and threads:
//   - post() never runs the callable inline; tasks posted by one thread run in
//     the order posted; every task runs on the loop thread.
//   - The driver is woken once per batch: only the post that finds the queue
//     empty wakes it, and an idle loop is never woken at all (no polling).
//   - One pump runs the timers that were due when it began, then only the tasks
//     queued when it began, and stops early when its budget (default 8 ms) is
//     spent or the next timer falls due; the rest waits for the next pump, so a
//     flood of posts never starves the toolkit's input, redraws or timers.
//   - Timers fire in deadline order (ties in the order scheduled), never early.
//   - A task that throws does not stop the loop: the exception goes to the
//     handler set with set_exception_handler (default: one line on stderr).
//
// What it does not guarantee: fairness between producers, or any bound on the
// memory of the post() queue: producers that may flood use channel or latest.
//
// Lifetime and shutdown: close() (any thread) refuses every later post (they
// return false and are counted) and wakes every invoke() waiting on the loop,
// which throws errors::loop_closed. Tasks and timers still pending are never
// run: they are destroyed on the loop thread by the next pump() or by the
// destructor, so nothing runs against a UI that is going away. The destructor
// closes the loop; call it on the loop thread (or after the loop thread ended).
#pragma once

#include "handoff/clock.hpp"
#include "handoff/detail/task_blocks.hpp"
#include "handoff/errors.hpp"
#include "handoff/loop_driver.hpp"
#include "handoff/loop_observer.hpp"
#include "handoff/task.hpp"
#include "handoff/timer.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace handoff {

struct loop_options {
  /// How long one pump may run tasks before it yields to the host.
  std::chrono::nanoseconds pump_budget = std::chrono::milliseconds(8);
  /// Time source for timers and budgets; nullptr means clock::steady(). Must outlive the loop.
  const clock* time_source = nullptr;
};

/// What one pump did, for hosts and tests.
struct pump_result {
  std::size_t tasks_run = 0;
  std::size_t timers_run = 0;
  bool more_ready = false;  // tasks remain that the next pump should run at once
};

class loop {
 public:
  using duration = clock::duration;
  using time_point = clock::time_point;
  using exception_handler = std::function<void(std::exception_ptr)>;

  /// The constructing thread becomes the loop thread. `driver` must outlive the loop.
  explicit loop(loop_driver& driver, loop_options options = {});
  loop(const loop&) = delete;
  loop& operator=(const loop&) = delete;
  /// Closes the loop and destroys what is still pending. Loop thread only.
  ~loop();

  /// Queues fn to run on the loop thread; never runs it inline. False (and
  /// counted in refused_posts) once the loop is closed, and fn is then destroyed
  /// on the calling thread. Any thread.
  template <class F>
  bool post(F&& fn) {
    bool was_empty = false;
    {
      std::lock_guard lock(queue_mutex_);  // the closed check and the push are one step against close()
      if (closed_.load(std::memory_order_relaxed)) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return false;  // fn is left to the caller, destroyed on its thread
      }
      was_empty = incoming_.empty();
      incoming_.emplace_back(std::forward<F>(fn));  // built in place: no second move of the callable
    }
    // Only the post that starts a batch wakes the host; the pump takes the whole batch.
    if (was_empty) driver_.wake();
    return true;
  }

  /// Runs fn on the loop thread no earlier than `delay` from now. The handle
  /// cancels it. On a closed loop the handle is returned already inert. Any thread.
  template <class F>
  timer post_after(duration delay, F&& fn) {
    return schedule(delay, task(std::forward<F>(fn)));
  }

  /// Runs fn on the loop thread and returns its result (or rethrows its
  /// exception) to the caller. On the loop thread it runs inline. Throws
  /// errors::loop_closed at once if the loop is closed or closes while the
  /// caller waits. Any thread; never call it from work the loop thread waits on.
  template <class F>
  auto invoke(F&& fn) -> std::invoke_result_t<std::decay_t<F>&> {
    return invoke_until(std::chrono::steady_clock::time_point::max(), std::forward<F>(fn));
  }

  /// As invoke, but throws errors::timeout when `timeout` (real time) passes
  /// first; fn then never starts, or, if it already started, its result is
  /// dropped. Any thread.
  template <class F>
  auto invoke_for(std::chrono::nanoseconds timeout, F&& fn) -> std::invoke_result_t<std::decay_t<F>&> {
    return invoke_until(std::chrono::steady_clock::now() + timeout, std::forward<F>(fn));
  }

  /// Refuses all later posts, wakes invoke() waiters and the host; pending work
  /// is destroyed unrun on the loop thread. Idempotent. Any thread.
  void close() noexcept;

  /// Any thread.
  [[nodiscard]] bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

  /// A token that is stopped when the loop closes: lets waits elsewhere end with the loop. Any thread.
  [[nodiscard]] std::stop_token closed_token() const noexcept { return closed_source_.get_token(); }

  /// Posts and timers refused because the loop was closed. Any thread.
  [[nodiscard]] std::uint64_t refused_posts() const noexcept {
    return refused_.load(std::memory_order_relaxed);
  }

  /// True on the thread that runs the loop's tasks. Any thread.
  [[nodiscard]] bool is_loop_thread() const noexcept {
    return loop_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }

  /// Throws errors::wrong_thread unless called on the loop thread. Any thread.
  void expect_loop_thread(const char* what) const {
    if (!is_loop_thread()) throw errors::wrong_thread(what);
  }

  /// Where exceptions escaping tasks go; an empty handler restores the default. Loop thread only.
  void set_exception_handler(exception_handler handler);

  /// Installs (or with nullptr removes) the pump observer. Loop thread only.
  void set_observer(loop_observer* observer) noexcept { observer_ = observer; }

  /// The clock timers and budgets follow. Any thread.
  [[nodiscard]] const clock& time_source() const noexcept { return clock_; }

  /// Runs due timers and the tasks queued so far, within the budget, then tells
  /// the driver when to pump next. Never blocks. Loop thread only.
  pump_result pump();

  /// Deadline of the earliest pending timer, or time_point::max(). Any thread.
  [[nodiscard]] time_point next_deadline() const;

 protected:
  /// Makes the calling thread the loop thread (a headless loop run on a new thread).
  void bind_to_current_thread() noexcept {
    loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }

  /// Destroys every pending task and timer unrun. Loop thread only.
  void discard_pending() noexcept;

 private:
  struct timer_later {
    bool operator()(const std::shared_ptr<detail::timer_state>& a,
                    const std::shared_ptr<detail::timer_state>& b) const noexcept {
      if (a->deadline != b->deadline) return a->deadline > b->deadline;
      return a->sequence > b->sequence;
    }
  };

  template <class R>
  struct invoke_state {
    enum : int { queued, running, done, abandoned };
    std::atomic<int> phase{queued};
    std::mutex mutex;  // guards the wait on phase == done
    std::condition_variable_any done_signal;
    std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
    std::exception_ptr error;
  };

  timer schedule(duration delay, task&& fn);
  void run_guarded(task& fn) noexcept;
  void release_block(std::size_t index) noexcept;
  void hand_over_released() noexcept;
  void retire_batch();
  std::size_t run_due_timers(time_point now);
  void compact_timers();

  template <class F>
  auto invoke_until(std::chrono::steady_clock::time_point deadline, F&& fn)
      -> std::invoke_result_t<std::decay_t<F>&> {
    using result = std::invoke_result_t<std::decay_t<F>&>;
    static_assert(!std::is_reference_v<result>, "invoke returns by value: return a copy or a pointer");
    if (closed()) throw errors::loop_closed();
    if (is_loop_thread()) return std::invoke(fn);

    auto state = std::make_shared<invoke_state<result>>();
    const bool queued = post([state, body = std::decay_t<F>(std::forward<F>(fn))]() mutable {
      int expected = invoke_state<result>::queued;
      // acq_rel: the waiter may have abandoned the call; exactly one side wins.
      if (!state->phase.compare_exchange_strong(expected, invoke_state<result>::running,
                                                std::memory_order_acq_rel)) {
        return;
      }
      try {
        if constexpr (std::is_void_v<result>) {
          std::invoke(body);
          state->value.emplace(true);
        } else {
          state->value.emplace(std::invoke(body));
        }
      } catch (...) {
        state->error = std::current_exception();
      }
      {
        // The lock orders the store before the waiter's predicate check.
        std::lock_guard lock(state->mutex);
        state->phase.store(invoke_state<result>::done, std::memory_order_release);
      }
      state->done_signal.notify_all();
    });
    if (!queued) throw errors::loop_closed();

    std::unique_lock lock(state->mutex);
    const bool finished = state->done_signal.wait_until(lock, closed_token(), deadline, [&] {
      return state->phase.load(std::memory_order_acquire) == invoke_state<result>::done;
    });
    if (!finished) {
      int expected = invoke_state<result>::queued;
      state->phase.compare_exchange_strong(expected, invoke_state<result>::abandoned,
                                           std::memory_order_acq_rel);
      if (closed()) throw errors::loop_closed();
      throw errors::timeout();
    }
    if (state->error) std::rethrow_exception(state->error);
    if constexpr (!std::is_void_v<result>) return std::move(*state->value);
  }

  loop_driver& driver_;
  const clock& clock_;
  const std::chrono::nanoseconds budget_;
  std::atomic<std::thread::id> loop_thread_;
  std::atomic<bool> closed_{false};
  std::stop_source closed_source_;
  std::atomic<std::uint64_t> refused_{0};

  std::mutex queue_mutex_;  // guards incoming_ and the closed check of post
  detail::task_blocks incoming_;

  // Loop thread only: the batch being run and where the last pump stopped in it.
  detail::task_blocks batch_;
  std::size_t batch_position_ = 0;
  // Loop thread only: pumps now running tasks of the batch; more than one when a
  // task pumps its own loop. While a task runs, the storage of its block must
  // outlive it: a nested pump neither releases blocks nor frees a batch, it
  // parks what it retires in retired_, freed when no batch task runs any more.
  int batch_runners_ = 0;
  std::vector<detail::task_blocks::block> retired_;
  // Loop thread only: blocks released but not yet handed to the producers'
  // spares (their lock was busy); hand_over_released() runs under the queue lock.
  std::vector<detail::task_blocks::block> released_;

  mutable std::mutex timers_mutex_;  // guards timers_, timer_sequence_ and pump_promised_by_
  std::vector<std::shared_ptr<detail::timer_state>> timers_;  // a min-heap by (deadline, sequence)
  std::uint64_t timer_sequence_ = 0;
  std::size_t timers_after_compaction_ = 0;
  // Guarded by timers_mutex_: the time by which a pump is already due (the
  // deadline the last pump chose, or an earlier timer's wake since). A timer
  // due before it must wake the loop; one due at or after it needs nothing.
  time_point pump_promised_by_ = time_point::max();

  exception_handler on_exception_;     // loop thread only
  loop_observer* observer_ = nullptr;  // loop thread only
};

}  // namespace handoff
