// fetch's rate meter: bytes per second over the last second or so.
//
// Why not bytes / elapsed: a transfer that stalls must show its rate falling
// to zero within a second, and one that resumed must not count the bytes it
// found on disk. The meter keeps the samples of the last window (one per
// snapshot, so a handful) and divides the bytes between the oldest of them
// and now by the time between.
//
// Threads: not synchronized; the engine thread owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace handoff::fetch {

class rate_meter {
 public:
  using clock = std::chrono::steady_clock;

  explicit rate_meter(clock::duration window = std::chrono::seconds(1)) : window_(window) {}

  /// Records `bytes` (a running count) at `now` and returns the rate over
  /// the window before it, in bytes per second (0 for the first sample).
  double sample(clock::time_point now, std::uint64_t bytes);

  /// Forgets the samples: a new attempt starts counting afresh.
  void reset() { samples_.clear(); }

 private:
  struct point {
    clock::time_point time;
    std::uint64_t bytes;
  };
  clock::duration window_;
  std::deque<point> samples_;
};

}  // namespace handoff::fetch
