// Behaviours of livepi's lease book: every range counted exactly once, whatever dies.
#include "engine/lease_book.hpp"
#include "engine/resume_point.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <stdexcept>
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

namespace {

using handoff::livepi::point_range;
using handoff::livepi::resume_point;

TEST(lease_book, a_resumed_book_leases_exactly_the_points_the_stopped_one_left) {
  lease_book stopped(1000, 100);
  std::vector<lease> leases;
  for (int i = 0; i < 5; ++i) leases.push_back(*stopped.next());
  // Done: leases 0, 2, 3; lease 1 was reclaimed (its worker died); lease 4 is in flight at the stop.
  EXPECT_TRUE(stopped.complete(leases[0].id, 70));
  EXPECT_TRUE(stopped.reclaim(leases[1].id));
  EXPECT_TRUE(stopped.complete(leases[2].id, 80));
  EXPECT_TRUE(stopped.complete(leases[3].id, 75));
  const resume_point saved = stopped.saved();
  EXPECT_EQ(saved.points, 300U);
  EXPECT_EQ(saved.inside, 225U);
  EXPECT_EQ(saved.next_first, 500U);
  ASSERT_EQ(saved.unfinished.size(), 2U);
  EXPECT_EQ(saved.unfinished[0].first, 100U);
  EXPECT_EQ(saved.unfinished[1].first, 400U);

  lease_book resumed(1000, 100);
  resumed.resume(saved);
  std::set<std::uint64_t> firsts;
  std::uint64_t leased = 0;
  while (auto next = resumed.next()) {
    EXPECT_TRUE(firsts.insert(next->range.first).second);
    leased += next->range.count;
    EXPECT_TRUE(resumed.complete(next->id, 1));
  }
  EXPECT_EQ(leased, 700U);  // 200 unfinished + 500 never leased
  EXPECT_EQ(firsts.count(100), 1U);
  EXPECT_EQ(firsts.count(400), 1U);
  EXPECT_EQ(firsts.count(0), 0U);
  EXPECT_TRUE(resumed.finished());
  EXPECT_EQ(resumed.inside(), 225U + 7U);
}

TEST(lease_book, a_resume_point_that_does_not_add_up_or_lies_beyond_the_total_is_refused) {
  resume_point inconsistent;
  inconsistent.next_first = 500;
  inconsistent.points = 300;  // 200 points are neither counted nor unfinished
  lease_book book(1000, 100);
  EXPECT_THROW(book.resume(inconsistent), std::invalid_argument);

  resume_point beyond;
  beyond.next_first = 2000;
  beyond.points = 2000;
  lease_book small(1000, 100);
  EXPECT_THROW(small.resume(beyond), std::invalid_argument);
}

}  // namespace
