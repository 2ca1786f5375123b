// The post queue's blocks under concurrent floods: producers post bursts
// while the loop thread releases blocks to the producers' spares (under the
// queue lock), reuses them, and trims the spares whenever it catches up.
// Every task must run exactly once, in order per producer; ThreadSanitizer
// checks the hand-over of the blocks.
#include "support/running_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

TEST(loop_blocks_stress, bursts_from_many_producers_run_once_in_order_while_blocks_travel) {
  constexpr int producers = 4;
  constexpr std::uint32_t bursts_each = 12;
  handoff::testing::running_loop ui;
  std::vector<std::vector<std::uint32_t>> seen(producers);  // touched on the loop thread only
  std::atomic<std::uint64_t> posted{0};
  {
    std::vector<std::jthread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        std::mt19937 random(static_cast<unsigned>(p) + 11);
        std::uint32_t next = 0;
        for (std::uint32_t burst = 0; burst < bursts_each; ++burst) {
          // From one task to 80 blocks' worth: light loads trim the spares, heavy ones reuse them.
          const std::uint32_t length = burst % 3 == 0 ? 1 + random() % 50 : 1 + random() % 80'000;
          for (std::uint32_t i = 0; i < length; ++i, ++next) {
            ASSERT_TRUE(ui->post([&seen, p, n = next] { seen[static_cast<std::size_t>(p)].push_back(n); }));
          }
          posted.fetch_add(length);
          if (random() % 2 == 0) std::this_thread::sleep_for(1ms);  // let the loop catch up
        }
      });
    }
  }
  // Posted after every producer's last post: when it has run, all of theirs have.
  ui->invoke([] {});
  const std::uint64_t total = ui->invoke([&] {
    std::uint64_t n = 0;
    for (const auto& sequence : seen) n += sequence.size();
    return n;
  });
  EXPECT_EQ(total, posted.load());
  for (const auto& sequence : seen) {
    for (std::size_t i = 0; i < sequence.size(); ++i) ASSERT_EQ(sequence[i], i);
  }
}

}  // namespace
