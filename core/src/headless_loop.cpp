#include "handoff/headless_loop.hpp"

#include "handoff/thread_registry.hpp"

namespace handoff {

namespace detail {

void headless_driver::wake() noexcept {
  {
    std::lock_guard lock(mutex_);  // the flag and the sleeper's check are one step
    woken_ = true;
  }
  signal_.notify_one();
}

void headless_driver::arm_deadline(clock::time_point deadline) noexcept {
  std::lock_guard lock(mutex_);  // only the loop thread arms; the lock orders it with wait()
  deadline_ = deadline;
}

bool headless_driver::wait(const clock& time, bool real_time) {
  std::unique_lock lock(mutex_);
  // A manual clock's advance() wakes under this lock, so reading it here
  // cannot miss one: either this read sees the new time, or the wake comes after.
  const bool due_now = !real_time && deadline_ <= time.now();
  if (woken_ || stop_requested_ || due_now) {
    woken_ = false;
    return false;
  }
  if (real_time && deadline_ != clock::time_point::max()) {
    signal_.wait_until(lock, deadline_, [&] { return woken_ || stop_requested_; });
  } else {
    signal_.wait(lock, [&] { return woken_ || stop_requested_; });
  }
  woken_ = false;
  ++wakeups_;
  return true;
}

void headless_driver::request_stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  signal_.notify_one();
}

bool headless_driver::take_stop_request() noexcept {
  std::lock_guard lock(mutex_);
  const bool requested = stop_requested_;
  stop_requested_ = false;
  return requested;
}

std::uint64_t headless_driver::wakeups() const noexcept {
  std::lock_guard lock(mutex_);
  return wakeups_;
}

}  // namespace detail

headless_loop::headless_loop(loop_options options) : loop(driver, options) {}

headless_loop::headless_loop(manual_clock& time_source, loop_options options)
    : loop(driver,
           [&] {
             options.time_source = &time_source;
             return options;
           }()),
      manual_(&time_source) {
  manual_->set_listener([this] { driver.wake(); });
}

headless_loop::~headless_loop() {
  if (manual_ != nullptr) manual_->set_listener({});
}

void headless_loop::run() {
  bind_to_current_thread();
  const thread_registration registration("handoff-loop", /*set_os_name=*/false);
  const bool real_time = manual_ == nullptr;
  for (;;) {
    if (driver.take_stop_request() || closed()) break;
    pump();
    const thread_activity waiting("waiting for work");
    driver.wait(time_source(), real_time);
  }
  if (closed()) discard_pending();
}

void headless_loop::stop() noexcept { driver.request_stop(); }

std::size_t headless_loop::run_until_idle() {
  std::size_t ran = 0;
  for (;;) {
    const pump_result result = pump();
    ran += result.tasks_run + result.timers_run;
    if (closed()) break;
    if (!result.more_ready && next_deadline() > time_source().now()) break;
  }
  return ran;
}

}  // namespace handoff
