// Behaviours of loop::post_after and handoff::timer.
#include "handoff/headless_loop.hpp"
#include "support/running_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

TEST(timer, timers_fire_in_deadline_order_never_early) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time);
  std::vector<int> fired;
  ui.post_after(30ms, [&] { fired.push_back(30); });
  ui.post_after(10ms, [&] { fired.push_back(10); });
  ui.post_after(20ms, [&] { fired.push_back(20); });
  time.advance(9ms);
  ui.run_until_idle();
  EXPECT_TRUE(fired.empty());
  time.advance(1ms);
  ui.run_until_idle();
  EXPECT_EQ(fired, std::vector<int>{10});
  time.advance(25ms);
  ui.run_until_idle();
  EXPECT_EQ(fired, (std::vector<int>{10, 20, 30}));
}

TEST(timer, timers_with_the_same_deadline_fire_in_the_order_scheduled) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time);
  std::vector<int> fired;
  for (int i = 0; i < 50; ++i) ui.post_after(5ms, [&fired, i] { fired.push_back(i); });
  time.advance(5ms);
  ui.run_until_idle();
  ASSERT_EQ(fired.size(), 50U);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(fired[static_cast<std::size_t>(i)], i);
}

TEST(timer, a_cancelled_timer_never_runs) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time);
  bool ran = false;
  auto t = ui.post_after(1ms, [&] { ran = true; });
  EXPECT_TRUE(t.pending());
  EXPECT_TRUE(t.cancel());
  EXPECT_FALSE(t.cancel());  // only the first cancel stops it
  EXPECT_FALSE(t.pending());
  time.advance(5ms);
  ui.run_until_idle();
  EXPECT_FALSE(ran);
  EXPECT_FALSE(t.fired());
}

TEST(timer, cancel_after_firing_returns_false) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time);
  int runs = 0;
  auto t = ui.post_after(1ms, [&] { ++runs; });
  time.advance(1ms);
  ui.run_until_idle();
  EXPECT_TRUE(t.fired());
  EXPECT_FALSE(t.cancel());
  EXPECT_EQ(runs, 1);
}

TEST(timer, a_timer_scheduled_by_a_timer_waits_for_the_next_pump) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time);
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    ui.post_after(0ms, tick);  // with a frozen clock this would spin forever if run in the same pump
  };
  ui.post_after(0ms, tick);
  ui.pump();
  EXPECT_EQ(ticks, 1);
  ui.pump();
  EXPECT_EQ(ticks, 2);
  ui.close();
}

TEST(timer, a_due_timer_cuts_a_long_pump_short) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time, {.pump_budget = 1s});
  bool timer_ran = false;
  int tasks_before_timer = -1;
  int tasks = 0;
  ui.post_after(5ms, [&] {
    timer_ran = true;
    tasks_before_timer = tasks;
  });
  for (int i = 0; i < 1000; ++i) {
    ui.post([&] {
      ++tasks;
      time.advance(1ms);
    });
  }
  const auto first = ui.pump();
  EXPECT_LT(first.tasks_run, 1000U);  // the budget is 1 s, but the timer was due after 5 ms
  EXPECT_FALSE(timer_ran);
  ui.pump();
  EXPECT_TRUE(timer_ran);
  EXPECT_EQ(tasks_before_timer, static_cast<int>(first.tasks_run));
  ui.run_until_idle();
  EXPECT_EQ(tasks, 1000);
}

TEST(timer, post_after_from_another_thread_wakes_a_running_loop) {
  handoff::testing::running_loop ui;
  std::latch fired(1);
  std::jthread scheduler([&] { ui->post_after(1ms, [&] { fired.count_down(); }); });
  fired.wait();  // hangs (and the ctest timeout fails the test) if the loop never wakes for it
}

TEST(timer, a_timer_fires_no_earlier_than_its_delay_in_real_time) {
  handoff::testing::running_loop ui;
  std::latch fired(1);
  std::chrono::steady_clock::time_point ran_at;
  const auto scheduled_at = std::chrono::steady_clock::now();
  ui->post_after(20ms, [&] {
    ran_at = std::chrono::steady_clock::now();
    fired.count_down();
  });
  fired.wait();
  EXPECT_GE(ran_at - scheduled_at, 20ms);
}

TEST(timer, post_after_on_a_closed_loop_returns_an_inert_handle) {
  handoff::headless_loop ui;
  ui.close();
  bool ran = false;
  auto t = ui.post_after(0ms, [&] { ran = true; });
  EXPECT_FALSE(t.pending());
  EXPECT_FALSE(t.cancel());
  EXPECT_EQ(ui.refused_posts(), 1U);
  ui.run_until_idle();
  EXPECT_FALSE(ran);
}

TEST(timer, closing_the_loop_destroys_pending_timers_unrun) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time);
  auto alive = std::make_shared<int>(0);
  bool ran = false;
  auto t = ui.post_after(1ms, [&ran, keep = alive] { ran = true; });
  EXPECT_EQ(alive.use_count(), 2);
  ui.close();
  ui.pump();
  EXPECT_EQ(alive.use_count(), 1);  // the callable was destroyed
  EXPECT_FALSE(ran);
  EXPECT_FALSE(t.pending());
}

TEST(timer, cancel_racing_the_firing_has_exactly_one_winner) {
  handoff::testing::running_loop ui;
  std::mt19937 random(12345);
  for (int round = 0; round < 2000; ++round) {
    std::atomic<bool> ran{false};
    std::latch settled(1);
    auto t = ui->post_after(0ms, [&] { ran.store(true); });
    if (random() % 2 == 0) std::this_thread::yield();  // vary who gets there first
    const bool cancelled = t.cancel();
    // A marker posted after the timer's deadline runs after the timer had its chance.
    ui->post_after(0ms, [&] { settled.count_down(); });
    settled.wait();
    ASSERT_NE(cancelled, ran.load()) << "round " << round;
  }
}

TEST(timer, cancelled_timers_do_not_pile_up) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time);
  for (int i = 0; i < 100000; ++i) {
    auto t = ui.post_after(1h, [] {});
    t.cancel();
    if (i % 1000 == 0) ui.pump();
  }
  ui.pump();
  // Compaction keeps the heap near the live count; only the deadline of a live timer stays armed.
  EXPECT_EQ(ui.next_deadline(), handoff::clock::time_point::max());
}

}  // namespace
