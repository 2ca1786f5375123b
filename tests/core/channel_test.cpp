// Behaviours of handoff::channel.
//
// A test that needs a call to be blocked proves it: the call runs on its own
// thread, and the test waits until that thread sleeps in the kernel (its state
// in /proc is 'S') while the call has still not returned. Nothing here sleeps
// to let another thread get somewhere.
#include "handoff/channel.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <latch>
#include <memory>
#include <optional>
#include <ratio>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// True while thread `tid` of this process sleeps in the kernel (here: a futex wait).
bool sleeping_in_kernel(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto name_end = line.rfind(')');  // the state follows the parenthesised name
  return name_end != std::string::npos && name_end + 2 < line.size() && line[name_end + 2] == 'S';
}

// Runs one call on a thread of its own so that the test can see it block, release it, and read its result.
template <class R>
class blocking_call {
 public:
  template <class F>
  explicit blocking_call(F fn)
      : thread_([this, fn = std::move(fn)]() mutable {
          tid_ = gettid();
          started_.count_down();
          result_.emplace(fn());
          done_.store(true);
        }) {
    started_.wait();
  }

  // Waits until the call either returned (false) or sleeps in the kernel unreturned (true).
  bool blocks() const {
    for (;;) {
      if (done_.load()) return false;
      if (sleeping_in_kernel(tid_)) return !done_.load();
      std::this_thread::yield();
    }
  }

  [[nodiscard]] bool returned() const { return done_.load(); }

  R get() {
    thread_.join();
    return std::move(*result_);
  }

 private:
  std::latch started_{1};
  pid_t tid_ = 0;  // written before started_ counts down, read after it
  std::optional<R> result_;
  std::atomic<bool> done_{false};
  std::jthread thread_;  // last: it starts once the members it uses exist
};

using value = std::unique_ptr<int>;

value make(int n) { return std::make_unique<int>(n); }

TEST(channel, values_come_out_in_the_order_they_were_sent) {
  handoff::channel<int> ch(4);
  // Many more values than slots, so that the ring wraps around several times.
  int next_in = 0;
  int next_out = 0;
  while (next_out < 100) {
    while (ch.try_send(int{next_in})) ++next_in;
    EXPECT_EQ(ch.size(), 4U);
    for (int i = 0; i < 3; ++i) {
      auto got = ch.try_receive();
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(*got, next_out++);
    }
  }
}

TEST(channel, a_move_only_value_arrives_as_the_same_object) {
  handoff::channel<value> ch(1);
  value v = make(7);
  int* const address = v.get();
  ASSERT_TRUE(ch.send(std::move(v)));
  auto got = ch.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->get(), address);
}

TEST(channel, a_capacity_of_zero_is_rejected) {
  EXPECT_THROW(handoff::channel<int>(0), handoff::errors::invalid_argument);
}

TEST(channel, capacity_reports_what_was_asked) {
  handoff::channel<int> ch(3);
  EXPECT_EQ(ch.capacity(), 3U);
  EXPECT_EQ(ch.size(), 0U);
}

TEST(channel, send_blocks_while_full_and_resumes_when_a_receiver_takes_one) {
  handoff::channel<int> ch(2);
  ASSERT_TRUE(ch.send(1));
  ASSERT_TRUE(ch.send(2));
  blocking_call<bool> sender([&] { return ch.send(3); });
  EXPECT_TRUE(sender.blocks());
  EXPECT_EQ(ch.size(), 2U);
  EXPECT_EQ(ch.receive(), 1);
  EXPECT_TRUE(sender.get());
  EXPECT_EQ(ch.try_receive(), 2);
  EXPECT_EQ(ch.try_receive(), 3);
}

TEST(channel, try_send_on_a_full_channel_returns_false_and_leaves_the_value) {
  handoff::channel<value> ch(1);
  ASSERT_TRUE(ch.try_send(make(1)));
  value v = make(2);
  EXPECT_FALSE(ch.try_send(std::move(v)));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(ch.size(), 1U);
}

