// Behaviours of handoff::thread_pool.
#include "handoff/thread_pool.hpp"
#include "handoff/errors.hpp"
#include "handoff/thread_registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

// Destroying it marks a flag: shows that queued work was destroyed unrun.
struct destruction_witness {
  std::shared_ptr<std::atomic<int>> destroyed;
  explicit destruction_witness(std::shared_ptr<std::atomic<int>> counter) : destroyed(std::move(counter)) {}
  destruction_witness(destruction_witness&& other) noexcept : destroyed(std::move(other.destroyed)) {}
  ~destruction_witness() {
    if (destroyed) destroyed->fetch_add(1);
  }
};

// Blocks until the token is stopped (an interruptible wait, no polling).
void wait_for_stop(const std::stop_token& stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait(lock, stop, [] { return false; });
}

std::string dump_threads_to_string() {
  std::FILE* file = std::tmpfile();
  handoff::dump_threads(fileno(file));
  std::rewind(file);
  std::string text;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, file) != nullptr) text += buffer;
  std::fclose(file);
  return text;
}

TEST(thread_pool, runs_submitted_work_on_its_own_threads) {
  handoff::thread_pool pool(2, "runs");
  std::latch done(1);
  std::thread::id ran_on;
  bool was_pool_thread = false;
  ASSERT_TRUE(pool.submit([&](std::stop_token) {
    ran_on = std::this_thread::get_id();
    was_pool_thread = pool.is_pool_thread();
    done.count_down();
  }));
  done.wait();
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_TRUE(was_pool_thread);
  EXPECT_FALSE(pool.is_pool_thread());
  EXPECT_EQ(pool.size(), 2U);
}

TEST(thread_pool, threads_are_named_and_show_running_work_in_a_dump) {
  handoff::thread_pool pool(2, "dumped");
  std::latch started(2);  // two blocking pieces of work: one on each thread
  std::latch release(1);
  for (int i = 0; i < 2; ++i) {
    pool.submit([&](std::stop_token) {
      started.count_down();
      release.wait();
    });
  }
  started.wait();
  const std::string dump = dump_threads_to_string();
  release.count_down();
  EXPECT_NE(dump.find("dumped-0"), std::string::npos) << dump;
  EXPECT_NE(dump.find("dumped-1"), std::string::npos) << dump;
  EXPECT_NE(dump.find("running work"), std::string::npos) << dump;
}

TEST(thread_pool, work_starts_in_the_order_submitted_on_one_thread) {
  handoff::thread_pool pool(1, "ordered");
  std::vector<int> order;
  std::latch done(100);
  for (int i = 0; i < 100; ++i) {
    pool.submit([&, i](std::stop_token) {
      order.push_back(i);
      done.count_down();
    });
  }
  done.wait();
  ASSERT_EQ(order.size(), 100U);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST(thread_pool, shutdown_stops_running_work_destroys_queued_work_unrun_and_joins) {
  handoff::thread_pool pool(1, "stopping");
  std::latch started(1);
  std::atomic<bool> saw_stop{false};
  pool.submit([&](std::stop_token stop) {
    started.count_down();
    wait_for_stop(stop);
    saw_stop = true;
  });
  started.wait();
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  std::atomic<int> queued_ran{0};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        pool.submit([w = destruction_witness(destroyed), &queued_ran](std::stop_token) { ++queued_ran; }));
  }
  EXPECT_EQ(pool.pending(), 5U);
  EXPECT_TRUE(pool.shutdown(10s));
  EXPECT_TRUE(saw_stop.load());
  EXPECT_EQ(queued_ran.load(), 0);
  EXPECT_EQ(destroyed->load(), 5);
  EXPECT_EQ(pool.pending(), 0U);
}

TEST(thread_pool, submit_after_shutdown_is_refused_and_the_work_destroyed) {
  handoff::thread_pool pool(1, "refusing");
  pool.shutdown(1s);
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  EXPECT_FALSE(pool.submit([w = destruction_witness(destroyed)](std::stop_token) {}));
  EXPECT_EQ(destroyed->load(), 1);
}

TEST(thread_pool, a_second_shutdown_returns_the_first_result) {
  handoff::thread_pool pool(2, "twice");
  EXPECT_TRUE(pool.shutdown(1s));
  EXPECT_TRUE(pool.shutdown(0s));
}

TEST(thread_pool, a_thread_stuck_past_the_deadline_is_reported_and_detached) {
  auto pool = std::make_unique<handoff::thread_pool>(2, "stuck");
  auto started = std::make_shared<std::latch>(1);
  auto release = std::make_shared<std::latch>(1);
  pool->submit([started, release](std::stop_token) {
    started->count_down();
    release->wait();  // ignores its stop token
  });
  started->wait();
  testing::internal::CaptureStderr();
  const bool joined = pool->shutdown(50ms);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(joined);
  EXPECT_NE(err.find("stuck"), std::string::npos) << err;
  EXPECT_NE(err.find("detached"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  pool.reset();           // the pool object goes; the detached thread keeps what it uses
  release->count_down();  // and now ends on its own
}

TEST(thread_pool, shutdown_from_one_of_its_own_threads_does_not_deadlock) {
  handoff::thread_pool pool(2, "self");
  std::latch done(1);
  bool result = false;
  pool.submit([&](std::stop_token) {
    result = pool.shutdown(10s);  // joins the other thread, detaches this one
    done.count_down();
  });
  done.wait();
  EXPECT_TRUE(result);
  EXPECT_FALSE(pool.submit([](std::stop_token) {}));
}

TEST(thread_pool, an_exception_escaping_work_is_reported_and_the_thread_goes_on) {
  handoff::thread_pool pool(1, "throwing");
  std::latch done(1);
  testing::internal::CaptureStderr();
  pool.submit([](std::stop_token) { throw std::runtime_error("escaped"); });
  pool.submit([&](std::stop_token) { done.count_down(); });
  done.wait();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("escaped"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

TEST(thread_pool, the_destructor_stops_and_joins) {
  std::atomic<bool> saw_stop{false};
  std::latch started(1);
  {
    handoff::thread_pool pool(1, "destroyed");
    pool.submit([&](std::stop_token stop) {
      started.count_down();
      wait_for_stop(stop);
      saw_stop = true;
    });
    started.wait();
  }
  EXPECT_TRUE(saw_stop.load());
}

TEST(thread_pool, zero_threads_are_rejected) {
  EXPECT_THROW(handoff::thread_pool(0), handoff::errors::invalid_argument);
}

}  // namespace
