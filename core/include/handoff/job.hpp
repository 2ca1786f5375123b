// handoff::job<R, P>: background work whose progress, then exactly one ending,
// arrive on the loop thread (SwingWorker, BackgroundWorker, QFutureWatcher).
//
// What it is: a job runs `work(std::stop_token, progress<P>&)` on a
// thread_pool and reports to a loop. The callbacks run on the loop thread:
// every on_progress(P) first (rate limited, see progress.hpp), then exactly
// ONE of on_value(R), on_error(std::exception_ptr), on_cancelled().
//
// Ordering and threads:
//   - No ending fires while the work still runs: the ending is posted only
//     after the work returned (or, for a job cancelled while still queued,
//     instead of ever running it).
//   - Before the ending, the ending task delivers any progress value still
//     held, so no progress arrives after the ending.
//   - cancel() (any thread) requests a stop through the work's stop_token. The
//     pool's shutdown does the same. If a stop was requested before the work
//     returned, the job ends cancelled (a value returned anyway is dropped),
//     unless the work threw something other than errors::cancelled: errors
//     are never swallowed. Work that throws errors::cancelled ends cancelled.
//     Work dropped unrun by the pool's shutdown ends cancelled.
//   - status() (any thread, atomic) separates "cancel requested" (the stop
//     was asked, the work still runs) from the finished states.
//   - A job that fails with no on_error handler writes one line on stderr with
//     its name and what(); so does a failure that reaches no handler because
//     the job object was destroyed or the loop closed.
//
// What it does not guarantee: that the work stops (it must watch its token),
// or any callback once the loop is closed (endings posted after that are
// dropped).
//
// Lifetime and shutdown: the job object may be moved, and destroyed on any
// thread. Destroying it cancels the job and guarantees that no callback runs
// after the destructor returns. Destroyed off the loop thread while one of its
// callbacks runs on the loop thread, the destructor waits for that callback
// to return (so a callback must never wait for the thread destroying its job).
// Destroyed on the loop thread, even from inside its own callback, it never
// waits. The work may still be running after the destructor returns; the loop
// and the pool must outlive it, so declare the loop first, then the pool,
// then the jobs.
#pragma once

#include "handoff/detail/job_state.hpp"
#include "handoff/loop.hpp"
#include "handoff/progress.hpp"
#include "handoff/thread_pool.hpp"

#include <chrono>
#include <concepts>
#include <memory>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace handoff {

/// Where a job is in its life. Read with job::status().
enum class job_status : int {
  queued = detail::phase_queued,                      // submitted, not started
  running = detail::phase_running,                    // the work runs
  cancel_requested = detail::phase_cancel_requested,  // a stop was asked; the work still runs
  succeeded = detail::phase_succeeded,                // ended with a value (on_value)
  failed = detail::phase_failed,                      // ended with an exception (on_error)
  cancelled = detail::phase_cancelled,                // ended cancelled (on_cancelled)
};

/// How a job presents itself and paces its progress.
struct job_options {
  /// Shown in thread dumps while the job runs and in unhandled-error lines.
  std::string name = "job";
  /// The minimum interval between two progress values (see progress.hpp).
  std::chrono::nanoseconds progress_interval = std::chrono::milliseconds(50);
};

template <class R, class P = std::monostate>
class job {
 public:
  /// The loop-thread callbacks; any may be empty. Designated initialisers read well:
  /// `{.on_value = ..., .on_error = ...}`.
  using callbacks = detail::job_callbacks<R, P>;

  /// Starts `work(std::stop_token, progress<P>&)` on `pool`, reporting to
  /// `target`. If the pool refuses it (shut down), the job ends cancelled.
  /// Throws errors::invalid_argument for a negative progress interval. Any thread.
  template <class W>
  requires std::invocable < std::decay_t<W>
  &, std::stop_token,
      progress<P>& >
          &&(std::is_void_v<R> ||
             std::convertible_to<std::invoke_result_t<std::decay_t<W>&, std::stop_token, progress<P>&>, R>)
              job(thread_pool& pool, loop& target, W&& work, callbacks on = {}, job_options options = {})
      : state_(std::make_shared<detail::job_state<R, P>>(target, std::move(on), std::move(options.name),
                                                         options.progress_interval)) {
    try {
      // Refused by a shut-down pool, the runner is destroyed unrun and the job ends cancelled.
      pool.submit(detail::job_runner<R, P, std::decay_t<W>>(state_, std::forward<W>(work)));
    } catch (...) {
      state_->abandon();  // no callback for a job whose constructor failed
      throw;
    }
  }

  /// Takes over other's job; other becomes inert. Any thread.
  job(job&& other) noexcept = default;

  /// Abandons the job held (as the destructor does), then takes other's. Any thread.
  job& operator=(job&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::move(other.state_);
    }
    return *this;
  }

  job(const job&) = delete;
  job& operator=(const job&) = delete;

  /// Cancels; no callback runs after this returns (see the header). Any thread.
  ~job() { release(); }

  /// Requests a stop. True if this call requested it (the job was queued or
  /// running); false if a stop was already requested or the job finished. A
  /// job cancelled while queued never runs. Any thread.
  bool cancel() noexcept { return state_ && state_->cancel(); }

  /// Where the job is now. A moved-from job reads cancelled. Any thread.
  [[nodiscard]] job_status status() const noexcept {
    return state_ ? static_cast<job_status>(state_->phase()) : job_status::cancelled;
  }

  /// True once the work is over and the ending decided (and posted to the
  /// loop, where it may still be waiting to run). Any thread.
  [[nodiscard]] bool finished() const noexcept {
    const job_status s = status();
    return s == job_status::succeeded || s == job_status::failed || s == job_status::cancelled;
  }

  /// The name given in job_options. Any thread (not on a moved-from job).
  [[nodiscard]] const std::string& name() const noexcept { return state_->name(); }

 private:
  void release() noexcept {
    if (!state_) return;
    state_->abandon();
    state_.reset();
  }

  std::shared_ptr<detail::job_state<R, P>> state_;
};

}  // namespace handoff
