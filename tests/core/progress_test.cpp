// Behaviours of handoff::progress, in virtual time: a manual_clock drives the
// rate limit and run_until_idle() the loop, so nothing here sleeps.
#include "handoff/progress.hpp"
#include "handoff/headless_loop.hpp"
#include "handoff/manual_clock.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct virtual_time : testing::Test {
  handoff::manual_clock time;
  handoff::headless_loop ui{time};
  std::vector<int> seen;
  std::function<void(int)> record = [this](int v) { seen.push_back(v); };
};

using progress = virtual_time;

TEST_F(progress, the_first_value_is_delivered_at_once) {
  handoff::progress<int> p(ui, record);
  EXPECT_TRUE(p.report(1));
  EXPECT_TRUE(seen.empty());  // never inline
  ui.run_until_idle();
  EXPECT_EQ(seen, std::vector<int>{1});
}

TEST_F(progress, values_within_the_interval_are_held_and_the_newest_arrives_when_it_ends) {
  handoff::progress<int> p(ui, record, 50ms);
  p.report(1);
  ui.run_until_idle();
  time.advance(10ms);
  p.report(2);
  p.report(3);
  ui.run_until_idle();
  EXPECT_EQ(seen, std::vector<int>{1});
  time.advance(39ms);  // 49 ms after the first value: still inside the interval
  ui.run_until_idle();
  EXPECT_EQ(seen, std::vector<int>{1});
  time.advance(1ms);
  ui.run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{1, 3}));
  EXPECT_EQ(p.reported(), 3U);
  EXPECT_EQ(p.delivered(), 2U);
}

TEST_F(progress, the_timer_is_armed_once_per_interval_however_many_values_are_held) {
  handoff::progress<int> p(ui, record, 50ms);
  p.report(0);
  ui.run_until_idle();
  const auto start = time.now();
  for (int i = 1; i <= 100; ++i) p.report(i);
  EXPECT_EQ(ui.next_deadline(), start + 50ms);
  time.advance(50ms);
  std::size_t timers = 0;
  for (;;) {
    const auto result = ui.pump();
    timers += result.timers_run;
    if (!result.more_ready) break;
  }
  EXPECT_EQ(timers, 1U);
  EXPECT_EQ(seen, (std::vector<int>{0, 100}));
  EXPECT_EQ(ui.next_deadline(), handoff::clock::time_point::max());
}

TEST_F(progress, a_value_after_the_interval_is_sent_at_once) {
  handoff::progress<int> p(ui, record, 50ms);
  p.report(1);
  ui.run_until_idle();
  time.advance(50ms);
  p.report(2);
  EXPECT_EQ(ui.next_deadline(), handoff::clock::time_point::max());  // no timer needed
  ui.run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
}

TEST_F(progress, a_steady_stream_is_delivered_at_the_interval_rate_and_ends_with_the_last_value) {
  handoff::progress<int> p(ui, record, 50ms);
  for (int ms = 0; ms < 1000; ++ms) {
    p.report(ms);
    ui.run_until_idle();
    time.advance(1ms);
  }
  // One value every 50 ms of virtual time: at 0, 50, ..., 950; 999 is held.
  ASSERT_EQ(seen.size(), 20U);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int>(i * 50));
  ui.run_until_idle();  // the clock reads 1000 ms: the trailing value's interval has ended
  EXPECT_EQ(seen.size(), 21U);
  EXPECT_EQ(seen.back(), 999);
}

TEST_F(progress, finish_delivers_the_final_value_regardless_of_the_interval_and_closes) {
  handoff::progress<int> p(ui, record, 50ms);
  p.report(1);
  ui.run_until_idle();
  p.report(2);  // held
  EXPECT_TRUE(p.finish(100));
  EXPECT_TRUE(p.closed());
  EXPECT_FALSE(p.report(101));
  EXPECT_FALSE(p.finish(102));
  ui.run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{1, 100}));
  time.advance(1s);
  ui.run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{1, 100}));  // the held 2 never arrives after the final value
}

