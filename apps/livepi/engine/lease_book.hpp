// livepi's lease book: which point ranges are handed out, done, or to hand out again.
//
// The coordinator leases ranges of whole kernel blocks to workers and accepts
// each range's result exactly once. A worker that dies gives its ranges back
// (reclaim), and they are leased again before any new range, so a crash only
// delays a range and never loses or double-counts it: the final count is the
// same as a fault-free run's, bit for bit.
//
// Thread contract: not synchronised; the coordinator thread owns it (the
// threads backend guards it with the coordinator's lock).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

namespace handoff::livepi {

struct point_range {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
};

struct resume_point;

struct lease {
  std::uint64_t id = 0;
  point_range range;
};

class lease_book {
 public:
  /// `total_points` 0 means unbounded (run until stopped); `lease_points` is
  /// the size of each lease and must be positive.
  lease_book(std::uint64_t total_points, std::uint64_t lease_points);

  /// The next range to compute: a reclaimed one first, else a new one; nullopt
  /// when every point is leased or done.
  std::optional<lease> next();

  /// Records a result. True when accepted; false for an unknown or already
  /// completed lease (a late duplicate), which changes nothing.
  bool complete(std::uint64_t lease_id, std::uint64_t inside);

  /// The worker holding the lease died: its range is leased again later.
  /// False for an unknown or completed lease.
  bool reclaim(std::uint64_t lease_id);

  [[nodiscard]] std::uint64_t points_done() const noexcept { return points_done_; }
  [[nodiscard]] std::uint64_t inside() const noexcept { return inside_; }
  [[nodiscard]] std::uint64_t total_points() const noexcept { return total_points_; }
  [[nodiscard]] std::size_t outstanding() const noexcept { return outstanding_.size(); }
  [[nodiscard]] std::uint64_t ranges_done() const noexcept { return ranges_done_; }
  /// True when the total is known and every point of it is done.
  [[nodiscard]] bool finished() const noexcept { return total_points_ != 0 && points_done_ == total_points_; }

  /// Where the book stands: what was counted and what is left below the
  /// frontier (outstanding and reclaimed ranges). `seed` and `elapsed_seconds`
  /// are left for the caller to fill in.
  [[nodiscard]] resume_point saved() const;
  /// Goes on from `from`: its unfinished ranges are leased first, then new
  /// ones from its frontier. Throws std::invalid_argument if `from` lies beyond
  /// the total. Only on a fresh book.
  void resume(const resume_point& from);

 private:
  std::uint64_t total_points_;
  std::uint64_t lease_points_;
  std::uint64_t next_first_ = 0;
  std::uint64_t next_id_ = 1;
  std::uint64_t points_done_ = 0;
  std::uint64_t inside_ = 0;
  std::uint64_t ranges_done_ = 0;
  std::unordered_map<std::uint64_t, point_range> outstanding_;
  std::deque<point_range> reclaimed_;
};

}  // namespace handoff::livepi
