// Behaviours of handoff::job_group: members on a pool, aggregate progress and
// one ending for the group, after every member stopped.
#include "handoff/job_group.hpp"
#include "handoff/headless_loop.hpp"
#include "handoff/thread_pool.hpp"

#include "support/job_test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using work = handoff::job_group<int>::work_type;

using handoff::testing::wait_for_stop;
using handoff::testing::what_of;

struct job_group : testing::Test {
  handoff::headless_loop ui;  // declared first: it must outlive the pool
  handoff::thread_pool pool{3, "group-test"};
  std::vector<std::string> endings = {};
  std::optional<std::vector<int>> values = {};

  handoff::job_group<int>::callbacks record() {
    return {
        .on_value =
            [this](std::vector<int> v) {
              values = std::move(v);
              endings.emplace_back("value");
              ui.stop();
            },
        .on_error =
            [this](std::exception_ptr e) {
              endings.push_back("error " + what_of(e));
              ui.stop();
            },
        .on_cancelled =
            [this] {
              endings.emplace_back("cancelled");
              ui.stop();
            },
    };
  }
};

TEST_F(job_group, all_members_succeeding_give_their_results_in_submission_order) {
  // Members finish in reverse order: each waits for the next one to finish first.
  std::latch second_done(1);
  std::latch third_done(1);
  handoff::job_group<int> group(pool, ui,
                                {
                                    [&](std::stop_token, auto&) {
                                      second_done.wait();
                                      return 0;
                                    },
                                    [&](std::stop_token, auto&) {
                                      third_done.wait();
                                      second_done.count_down();
                                      return 42;
                                    },
                                    [&](std::stop_token, auto&) {
                                      third_done.count_down();
                                      return 84;
                                    },
                                },
                                record());
  EXPECT_EQ(group.size(), 3U);
  ui.run();
  EXPECT_EQ(endings, std::vector<std::string>{"value"});
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(*values, (std::vector<int>{0, 42, 84}));
  EXPECT_TRUE(group.finished());
}

TEST_F(job_group, the_first_failure_cancels_the_siblings_and_ends_the_group_after_all_stopped) {
  std::atomic<int> siblings_stopped{0};
  std::latch siblings_started(2);
  auto sibling = [&](std::stop_token stop, handoff::determinate_progress&) {
    siblings_started.count_down();
    wait_for_stop(stop);  // only the group's fail-fast can end it
    siblings_stopped.fetch_add(1);
    return 1;
  };
  int stopped_at_ending = -1;
  auto on = record();
  on.on_error = [&](std::exception_ptr e) {
    stopped_at_ending = siblings_stopped.load();
    endings.push_back("error " + what_of(e));
    ui.stop();
  };
  handoff::job_group<int> group(pool, ui,
                                {
                                    sibling,
                                    [&](std::stop_token, auto&) -> int {
                                      siblings_started.wait();
                                      throw std::runtime_error("member 1 failed");
                                    },
                                    sibling,
                                },
                                std::move(on));
  ui.run();
  EXPECT_EQ(endings, std::vector<std::string>{"error member 1 failed"});
  EXPECT_EQ(stopped_at_ending, 2);  // the ending came only after both siblings returned
}

TEST_F(job_group, a_later_error_of_a_sibling_does_not_replace_the_first) {
  std::latch first_failed(1);
  handoff::job_group<int> group(pool, ui,
                                {
                                    [&](std::stop_token, auto&) -> int {
                                      first_failed.count_down();
                                      throw std::runtime_error("first");
                                    },
                                    [&](std::stop_token stop, auto&) -> int {
                                      first_failed.wait();
                                      wait_for_stop(stop);
                                      throw std::runtime_error("second");
                                    },
                                },
                                record());
  ui.run();
  EXPECT_EQ(endings, std::vector<std::string>{"error first"});
}

TEST_F(job_group, cancel_stops_every_member_and_the_group_ends_cancelled_once) {
  std::latch started(3);
  auto member = [&](std::stop_token stop, handoff::determinate_progress&) {
    started.count_down();
    wait_for_stop(stop);
    return 1;
  };
  handoff::job_group<int> group(pool, ui, {member, member, member}, record());
  started.wait();
  EXPECT_TRUE(group.cancel());
  ui.run();
  pool.shutdown(10s);
  ui.run_until_idle();
  EXPECT_EQ(endings, std::vector<std::string>{"cancelled"});
}