TEST(channel, send_for_on_a_full_channel_gives_up_after_the_timeout_and_leaves_the_value) {
  handoff::channel<value> ch(1);
  ASSERT_TRUE(ch.send(make(1)));
  value v = make(2);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(ch.send_for(std::move(v), 30ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(ch.size(), 1U);
}

TEST(channel, send_for_succeeds_when_a_receiver_makes_room_in_time) {
  handoff::channel<int> ch(1);
  ASSERT_TRUE(ch.send(1));
  blocking_call<bool> sender([&] { return ch.send_for(2, 1h); });
  EXPECT_TRUE(sender.blocks());
  EXPECT_EQ(ch.receive(), 1);
  EXPECT_TRUE(sender.get());
  EXPECT_EQ(ch.try_receive(), 2);
}

TEST(channel, close_wakes_a_blocked_sender_which_returns_false_and_keeps_its_value) {
  handoff::channel<value> ch(1);
  ASSERT_TRUE(ch.send(make(1)));
  value v = make(2);
  blocking_call<bool> sender([&] { return ch.send(std::move(v)); });
  EXPECT_TRUE(sender.blocks());
  ch.close();
  EXPECT_FALSE(sender.get());
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, 2);
}

TEST(channel, close_wakes_a_blocked_receiver_with_nullopt) {
  handoff::channel<int> ch(1);
  blocking_call<std::optional<int>> receiver([&] { return ch.receive(); });
  EXPECT_TRUE(receiver.blocks());
  ch.close();
  EXPECT_EQ(receiver.get(), std::nullopt);
}

TEST(channel, close_wakes_every_blocked_sender_and_receiver) {
  handoff::channel<int> full(1);
  handoff::channel<int> empty(1);
  ASSERT_TRUE(full.send(0));
  std::vector<std::unique_ptr<blocking_call<bool>>> senders;
  std::vector<std::unique_ptr<blocking_call<std::optional<int>>>> receivers;
  for (int i = 0; i < 3; ++i) {
    senders.push_back(std::make_unique<blocking_call<bool>>([&, i] { return full.send(int{i}); }));
    receivers.push_back(std::make_unique<blocking_call<std::optional<int>>>([&] { return empty.receive(); }));
  }
  for (auto& s : senders) EXPECT_TRUE(s->blocks());
  for (auto& r : receivers) EXPECT_TRUE(r->blocks());
  full.close();
  empty.close();
  for (auto& s : senders) EXPECT_FALSE(s->get());
  for (auto& r : receivers) EXPECT_EQ(r->get(), std::nullopt);
}

TEST(channel, receivers_get_every_remaining_value_after_close_then_nullopt) {
  handoff::channel<int> ch(3);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(ch.send(int{i}));
  ch.close();
  EXPECT_EQ(ch.receive(), 1);
  EXPECT_EQ(ch.try_receive(), 2);
  EXPECT_EQ(ch.receive_for(1h), 3);
  EXPECT_EQ(ch.receive(), std::nullopt);
  EXPECT_EQ(ch.try_receive(), std::nullopt);
  EXPECT_TRUE(ch.drain(8).empty());
}

TEST(channel, sends_after_close_return_false_and_leave_the_value) {
  handoff::channel<value> ch(2);
  ch.close();
  value v = make(5);
  EXPECT_FALSE(ch.send(std::move(v)));
  EXPECT_FALSE(ch.try_send(std::move(v)));
  EXPECT_FALSE(ch.send_for(std::move(v), 1h));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, 5);
  EXPECT_EQ(ch.size(), 0U);
}

TEST(channel, close_is_idempotent_and_closed_reports_it) {
  handoff::channel<int> ch(1);
  EXPECT_FALSE(ch.closed());
  ch.close();
  ch.close();
  EXPECT_TRUE(ch.closed());
}

TEST(channel, a_stop_request_wakes_a_blocked_send_at_once_and_leaves_the_value) {
  handoff::channel<value> ch(1);
  ASSERT_TRUE(ch.send(make(1)));
  std::stop_source stop;
  value v = make(2);
  blocking_call<bool> sender([&] { return ch.send(std::move(v), stop.get_token()); });
  EXPECT_TRUE(sender.blocks());
  stop.request_stop();
  EXPECT_FALSE(sender.get());
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, 2);
  EXPECT_FALSE(ch.closed());  // a stop ends one call, not the channel
  EXPECT_EQ(ch.size(), 1U);
}

