// The shared state behind handoff::job<R, P>.
//
// Held by the job object, by the work queued on the pool (job_runner) and by
// the ending task posted to the loop; whichever lets go last destroys it, on
// whatever thread that is. The user's callbacks sit behind a callback_gate so
// that the job object, once destroyed, is never called back.
//
// The phase is one atomic int; every change is a compare-exchange except the
// final store made by the thread that ran the work (nobody else writes once
// the phase left `running`/`cancel_requested`, see cancel()). Phases:
//   queued -> running -> succeeded | failed | cancelled
//   queued -> cancelled                      (cancel() or shutdown before the work started)
//   running -> cancel_requested -> cancelled | failed
// The ending is posted to the loop exactly once: by the transition out of
// queued into cancelled, or by the work's thread after the work returned.
#pragma once

#include "handoff/detail/callback_gate.hpp"
#include "handoff/errors.hpp"
#include "handoff/loop.hpp"
#include "handoff/progress.hpp"
#include "handoff/thread_registry.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>

namespace handoff::detail {

/// The phases of a job; job_status (job.hpp) mirrors them value for value.
enum job_phase : int {
  phase_queued,
  phase_running,
  phase_cancel_requested,
  phase_succeeded,
  phase_failed,
  phase_cancelled
};

/// The type of an on_value callback: void(R), or void() when R is void.
template <class R>
struct value_callback {
  using type = std::function<void(R)>;
};
template <>
struct value_callback<void> {
  using type = std::function<void()>;
};

// Every member has a default initialiser so that designated initialisers may
// name only the callbacks they set without -Wmissing-field-initializers.
template <class R, class P>
struct job_callbacks {
  /// Progress values, rate limited; every one arrives before the ending.
  std::function<void(P)> on_progress = {};
  /// The work's result (no argument when R is void).
  typename value_callback<R>::type on_value = {};
  /// The exception the work threw (never errors::cancelled).
  std::function<void(std::exception_ptr)> on_error = {};
  /// The job was cancelled, or dropped unrun by the pool's shutdown.
  std::function<void()> on_cancelled = {};
};

/// One line on stderr for a failure no on_error handler received. Any thread.
inline void report_unhandled_job_error(const std::string& name, const std::exception_ptr& error,
                                       const char* why) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "handoff: job '%s' failed (%s): %s\n", name.c_str(), why, e.what());
  } catch (...) {
    std::fprintf(stderr, "handoff: job '%s' failed (%s): a non-standard exception\n", name.c_str(), why);
  }
}

template <class R, class P>
class job_state : public std::enable_shared_from_this<job_state<R, P>> {
 public:
  using callbacks_type = job_callbacks<R, P>;
  using value_type = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

  job_state(loop& target, callbacks_type callbacks, std::string name, std::chrono::nanoseconds interval)
      : target_(target),
        name_(std::move(name)),
        gate_(std::make_shared<callback_gate<callbacks_type>>(std::move(callbacks))),
        reporter_(
            target,
            [gate = gate_](P value) {
              auto pass = gate->enter();
              if (pass && pass->on_progress) pass->on_progress(std::move(value));
            },
            interval) {}

  /// Runs the work unless the job already ended. Pool thread.
  template <class W>
  void run(std::stop_token pool_stop, W& work) {
    int expected = phase_queued;
    if (!phase_.compare_exchange_strong(expected, phase_running)) return;  // cancelled while queued
    std::optional<value_type> value;
    std::exception_ptr error;
    bool threw_cancelled = false;
    {
      // The pool's shutdown is a cancellation request like any other.
      const std::stop_callback on_pool_stop(pool_stop, [this] { cancel(); });
      const thread_activity activity("running job", name_);
      try {
        if constexpr (std::is_void_v<R>) {
          std::invoke(work, stop_.get_token(), reporter_);
          value.emplace();
        } else {
          value.emplace(std::invoke(work, stop_.get_token(), reporter_));
        }
      } catch (const errors::cancelled&) {
        threw_cancelled = true;
      } catch (...) {
        error = std::current_exception();
      }
    }
    if (error) {
      phase_.store(phase_failed);
      post_ending(phase_failed, std::nullopt, std::move(error));
    } else if (threw_cancelled) {
      phase_.store(phase_cancelled);
      post_ending(phase_cancelled, std::nullopt, nullptr);
    } else {
      expected = phase_running;
      if (phase_.compare_exchange_strong(expected, phase_succeeded)) {
        post_ending(phase_succeeded, std::move(value), nullptr);
      } else {
        // cancel() won the race: a stop was requested before the result was published.
        phase_.store(phase_cancelled);
        post_ending(phase_cancelled, std::nullopt, nullptr);
      }
    }
  }

  /// The pool destroyed the work unrun. The destroying thread.
  void drop() noexcept {
    int expected = phase_queued;
    if (phase_.compare_exchange_strong(expected, phase_cancelled)) {
      stop_.request_stop();
      post_ending(phase_cancelled, std::nullopt, nullptr);
    }
  }

