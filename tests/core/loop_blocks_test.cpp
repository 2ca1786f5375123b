// The loop's post queue in blocks (detail/task_blocks.hpp): a block goes back
// to the producers as soon as its last task ran, spares are reused by later
// posts and shrink back to the budget once the load is light, and none of it
// changes what runs: every task once, in order, across leftovers, throws,
// close and nested pumps.
//
// This executable counts heap allocations: it replaces the global operator
// new, as bench/common/alloc_counter.cpp does for the benchmarks.
#include "handoff/headless_loop.hpp"
#include "handoff/manual_clock.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace {
// relaxed: an event counter read around single-threaded spans of a test.
std::atomic<std::uint64_t> allocation_count{0};

void* counted_allocate(std::size_t size) {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted_allocate(size); }
void* operator new[](std::size_t size) { return counted_allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace std::chrono_literals;

namespace {

constexpr std::size_t block = handoff::detail::task_blocks::block_size;
constexpr std::size_t budget_blocks = handoff::detail::task_blocks::spare_budget_blocks;

std::uint64_t allocations() { return allocation_count.load(std::memory_order_relaxed); }

// Records where its task stored it: the address lies in the block that holds the task.
struct where_stored {
  std::vector<const void*>* seen;
  void operator()() const { seen->push_back(this); }
};

// Counts whether the task it rides in ran, or was destroyed unrun; a moved-from one counts nothing.
class witness {
 public:
  witness(int* ran, int* discarded) : ran_(ran), discarded_(discarded) {}
  witness(witness&& other) noexcept
      : ran_(std::exchange(other.ran_, nullptr)), discarded_(std::exchange(other.discarded_, nullptr)) {}
  witness(const witness&) = delete;
  witness& operator=(const witness&) = delete;
  witness& operator=(witness&&) = delete;
  ~witness() {
    if (discarded_ != nullptr) ++*discarded_;
  }
  void mark_ran() {
    ++*ran_;  // each task may run once: a second run would count twice
    discarded_ = nullptr;
  }

 private:
  int* ran_;
  int* discarded_;
};

TEST(loop_blocks, a_block_is_reused_by_posts_made_while_its_batch_still_runs) {
  handoff::headless_loop ui;
  constexpr std::size_t blocks = 6;
  constexpr std::size_t poster = 4 * block + 10;  // runs once the first four blocks have run
  std::vector<const void*> first_batch;
  std::vector<const void*> posted_during;
  first_batch.reserve(blocks * block);
  for (std::size_t i = 0; i < blocks * block; ++i) {
    if (i == poster) ui.post([&] { ui.post(where_stored{&posted_during}); });
    ui.post(where_stored{&first_batch});
  }
  ui.run_until_idle();
  ASSERT_EQ(first_batch.size(), blocks * block);
  ASSERT_EQ(posted_during.size(), 1U);
  // It starts a block: the first slot of one of the blocks the batch had run by then.
  bool reused = false;
  for (std::size_t k = 0; k < 4; ++k) reused = reused || posted_during.front() == first_batch[k * block];
  EXPECT_TRUE(reused) << "the post should have reused a block released before its batch ended";
}

TEST(loop_blocks, a_steady_stream_allocates_nothing_once_it_has_its_blocks) {
  handoff::headless_loop ui;
  std::uint64_t sum = 0;
  const auto post_round = [&] {
    for (std::size_t i = 0; i < 10 * block; ++i) ui.post([&sum, i] { sum += i; });
  };
  for (int warm = 0; warm < 2; ++warm) {  // the lists of blocks on both sides of the swap grow once
    post_round();
    ui.run_until_idle();
  }
  const std::uint64_t before = allocations();
  for (int round = 0; round < 20; ++round) {
    post_round();
    ui.run_until_idle();
  }
  EXPECT_EQ(allocations() - before, 0U);
  EXPECT_EQ(sum, 22 * (10 * block) * (10 * block - 1) / 2);
}

TEST(loop_blocks, a_flood_reuses_its_blocks_and_the_spares_shrink_to_the_budget_once_the_load_is_light) {
  handoff::manual_clock time;  // virtual time stands still: no pump stops at its budget
  handoff::headless_loop ui(time);
  const std::size_t flood_blocks = budget_blocks + 100;
  std::size_t ran = 0;
  const auto flood = [&] {
    for (std::size_t i = 0; i < flood_blocks * block; ++i) ui.post([&ran] { ++ran; });
    ui.run_until_idle();
  };
  flood();
  flood();  // the lists of blocks on both sides of the swap have grown
  std::uint64_t before = allocations();
  flood();  // the last flood's blocks were kept: a heavy load keeps every spare
  EXPECT_EQ(allocations() - before, 0U);

  ui.post([&ran] { ++ran; });  // a light pump: the spares beyond the budget are freed
  ui.run_until_idle();
  before = allocations();
  flood();
  const std::uint64_t fresh = allocations() - before;
  EXPECT_GE(fresh, flood_blocks - budget_blocks);
  EXPECT_LE(fresh, flood_blocks - budget_blocks + 4);  // and a few growths of the lists of blocks
  EXPECT_EQ(ran, 4 * flood_blocks * block + 1);
}

TEST(loop_blocks, leftovers_across_many_pumps_run_once_in_order_while_blocks_are_released_and_reused) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time, {.pump_budget = 10ms});
  int ran = 0;
  int discarded = 0;
  std::vector<std::size_t> order;
  const std::size_t first = 3 * block + 100;
  for (std::size_t i = 0; i < first; ++i) {
    ui.post([&, i, w = witness(&ran, &discarded)]() mutable {
      order.push_back(i);
      w.mark_ran();
      time.advance(1ms);  // every pump yields after 32 tasks
    });
  }
  std::size_t next = first;
  int pumps = 0;
  for (;;) {
    const auto result = ui.pump();
    ++pumps;
    // Posts between pumps go to the blocks the leftovers released; they run after the leftovers.
    for (int k = 0; k < 40 && next < 2 * first; ++k, ++next) {
      ui.post([&, i = next, w = witness(&ran, &discarded)]() mutable {
        order.push_back(i);
        w.mark_ran();
      });
    }
    if (!result.more_ready) break;
    ASSERT_LT(pumps, 100000);
  }
  ui.run_until_idle();
  EXPECT_GT(pumps, 100);
  ASSERT_EQ(order.size(), 2 * first);
  for (std::size_t i = 0; i < order.size(); ++i) ASSERT_EQ(order[i], i);
  EXPECT_EQ(ran, static_cast<int>(2 * first));
  EXPECT_EQ(discarded, 0);
}

