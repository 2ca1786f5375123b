// The shapes progress takes: handoff::fraction, handoff::heartbeat and
// handoff::job_group_progress.
//
// fraction is determinate progress ("37 of 120 files"); heartbeat is
// indeterminate progress ("still alive, step 12"), for work whose total is
// unknown: the UI animates a busy indicator on each beat; job_group_progress
// is what a job_group reports for all its members at once. All are plain
// values, cheap to copy, and carry no thread contract of their own.
#pragma once

#include <cstddef>
#include <cstdint>

namespace handoff {

/// Determinate progress: `done` of `total` units.
struct fraction {
  std::uint64_t done = 0;
  std::uint64_t total = 0;

  /// done / total clamped to [0, 1]; 0 when total is 0 (nothing known yet). Any thread.
  [[nodiscard]] double ratio() const noexcept {
    if (total == 0) return 0.0;
    if (done >= total) return 1.0;
    return static_cast<double>(done) / static_cast<double>(total);
  }

  friend bool operator==(const fraction&, const fraction&) = default;
};

/// Indeterminate progress: how many beats the work has sent so far.
struct heartbeat {
  std::uint64_t beats = 0;

  friend bool operator==(const heartbeat&, const heartbeat&) = default;
};

/// The aggregate progress of a job_group (job_group.hpp).
struct job_group_progress {
  /// The mean of the members' ratios: each member weighs the same, whatever its
  /// total; a member not started yet counts 0, one that ended with a value 1.
  double ratio = 0.0;
  /// Members that have ended (with any ending).
  std::size_t finished = 0;
  /// Members in the group.
  std::size_t members = 0;

  friend bool operator==(const job_group_progress&, const job_group_progress&) = default;
};

}  // namespace handoff
