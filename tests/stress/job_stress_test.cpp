// Many jobs with random outcomes, random cancel timing and random destruction,
// against a loop running on its own thread: every job that is not destroyed
// ends exactly once, consistently with cancel(); no callback runs after its
// job was destroyed, and no progress arrives after an ending.
#include "handoff/headless_loop.hpp"
#include "handoff/job.hpp"
#include "handoff/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

enum class outcome { value, error, cancelled_by_work };
enum ending_kind : int { none = 0, value = 1, error = 2, cancelled = 3 };

struct plan {
  int steps = 0;  // progress reports (and stop checks) before the work returns
  outcome result = outcome::value;
  bool cancel = false;            // the canceller thread cancels it
  int cancel_delay = 0;           // yields before that cancel
  bool destroy = false;           // the test thread destroys it...
  std::size_t destroy_after = 0;  // ...once this many more jobs were created
};

// Written by the callbacks on the loop thread and by the work; read after the loop stopped.
struct record {
  std::atomic<int> endings{0};
  std::atomic<int> kind{none};
  std::atomic<int> late_progress{0};
  std::atomic<int> after_destruction{0};
  std::atomic<bool> destroyed{false};
  std::atomic<bool> work_ran{false};
  std::atomic<bool> cancel_won{false};
  std::atomic<int> value{-1};
};

TEST(job_stress, every_job_ends_exactly_once_under_random_cancel_and_destruction) {
  constexpr std::size_t job_count = 15000;
  const auto seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  auto chance = [&](int percent) { return std::uniform_int_distribution<int>(0, 99)(random) < percent; };

  std::vector<plan> plans(job_count);
  for (auto& p : plans) {
    p.steps = std::uniform_int_distribution<int>(0, 100)(random);
    p.destroy = chance(20);
    p.destroy_after = std::uniform_int_distribution<std::size_t>(0, 20)(random);
    p.cancel = !p.destroy && chance(40);  // the canceller never touches a job the test thread destroys
    p.cancel_delay = std::uniform_int_distribution<int>(0, 200)(random);
    const int r = std::uniform_int_distribution<int>(0, 9)(random);
    // Failures only where an on_error handler will hear them (a destroyed job's failure is reported on
    // stderr).
    p.result = r < 7 || p.destroy ? outcome::value : (r < 9 ? outcome::error : outcome::cancelled_by_work);
  }
  std::vector<record> records(job_count);

  // A short pump budget on purpose: pumps that stop with leftovers while jobs
  // keep posting once stranded tasks (tests/repro/leftover_batch_wake_test.cpp).
  handoff::headless_loop ui({.pump_budget = std::chrono::microseconds(200)});
  handoff::thread_pool pool(3, "stress");
  std::vector<std::optional<handoff::job<int, int>>> jobs(job_count);
  std::atomic<std::size_t> created{0};
  std::atomic<std::size_t> ended{0};  // endings of the jobs that are not destroyed
  std::size_t expected_endings = 0;
  for (const auto& p : plans) expected_endings += p.destroy ? 0 : 1;

  std::jthread loop_thread([&] { ui.run(); });

  std::jthread canceller([&] {
    for (std::size_t i = 0; i < job_count; ++i) {
      if (!plans[i].cancel) continue;
      for (std::size_t seen = created.load(); seen <= i; seen = created.load()) created.wait(seen);
      for (int y = 0; y < plans[i].cancel_delay; ++y) std::this_thread::yield();
      records[i].cancel_won = jobs[i]->cancel();
    }
  });

  auto destroy = [&](std::size_t i) {
    jobs[i].reset();
    records[i].destroyed = true;  // any callback that sees this ran after the destructor returned
  };

  for (std::size_t i = 0; i < job_count; ++i) {
    record& rec = records[i];
    const plan p = plans[i];
    auto check_alive = [&rec] {
      if (rec.destroyed.load()) rec.after_destruction.fetch_add(1);
    };
    auto end = [&rec, check_alive, &ended, counted = !p.destroy](ending_kind k) {
      check_alive();
      rec.endings.fetch_add(1);
      rec.kind = k;
      if (counted) {
        ended.fetch_add(1);
        ended.notify_all();
      }
    };
    handoff::job<int, int>::callbacks on{
        .on_progress =
            [&rec, check_alive](int) {
              check_alive();
              if (rec.endings.load() != 0) rec.late_progress.fetch_add(1);
            },
        .on_value =
            [&rec, end](int v) {
              rec.value = v;
              end(value);
            },
        .on_error = [end](std::exception_ptr) { end(error); },
        .on_cancelled = [end] { end(cancelled); },
    };
    jobs[i].emplace(
        pool, ui,
        [&rec, p, i](std::stop_token stop, handoff::progress<int>& progress) -> int {
          rec.work_ran = true;
          for (int s = 0; s < p.steps; ++s) {
            if (stop.stop_requested()) break;
            progress.report(s);
          }
          if (p.result == outcome::error) throw std::runtime_error("planned failure");
          if (p.result == outcome::cancelled_by_work) throw handoff::errors::cancelled();
          return static_cast<int>(i);
        },
        std::move(on), handoff::job_options{.name = "stress", .progress_interval = 0ms});
    created.store(i + 1);
    created.notify_all();
    for (std::size_t j = 0; j <= i; ++j) {
      if (plans[j].destroy && !records[j].destroyed.load() && j + plans[j].destroy_after == i) destroy(j);
    }
  }
  canceller.join();
  for (std::size_t i = 0; i < job_count; ++i) {
    if (plans[i].destroy && !records[i].destroyed.load()) destroy(i);
  }

  // Every job still owned has ended; only then stop the pool, whose stop would cancel running work.
  for (std::size_t seen = ended.load(); seen < expected_endings; seen = ended.load()) ended.wait(seen);
  EXPECT_TRUE(pool.shutdown(30s));
  ui.invoke([] {});  // the loop ran every task posted before this one: a second ending would have shown
  ui.stop();
  loop_thread.join();
  jobs.clear();  // the loop thread has ended: destroying them here is allowed

  std::size_t values = 0;
  std::size_t cancels = 0;
  std::size_t errors = 0;
  for (std::size_t i = 0; i < job_count; ++i) {
    const record& rec = records[i];
    const plan& p = plans[i];
    SCOPED_TRACE("job " + std::to_string(i));
    ASSERT_EQ(rec.after_destruction.load(), 0);
    ASSERT_EQ(rec.late_progress.load(), 0);
    if (p.destroy) {
      ASSERT_LE(rec.endings.load(), 1);
      continue;
    }
    ASSERT_EQ(rec.endings.load(), 1);
    const int kind = rec.kind.load();
    if (rec.work_ran.load() && p.result == outcome::error) {
      ASSERT_EQ(kind, error);  // never swallowed, even when cancelled
    } else if (rec.cancel_won.load() || p.result == outcome::cancelled_by_work || !rec.work_ran.load()) {
      ASSERT_EQ(kind, cancelled);  // cancelled in time, by the work itself, or while queued
    } else {
      // Not cancelled in time (or not at all): the value.
      ASSERT_EQ(kind, value);
      ASSERT_EQ(rec.value.load(), static_cast<int>(i));
    }
    values += kind == value ? 1 : 0;
    cancels += kind == cancelled ? 1 : 0;
    errors += kind == error ? 1 : 0;
  }
  RecordProperty("values", static_cast<int>(values));
  RecordProperty("cancels", static_cast<int>(cancels));
  RecordProperty("errors", static_cast<int>(errors));
  EXPECT_GT(values, 0U);
  EXPECT_GT(cancels, 0U);
}

}  // namespace
