// Repro: a post made while a pump's leftover batch was pending woke the driver
// once; the pump that finished the leftovers did not take the new post and did
// not wake again, so a headless loop slept with the task stranded.
#include "handoff/loop.hpp"
#include "handoff/manual_clock.hpp"

#include <gtest/gtest.h>

#include <atomic>

using namespace std::chrono_literals;

namespace {

struct counting_driver final : handoff::loop_driver {
  std::atomic<int> wakes{0};
  void wake() noexcept override { wakes.fetch_add(1); }
  void arm_deadline(handoff::clock::time_point) noexcept override {}
};

TEST(repro, a_post_during_leftovers_is_not_stranded_after_the_leftovers_finish) {
  handoff::manual_clock time;
  counting_driver driver;
  handoff::loop ui(driver, {.pump_budget = 10ms, .time_source = &time});
  for (int i = 0; i < 64; ++i) ui.post([&] { time.advance(1ms); });
  ASSERT_TRUE(ui.pump().more_ready);  // 32 ran, 32 left over
  bool late_ran = false;
  ui.post([&] { late_ran = true; });  // finds the queue empty: its wake is spent on the next pump
  const int wakes_before = driver.wakes.load();
  const auto second = ui.pump();  // finishes the leftovers only
  EXPECT_FALSE(late_ran);
  EXPECT_TRUE(second.more_ready);
  EXPECT_GT(driver.wakes.load(), wakes_before) << "ready work with no wake requested: the host would sleep";
  ui.pump();
  EXPECT_TRUE(late_ran);
}

}  // namespace