TEST(channel, a_stop_request_wakes_a_blocked_send_for_at_once) {
  handoff::channel<int> ch(1);
  ASSERT_TRUE(ch.send(1));
  std::stop_source stop;
  blocking_call<bool> sender([&] { return ch.send_for(2, 1h, stop.get_token()); });
  EXPECT_TRUE(sender.blocks());
  stop.request_stop();
  EXPECT_FALSE(sender.get());
  EXPECT_EQ(ch.size(), 1U);
}

TEST(channel, a_stop_request_wakes_a_blocked_receive_at_once) {
  handoff::channel<int> ch(1);
  std::stop_source stop;
  blocking_call<std::optional<int>> receiver([&] { return ch.receive(stop.get_token()); });
  EXPECT_TRUE(receiver.blocks());
  stop.request_stop();
  EXPECT_EQ(receiver.get(), std::nullopt);
  // The channel is still open and still works.
  EXPECT_TRUE(ch.try_send(4));
  EXPECT_EQ(ch.try_receive(), 4);
}

TEST(channel, a_stop_request_wakes_a_blocked_receive_for_at_once) {
  handoff::channel<int> ch(1);
  std::stop_source stop;
  blocking_call<std::optional<int>> receiver([&] { return ch.receive_for(1h, stop.get_token()); });
  EXPECT_TRUE(receiver.blocks());
  stop.request_stop();
  EXPECT_EQ(receiver.get(), std::nullopt);
}

TEST(channel, a_stop_request_wakes_a_blocked_drain_at_once) {
  handoff::channel<int> ch(1);
  std::stop_source stop;
  blocking_call<std::vector<int>> drainer([&] { return ch.drain(8, stop.get_token()); });
  EXPECT_TRUE(drainer.blocks());
  stop.request_stop();
  EXPECT_TRUE(drainer.get().empty());
}

TEST(channel, a_stop_requested_before_the_call_makes_it_return_at_once_without_transferring) {
  handoff::channel<value> ch(2);
  std::stop_source stop;
  stop.request_stop();
  value v = make(3);
  EXPECT_FALSE(ch.send(std::move(v), stop.get_token()));  // there is room, but stop comes first
  EXPECT_FALSE(ch.send_for(std::move(v), 1h, stop.get_token()));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(ch.size(), 0U);
  ASSERT_TRUE(ch.send(std::move(v)));
  EXPECT_EQ(ch.receive(stop.get_token()), std::nullopt);  // a value waits, but stop comes first
  EXPECT_EQ(ch.receive_for(1h, stop.get_token()), std::nullopt);
  EXPECT_TRUE(ch.drain(4, stop.get_token()).empty());
  EXPECT_EQ(ch.size(), 1U);
}