TEST_F(progress, flush_sends_the_held_value_now) {
  handoff::progress<int> p(ui, record, 50ms);
  p.report(1);
  p.report(2);
  EXPECT_TRUE(p.flush());
  EXPECT_FALSE(p.flush());
  ui.run_until_idle();
  EXPECT_EQ(seen, std::vector<int>{2});  // 1 and 2 coalesced in the mailbox: one pump, the newest
  EXPECT_FALSE(p.closed());
}

TEST_F(progress, close_delivers_what_was_reported_and_refuses_the_rest) {
  handoff::progress<int> p(ui, record, 50ms);
  p.report(1);
  ui.run_until_idle();
  p.report(2);
  p.close();
  EXPECT_FALSE(p.report(3));
  ui.run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
}

TEST_F(progress, deliver_pending_calls_the_consumer_now_with_the_newest_value) {
  handoff::progress<int> p(ui, record, 50ms);
  p.report(1);
  p.report(2);  // held behind the (undelivered) first value
  EXPECT_TRUE(p.deliver_pending());
  EXPECT_EQ(seen, std::vector<int>{2});
  EXPECT_FALSE(p.deliver_pending());
  time.advance(1s);
  ui.run_until_idle();
  EXPECT_EQ(seen, std::vector<int>{2});
}

TEST_F(progress, no_consumer_call_after_destruction_even_with_a_timer_pending) {
  int calls = 0;
  {
    handoff::progress<int> p(
        ui, [&](int) { ++calls; }, 50ms);
    p.report(1);
    ui.run_until_idle();
    p.report(2);  // held, timer armed
    p.report(3);
  }
  time.advance(1s);
  ui.run_until_idle();
  EXPECT_EQ(calls, 1);
}

TEST_F(progress, reports_from_another_thread_are_delivered_in_order_ending_with_the_last) {
  handoff::progress<int> p(ui, record, 0ms);
  std::jthread worker([&] {
    for (int i = 0; i < 5000; ++i) p.report(i);
  });
  worker.join();
  ui.run_until_idle();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 4999);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1], seen[i]);
}

TEST_F(progress, beat_counts_heartbeats) {
  std::vector<handoff::heartbeat> beats;
  handoff::indeterminate_progress p(
      ui, [&](handoff::heartbeat h) { beats.push_back(h); }, 50ms);
  EXPECT_TRUE(p.beat());
  ui.run_until_idle();
  p.beat();
  p.beat();
  time.advance(50ms);
  ui.run_until_idle();
  ASSERT_EQ(beats.size(), 2U);
  EXPECT_EQ(beats[0].beats, 1U);
  EXPECT_EQ(beats[1].beats, 3U);
}

TEST_F(progress, determinate_progress_carries_fractions) {
  std::optional<handoff::fraction> last;
  handoff::determinate_progress p(ui, [&](handoff::fraction f) { last = f; });
  p.report({.done = 3, .total = 4});
  ui.run_until_idle();
  ASSERT_TRUE(last.has_value());
  EXPECT_DOUBLE_EQ(last->ratio(), 0.75);
}

TEST(fraction, ratio_is_clamped_and_zero_without_a_total) {
  EXPECT_DOUBLE_EQ((handoff::fraction{.done = 0, .total = 0}).ratio(), 0.0);
  EXPECT_DOUBLE_EQ((handoff::fraction{.done = 5, .total = 4}).ratio(), 1.0);
  EXPECT_DOUBLE_EQ((handoff::fraction{.done = 1, .total = 4}).ratio(), 0.25);
}

TEST_F(progress, a_negative_interval_is_rejected) {
  EXPECT_THROW(handoff::progress<int>(ui, record, -1ms), handoff::errors::invalid_argument);
}

TEST_F(progress, reports_are_refused_once_the_loop_is_closed) {
  handoff::progress<int> p(ui, record);
  ui.close();
  EXPECT_FALSE(p.report(1));
}

}  // namespace