TEST(loop_blocks, close_with_leftovers_destroys_each_unrun_task_once_on_the_loop_thread) {
  handoff::manual_clock time;
  handoff::headless_loop ui(time, {.pump_budget = 10ms});
  int ran = 0;
  int discarded = 0;
  const std::size_t total = 3 * block + 7;
  for (std::size_t i = 0; i < total; ++i) {
    ui.post([&, w = witness(&ran, &discarded)]() mutable {
      w.mark_ran();
      time.advance(1ms);
    });
  }
  // 36 pumps of 32: the first block released, the second partly run.
  for (int p = 0; p < 36; ++p) ASSERT_TRUE(ui.pump().more_ready);
  EXPECT_EQ(ran, 36 * 32);
  EXPECT_EQ(discarded, 0);
  ui.close();
  ui.pump();
  EXPECT_EQ(ran, 36 * 32);
  EXPECT_EQ(discarded, static_cast<int>(total) - 36 * 32);
}

TEST(loop_blocks, a_task_that_throws_at_a_block_boundary_is_destroyed_once_and_the_batch_goes_on) {
  handoff::headless_loop ui;
  int errors = 0;
  ui.set_exception_handler([&](const std::exception_ptr&) { ++errors; });
  int ran = 0;
  int discarded = 0;  // a thrown task is destroyed without mark_ran: it counts here, once
  const std::size_t total = 2 * block + 1;
  for (std::size_t i = 0; i < total; ++i) {
    const bool throws = i == block - 1 || i == 2 * block - 1 || i == total - 1;
    ui.post([throws, w = witness(&ran, &discarded)]() mutable {
      if (throws) throw std::runtime_error("at the end of a block");
      w.mark_ran();
    });
  }
  ui.run_until_idle();
  EXPECT_EQ(errors, 3);
  EXPECT_EQ(ran, static_cast<int>(total) - 3);
  EXPECT_EQ(discarded, 3);
  // The released blocks still work: a second batch over them runs in full.
  for (std::size_t i = 0; i < total; ++i) {
    ui.post([w = witness(&ran, &discarded)]() mutable { w.mark_ran(); });
  }
  ui.run_until_idle();
  EXPECT_EQ(ran, 2 * static_cast<int>(total) - 3);
  EXPECT_EQ(discarded, 3);
}

TEST(loop_blocks, a_task_that_pumps_its_own_loop_keeps_its_block_until_it_returns) {
  struct context {
    handoff::headless_loop ui;
    std::vector<std::size_t> order;
    std::size_t chained = 0;
    bool intact = false;
    std::array<char, 32> pattern{};
    // Every task posts one more, until 4 blocks' worth: a block released under
    // the outer task below would be reused, and its captures overwritten.
    void post_chain(std::size_t i) {
      ui.post([this, i] {
        order.push_back(i);
        if (chained < 4 * block) post_chain(100000 + ++chained);
      });
    }
  } c;
  for (std::size_t k = 0; k < c.pattern.size(); ++k) c.pattern[k] = static_cast<char>('a' + k % 26);
  for (std::size_t i = 0; i < 2 * block; ++i) {
    if (i == 5) {
      // 40 bytes of captures: stored inline, in its block.
      c.ui.post([ctx = &c, mine = c.pattern] {
        ctx->order.push_back(5);
        ctx->ui.run_until_idle();  // nested: runs the rest of the batch and the chain
        ctx->intact = mine == ctx->pattern;
      });
    } else {
      c.post_chain(i);
    }
  }
  c.ui.run_until_idle();
  EXPECT_TRUE(c.intact) << "the outer task's captures changed under it";
  ASSERT_EQ(c.order.size(), 2 * block + 4 * block);
  for (std::size_t i = 0; i < 2 * block; ++i) ASSERT_EQ(c.order[i], i);
  // Posts after it all still work, over whatever blocks were kept.
  int after = 0;
  for (std::size_t i = 0; i < 3 * block; ++i) c.ui.post([&after] { ++after; });
  c.ui.run_until_idle();
  EXPECT_EQ(after, static_cast<int>(3 * block));
}

}  // namespace
