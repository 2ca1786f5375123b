#include "lease_book.hpp"

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

}  // namespace handoff::livepi
