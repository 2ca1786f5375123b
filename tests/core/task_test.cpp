// Behaviours of handoff::task: inline storage, moves, and destruction exactly once.
#include "handoff/task.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace {

struct counted {
  int* destroyed;
  bool armed = true;
  explicit counted(int* d) : destroyed(d) {}
  counted(counted&& other) noexcept : destroyed(other.destroyed) { other.armed = false; }
  ~counted() {
    if (armed) ++*destroyed;
  }
};

TEST(task, a_trivially_copyable_callable_survives_moves_through_a_growing_vector) {
  int sum = 0;
  std::vector<handoff::task> tasks;
  for (int i = 0; i < 1000; ++i) tasks.emplace_back([&sum, i] { sum += i; });  // regrowth moves them all
  for (auto& t : tasks) t.run_once();
  EXPECT_EQ(sum, 999 * 1000 / 2);
  for (auto& t : tasks) EXPECT_FALSE(t);
}

TEST(task, a_capture_with_a_destructor_is_destroyed_exactly_once_after_moves_and_a_run) {
  int destroyed = 0;
  {
    handoff::task first([c = counted(&destroyed)] {});
    handoff::task second(std::move(first));
    handoff::task third;
    third = std::move(second);
    EXPECT_EQ(destroyed, 0);
    third.run_once();
    EXPECT_EQ(destroyed, 1);
  }
  EXPECT_EQ(destroyed, 1);
}

TEST(task, run_once_destroys_the_callable_even_when_it_throws) {
  int destroyed = 0;
  handoff::task t([c = counted(&destroyed)] { throw std::runtime_error("boom"); });
  EXPECT_THROW(t.run_once(), std::runtime_error);
  EXPECT_EQ(destroyed, 1);
  EXPECT_FALSE(t);
}

TEST(task, a_large_callable_lives_on_the_heap_and_is_freed_after_running) {
  auto witness = std::make_shared<int>(0);
  std::array<char, 200> big{};
  handoff::task t([big, keep = witness] { (void)big; });
  handoff::task moved(std::move(t));
  EXPECT_EQ(witness.use_count(), 2);
  moved.run_once();
  EXPECT_EQ(witness.use_count(), 1);
}

TEST(task, reset_releases_the_captures_without_running) {
  auto witness = std::make_shared<int>(0);
  bool ran = false;
  handoff::task t([keep = witness, &ran] { ran = true; });
  t.reset();
  EXPECT_EQ(witness.use_count(), 1);
  EXPECT_FALSE(ran);
}

}  // namespace
