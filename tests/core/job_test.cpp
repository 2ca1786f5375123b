// Behaviours of handoff::job: work on a thread_pool, progress then exactly one
// ending on the loop. The loop runs on the test thread (run(), stopped by the
// ending callback, or run_until_idle() after the pool was shut down, which
// guarantees every ending was posted).
#include "handoff/job.hpp"
#include "handoff/headless_loop.hpp"
#include "handoff/manual_clock.hpp"
#include "handoff/thread_pool.hpp"

#include "support/job_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <condition_variable>
#include <cstdio>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

using handoff::testing::wait_for_stop;
using handoff::testing::what_of;

// Records every callback as a string, on the loop thread, and stops run() at the ending.
struct recorder {
  handoff::headless_loop& ui;
  std::vector<std::string> events = {};
  std::thread::id ran_on = {};
  int endings = 0;

  void ending(const std::string& what) {
    events.push_back(what);
    ran_on = std::this_thread::get_id();
    ++endings;
    ui.stop();
  }

  template <class R = int, class P = std::monostate>
  typename handoff::job<R, P>::callbacks callbacks() {
    typename handoff::job<R, P>::callbacks on;
    if constexpr (!std::is_same_v<P, std::monostate>) {
      on.on_progress = [this](P p) { events.push_back("progress " + std::to_string(p)); };
    }
    if constexpr (std::is_void_v<R>) {
      on.on_value = [this] { ending("value"); };
    } else {
      on.on_value = [this](R v) { ending("value " + std::to_string(v)); };
    }
    on.on_error = [this](std::exception_ptr e) { ending("error " + what_of(e)); };
    on.on_cancelled = [this] { ending("cancelled"); };
    return on;
  }
};

struct job : testing::Test {
  handoff::headless_loop ui;  // declared first: it must outlive the pool
  handoff::thread_pool pool{2, "job-test"};
  recorder rec{ui};
};

TEST_F(job, the_value_arrives_on_the_loop_thread) {
  handoff::job<int> j(
      pool, ui, [](std::stop_token, auto&) { return 42; }, rec.callbacks());
  ui.run();
  EXPECT_EQ(rec.events, std::vector<std::string>{"value 42"});
  EXPECT_EQ(rec.ran_on, std::this_thread::get_id());
  EXPECT_EQ(j.status(), handoff::job_status::succeeded);
  EXPECT_TRUE(j.finished());
}

TEST_F(job, the_work_runs_on_a_pool_thread_showing_the_job_name_as_its_activity) {
  std::thread::id ran_on;
  std::string activity_seen;
  handoff::job<int> j(pool, ui,
                      [&](std::stop_token, auto&) {
                        ran_on = std::this_thread::get_id();
                        std::FILE* file = std::tmpfile();
                        handoff::dump_threads(fileno(file));
                        std::rewind(file);
                        char line[512];
                        while (std::fgets(line, sizeof line, file) != nullptr) {
                          if (std::string(line).find("running job [indexer]") != std::string::npos)
                            activity_seen = line;
                        }
                        std::fclose(file);
                        return 1;
                      },
                      rec.callbacks(), {.name = "indexer"});
  ui.run();
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_FALSE(activity_seen.empty());
  EXPECT_EQ(j.name(), "indexer");
}

TEST_F(job, every_progress_value_arrives_before_the_ending_and_the_last_one_is_never_lost) {
  handoff::manual_clock time;  // frozen: only the first value and the final flush get through
  handoff::headless_loop paced(time);
  handoff::thread_pool workers(1, "paced");
  recorder r{paced};
  handoff::job<int, int> j(
      workers, paced,
      [](std::stop_token, handoff::progress<int>& p) {
        for (int i = 1; i <= 100; ++i) p.report(i);
        return 7;
      },
      r.callbacks<int, int>());
  paced.run();
  EXPECT_EQ(r.events, (std::vector<std::string>{"progress 1", "progress 100", "value 7"}));
  workers.shutdown(10s);
  paced.run_until_idle();
  EXPECT_EQ(r.events.size(), 3U);  // nothing after the ending
}

