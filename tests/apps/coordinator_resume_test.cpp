// Behaviours of a livepi run that is stopped and resumed: the count is the one
// an uninterrupted run gives, whatever the number of workers on either side.
#include "engine/coordinator.hpp"
#include "engine/kernel.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace {

using namespace handoff::livepi;
using namespace std::chrono_literals;

/// Collects a run's snapshots; lets the test wait for the first counted range and the end.
class recorder {
 public:
  coordinator::publisher publisher() {
    return [this](snapshot s) {
      const std::lock_guard lock(mutex_);
      if (s.points > 0) counted_ = true;
      if (s.state == run_state::finished) last_ = std::move(s);
      changed_.notify_all();
    };
  }
  bool wait_counted() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 120s, [&] { return counted_; });
  }
  std::optional<snapshot> wait_last() {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 120s, [&] { return last_.has_value(); });
    return last_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool counted_ = false;
  std::optional<snapshot> last_;
};

run_config threads_config(unsigned workers) {
  run_config config;
  config.backend = backend_kind::threads;
  config.workers = workers;
  config.points = std::uint64_t{1} << 28;
  config.batch = std::uint64_t{1} << 20;
  config.seed = 20261122;
  return config;
}

TEST(coordinator_resume, a_stopped_run_resumed_with_other_workers_counts_what_an_uninterrupted_run_counts) {
  run_config first = threads_config(2);
  recorder stopped;
  {
    coordinator run(first, stopped.publisher());
    ASSERT_TRUE(stopped.wait_counted());
    run.request_stop();
  }
  const std::optional<snapshot> paused = stopped.wait_last();
  ASSERT_TRUE(paused.has_value());
  ASSERT_TRUE(paused->resume.has_value()) << "the run ended before the stop: make it longer";
  EXPECT_LT(paused->points, first.points);
  EXPECT_EQ(paused->resume->points, paused->points);

  run_config second = threads_config(1);
  second.resume_from = paused->resume;
  recorder resumed;
  coordinator run(second, resumed.publisher());
  const std::optional<snapshot> last = resumed.wait_last();
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(last->error.empty()) << last->error;
  EXPECT_FALSE(last->resume.has_value());
  EXPECT_EQ(last->points, first.points);
  EXPECT_EQ(last->inside, count_inside(first.seed, 0, first.points));
  EXPECT_GE(last->elapsed_seconds, paused->elapsed_seconds);
  // It counted only what the stopped run left, not everything again.
  std::uint64_t counted_now = 0;
  for (const worker_status& worker : last->workers) counted_now += worker.points_done;
  EXPECT_EQ(counted_now, first.points - paused->points);
}

TEST(coordinator_resume, a_resume_point_of_another_seed_is_refused) {
  run_config config = threads_config(1);
  resume_point point;
  point.seed = config.seed + 1;
  config.resume_from = point;
  recorder unused;
  EXPECT_THROW(coordinator(config, unused.publisher()), std::invalid_argument);
}

}  // namespace
