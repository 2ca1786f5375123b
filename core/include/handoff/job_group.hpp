// handoff::job_group<R>: several jobs that end together, once.
//
// What it is: one member job (job.hpp) per piece of work, all started at
// construction on the same pool, with aggregate progress and ONE ending for
// the whole group, delivered on the loop thread only after every member has
// stopped (every member's own ending has come). The seeds' "Run 3 Tasks".
//
// Progress: each member reports a handoff::fraction; the group reports a
// job_group_progress (progress_values.hpp) whose ratio is the MEAN of the
// members' ratios, so every member weighs the same whatever its total (a
// member not started yet counts 0, one that ended with a value 1), plus how
// many members have ended. It is rate limited like any progress and every
// value arrives before the group's ending.
//
// Failure policy: fail fast. The first member to fail makes the group cancel
// every sibling; once all have stopped, the group ends with on_error(that
// first error). Errors of other members after it are dropped: they are
// usually consequences of the cancellation. A member that ends cancelled
// (it threw errors::cancelled, or the pool dropped it) also cancels the
// siblings, and the group ends cancelled, unless some member failed (an error
// wins over cancellation: errors are never swallowed). If all members
// succeed, on_value receives their results in the order the work was given.
// cancel() cancels every member; the group then ends cancelled, unless a
// member failed, or every member's work had already returned a value (as for
// a single job, a cancel that comes too late does not change the ending).
// A group whose failure reaches no on_error handler writes one line on stderr.
//
// Threads: the callbacks run on the loop thread; cancel(), finished() and the
// destructor may be called from any thread.
//
// What it does not guarantee: any order between the members' work, or any
// callback once the loop is closed.
//
// Lifetime and shutdown: as for job: destroying the group cancels every member
// and no group callback runs after the destructor returns; off the loop thread
// the destructor waits for a callback under way. The loop and the pool must
// outlive the members' work.
#pragma once

#include "handoff/detail/job_group_core.hpp"
#include "handoff/errors.hpp"
#include "handoff/job.hpp"
#include "handoff/loop.hpp"
#include "handoff/progress.hpp"
#include "handoff/progress_values.hpp"
#include "handoff/thread_pool.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <stop_token>
#include <utility>
#include <vector>

namespace handoff {

template <class R>
class job_group {
 public:
  /// One member's work: it reports its own progress as a fraction.
  using work_type = std::function<R(std::stop_token, determinate_progress&)>;

  /// The loop-thread callbacks of the group; any may be empty.
  using callbacks = detail::job_group_callbacks<R>;

  /// Starts one job per element of `works` (none empty) on `pool`, named
  /// "<options.name>[i]"; with no works at all the group ends at once with an
  /// empty result. Any thread.
  job_group(thread_pool& pool, loop& target, std::vector<work_type> works, callbacks on = {},
            job_options options = {}) {
    for (const auto& w : works) {
      if (!w) throw errors::invalid_argument("a job_group member has no work");
    }
    core_ = std::make_shared<detail::job_group_core<R>>(target, std::move(on), works.size(),
                                                        std::move(options.name), options.progress_interval);
    try {
      core_->start(pool, std::move(works));
    } catch (...) {
      core_->abandon();
      throw;
    }
  }

  /// Takes over other's group; other becomes inert. Any thread.
  job_group(job_group&& other) noexcept = default;

  /// Abandons the group held (as the destructor does), then takes other's. Any thread.
  job_group& operator=(job_group&& other) noexcept {
    if (this != &other) {
      release();
      core_ = std::move(other.core_);
    }
    return *this;
  }

  job_group(const job_group&) = delete;
  job_group& operator=(const job_group&) = delete;

  /// Cancels every member; no group callback runs after this returns. Any thread.
  ~job_group() { release(); }

  /// Cancels every member. True if a member still queued or running was
  /// asked to stop (the group will then end cancelled or failed). Any thread.
  bool cancel() { return core_ && core_->cancel(); }

  /// True once every member has ended and the group's ending is being, or
  /// has been, delivered. Any thread.
  [[nodiscard]] bool finished() const noexcept { return core_ && core_->finished(); }

  /// Number of members. Any thread (not on a moved-from group).
  [[nodiscard]] std::size_t size() const noexcept { return core_->size(); }

 private:
  void release() noexcept {
    if (!core_) return;
    core_->abandon();
    core_.reset();
  }

  std::shared_ptr<detail::job_group_core<R>> core_;
};

}  // namespace handoff
