// Behaviours of handoff::loop, driven through headless_loop.
#include "handoff/headless_loop.hpp"
#include "support/running_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

TEST(loop, post_never_runs_the_callback_inline) {
  handoff::headless_loop ui;
  bool ran = false;
  ASSERT_TRUE(ui.post([&] { ran = true; }));
  EXPECT_FALSE(ran);
  ui.run_until_idle();
  EXPECT_TRUE(ran);
}

TEST(loop, tasks_run_on_the_loop_thread) {
  handoff::headless_loop ui;
  std::thread::id ran_on;
  std::jthread producer([&] { ui.post([&] { ran_on = std::this_thread::get_id(); }); });
  producer.join();
  ui.run_until_idle();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(loop, tasks_from_one_thread_run_in_the_order_posted) {
  handoff::headless_loop ui;
  std::vector<int> seen;
  std::jthread producer([&] {
    for (int i = 0; i < 10000; ++i) ui.post([&seen, i] { seen.push_back(i); });
  });
  producer.join();
  ui.run_until_idle();
  ASSERT_EQ(seen.size(), 10000U);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)], i);
}

TEST(loop, posts_after_close_are_refused_and_counted) {
  handoff::headless_loop ui;
  ui.close();
  bool ran = false;
  EXPECT_FALSE(ui.post([&] { ran = true; }));
  EXPECT_FALSE(ui.post([&] { ran = true; }));
  EXPECT_EQ(ui.refused_posts(), 2U);
  ui.run_until_idle();
  EXPECT_FALSE(ran);
}

TEST(loop, close_destroys_pending_tasks_on_the_loop_thread_without_running_them) {
  handoff::headless_loop ui;
  struct witness {
    std::thread::id* destroyed_on;
    bool armed = true;
    explicit witness(std::thread::id* where) : destroyed_on(where) {}
    witness(witness&& other) noexcept : destroyed_on(other.destroyed_on) { other.armed = false; }
    ~witness() {
      if (armed) *destroyed_on = std::this_thread::get_id();
    }
  };
  std::thread::id destroyed_on;
  bool ran = false;
  std::jthread producer([&] { ui.post([w = witness(&destroyed_on), &ran] { ran = true; }); });
  producer.join();
  std::jthread closer([&] { ui.close(); });
  closer.join();
  EXPECT_EQ(destroyed_on, std::thread::id());  // not destroyed by the closing thread
  ui.pump();
  EXPECT_FALSE(ran);
  EXPECT_EQ(destroyed_on, std::this_thread::get_id());
}

TEST(loop, a_throwing_task_goes_to_the_handler_and_the_loop_goes_on) {
  handoff::headless_loop ui;
  std::string caught;
  ui.set_exception_handler([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      caught = ex.what();
    }
  });
  bool second_ran = false;
  ui.post([] { throw std::runtime_error("boom"); });
  ui.post([&] { second_ran = true; });
  ui.run_until_idle();
  EXPECT_EQ(caught, "boom");
  EXPECT_TRUE(second_ran);
}

TEST(loop, the_default_handler_writes_one_line_to_stderr) {
  handoff::headless_loop ui;
  ui.post([] { throw std::runtime_error("visible failure"); });
  testing::internal::CaptureStderr();
  ui.run_until_idle();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("visible failure"), std::string::npos);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

TEST(loop, pump_runs_only_what_was_queued_when_it_began) {
  handoff::headless_loop ui;
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    ui.post(again);
  };
  ui.post(again);
  auto result = ui.pump();
  EXPECT_EQ(result.tasks_run, 1U);
  EXPECT_TRUE(result.more_ready);
  EXPECT_EQ(runs, 1);
  ui.pump();
  EXPECT_EQ(runs, 2);
  ui.close();
}

TEST(loop, pump_stops_at_its_budget_and_the_rest_runs_next_time) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time, {.pump_budget = 10ms});
  int runs = 0;
  for (int i = 0; i < 1000; ++i) {
    ui.post([&] {
      ++runs;
      time.advance(1ms);  // each task "takes" 1 ms of virtual time
    });
  }
  auto first = ui.pump();
  // The clock is read every 32 tasks, so the pump yields at the first check past 10 ms.
  EXPECT_EQ(first.tasks_run, 32U);
  EXPECT_TRUE(first.more_ready);
  ui.run_until_idle();
  EXPECT_EQ(runs, 1000);
}

TEST(loop, one_wake_per_batch_of_posts) {
  struct counting_driver final : handoff::loop_driver {
    std::atomic<int> wakes{0};
    void wake() noexcept override { wakes.fetch_add(1); }
    void arm_deadline(handoff::clock::time_point) noexcept override {}
  } driver;
  handoff::loop ui(driver);
  for (int i = 0; i < 100; ++i) ui.post([] {});
  EXPECT_EQ(driver.wakes.load(), 1);
  ui.pump();
  for (int i = 0; i < 100; ++i) ui.post([] {});
  EXPECT_EQ(driver.wakes.load(), 2);
  ui.pump();
  EXPECT_EQ(driver.wakes.load(), 2);  // a pump that finishes its batch asks for nothing more
}

TEST(loop, an_idle_running_loop_is_never_woken) {
  handoff::testing::running_loop ui;
  ui->invoke([] {});  // the loop is running and has served one wake
  const auto before = ui->wakeups();
  // Measuring idleness needs a window of real time; nothing waits on it for synchronisation.
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(ui->wakeups(), before);
}

TEST(loop, pump_off_the_loop_thread_throws_wrong_thread) {
  handoff::headless_loop ui;
  std::jthread other([&] { EXPECT_THROW(ui.pump(), handoff::errors::wrong_thread); });
}

TEST(loop, a_zero_budget_is_rejected) {
  EXPECT_THROW(handoff::headless_loop({.pump_budget = 0ms}), handoff::errors::invalid_argument);
}

}  // namespace
