// Behaviours of handoff::latest, driven through headless_loop.
#include "handoff/latest.hpp"
#include "handoff/headless_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace {

TEST(latest, publish_never_calls_the_consumer_inline) {
  handoff::headless_loop ui;
  int calls = 0;
  handoff::latest<int> box(ui, [&](int) { ++calls; });
  EXPECT_TRUE(box.publish(1));
  EXPECT_EQ(calls, 0);
  ui.run_until_idle();
  EXPECT_EQ(calls, 1);
}

TEST(latest, the_consumer_runs_on_the_loop_thread) {
  handoff::headless_loop ui;
  std::thread::id ran_on;
  handoff::latest<int> box(ui, [&](int) { ran_on = std::this_thread::get_id(); });
  std::jthread producer([&] { box.publish(7); });
  producer.join();
  ui.run_until_idle();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(latest, values_published_between_pumps_coalesce_into_the_last_one) {
  handoff::headless_loop ui;
  std::vector<int> seen;
  handoff::latest<int> box(ui, [&](int v) { seen.push_back(v); });
  std::jthread producer([&] {
    for (int i = 0; i < 1000; ++i) box.publish(i);
  });
  producer.join();
  const auto result = ui.pump();
  EXPECT_EQ(result.tasks_run, 1U);
  EXPECT_EQ(seen, std::vector<int>{999});
  EXPECT_EQ(box.published(), 1000U);
  EXPECT_EQ(box.delivered(), 1U);
  EXPECT_FALSE(ui.pump().more_ready);
  EXPECT_EQ(seen.size(), 1U);
}

TEST(latest, a_value_published_during_a_pump_waits_for_the_next_pump) {
  handoff::headless_loop ui;
  std::vector<int> seen;
  std::optional<handoff::latest<int>> box;
  box.emplace(ui, [&](int v) {
    seen.push_back(v);
    if (v < 3) box->publish(v + 1);  // a publish from the consumer itself
  });
  box->publish(1);
  ui.pump();
  EXPECT_EQ(seen, std::vector<int>{1});
  ui.pump();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  ui.run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST(latest, a_concurrent_producer_is_seen_at_most_once_per_pump_in_order_ending_with_the_last) {
  handoff::headless_loop ui;
  int calls_this_pump = 0;
  int max_calls_per_pump = 0;
  int last = -1;
  bool increasing = true;
  handoff::latest<int> box(ui, [&](int v) {
    ++calls_this_pump;
    if (v <= last) increasing = false;
    last = v;
  });
  constexpr int count = 20000;
  std::atomic<bool> done{false};
  std::jthread producer([&] {
    for (int i = 0; i < count; ++i) box.publish(i);
    done.store(true);
  });
  while (!done.load()) {
    calls_this_pump = 0;
    ui.pump();
    max_calls_per_pump = std::max(max_calls_per_pump, calls_this_pump);
  }
  producer.join();
  ui.run_until_idle();
  EXPECT_LE(max_calls_per_pump, 1);
  EXPECT_TRUE(increasing);
  EXPECT_EQ(last, count - 1);
  EXPECT_EQ(box.published(), static_cast<std::uint64_t>(count));
}

TEST(latest, the_last_value_published_before_close_is_still_delivered) {
  handoff::headless_loop ui;
  std::vector<int> seen;
  handoff::latest<int> box(ui, [&](int v) { seen.push_back(v); });
  EXPECT_TRUE(box.publish(1));
  EXPECT_TRUE(box.publish(2));
  box.close();
  EXPECT_TRUE(box.closed());
  EXPECT_FALSE(box.publish(3));
  ui.run_until_idle();
  EXPECT_EQ(seen, std::vector<int>{2});
  EXPECT_EQ(box.published(), 2U);
}

TEST(latest, publish_is_refused_once_the_loop_is_closed) {
  handoff::headless_loop ui;
  int calls = 0;
  handoff::latest<int> box(ui, [&](int) { ++calls; });
  ui.close();
  EXPECT_FALSE(box.publish(1));
  ui.run_until_idle();
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(box.published(), 0U);
}

TEST(latest, no_consumer_call_after_destruction_and_its_captures_are_released) {
  handoff::headless_loop ui;
  auto witness = std::make_shared<int>(0);
  int calls = 0;
  {
    handoff::latest<int> box(ui, [&calls, witness](int) { ++calls; });
    box.publish(1);  // a delivery is now queued on the loop
    EXPECT_EQ(witness.use_count(), 2);
  }
  EXPECT_EQ(witness.use_count(), 1);
  EXPECT_EQ(ui.run_until_idle(), 1U);  // the queued delivery runs and does nothing
  EXPECT_EQ(calls, 0);
}

TEST(latest, destroying_the_latest_inside_its_own_consumer_is_safe) {
  handoff::headless_loop ui;
  auto witness = std::make_shared<int>(0);
  std::optional<handoff::latest<int>> box;
  int seen = 0;
  box.emplace(ui, [&, witness](int v) {
    box.reset();
    seen = v + *witness;  // the captures are still alive until the call returns
  });
  box->publish(5);
  ui.run_until_idle();
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(witness.use_count(), 1);
}

TEST(latest, deliver_pending_calls_the_consumer_now_and_the_queued_delivery_finds_nothing) {
  handoff::headless_loop ui;
  std::vector<int> seen;
  handoff::latest<int> box(ui, [&](int v) { seen.push_back(v); });
  box.publish(4);
  EXPECT_TRUE(box.deliver_pending());
  EXPECT_EQ(seen, std::vector<int>{4});
  EXPECT_FALSE(box.deliver_pending());
  ui.run_until_idle();
  EXPECT_EQ(seen, std::vector<int>{4});
}

TEST(latest, move_only_values_are_delivered) {
  handoff::headless_loop ui;
  int seen = 0;
  handoff::latest<std::unique_ptr<int>> box(ui, [&](std::unique_ptr<int> v) { seen = *v; });
  box.publish(std::make_unique<int>(1));
  box.publish(std::make_unique<int>(2));
  ui.run_until_idle();
  EXPECT_EQ(seen, 2);
}

TEST(latest, an_empty_consumer_is_rejected) {
  handoff::headless_loop ui;
  EXPECT_THROW(handoff::latest<int>(ui, {}), handoff::errors::invalid_argument);
}

}  // namespace