TEST_F(job_group, aggregate_progress_is_the_mean_of_member_ratios_and_arrives_before_the_ending) {
  // With no rate limit each step is seen; the latches make the steps take turns.
  std::latch first_seen(1);
  std::latch second_seen(1);
  std::latch third_seen(1);
  std::vector<handoff::job_group_progress> seen;
  bool ended = false;
  bool progress_after_ending = false;
  handoff::job_group<int> group(pool, ui,
                                {
                                    [&](std::stop_token, handoff::determinate_progress& p) {
                                      p.report({.done = 1, .total = 2});
                                      second_seen.wait();
                                      return 1;
                                    },
                                    [&](std::stop_token, handoff::determinate_progress& p) {
                                      first_seen.wait();
                                      p.report({.done = 1, .total = 4});
                                      third_seen.wait();
                                      return 2;
                                    },
                                },
                                {
                                    .on_progress =
                                        [&](handoff::job_group_progress g) {
                                          if (ended) progress_after_ending = true;
                                          seen.push_back(g);
                                          if (seen.size() == 1) first_seen.count_down();
                                          if (seen.size() == 2) second_seen.count_down();
                                          if (seen.size() == 3) third_seen.count_down();
                                        },
                                    .on_value =
                                        [&](std::vector<int>) {
                                          ended = true;
                                          ui.stop();
                                        },
                                },
                                {.name = "mean", .progress_interval = 0ms});
  ui.run();
  pool.shutdown(10s);
  ui.run_until_idle();
  EXPECT_TRUE(ended);
  EXPECT_FALSE(progress_after_ending);
  const std::vector<handoff::job_group_progress> expected{
      {.ratio = 0.25, .finished = 0, .members = 2},   // (1/2 + 0) / 2
      {.ratio = 0.375, .finished = 0, .members = 2},  // (1/2 + 1/4) / 2
      {.ratio = 0.625, .finished = 1, .members = 2},  // (1 + 1/4) / 2: the first ended with a value
      {.ratio = 1.0, .finished = 2, .members = 2},    // delivered by the ending, before on_value
  };
  EXPECT_EQ(seen, expected);
}

TEST_F(job_group, destroying_the_group_cancels_the_members_and_no_callback_runs) {
  std::latch started(2);
  std::atomic<int> stopped{0};
  auto member = [&](std::stop_token stop, handoff::determinate_progress& p) {
    p.report({.done = 1, .total = 2});
    started.count_down();
    wait_for_stop(stop);
    stopped.fetch_add(1);
    return 1;
  };
  auto witness = std::make_shared<int>(0);
  {
    auto on = record();
    on.on_progress = [this, witness](handoff::job_group_progress) { endings.emplace_back("progress"); };
    handoff::job_group<int> group(pool, ui, {member, member}, std::move(on));
    started.wait();
  }
  EXPECT_EQ(witness.use_count(), 1);  // the group's callbacks were released with it
  pool.shutdown(10s);
  ui.run_until_idle();
  EXPECT_EQ(stopped.load(), 2);
  EXPECT_TRUE(endings.empty());
}

TEST_F(job_group, destroying_the_group_inside_its_own_ending_is_safe) {
  std::optional<handoff::job_group<int>> group;
  auto witness = std::make_shared<int>(5);
  int seen = 0;
  group.emplace(pool, ui, std::vector<work>{[](std::stop_token, auto&) { return 1; }},
                handoff::job_group<int>::callbacks{.on_value = [&, witness](std::vector<int> v) {
                  group.reset();
                  seen = v.at(0) + *witness;
                  ui.stop();
                }});
  ui.run();
  EXPECT_EQ(seen, 6);
  EXPECT_EQ(witness.use_count(), 1);
}

TEST_F(job_group, an_empty_group_ends_at_once_with_no_results) {
  handoff::job_group<int> group(pool, ui, {}, record());
  ui.run();
  EXPECT_EQ(endings, std::vector<std::string>{"value"});
  ASSERT_TRUE(values.has_value());
  EXPECT_TRUE(values->empty());
}

TEST_F(job_group, a_void_group_ends_with_on_value) {
  std::atomic<int> ran{0};
  bool ended = false;
  auto member = [&](std::stop_token, handoff::determinate_progress&) { ran.fetch_add(1); };
  handoff::job_group<void> group(pool, ui, {member, member}, {.on_value = [&] {
                                   ended = true;
                                   ui.stop();
                                 }});
  ui.run();
  EXPECT_TRUE(ended);
  EXPECT_EQ(ran.load(), 2);
}

TEST_F(job_group, a_member_dropped_by_the_pool_shutdown_ends_the_group_cancelled) {
  handoff::thread_pool single(1, "single-group");
  std::latch started(1);
  handoff::job_group<int> group(single, ui,
                                {
                                    [&](std::stop_token stop, auto&) {
                                      started.count_down();
                                      wait_for_stop(stop);
                                      return 1;
                                    },
                                    [](std::stop_token, auto&) { return 2; },  // still queued
                                },
                                record());
  started.wait();
  single.shutdown(10s);
  ui.run_until_idle();
  EXPECT_EQ(endings, std::vector<std::string>{"cancelled"});
}

TEST_F(job_group, a_failure_with_no_on_error_handler_writes_one_line) {
  testing::internal::CaptureStderr();
  std::latch started(1);
  handoff::job_group<int> group(pool, ui, {[&](std::stop_token, auto&) -> int {
                                  started.count_down();
                                  throw std::runtime_error("no handler");
                                }},
                                {}, {.name = "batch"});
  started.wait();
  pool.shutdown(10s);
  ui.run_until_idle();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("batch"), std::string::npos) << err;
  EXPECT_NE(err.find("no handler"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(job_group, an_empty_work_is_rejected) {
  EXPECT_THROW(handoff::job_group<int>(pool, ui, {work{}}), handoff::errors::invalid_argument);
}

}  // namespace
