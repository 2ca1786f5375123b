// livepi's resume point: where a stopped run stood, so that a later run can go
// on from there.
//
// The count is a pure function of (seed, points), and the lease book knows
// exactly which ranges were done; a run that starts from a resume point
// leases only what is left (the unfinished ranges first, then new ones from
// next_first), so stopping and resuming gives the count an uninterrupted run
// gives, bit for bit, with any number of workers and either backend.
#pragma once

#include "lease_book.hpp"

#include <cstdint>
#include <vector>

namespace handoff::livepi {

struct resume_point {
  std::uint64_t seed = 0;
  std::uint64_t next_first = 0;  // every point below this was leased
  std::uint64_t points = 0;      // points counted (all below next_first, less the unfinished)
  std::uint64_t inside = 0;      // inside the circle, of those
  std::uint64_t ranges_done = 0;
  std::vector<point_range> unfinished;  // leased below next_first but never counted, by first point
  double elapsed_seconds = 0;           // time spent so far, over every run that led here
};

}  // namespace handoff::livepi
