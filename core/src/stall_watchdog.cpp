#include "handoff/stall_watchdog.hpp"

#include "handoff/thread_registry.hpp"

#include <unistd.h>

#include <cstdio>

namespace handoff {

namespace {
void report_to_stderr(std::chrono::nanoseconds stalled_for, std::chrono::nanoseconds threshold) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  std::fprintf(stderr, "handoff: the loop thread has been in one pump for %lld ms (threshold %lld ms)\n",
               static_cast<long long>(duration_cast<milliseconds>(stalled_for).count()),
               static_cast<long long>(duration_cast<milliseconds>(threshold).count()));
  std::fflush(stderr);
  dump_threads(STDERR_FILENO);
}
}  // namespace

stall_watchdog::stall_watchdog(loop& target, std::chrono::nanoseconds threshold, reporter report)
    : target_(target), threshold_(threshold), report_(std::move(report)) {
  target_.expect_loop_thread("stall_watchdog must be created on the loop thread");
  if (threshold_ <= std::chrono::nanoseconds::zero()) {
    throw errors::invalid_argument("stall_watchdog threshold must be positive");
  }
  if (!report_)
    report_ = [threshold](std::chrono::nanoseconds stalled) { report_to_stderr(stalled, threshold); };
  thread_ = std::jthread([this](const std::stop_token& stop) { watch(stop); });
  target_.set_observer(this);
}

stall_watchdog::~stall_watchdog() {
  target_.set_observer(nullptr);
  thread_.request_stop();  // wakes the condition wait through its stop_token
  thread_.join();
}

std::uint64_t stall_watchdog::stalls_reported() const {
  std::lock_guard lock(mutex_);
  return stalls_;
}

void stall_watchdog::on_pump_begin() noexcept {
  {
    std::lock_guard lock(mutex_);  // the watchdog reads the three fields together
    in_pump_ = true;
    ++pump_number_;
    pump_began_ = std::chrono::steady_clock::now();
  }
  pump_started_.notify_one();
}

void stall_watchdog::on_pump_end() noexcept {
  std::lock_guard lock(mutex_);  // no notify: the watchdog only needs to see it at its deadline
  in_pump_ = false;
}

void stall_watchdog::watch(const std::stop_token& stop) {
  const thread_registration registration("handoff-watch");
  std::unique_lock lock(mutex_);  // held except while waiting or reporting
  while (!stop.stop_requested()) {
    if (!pump_started_.wait(lock, stop, [&] { return in_pump_; })) break;
    const std::uint64_t watched = pump_number_;
    const auto deadline = pump_began_ + threshold_;
    const bool moved_on =
        pump_started_.wait_until(lock, stop, deadline, [&] { return !in_pump_ || pump_number_ != watched; });
    if (stop.stop_requested()) break;
    if (!moved_on) {
      const auto stalled_for = std::chrono::steady_clock::now() - pump_began_;
      lock.unlock();  // the report may be slow (stderr); the loop must not wait on it
      report_(stalled_for);
      lock.lock();
      ++stalls_;  // counted once the report is out, so a reader of the count can rely on it
      // One report per stalled pump: wait for this pump to end before watching again.
      pump_started_.wait(lock, stop, [&] { return !in_pump_ || pump_number_ != watched; });
    }
  }
}

}  // namespace handoff
