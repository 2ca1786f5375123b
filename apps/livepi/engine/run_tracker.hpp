// Shared by the backends: the lease book, the per-worker figures, and the
// rate-limited snapshot publishing of one run. Coordinator thread only.
#pragma once

#include "coordinator.hpp"
#include "lease_book.hpp"

#include <chrono>

namespace handoff::livepi::detail {

class run_tracker {
 public:
  using steady = std::chrono::steady_clock;

  run_tracker(const run_config& config, coordinator::publisher& publish);

  lease_book& book() noexcept { return book_; }
  worker_status& worker(unsigned id) { return snapshot_.workers.at(id); }

  /// Records a result from `worker_id`; false for a duplicate (ignored).
  bool complete(unsigned worker_id, std::uint64_t lease_id, std::uint64_t inside);

  /// When the run must end by itself: the duration's end, or time_point::max().
  [[nodiscard]] steady::time_point deadline() const noexcept { return deadline_; }
  /// When the next snapshot is due.
  [[nodiscard]] steady::time_point next_publish() const noexcept { return next_publish_; }

  /// True once the total is done or the duration is over.
  [[nodiscard]] bool done() const;

  /// Publishes if the interval has passed since the last one.
  void publish_if_due();
  /// Publishes now with the given state (stopping, finished).
  void publish_now(run_state state);

  void set_error(std::string text) { snapshot_.error = std::move(text); }
  void count_restart() noexcept { ++snapshot_.restarts; }

 private:
  void refresh();

  const run_config& config_;
  coordinator::publisher& publish_;
  lease_book book_;
  snapshot snapshot_;
  steady::time_point started_;
  steady::time_point deadline_;
  steady::time_point next_publish_;
  double elapsed_before_ = 0;        // resumed: the time the earlier runs took
  std::uint64_t points_before_ = 0;  // resumed: the points they counted
};

/// Counts [range) in chunks, checking `stop` between them so a stop is prompt
/// however large the lease; nullopt when stopped part-way.
std::optional<std::uint64_t> count_range(std::uint64_t seed, point_range range, const std::stop_token& stop);

}  // namespace handoff::livepi::detail
