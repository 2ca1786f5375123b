// The shared core behind handoff::job_group<R>.
//
// The core owns the member jobs; each member's callbacks hold a shared_ptr to
// the core. That cycle is broken by abandon() (the group object's
// destructor), which destroys the members: a destroyed job releases its
// callbacks. Everything the members' callbacks touch (ratios, results, the
// count of endings, the first error) is used on the loop thread only; the
// member list itself is guarded by a mutex because cancel() may come from any
// thread while the constructor is still starting members.
#pragma once

#include "handoff/detail/callback_gate.hpp"
#include "handoff/detail/job_state.hpp"
#include "handoff/job.hpp"
#include "handoff/loop.hpp"
#include "handoff/progress.hpp"
#include "handoff/progress_values.hpp"
#include "handoff/thread_pool.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace handoff::detail {

/// R itself, or std::monostate for void (so that vector<value_type_of<R>> always names a type).
template <class R>
using value_type_of = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

template <class R>
struct job_group_callbacks {
  /// Aggregate progress, rate limited; every value arrives before the ending.
  std::function<void(job_group_progress)> on_progress = {};
  /// Every member's result, in the order the work was given (no argument when R is void).
  typename value_callback<std::conditional_t<std::is_void_v<R>, void, std::vector<value_type_of<R>>>>::type
      on_value = {};
  /// The first member failure.
  std::function<void(std::exception_ptr)> on_error = {};
  /// The group was cancelled (or a member ended cancelled).
  std::function<void()> on_cancelled = {};
};

template <class R>
class job_group_core : public std::enable_shared_from_this<job_group_core<R>> {
 public:
  using member = job<R, fraction>;
  using work_type = std::function<R(std::stop_token, progress<fraction>&)>;
  using callbacks_type = job_group_callbacks<R>;
  using value_type = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

  job_group_core(loop& target, callbacks_type callbacks, std::size_t members, std::string name,
                 std::chrono::nanoseconds interval)
      : target_(target),
        name_(std::move(name)),
        interval_(interval),
        gate_(std::make_shared<callback_gate<callbacks_type>>(std::move(callbacks))),
        reporter_(
            target,
            [gate = gate_](job_group_progress value) {
              auto pass = gate->enter();
              if (pass && pass->on_progress) pass->on_progress(value);
            },
            interval),
        ratios_(members, 0.0),
        results_(members) {}

  /// Starts one member job per work. Any thread (once, right after construction).
  void start(thread_pool& pool, std::vector<work_type> works) {
    if (works.empty()) {
      // No member will ever end: the (empty) ending is posted here instead.
      target_.post([self = this->shared_from_this()] { self->end_group(); });
      return;
    }
    for (std::size_t i = 0; i < works.size(); ++i) {
      member started(pool, target_, std::move(works[i]), member_callbacks(i),
                     {.name = name_ + "[" + std::to_string(i) + "]", .progress_interval = interval_});
      std::lock_guard lock(members_mutex_);  // cancel() may run on another thread meanwhile
      members_.push_back(std::move(started));
      if (cancelling_)
        members_.back().cancel();  // a sibling failed, or cancel() came, before this one started
    }
  }

  /// Requests a stop of every member; true if one still queued or running was asked. Any thread.
  bool cancel() {
    std::lock_guard lock(members_mutex_);  // the member list is shared with start() and abandon()
    cancelling_ = true;
    bool requested = false;
    for (auto& m : members_) requested = m.cancel() || requested;
    return requested;
  }

  /// Closes the gate and destroys the members: no callback afterwards. Any thread.
  void abandon() {
    std::vector<member> doomed;
    {
      std::lock_guard lock(members_mutex_);  // take the members out; their destructors run unlocked
      cancelling_ = true;
      doomed.swap(members_);
    }
    gate_->close(!target_.is_loop_thread());
    doomed.clear();  // each destructor cancels its job and ends its callbacks
  }

  [[nodiscard]] bool finished() const noexcept { return finished_.load(); }
  [[nodiscard]] std::size_t size() const noexcept { return ratios_.size(); }

 private:
  typename member::callbacks member_callbacks(std::size_t index) {
    auto self = this->shared_from_this();
    typename member::callbacks on;
    on.on_progress = [self, index](fraction f) {
      self->ratios_[index] = f.ratio();
      self->report_progress();
    };
    if constexpr (std::is_void_v<R>) {
      on.on_value = [self, index] {
        self->results_[index].emplace();
        self->member_succeeded(index);
      };
    } else {
      on.on_value = [self, index](R value) {
        self->results_[index].emplace(std::move(value));
        self->member_succeeded(index);
      };
    }
    on.on_error = [self](std::exception_ptr error) {
      if (!self->first_error_) self->first_error_ = std::move(error);  // later errors are consequences
      self->stop_siblings();
      self->member_ended();
    };
    on.on_cancelled = [self] {
      self->any_cancelled_ = true;  // the results are incomplete: the group cannot succeed
      self->stop_siblings();
      self->member_ended();
    };
    return on;
  }

  // Loop thread only, like everything the member callbacks touch.
  void member_succeeded(std::size_t index) {
    ratios_[index] = 1.0;
    member_ended();
  }

  void member_ended() {
    ++ended_;
    report_progress();
    if (ended_ == results_.size()) end_group();
  }

  void report_progress() {
    double sum = 0.0;
    for (double r : ratios_) sum += r;
    const std::size_t n = ratios_.size();
    reporter_.report(
        {.ratio = n == 0 ? 1.0 : sum / static_cast<double>(n), .finished = ended_, .members = n});
  }

  void stop_siblings() {
    std::lock_guard lock(members_mutex_);  // as cancel()
    cancelling_ = true;
    for (auto& m : members_) m.cancel();
  }

  void end_group() {
    finished_.store(true);
    auto pass = gate_->enter();
    if (!pass) {
      if (first_error_) report_unhandled_job_error(name_, first_error_, "its job_group object was destroyed");
      return;
    }
    std::exception_ptr progress_error;
    try {
      reporter_.deliver_pending();  // aggregate progress never arrives after the ending
    } catch (...) {
      progress_error = std::current_exception();
    }
    reporter_.close();
    if (first_error_) {
      if (pass->on_error) {
        pass->on_error(first_error_);
      } else {
        report_unhandled_job_error(name_, first_error_, "no on_error handler");
      }
    } else if (any_cancelled_) {
      if (pass->on_cancelled) pass->on_cancelled();
    } else if (pass->on_value) {
      if constexpr (std::is_void_v<R>) {
        pass->on_value();
      } else {
        std::vector<R> values;
        values.reserve(results_.size());
        for (auto& r : results_) values.push_back(std::move(*r));
        pass->on_value(std::move(values));
      }
    }
    if (progress_error) std::rethrow_exception(progress_error);  // to the loop's exception handler
  }

  loop& target_;
  const std::string name_;
  const std::chrono::nanoseconds interval_;
  const std::shared_ptr<callback_gate<callbacks_type>> gate_;
  progress<job_group_progress> reporter_;

  std::mutex members_mutex_;  // guards members_ and cancelling_
  std::vector<member> members_;
  bool cancelling_ = false;

  // Loop thread only.
  std::vector<double> ratios_;
  std::vector<std::optional<value_type>> results_;
  std::size_t ended_ = 0;
  std::exception_ptr first_error_;
  bool any_cancelled_ = false;

  std::atomic<bool> finished_{false};
};

}  // namespace handoff::detail
