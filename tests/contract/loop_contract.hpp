// The loop contract: behaviours every loop adapter (headless, Tk, later Qt)
// must show, written once as a typed test suite.
//
// An adapter's test file defines a fixture type with:
//   handoff::loop& get();                       the loop under test, created on this thread
//   bool run_until(std::function<bool()> done,  runs the host's event loop on this thread
//                  std::chrono::milliseconds);  until done() holds (checked after each pump); false on
//                  timeout
// and instantiates: INSTANTIATE_TYPED_TEST_SUITE_P(name, loop_contract, fixture_type);
#pragma once

#include "handoff/loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <thread>
#include <vector>

namespace handoff::contract {

using namespace std::chrono_literals;
inline constexpr auto patience = std::chrono::milliseconds(10000);  // only a hang ever gets near it

template <class Fixture>
class loop_contract : public ::testing::Test {
 protected:
  Fixture fixture;
  handoff::loop& ui() { return fixture.get(); }
  bool run_until(std::function<bool()> done) { return fixture.run_until(std::move(done), patience); }
};

TYPED_TEST_SUITE_P(loop_contract);

TYPED_TEST_P(loop_contract, post_never_runs_inline_and_runs_on_the_loop_thread) {
  std::atomic<bool> ran{false};
  std::thread::id ran_on;
  ASSERT_TRUE(this->ui().post([&] {
    ran_on = std::this_thread::get_id();
    ran = true;
  }));
  EXPECT_FALSE(ran.load());
  ASSERT_TRUE(this->run_until([&] { return ran.load(); }));
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TYPED_TEST_P(loop_contract, a_post_from_another_thread_wakes_the_loop) {
  std::atomic<bool> ran{false};
  std::jthread producer([&] { this->ui().post([&] { ran = true; }); });
  ASSERT_TRUE(this->run_until([&] { return ran.load(); }));
}

TYPED_TEST_P(loop_contract, tasks_from_one_thread_run_in_the_order_posted) {
  constexpr int count = 20000;
  std::vector<int> seen;
  std::jthread producer([&] {
    for (int i = 0; i < count; ++i) this->ui().post([&seen, i] { seen.push_back(i); });
  });
  ASSERT_TRUE(this->run_until([&] { return seen.size() == count; }));
  for (int i = 0; i < count; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)], i);
}

TYPED_TEST_P(loop_contract, timers_fire_in_deadline_order_and_never_early) {
  std::vector<int> fired;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_at;
  this->ui().post_after(30ms, [&] {
    fired.push_back(30);
    last_at = std::chrono::steady_clock::now();
  });
  this->ui().post_after(10ms, [&] { fired.push_back(10); });
  this->ui().post_after(20ms, [&] { fired.push_back(20); });
  ASSERT_TRUE(this->run_until([&] { return fired.size() == 3; }));
  EXPECT_EQ(fired, (std::vector<int>{10, 20, 30}));
  EXPECT_GE(last_at - start, 30ms);
}

TYPED_TEST_P(loop_contract, a_timer_scheduled_from_another_thread_wakes_the_loop) {
  std::atomic<bool> fired{false};
  std::jthread scheduler([&] { this->ui().post_after(5ms, [&] { fired = true; }); });
  ASSERT_TRUE(this->run_until([&] { return fired.load(); }));
}

TYPED_TEST_P(loop_contract, a_cancelled_timer_never_runs) {
  bool cancelled_ran = false;
  bool marker_ran = false;
  auto doomed = this->ui().post_after(5ms, [&] { cancelled_ran = true; });
  std::jthread canceller([&] { EXPECT_TRUE(doomed.cancel()); });
  canceller.join();
  this->ui().post_after(10ms, [&] { marker_ran = true; });
  ASSERT_TRUE(this->run_until([&] { return marker_ran; }));
  EXPECT_FALSE(cancelled_ran);
}

TYPED_TEST_P(loop_contract, invoke_from_another_thread_returns_the_result) {
  std::atomic<int> answer{0};
  std::jthread caller([&] {
    answer = this->ui().invoke([] { return 42; });
    this->ui().post([] {});  // a pump after the store, so run_until sees it without waiting for patience
  });
  ASSERT_TRUE(this->run_until([&] { return answer.load() == 42; }));
}

TYPED_TEST_P(loop_contract, invoke_on_the_loop_thread_runs_inline) {
  EXPECT_EQ(this->ui().invoke([] { return 7; }), 7);
}

TYPED_TEST_P(loop_contract, a_throwing_task_does_not_stop_the_loop) {
  bool handled = false;
  bool after = false;
  this->ui().set_exception_handler([&](std::exception_ptr) { handled = true; });
  this->ui().post([] { throw std::runtime_error("contract"); });
  this->ui().post([&] { after = true; });
  ASSERT_TRUE(this->run_until([&] { return after; }));
  EXPECT_TRUE(handled);
}

TYPED_TEST_P(loop_contract, close_refuses_posts_and_fails_invoke_fast) {
  bool ran = false;
  this->ui().post([&] { ran = true; });
  this->ui().close();
  EXPECT_FALSE(this->ui().post([&] { ran = true; }));
  EXPECT_GE(this->ui().refused_posts(), 1U);
  std::jthread caller(
      [&] { EXPECT_THROW(this->ui().invoke([] { return 1; }), handoff::errors::loop_closed); });
  caller.join();
  this->run_until([] { return true; });
  EXPECT_FALSE(ran);  // queued before close, destroyed unrun
}

TYPED_TEST_P(loop_contract, a_repeating_timer_keeps_ticking_through_a_flood_of_posts) {
  // A flood posted from another thread must not starve timers: the pump yields
  // at its budget or at the next deadline. Real-time gaps are measured by the
  // benchmarks; here the contract is that ticks happen while the flood lasts.
  std::atomic<int> executed{0};
  std::atomic<bool> flooding{true};
  int ticks_during_flood = 0;
  std::function<void()> tick = [&] {
    if (flooding.load()) ++ticks_during_flood;
    this->ui().post_after(1ms, tick);
  };
  this->ui().post_after(1ms, tick);
  constexpr int flood = 2'000'000;
  std::jthread producer([&] {
    for (int i = 0; i < flood; ++i)
      this->ui().post([&] { executed.fetch_add(1, std::memory_order_relaxed); });
  });
  ASSERT_TRUE(this->run_until([&] {
    if (executed.load(std::memory_order_relaxed) < flood) return false;
    flooding = false;
    return true;
  }));
  EXPECT_GE(ticks_during_flood, 2);
  this->ui().close();
}

REGISTER_TYPED_TEST_SUITE_P(loop_contract, post_never_runs_inline_and_runs_on_the_loop_thread,
                            a_post_from_another_thread_wakes_the_loop,
                            tasks_from_one_thread_run_in_the_order_posted,
                            timers_fire_in_deadline_order_and_never_early,
                            a_timer_scheduled_from_another_thread_wakes_the_loop,
                            a_cancelled_timer_never_runs, invoke_from_another_thread_returns_the_result,
                            invoke_on_the_loop_thread_runs_inline, a_throwing_task_does_not_stop_the_loop,
                            close_refuses_posts_and_fails_invoke_fast,
                            a_repeating_timer_keeps_ticking_through_a_flood_of_posts);

}  // namespace handoff::contract