TEST(channel, receive_for_on_an_empty_channel_returns_nullopt_after_the_timeout) {
  handoff::channel<int> ch(1);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ch.receive_for(30ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST(channel, receive_for_returns_a_value_sent_while_it_waits) {
  handoff::channel<int> ch(1);
  blocking_call<std::optional<int>> receiver([&] { return ch.receive_for(1h); });
  EXPECT_TRUE(receiver.blocks());
  ASSERT_TRUE(ch.send(9));
  EXPECT_EQ(receiver.get(), 9);
}

TEST(channel, a_zero_or_negative_timeout_acts_as_a_try) {
  handoff::channel<int> ch(1);
  EXPECT_EQ(ch.receive_for(0ms), std::nullopt);
  EXPECT_TRUE(ch.send_for(1, -5ms));
  EXPECT_FALSE(ch.send_for(2, 0ms));
  EXPECT_EQ(ch.receive_for(-1s), 1);
}

TEST(channel, a_huge_timeout_waits_instead_of_overflowing) {
  handoff::channel<int> ch(1);
  blocking_call<std::optional<int>> receiver(
      [&] { return ch.receive_for(std::chrono::duration<std::int64_t, std::ratio<3600>>::max()); });
  EXPECT_TRUE(receiver.blocks());
  ASSERT_TRUE(ch.send(1));
  EXPECT_EQ(receiver.get(), 1);
}

TEST(channel, blocking_receive_waits_for_a_value_and_takes_it) {
  handoff::channel<int> ch(1);
  blocking_call<std::optional<int>> receiver([&] { return ch.receive(); });
  EXPECT_TRUE(receiver.blocks());
  ASSERT_TRUE(ch.send(5));
  EXPECT_EQ(receiver.get(), 5);
  EXPECT_EQ(ch.size(), 0U);
}

TEST(channel, drain_takes_at_most_max_values_oldest_first) {
  handoff::channel<int> ch(8);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ch.send(int{i}));
  EXPECT_EQ(ch.drain(3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(ch.drain(3), (std::vector<int>{3, 4}));
  EXPECT_EQ(ch.size(), 0U);
}

TEST(channel, drain_blocks_until_a_value_arrives_then_takes_what_is_there) {
  handoff::channel<int> ch(4);
  blocking_call<std::vector<int>> drainer([&] { return ch.drain(8); });
  EXPECT_TRUE(drainer.blocks());
  ASSERT_TRUE(ch.send(1));
  const auto batch = drainer.get();
  EXPECT_EQ(batch, (std::vector<int>{1}));
}

TEST(channel, try_drain_and_try_receive_on_an_empty_channel_return_at_once_with_nothing) {
  handoff::channel<int> ch(2);
  EXPECT_TRUE(ch.try_drain(4).empty());
  EXPECT_EQ(ch.try_receive(), std::nullopt);
  ASSERT_TRUE(ch.send(1));
  ASSERT_TRUE(ch.send(2));
  EXPECT_EQ(ch.try_drain(1), (std::vector<int>{1}));
  EXPECT_EQ(ch.try_drain(4), (std::vector<int>{2}));
}

TEST(channel, a_drain_of_at_most_zero_values_is_rejected) {
  handoff::channel<int> ch(2);
  ASSERT_TRUE(ch.send(1));
  EXPECT_THROW(ch.drain(0), handoff::errors::invalid_argument);
  EXPECT_THROW(ch.try_drain(0), handoff::errors::invalid_argument);
  EXPECT_EQ(ch.size(), 1U);
}

TEST(channel, a_drain_that_frees_several_slots_wakes_every_sender_it_made_room_for) {
  handoff::channel<int> ch(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ch.send(int{i}));
  std::vector<std::unique_ptr<blocking_call<bool>>> senders;
  for (int i = 3; i < 6; ++i)
    senders.push_back(std::make_unique<blocking_call<bool>>([&ch, i] { return ch.send(int{i}); }));
  for (auto& s : senders) EXPECT_TRUE(s->blocks());
  EXPECT_EQ(ch.drain(3), (std::vector<int>{0, 1, 2}));
  for (auto& s : senders) EXPECT_TRUE(s->get());
  auto rest = ch.try_drain(8);
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(rest, (std::vector<int>{3, 4, 5}));
}

TEST(channel, each_sent_value_wakes_one_blocked_receiver) {
  handoff::channel<int> ch(4);
  std::vector<std::unique_ptr<blocking_call<std::optional<int>>>> receivers;
  for (int i = 0; i < 3; ++i) {
    receivers.push_back(std::make_unique<blocking_call<std::optional<int>>>([&] { return ch.receive(); }));
  }
  for (auto& r : receivers) EXPECT_TRUE(r->blocks());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ch.send(int{i}));
  std::vector<int> got;
  for (auto& r : receivers) {
    auto v = r->get();
    ASSERT_TRUE(v.has_value());
    got.push_back(*v);
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2}));
}

TEST(channel, the_destructor_destroys_values_never_received) {
  auto witness = std::make_shared<int>(0);
  {
    handoff::channel<std::shared_ptr<int>> ch(4);
    ASSERT_TRUE(ch.send(std::shared_ptr<int>(witness)));
    ASSERT_TRUE(ch.send(std::shared_ptr<int>(witness)));
    EXPECT_EQ(witness.use_count(), 3);
  }
  EXPECT_EQ(witness.use_count(), 1);
}

TEST(channel, values_from_one_producer_reach_one_consumer_in_order) {
  handoff::channel<int> ch(3);
  constexpr int count = 20000;
  std::jthread producer([&] {
    for (int i = 0; i < count; ++i) {
      if (!ch.send(int{i})) {
        ADD_FAILURE() << "send " << i << " failed on an open channel";
        break;
      }
    }
    ch.close();
  });
  int expected = 0;
  for (auto batch = ch.drain(2); !batch.empty(); batch = ch.drain(2)) {
    for (int v : batch) ASSERT_EQ(v, expected++);
  }
  EXPECT_EQ(expected, count);
}

}  // namespace
