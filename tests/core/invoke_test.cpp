// Behaviours of loop::invoke and loop::invoke_for.
#include "handoff/headless_loop.hpp"
#include "support/running_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;

namespace {

// A driver that lets a test see the moment a post reaches the queue.
struct signalling_driver final : handoff::loop_driver {
  std::latch first_wake{1};
  std::atomic<bool> woken{false};
  void wake() noexcept override {
    if (!woken.exchange(true)) first_wake.count_down();
  }
  void arm_deadline(handoff::clock::time_point) noexcept override {}
};

TEST(invoke, returns_the_result_to_the_calling_thread) {
  handoff::testing::running_loop ui;
  std::thread::id ran_on;
  const int result = ui->invoke([&] {
    ran_on = std::this_thread::get_id();
    return 6 * 7;
  });
  EXPECT_EQ(result, 42);
  EXPECT_EQ(ran_on, ui.thread_id());
}

TEST(invoke, rethrows_the_exception_on_the_calling_thread) {
  handoff::testing::running_loop ui;
  EXPECT_THROW(ui->invoke([]() -> int { throw std::logic_error("from the loop"); }), std::logic_error);
}

TEST(invoke, handles_void_and_move_only_results) {
  handoff::testing::running_loop ui;
  bool ran = false;
  ui->invoke([&] { ran = true; });
  EXPECT_TRUE(ran);
  auto owned = ui->invoke([] { return std::make_unique<int>(7); });
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 7);
}

TEST(invoke, runs_inline_on_the_loop_thread) {
  handoff::headless_loop ui;
  int depth = 0;
  const int seen = ui.invoke([&] { return ++depth; });  // no pump: it must not be queued
  EXPECT_EQ(seen, 1);
}

TEST(invoke, throws_loop_closed_at_once_on_a_closed_loop) {
  handoff::headless_loop ui;
  ui.close();
  bool ran = false;
  std::jthread caller([&] { EXPECT_THROW(ui.invoke([&] { ran = true; }), handoff::errors::loop_closed); });
  caller.join();
  EXPECT_THROW(ui.invoke([&] { ran = true; }), handoff::errors::loop_closed);  // on the loop thread too
  EXPECT_FALSE(ran);
}

TEST(invoke, throws_loop_closed_when_the_loop_closes_while_the_caller_waits) {
  signalling_driver driver;
  handoff::loop ui(driver);
  std::atomic<bool> threw_closed{false};
  std::jthread caller([&] {
    try {
      ui.invoke([] { return 1; });
    } catch (const handoff::errors::loop_closed&) {
      threw_closed = true;
    }
  });
  driver.first_wake.wait();  // the invoke is queued and its caller is waiting; nobody pumps
  ui.close();
  caller.join();  // must not hang: close wakes the waiter
  EXPECT_TRUE(threw_closed);
}

TEST(invoke, invoke_for_times_out_and_the_abandoned_call_never_runs) {
  signalling_driver driver;
  handoff::loop ui(driver);
  std::atomic<bool> ran{false};
  std::jthread caller(
      [&] { EXPECT_THROW(ui.invoke_for(20ms, [&] { ran = true; }), handoff::errors::timeout); });
  caller.join();
  ui.pump();  // the call is still queued; it must see it was abandoned
  EXPECT_FALSE(ran);
}

TEST(invoke, invoke_for_returns_when_the_loop_answers_in_time) {
  handoff::testing::running_loop ui;
  EXPECT_EQ(ui->invoke_for(10s, [] { return 5; }), 5);
}

TEST(invoke, many_threads_invoking_at_once_each_get_their_own_answer) {
  handoff::testing::running_loop ui;
  std::atomic<int> wrong{0};
  {
    std::vector<std::jthread> callers;
    for (int t = 0; t < 8; ++t) {
      callers.emplace_back([&, t] {
        for (int i = 0; i < 500; ++i) {
          if (ui->invoke([=] { return t * 1000 + i; }) != t * 1000 + i) ++wrong;
        }
      });
    }
  }
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
