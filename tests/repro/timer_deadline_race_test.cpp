// Repro: a timer scheduled from another thread while the loop thread was
// choosing its next deadline could be lost, and the loop then slept forever.
//
// The pump read the timer heap (empty), then, outside the heap's lock, stored
// and armed "no deadline". A producer that pushed a timer in between still read
// the previous armed deadline, found it no later than its own, and did not
// wake the loop. The observer's on_deadline_chosen hook runs the producer at
// exactly that moment, so these tests fail every time without the fix.
#include "handoff/headless_loop.hpp"
#include "handoff/loop.hpp"
#include "handoff/manual_clock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <semaphore>
#include <thread>
#include <utility>

using namespace std::chrono_literals;

namespace {

using time_point = handoff::clock::time_point;

struct recording_driver final : handoff::loop_driver {
  int wakes = 0;
  time_point armed = time_point::max();
  void wake() noexcept override { ++wakes; }
  void arm_deadline(time_point deadline) noexcept override { armed = deadline; }
};

// Runs `action` once, the next time a pump has chosen "no deadline".
struct act_when_disarming final : handoff::loop_observer {
  std::function<void()> action;
  void on_pump_begin() noexcept override {}
  void on_pump_end() noexcept override {}
  void on_deadline_chosen(time_point deadline) noexcept override {
    if (deadline == time_point::max() && action) std::exchange(action, {})();
  }
};

TEST(repro, a_timer_scheduled_while_the_pump_chooses_its_deadline_still_gets_a_pump) {
  handoff::manual_clock time;
  recording_driver driver;
  act_when_disarming observer;
  handoff::loop ui(driver, {.time_source = &time});
  ui.set_observer(&observer);

  bool first_ran = false;
  bool second_ran = false;
  ui.post_after(10ms, [&] { first_ran = true; });
  ui.pump();
  ASSERT_EQ(driver.armed, time.now() + 10ms);

  time.advance(10ms);
  // What another thread would do at the worst moment: schedule a timer due now,
  // after the pump saw an empty heap and before it armed its choice.
  observer.action = [&] { ui.post_after(0ms, [&] { second_ran = true; }); };
  const int wakes_before = driver.wakes;
  ui.pump();
  ASSERT_TRUE(first_ran);
  ASSERT_FALSE(observer.action) << "the hook never ran: the test staged nothing";
  EXPECT_FALSE(second_ran);
  const bool host_will_pump = driver.wakes > wakes_before || driver.armed <= time.now();
  EXPECT_TRUE(host_will_pump) << "a due timer in the heap, no wake requested and no deadline armed: "
                                 "the host would sleep forever";
  ui.pump();
  EXPECT_TRUE(second_ran);
}

// The same race with a real second thread and a headless loop asleep in run().
struct pause_when_disarming final : handoff::loop_observer {
  std::atomic<bool> first_choice_seen{false};
  std::binary_semaphore first_choice{0};
  std::atomic<bool> staged{false};
  std::binary_semaphore reached{0};
  std::binary_semaphore producer_done{0};

  void on_pump_begin() noexcept override {}
  void on_pump_end() noexcept override {}
  void on_deadline_chosen(time_point deadline) noexcept override {
    if (!first_choice_seen.exchange(true)) first_choice.release();
    if (deadline != time_point::max() || !staged.exchange(false)) return;
    reached.release();
    // Bounded: if the producer never comes, the loop goes on rather than hangs.
    (void)producer_done.try_acquire_for(10s);
  }
};

TEST(repro, a_timer_set_from_another_thread_while_the_loop_arms_its_deadline_fires) {
  handoff::manual_clock time;
  pause_when_disarming observer;
  handoff::headless_loop ui(time);
  ui.set_observer(&observer);  // before run(): this thread is the loop thread until then
  ui.post_after(10ms, [] {});
  std::jthread runner([&] { ui.run(); });

  ASSERT_TRUE(observer.first_choice.try_acquire_for(10s)) << "the loop never pumped";
  observer.staged = true;
  time.advance(10ms);  // the loop wakes, runs the timer and chooses "no deadline"
  ASSERT_TRUE(observer.reached.try_acquire_for(10s)) << "the pump never chose to disarm";

  std::binary_semaphore fired{0};
  ui.post_after(0ms, [&] { fired.release(); });
  observer.producer_done.release();

  const bool ran = fired.try_acquire_for(10s);
  ui.stop();  // wakes run() even if the timer was lost, so the test fails instead of hanging
  runner.join();
  EXPECT_TRUE(ran) << "lost wake: the loop slept with a due timer in its heap";
}

// A manual clock stands still: a timer a timer callback sets with zero delay is
// due at once, and run() must not sleep waiting for the clock to move.
TEST(repro, a_zero_delay_timer_set_by_a_timer_runs_without_the_manual_clock_moving) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time);
  std::binary_semaphore armed{0};
  std::binary_semaphore fired{0};
  ui.post_after(5ms, [&] { ui.post_after(0ms, [&] { fired.release(); }); });
  ui.post([&] { armed.release(); });  // runs in the first pump, before it arms the 5 ms timer
  std::jthread runner([&] { ui.run(); });
  ASSERT_TRUE(armed.try_acquire_for(10s));
  time.advance(5ms);
  const bool ran = fired.try_acquire_for(10s);
  ui.stop();
  runner.join();
  EXPECT_TRUE(ran) << "run() slept with a timer due now, waiting for a clock that never moves";
}

}  // namespace
