#include "engine/rate_meter.hpp"

namespace handoff::fetch {

double rate_meter::sample(clock::time_point now, std::uint64_t bytes) {
  // A count that went down (a server that ignored Range: the file started over) starts afresh.
  if (!samples_.empty() && bytes < samples_.back().bytes) samples_.clear();
  samples_.push_back({now, bytes});
  // Keep one sample at least a window old, so the rate spans a full window once there is one.
  while (samples_.size() > 2 && now - samples_[1].time >= window_) samples_.pop_front();
  const point& oldest = samples_.front();
  const double seconds = std::chrono::duration<double>(now - oldest.time).count();
  if (seconds <= 0) return 0;
  return static_cast<double>(bytes - oldest.bytes) / seconds;
}

}  // namespace handoff::fetch
