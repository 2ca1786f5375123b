#include "handoff/clock.hpp"
#include "handoff/manual_clock.hpp"

#include <utility>

namespace handoff {

namespace {
class steady_clock_source final : public clock {
 public:
  [[nodiscard]] time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
};
}  // namespace

const clock& clock::steady() noexcept {
  static const steady_clock_source instance;
  return instance;
}

manual_clock::manual_clock() noexcept
    : since_epoch_(std::chrono::duration_cast<duration>(std::chrono::hours(24 * 365)).count()) {}

clock::time_point manual_clock::now() const noexcept {
  return time_point(duration(since_epoch_.load(std::memory_order_acquire)));
}

void manual_clock::advance(duration step) {
  if (step < duration::zero()) step = duration::zero();
  since_epoch_.fetch_add(step.count(), std::memory_order_acq_rel);
  std::function<void()> listener;
  {
    std::lock_guard lock(listener_mutex_);  // copy out so the listener runs unlocked
    listener = listener_;
  }
  if (listener) listener();
}

void manual_clock::set_listener(std::function<void()> on_advance) {
  std::lock_guard lock(listener_mutex_);
  listener_ = std::move(on_advance);
}

}  // namespace handoff
