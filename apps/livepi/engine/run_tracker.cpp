#include "run_tracker.hpp"

#include "kernel.hpp"

#include <algorithm>

namespace handoff::livepi::detail {

namespace {
// Whole kernel blocks, and small enough (about a millisecond of work) that a stop is prompt.
constexpr std::uint64_t stop_check_points = std::uint64_t{1} << 21;
}  // namespace

run_tracker::run_tracker(const run_config& config, coordinator::publisher& publish)
    : config_(config),
      publish_(publish),
      // Leases are whole kernel blocks, so no worker skips inside a block.
      book_(config.points,
            (config.batch + kernel_block_points - 1) / kernel_block_points * kernel_block_points),
      started_(steady::now()),
      deadline_(config.duration.count() > 0 ? started_ + config.duration : steady::time_point::max()),
      next_publish_(started_) {
  if (config.resume_from) {  // validate() checked that it fits
    book_.resume(*config.resume_from);
    elapsed_before_ = config.resume_from->elapsed_seconds;
    points_before_ = config.resume_from->points;
  }
  snapshot_.backend = config.backend;
  snapshot_.seed = config.seed;
  snapshot_.target_points = config.points;
  snapshot_.workers.resize(config.backend == backend_kind::sequential ? 1 : config.workers);
  for (unsigned i = 0; i < snapshot_.workers.size(); ++i) snapshot_.workers[i].id = i;
}

bool run_tracker::complete(unsigned worker_id, std::uint64_t lease_id, std::uint64_t inside) {
  const std::uint64_t before = book_.points_done();
  if (!book_.complete(lease_id, inside)) return false;
  auto& status = worker(worker_id);
  ++status.ranges_done;
  status.points_done += book_.points_done() - before;
  return true;
}

bool run_tracker::done() const { return book_.finished() || steady::now() >= deadline_; }

void run_tracker::refresh() {
  const double elapsed = std::chrono::duration<double>(steady::now() - started_).count();
  snapshot_.points = book_.points_done();
  snapshot_.inside = book_.inside();
  snapshot_.elapsed_seconds = elapsed_before_ + elapsed;
  // The rate of this run: a resumed run's earlier points were counted at another time.
  snapshot_.rate = elapsed > 0 ? static_cast<double>(snapshot_.points - points_before_) / elapsed : 0;
  unsigned alive = 0;
  for (auto& w : snapshot_.workers) {
    w.rate = elapsed > 0 ? static_cast<double>(w.points_done) / elapsed : 0;
    alive += (w.state == worker_state::running || w.state == worker_state::restarted) ? 1 : 0;
  }
  snapshot_.workers_alive = alive;
}

void run_tracker::publish_if_due() {
  const auto now = steady::now();
  if (now < next_publish_) return;
  next_publish_ = now + config_.publish_interval;
  refresh();
  snapshot_.state = run_state::running;
  publish_(snapshot_);
}

void run_tracker::publish_now(run_state state) {
  next_publish_ = steady::now() + config_.publish_interval;
  refresh();
  snapshot_.state = state;
  if (state == run_state::finished && !book_.finished()) {
    resume_point point = book_.saved();
    point.seed = config_.seed;
    point.elapsed_seconds = snapshot_.elapsed_seconds;
    snapshot_.resume = std::move(point);
  }
  publish_(snapshot_);
}

std::optional<std::uint64_t> count_range(std::uint64_t seed, point_range range, const std::stop_token& stop) {
  std::uint64_t inside = 0;
  for (std::uint64_t offset = 0; offset < range.count; offset += stop_check_points) {
    if (stop.stop_requested()) return std::nullopt;
    inside += count_inside(seed, range.first + offset, std::min(stop_check_points, range.count - offset));
  }
  return inside;
}

}  // namespace handoff::livepi::detail
