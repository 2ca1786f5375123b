#include "lease_book.hpp"

#include "resume_point.hpp"

#include <algorithm>
#include <stdexcept>

namespace handoff::livepi {

lease_book::lease_book(std::uint64_t total_points, std::uint64_t lease_points)
    : total_points_(total_points), lease_points_(lease_points) {
  if (lease_points_ == 0) throw std::invalid_argument("lease size must be positive");
}

std::optional<lease> lease_book::next() {
  point_range range;
  if (!reclaimed_.empty()) {
    range = reclaimed_.front();
    reclaimed_.pop_front();
  } else {
    if (total_points_ != 0 && next_first_ >= total_points_) return std::nullopt;
    range.first = next_first_;
    range.count = total_points_ == 0 ? lease_points_ : std::min(lease_points_, total_points_ - next_first_);
    next_first_ += range.count;
  }
  const lease handed{next_id_++, range};
  outstanding_.emplace(handed.id, range);
  return handed;
}

bool lease_book::complete(std::uint64_t lease_id, std::uint64_t inside) {
  const auto found = outstanding_.find(lease_id);
  if (found == outstanding_.end()) return false;
  points_done_ += found->second.count;
  inside_ += inside;
  ++ranges_done_;
  outstanding_.erase(found);
  return true;
}

bool lease_book::reclaim(std::uint64_t lease_id) {
  const auto found = outstanding_.find(lease_id);
  if (found == outstanding_.end()) return false;
  reclaimed_.push_back(found->second);
  outstanding_.erase(found);
  return true;
}

resume_point lease_book::saved() const {
  resume_point point;
  point.next_first = next_first_;
  point.points = points_done_;
  point.inside = inside_;
  point.ranges_done = ranges_done_;
  point.unfinished.assign(reclaimed_.begin(), reclaimed_.end());
  for (const auto& [id, range] : outstanding_) point.unfinished.push_back(range);
  std::sort(point.unfinished.begin(), point.unfinished.end(),
            [](const point_range& a, const point_range& b) { return a.first < b.first; });
  return point;
}

void lease_book::resume(const resume_point& from) {
  if (next_first_ != 0 || !outstanding_.empty() || !reclaimed_.empty())
    throw std::logic_error("lease_book::resume: only a fresh book can resume");
  std::uint64_t unfinished_points = 0;
  for (const point_range& range : from.unfinished) {
    if (range.count == 0 || range.first + range.count > from.next_first)
      throw std::invalid_argument("resume point: an unfinished range lies beyond its frontier");
    unfinished_points += range.count;
  }
  if (total_points_ != 0 && from.next_first > total_points_)
    throw std::invalid_argument("resume point: it lies beyond the run's total of points");
  if (from.points + unfinished_points != from.next_first)
    throw std::invalid_argument("resume point: counted and unfinished points do not add up to its frontier");
  next_first_ = from.next_first;
  points_done_ = from.points;
  inside_ = from.inside;
  ranges_done_ = from.ranges_done;
  reclaimed_.assign(from.unfinished.begin(), from.unfinished.end());
}

}  // namespace handoff::livepi
