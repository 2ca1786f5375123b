// Races on the loop: many producers, closes and invokes at random moments.
// Each round checks the accounting exactly; ThreadSanitizer checks the rest.
#include "handoff/headless_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Counts whether the task it rides in ran or was destroyed unrun.
class outcome_witness {
 public:
  outcome_witness(std::atomic<int>& ran, std::atomic<int>& discarded) : ran_(&ran), discarded_(&discarded) {}
  outcome_witness(outcome_witness&& other) noexcept
      : ran_(std::exchange(other.ran_, nullptr)), discarded_(other.discarded_) {}
  outcome_witness(const outcome_witness&) = delete;
  outcome_witness& operator=(const outcome_witness&) = delete;
  outcome_witness& operator=(outcome_witness&&) = delete;
  ~outcome_witness() {
    if (ran_ != nullptr) discarded_->fetch_add(1);
  }
  void mark_ran() { std::exchange(ran_, nullptr)->fetch_add(1); }

 private:
  std::atomic<int>* ran_;
  std::atomic<int>* discarded_;
};

TEST(loop_stress, every_post_runs_at_most_once_or_is_destroyed_and_order_holds_per_producer) {
  constexpr int producers = 6;
  constexpr int posts_each = 5000;
  std::mt19937 random(2024);
  for (int round = 0; round < 30; ++round) {
    handoff::headless_loop ui;
    std::atomic<int> accepted{0}, ran{0}, discarded{0};
    std::vector<std::vector<int>> seen(producers);  // touched on the loop thread only
    std::latch go(producers + 2);
    const int close_after = static_cast<int>(random() % (producers * posts_each));
    {
      std::jthread runner([&] {
        go.arrive_and_wait();
        ui.run();
      });
      std::vector<std::jthread> threads;
      for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
          go.arrive_and_wait();
          for (int i = 0; i < posts_each; ++i) {
            if (ui.post([&seen, p, i, w = outcome_witness(ran, discarded)]() mutable {
                  seen[static_cast<std::size_t>(p)].push_back(i);
                  w.mark_ran();
                })) {
              accepted.fetch_add(1);
            }
          }
        });
      }
      threads.emplace_back([&] {
        go.arrive_and_wait();
        while (accepted.load() < close_after) std::this_thread::yield();
        ui.close();
      });
    }  // producers, closer and runner joined: run() returned because the loop closed
    // Every task ends exactly once: run, or destroyed unrun (queued at close, or refused).
    EXPECT_EQ(ran.load() + discarded.load(), producers * posts_each) << "round " << round;
    EXPECT_LE(ran.load(), accepted.load());
    EXPECT_EQ(static_cast<std::uint64_t>(accepted.load()) + ui.refused_posts(),
              static_cast<std::uint64_t>(producers * posts_each));
    for (const auto& sequence : seen) {
      for (std::size_t i = 1; i < sequence.size(); ++i) ASSERT_LT(sequence[i - 1], sequence[i]);
    }
  }
}

TEST(loop_stress, invoke_racing_close_either_answers_or_throws_loop_closed_never_hangs) {
  std::mt19937 random(77);
  for (int round = 0; round < 50; ++round) {
    handoff::headless_loop ui;
    std::atomic<int> answered{0}, refused{0}, wrong{0};
    const int close_after = static_cast<int>(random() % 400);
    std::latch go(6);
    {
      std::jthread runner([&] {
        go.arrive_and_wait();
        ui.run();
      });
      std::vector<std::jthread> callers;
      for (int t = 0; t < 4; ++t) {
        callers.emplace_back([&, t] {
          go.arrive_and_wait();
          for (int i = 0; i < 200; ++i) {
            try {
              if (ui.invoke([=] { return t + i; }) != t + i) wrong.fetch_add(1);
              answered.fetch_add(1);
            } catch (const handoff::errors::loop_closed&) {
              refused.fetch_add(1);
            }
          }
        });
      }
      callers.emplace_back([&] {
        go.arrive_and_wait();
        while (answered.load() + refused.load() < close_after) std::this_thread::yield();
        ui.close();
      });
    }
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(answered.load() + refused.load(), 800);
  }
}

TEST(loop_stress, timers_cancelled_from_many_threads_run_exactly_when_not_cancelled) {
  handoff::headless_loop ui;
  std::latch started(1);
  std::jthread runner([&] {
    ui.post([&] { started.count_down(); });
    ui.run();
  });
  started.wait();
  constexpr int timers_each = 3000;
  std::atomic<int> ran{0}, cancelled{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 random(static_cast<unsigned>(t));
        for (int i = 0; i < timers_each; ++i) {
          auto handle = ui.post_after(std::chrono::microseconds(random() % 200), [&] { ran.fetch_add(1); });
          if (random() % 3 != 0 && handle.cancel()) cancelled.fetch_add(1);
        }
      });
    }
  }
  // Every timer is due within 200 us; a marker timer after them all settles the count.
  std::latch settled(1);
  ui.post_after(1ms, [&] { settled.count_down(); });
  settled.wait();
  EXPECT_EQ(ran.load() + cancelled.load(), 4 * timers_each);
  ui.stop();
}

}  // namespace