  /// Requests a stop; true if this call did (the job was queued or running). Any thread.
  bool cancel() noexcept {
    int phase = phase_.load();
    for (;;) {
      if (phase == phase_queued) {
        if (!phase_.compare_exchange_weak(phase, phase_cancelled)) continue;
        stop_.request_stop();
        post_ending(phase_cancelled, std::nullopt, nullptr);
        return true;
      }
      if (phase == phase_running) {
        if (!phase_.compare_exchange_weak(phase, phase_cancel_requested)) continue;
        stop_.request_stop();
        return true;
      }
      return false;
    }
  }

  /// Cancels and closes the gate: no callback starts afterwards. Off the loop
  /// thread it waits for a callback under way. Any thread.
  void abandon() {
    cancel();
    gate_->close(!target_.is_loop_thread());
  }

  [[nodiscard]] int phase() const noexcept { return phase_.load(); }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  // The ending task. The worker hands over its only reference to the error
  // (nothing of the ending stays behind on the worker's thread); if the task
  // never runs (the loop refused it, or closed with it pending), its
  // destructor still reports a failure.
  class pending_ending {
   public:
    pending_ending(std::shared_ptr<job_state> self, int phase, std::optional<value_type> value,
                   std::exception_ptr error)
        : self_(std::move(self)), phase_(phase), value_(std::move(value)), error_(std::move(error)) {}
    pending_ending(pending_ending&& other) noexcept(std::is_nothrow_move_constructible_v<value_type>)
        : self_(std::move(other.self_)),
          phase_(other.phase_),
          value_(std::move(other.value_)),
          error_(std::move(other.error_)) {}
    pending_ending(const pending_ending&) = delete;
    pending_ending& operator=(const pending_ending&) = delete;
    pending_ending& operator=(pending_ending&&) = delete;
    ~pending_ending() {
      if (self_ && phase_ == phase_failed)
        report_unhandled_job_error(self_->name_, error_, "the loop is closed");
    }

    void operator()() {
      const auto self = std::move(self_);  // delivered: the destructor reports nothing
      self->deliver(phase_, std::move(value_), std::move(error_));
    }

   private:
    std::shared_ptr<job_state> self_;
    int phase_;
    std::optional<value_type> value_;
    std::exception_ptr error_;
  };

  void post_ending(int phase, std::optional<value_type> value, std::exception_ptr error) noexcept {
    try {
      target_.post(pending_ending(this->shared_from_this(), phase, std::move(value), std::move(error)));
    } catch (...) {
      // Out of memory building the task: the ending's destructor has reported a failure.
    }
  }

  // The ending task. Loop thread only.
  void deliver(int phase, std::optional<value_type> value, std::exception_ptr error) {
    auto pass = gate_->enter();
    if (!pass) {
      if (phase == phase_failed) report_unhandled_job_error(name_, error, "its job object was destroyed");
      return;
    }
    // Progress still held or queued comes first; none can come after the ending.
    std::exception_ptr progress_error;
    try {
      reporter_.deliver_pending();
    } catch (...) {
      progress_error = std::current_exception();
    }
    reporter_.close();
    if (phase == phase_succeeded) {
      if (pass->on_value) {
        if constexpr (std::is_void_v<R>) {
          pass->on_value();
        } else {
          pass->on_value(std::move(*value));
        }
      }
    } else if (phase == phase_failed) {
      if (pass->on_error) {
        pass->on_error(std::move(error));
      } else {
        report_unhandled_job_error(name_, error, "no on_error handler");
      }
    } else if (pass->on_cancelled) {
      pass->on_cancelled();
    }
    if (progress_error) std::rethrow_exception(progress_error);  // to the loop's exception handler
  }

  loop& target_;
  const std::string name_;
  std::atomic<int> phase_{phase_queued};
  std::stop_source stop_;
  const std::shared_ptr<callback_gate<callbacks_type>> gate_;
  progress<P> reporter_;
};

/// What the pool runs for a job: drops the job (cancelled) if destroyed unrun.
template <class R, class P, class W>
class job_runner {
 public:
  template <class G>
  job_runner(std::shared_ptr<job_state<R, P>> state, G&& work)
      : state_(std::move(state)), work_(std::forward<G>(work)) {}
  job_runner(job_runner&& other) noexcept(std::is_nothrow_move_constructible_v<W>)
      : state_(std::move(other.state_)), work_(std::move(other.work_)) {}
  job_runner(const job_runner&) = delete;
  job_runner& operator=(const job_runner&) = delete;
  job_runner& operator=(job_runner&&) = delete;
  ~job_runner() {
    if (state_) state_->drop();
  }

  void operator()(std::stop_token pool_stop) {
    const auto state = std::move(state_);  // from here on, destroying the runner drops nothing
    state->run(std::move(pool_stop), work_);
  }

 private:
  std::shared_ptr<job_state<R, P>> state_;
  W work_;
};

}  // namespace handoff::detail
