// Behaviours of handoff's interruptible sleeps and throw_if_stopped.
//
// A test that needs the sleeper to be inside its wait proves it: the sleep runs
// on its own thread, and the test waits until that thread sleeps in the kernel
// (its state in /proc is 'S') before it requests stop.
#include "handoff/cancellation.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <latch>
#include <optional>
#include <ratio>
#include <stop_token>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

// True while thread `tid` of this process sleeps in the kernel.
bool sleeping_in_kernel(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto name_end = line.rfind(')');  // the state follows the parenthesised name
  return name_end != std::string::npos && name_end + 2 < line.size() && line[name_end + 2] == 'S';
}

// Runs one sleep on a thread of its own; records its result and when it returned.
class sleeper {
 public:
  explicit sleeper(std::function<bool()> sleep)
      : thread_([this, sleep = std::move(sleep)] {
          tid_ = gettid();
          started_.count_down();
          result_ = sleep();
          returned_at_ = steady::now();
          done_.store(true);
        }) {
    started_.wait();
  }

  // Waits until the sleep either returned (false) or sleeps in the kernel unreturned (true).
  bool blocks() const {
    for (;;) {
      if (done_.load()) return false;
      if (sleeping_in_kernel(tid_)) return !done_.load();
      std::this_thread::yield();
    }
  }

  bool get() {
    thread_.join();
    return result_;
  }

  steady::time_point returned_at() const { return returned_at_; }

 private:
  std::latch started_{1};
  pid_t tid_ = 0;  // written before started_ counts down, read after it
  bool result_ = false;
  steady::time_point returned_at_;
  std::atomic<bool> done_{false};
  std::jthread thread_;  // last: it starts once the members it uses exist
};

TEST(cancellation, sleep_for_returns_true_after_the_whole_time_when_no_stop_is_requested) {
  std::stop_source stop;
  const auto start = steady::now();
  EXPECT_TRUE(handoff::sleep_for(stop.get_token(), 30ms));
  EXPECT_GE(steady::now() - start, 30ms);
}

TEST(cancellation, sleep_for_with_a_token_that_cannot_stop_sleeps_the_whole_time) {
  const auto start = steady::now();
  EXPECT_TRUE(handoff::sleep_for(std::stop_token{}, 30ms));
  EXPECT_GE(steady::now() - start, 30ms);
}

TEST(cancellation, sleep_for_returns_false_at_once_when_stop_was_requested_before) {
  std::stop_source stop;
  stop.request_stop();
  const auto start = steady::now();
  // A sleep that ignored the stop would run 20 s and then fail both checks.
  EXPECT_FALSE(handoff::sleep_for(stop.get_token(), 20s));
  EXPECT_LT(steady::now() - start, 10s);
}

TEST(cancellation, sleep_for_returns_false_at_once_when_stop_is_requested_during_the_wait) {
  std::stop_source stop;
  sleeper s([token = stop.get_token()] { return handoff::sleep_for(token, 20s); });
  ASSERT_TRUE(s.blocks());
  const auto requested_at = steady::now();
  stop.request_stop();
  EXPECT_FALSE(s.get());
  EXPECT_LT(s.returned_at() - requested_at, 10s);
}

TEST(cancellation, sleep_for_a_zero_or_negative_time_returns_at_once_and_reports_the_stop) {
  std::stop_source stop;
  EXPECT_TRUE(handoff::sleep_for(stop.get_token(), 0ms));
  EXPECT_TRUE(handoff::sleep_for(stop.get_token(), -1s));
  stop.request_stop();
  EXPECT_FALSE(handoff::sleep_for(stop.get_token(), 0ms));
}

TEST(cancellation, sleep_for_a_huge_time_waits_instead_of_overflowing_and_a_stop_ends_it) {
  std::stop_source stop;
  sleeper s([token = stop.get_token()] {
    return handoff::sleep_for(token, std::chrono::duration<std::int64_t, std::ratio<3600>>::max());
  });
  ASSERT_TRUE(s.blocks());
  stop.request_stop();
  EXPECT_FALSE(s.get());
}

TEST(cancellation, sleep_until_returns_true_once_the_deadline_passes) {
  std::stop_source stop;
  const auto deadline = steady::now() + 30ms;
  EXPECT_TRUE(handoff::sleep_until(stop.get_token(), deadline));
  EXPECT_GE(steady::now(), deadline);
}

TEST(cancellation, sleep_until_follows_the_clock_of_its_deadline) {
  std::stop_source stop;
  const auto deadline = std::chrono::system_clock::now() + 30ms;
  EXPECT_TRUE(handoff::sleep_until(stop.get_token(), deadline));
  EXPECT_GE(std::chrono::system_clock::now(), deadline);
}

TEST(cancellation, sleep_until_a_past_deadline_returns_true_at_once) {
  std::stop_source stop;
  EXPECT_TRUE(handoff::sleep_until(stop.get_token(), steady::now() - 1s));
}

TEST(cancellation, sleep_until_returns_false_at_once_when_stop_was_requested_before) {
  std::stop_source stop;
  stop.request_stop();
  const auto start = steady::now();
  EXPECT_FALSE(handoff::sleep_until(stop.get_token(), start + 20s));
  EXPECT_LT(steady::now() - start, 10s);
}

TEST(cancellation, sleep_until_returns_false_at_once_when_stop_is_requested_during_the_wait) {
  std::stop_source stop;
  sleeper s([token = stop.get_token()] { return handoff::sleep_until(token, steady::now() + 20s); });
  ASSERT_TRUE(s.blocks());
  const auto requested_at = steady::now();
  stop.request_stop();
  EXPECT_FALSE(s.get());
  EXPECT_LT(s.returned_at() - requested_at, 10s);
}

TEST(cancellation, one_stop_wakes_every_sleeper_sharing_the_token) {
  std::stop_source stop;
  std::optional<sleeper> first;
  std::optional<sleeper> second;
  first.emplace([token = stop.get_token()] { return handoff::sleep_for(token, 20s); });
  second.emplace([token = stop.get_token()] { return handoff::sleep_for(token, 20s); });
  ASSERT_TRUE(first->blocks());
  ASSERT_TRUE(second->blocks());
  stop.request_stop();
  EXPECT_FALSE(first->get());
  EXPECT_FALSE(second->get());
}

TEST(cancellation, throw_if_stopped_throws_cancelled_only_after_a_stop_request) {
  std::stop_source stop;
  EXPECT_NO_THROW(handoff::throw_if_stopped(stop.get_token()));
  stop.request_stop();
  EXPECT_THROW(handoff::throw_if_stopped(stop.get_token()), handoff::errors::cancelled);
}

TEST(cancellation, throw_if_stopped_never_throws_for_a_token_that_cannot_stop) {
  EXPECT_NO_THROW(handoff::throw_if_stopped(std::stop_token{}));
}

TEST(cancellation, cancelled_is_caught_with_the_rest_of_the_errors_family) {
  std::stop_source stop;
  stop.request_stop();
  EXPECT_THROW(handoff::throw_if_stopped(stop.get_token()), handoff::errors::error);
}

}  // namespace
