// Behaviours of livepi's lease book: every range counted exactly once, whatever dies.
#include "engine/lease_book.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace {

using handoff::livepi::lease;
using handoff::livepi::lease_book;

TEST(lease_book, leases_cover_the_total_without_overlap_and_the_last_one_is_short) {
  lease_book book(1000, 300);
  std::vector<lease> leases;
  while (auto next = book.next()) leases.push_back(*next);
  ASSERT_EQ(leases.size(), 4U);
  std::uint64_t expected_first = 0;
  for (const auto& l : leases) {
    EXPECT_EQ(l.range.first, expected_first);
    expected_first += l.range.count;
  }
  EXPECT_EQ(expected_first, 1000U);
  EXPECT_EQ(leases.back().range.count, 100U);
}

TEST(lease_book, a_result_is_accepted_once_and_a_duplicate_changes_nothing) {
  lease_book book(100, 100);
  const auto only = *book.next();
  EXPECT_TRUE(book.complete(only.id, 78));
  EXPECT_FALSE(book.complete(only.id, 78));
  EXPECT_EQ(book.inside(), 78U);
  EXPECT_EQ(book.points_done(), 100U);
  EXPECT_TRUE(book.finished());
}

TEST(lease_book, a_reclaimed_range_is_leased_again_before_new_ones) {
  lease_book book(0, 10);
  const auto first = *book.next();
  const auto second = *book.next();
  EXPECT_TRUE(book.reclaim(first.id));
  const auto again = *book.next();
  EXPECT_EQ(again.range.first, first.range.first);
  EXPECT_NE(again.id, first.id);
  EXPECT_FALSE(book.complete(first.id, 1));  // the dead worker's late answer is not counted
  EXPECT_TRUE(book.complete(again.id, 7));
  EXPECT_TRUE(book.complete(second.id, 8));
  EXPECT_EQ(book.points_done(), 20U);
  EXPECT_FALSE(book.finished());  // unbounded
}

TEST(lease_book, random_deaths_never_lose_or_double_count_a_point) {
  std::mt19937_64 random(9);
  for (int round = 0; round < 200; ++round) {
    const std::uint64_t total = 1 + random() % 5000;
    lease_book book(total, 1 + random() % 300);
    std::vector<lease> out;
    std::multiset<std::uint64_t> counted_firsts;
    while (!book.finished()) {
      if (auto next = book.next()) out.push_back(*next);
      if (out.empty()) continue;
      const std::size_t pick = random() % out.size();
      const lease chosen = out[pick];
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(pick));
      if (random() % 4 == 0) {
        ASSERT_TRUE(book.reclaim(chosen.id));
      } else {
        ASSERT_TRUE(book.complete(chosen.id, chosen.range.first));
        counted_firsts.insert(chosen.range.first);
      }
    }
    EXPECT_EQ(book.points_done(), total);
    EXPECT_EQ(book.outstanding(), 0U);
    std::set<std::uint64_t> unique(counted_firsts.begin(), counted_firsts.end());
    EXPECT_EQ(unique.size(), counted_firsts.size());
  }
}

TEST(lease_book, a_zero_lease_size_is_rejected) { EXPECT_THROW(lease_book(10, 0), std::invalid_argument); }

}  // namespace