TEST_F(job, a_failure_reaches_on_error_with_the_exception) {
  handoff::job<int> j(
      pool, ui, [](std::stop_token, auto&) -> int { throw std::runtime_error("disk full"); },
      rec.callbacks());
  ui.run();
  EXPECT_EQ(rec.events, std::vector<std::string>{"error disk full"});
  EXPECT_EQ(j.status(), handoff::job_status::failed);
}

TEST_F(job, a_failure_with_no_on_error_handler_writes_one_line_with_the_job_name) {
  testing::internal::CaptureStderr();
  std::latch started(1);
  handoff::job<int> j(pool, ui,
                      [&](std::stop_token, auto&) -> int {
                        started.count_down();
                        throw std::runtime_error("disk full");
                      },
                      {}, {.name = "importer"});
  started.wait();      // so the shutdown cannot drop it unrun
  pool.shutdown(10s);  // the work returned and its ending is posted
  ui.run_until_idle();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("importer"), std::string::npos) << err;
  EXPECT_NE(err.find("disk full"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(job, work_that_throws_cancelled_ends_cancelled) {
  handoff::job<int> j(
      pool, ui, [](std::stop_token, auto&) -> int { throw handoff::errors::cancelled(); }, rec.callbacks());
  ui.run();
  EXPECT_EQ(rec.events, std::vector<std::string>{"cancelled"});
  EXPECT_EQ(j.status(), handoff::job_status::cancelled);
}

TEST_F(job, cancel_while_running_reads_cancel_requested_and_no_ending_fires_until_the_work_returns) {
  std::latch started(1);
  std::latch release(1);
  std::atomic<bool> saw_stop{false};
  handoff::job<int> j(
      pool, ui,
      [&](std::stop_token stop, auto&) {
        started.count_down();
        release.wait();
        saw_stop = stop.stop_requested();
        return 5;  // a value returned after a stop request is dropped
      },
      rec.callbacks());
  started.wait();
  EXPECT_EQ(j.status(), handoff::job_status::running);
  EXPECT_TRUE(j.cancel());
  EXPECT_FALSE(j.cancel());
  EXPECT_EQ(j.status(), handoff::job_status::cancel_requested);
  EXPECT_FALSE(j.finished());
  ui.run_until_idle();
  EXPECT_TRUE(rec.events.empty());  // the work still runs: no ending yet
  release.count_down();
  ui.run();
  EXPECT_TRUE(saw_stop.load());
  EXPECT_EQ(rec.events, std::vector<std::string>{"cancelled"});
  EXPECT_EQ(j.status(), handoff::job_status::cancelled);
}

TEST_F(job, a_job_cancelled_while_queued_never_runs_and_ends_at_once) {
  handoff::thread_pool single(1, "single");
  std::latch release(1);
  single.submit([&](std::stop_token) { release.wait(); });  // occupies the only thread
  std::atomic<bool> ran{false};
  handoff::job<int> j(
      single, ui,
      [&](std::stop_token, auto&) {
        ran = true;
        return 1;
      },
      rec.callbacks());
  EXPECT_EQ(j.status(), handoff::job_status::queued);
  EXPECT_TRUE(j.cancel());
  EXPECT_EQ(j.status(), handoff::job_status::cancelled);
  ui.run();  // the ending does not wait for a pool thread
  EXPECT_EQ(rec.events, std::vector<std::string>{"cancelled"});
  release.count_down();
  single.shutdown(10s);
  ui.run_until_idle();
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(rec.endings, 1);
}

TEST_F(job, cancel_racing_completion_always_gives_exactly_one_consistent_ending) {
  constexpr int rounds = 300;
  int cancelled_endings = 0;
  for (int round = 0; round < rounds; ++round) {
    recorder r{ui};
    std::barrier meet(2);
    handoff::job<int> j(
        pool, ui,
        [&](std::stop_token, auto&) {
          meet.arrive_and_wait();
          return 1;
        },
        r.callbacks());
    bool cancel_won = false;
    std::jthread canceller([&] {
      meet.arrive_and_wait();
      cancel_won = j.cancel();
    });
    ui.run();
    canceller.join();
    ui.run_until_idle();  // nothing more may arrive
    ASSERT_EQ(r.endings, 1) << "round " << round;
    if (cancel_won) {
      ASSERT_EQ(r.events.back(), "cancelled") << "round " << round;
      ASSERT_EQ(j.status(), handoff::job_status::cancelled);
      ++cancelled_endings;
    } else {
      ASSERT_EQ(r.events.back(), "value 1") << "round " << round;
      ASSERT_EQ(j.status(), handoff::job_status::succeeded);
    }
  }
  RecordProperty("cancelled_endings", cancelled_endings);
}

TEST_F(job, an_error_thrown_after_cancel_is_not_swallowed) {
  std::latch started(1);
  handoff::job<int> j(
      pool, ui,
      [&](std::stop_token stop, auto&) -> int {
        started.count_down();
        wait_for_stop(stop);
        throw std::runtime_error("cleanup failed");
      },
      rec.callbacks());
  started.wait();
  j.cancel();
  ui.run();
  EXPECT_EQ(rec.events, std::vector<std::string>{"error cleanup failed"});
  EXPECT_EQ(j.status(), handoff::job_status::failed);
}

TEST_F(job, destroying_the_job_cancels_it_and_no_callback_runs_afterwards) {
  std::latch started(1);
  std::atomic<bool> saw_stop{false};
  auto witness = std::make_shared<int>(0);
  auto callbacks = rec.callbacks<int, int>();
  callbacks.on_cancelled = [&rec = rec, witness] { rec.ending("cancelled"); };
  {
    handoff::job<int, int> j(
        pool, ui,
        [&](std::stop_token stop, handoff::progress<int>& p) {
          p.report(1);
          started.count_down();
          wait_for_stop(stop);
          saw_stop = true;
          p.report(2);
          return 3;
        },
        std::move(callbacks));
    started.wait();
  }
  EXPECT_EQ(witness.use_count(), 1);  // the callbacks were released with the job
  pool.shutdown(10s);
  ui.run_until_idle();
  EXPECT_TRUE(saw_stop.load());
  EXPECT_TRUE(rec.events.empty());
}

TEST_F(job, destroying_the_job_inside_its_own_callback_is_safe) {
  auto witness = std::make_shared<int>(9);
  std::optional<handoff::job<int>> j;
  int seen = 0;
  j.emplace(
      pool, ui, [](std::stop_token, auto&) { return 1; },
      handoff::job<int>::callbacks{.on_value = [&, witness](int v) {
        j.reset();
        seen = v + *witness;  // the callback's captures live until it returns
        ui.stop();
      }});
  ui.run();
  EXPECT_EQ(seen, 10);
  EXPECT_FALSE(j.has_value());
  EXPECT_EQ(witness.use_count(), 1);
}

TEST(job_threads, destroying_off_the_loop_thread_waits_for_a_callback_under_way) {
  handoff::headless_loop ui;
  handoff::thread_pool pool(1, "waiting");
  std::latch entered(1);
  std::latch release(1);
  std::atomic<bool> callback_returned{false};
  std::optional<handoff::job<int>> j;
  j.emplace(
      pool, ui, [](std::stop_token, auto&) { return 1; }, handoff::job<int>::callbacks{.on_value = [&](int) {
        entered.count_down();
        release.wait();
        // Some work after the release, so a destructor that did not wait would overtake it.
        for (int i = 0; i < 1000; ++i) std::this_thread::yield();
        callback_returned = true;
      }});
  std::jthread loop_thread([&] { ui.run(); });
  entered.wait();
  release.count_down();
  j.reset();  // on the test thread, not the loop thread
  EXPECT_TRUE(callback_returned.load());
  ui.stop();
  loop_thread.join();
}

TEST_F(job, void_jobs_end_with_on_value) {
  std::atomic<bool> ran{false};
  handoff::job<void> j(
      pool, ui, [&](std::stop_token, auto&) { ran = true; }, rec.callbacks<void, std::monostate>());
  ui.run();
  EXPECT_TRUE(ran.load());
  EXPECT_EQ(rec.events, std::vector<std::string>{"value"});
}

TEST_F(job, the_pool_shutdown_drops_a_queued_job_which_ends_cancelled) {
  handoff::thread_pool single(1, "dropping");
  std::latch started(1);
  single.submit([&](std::stop_token stop) {
    started.count_down();
    wait_for_stop(stop);
  });
  started.wait();
  std::atomic<bool> ran{false};
  handoff::job<int> j(
      single, ui,
      [&](std::stop_token, auto&) {
        ran = true;
        return 1;
      },
      rec.callbacks());
  EXPECT_TRUE(single.shutdown(10s));
  ui.run_until_idle();
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(rec.events, std::vector<std::string>{"cancelled"});
}

TEST_F(job, the_pool_shutdown_stops_a_running_job_which_ends_cancelled) {
  std::latch started(1);
  handoff::job<int> j(
      pool, ui,
      [&](std::stop_token stop, auto&) {
        started.count_down();
        wait_for_stop(stop);
        return 1;
      },
      rec.callbacks());
  started.wait();
  EXPECT_TRUE(pool.shutdown(10s));
  ui.run_until_idle();
  EXPECT_EQ(rec.events, std::vector<std::string>{"cancelled"});
}

TEST_F(job, a_job_given_to_a_shut_down_pool_ends_cancelled) {
  pool.shutdown(10s);
  handoff::job<int> j(
      pool, ui, [](std::stop_token, auto&) { return 1; }, rec.callbacks());
  EXPECT_EQ(j.status(), handoff::job_status::cancelled);
  ui.run_until_idle();
  EXPECT_EQ(rec.events, std::vector<std::string>{"cancelled"});
}

TEST_F(job, a_failure_that_finds_the_loop_closed_is_still_reported_on_stderr) {
  std::latch started(1);
  std::latch release(1);
  handoff::job<int> j(pool, ui,
                      [&](std::stop_token, auto&) -> int {
                        started.count_down();
                        release.wait();
                        throw std::runtime_error("late failure");
                      },
                      rec.callbacks(), {.name = "orphan"});
  started.wait();
  ui.close();
  testing::internal::CaptureStderr();
  release.count_down();
  pool.shutdown(10s);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("orphan"), std::string::npos) << err;
  EXPECT_NE(err.find("late failure"), std::string::npos) << err;
  EXPECT_TRUE(rec.events.empty());
}

TEST_F(job, a_moved_job_keeps_running_and_the_moved_from_one_is_inert) {
  handoff::job<int> first(
      pool, ui, [](std::stop_token, auto&) { return 8; }, rec.callbacks());
  handoff::job<int> second(std::move(first));
  EXPECT_FALSE(first.cancel());  // NOLINT(bugprone-use-after-move): documented as inert
  ui.run();
  EXPECT_EQ(rec.events, std::vector<std::string>{"value 8"});
  EXPECT_EQ(second.status(), handoff::job_status::succeeded);
}

TEST_F(job, a_negative_progress_interval_is_rejected) {
  EXPECT_THROW(handoff::job<int>(pool, ui, [](std::stop_token, auto&) { return 1; }, {},
                                 {.name = "bad", .progress_interval = -1ms}),
               handoff::errors::invalid_argument);
}

}  // namespace
