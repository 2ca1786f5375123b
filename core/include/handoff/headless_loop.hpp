// handoff::headless_loop: a loop with no toolkit, run on the current thread.
//
// For terminal programs and tests. run() blocks the calling thread, which
// becomes the loop thread (until run() starts, the constructing thread is: a
// loop run on a new thread must be running before other threads invoke() on
// it, or their calls run inline on the constructing thread), and pumps whenever the loop asks: after a post
// that starts a batch, when a timer falls due, or when a pump left work
// behind. Between those it sleeps on a condition variable: an idle loop is
// never woken (wakeups() counts the times it was).
//
// With a manual_clock, timers follow virtual time: advancing the clock wakes
// run(), and a test that drives the loop itself calls run_until_idle().
//
// Shutdown: stop() makes run() return after the current pump and keeps what is
// pending (run() may be called again); close() (from loop) refuses posts and
// discards what is pending; the destructor closes.
#pragma once

#include "handoff/loop.hpp"
#include "handoff/manual_clock.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace handoff {

namespace detail {
class headless_driver final : public loop_driver {
 public:
  void wake() noexcept override;
  void arm_deadline(clock::time_point deadline) noexcept override;

  /// Sleeps until woken, stopped or the armed deadline. With a manual clock
  /// (`real_time` false) time moves only by advance(), which wakes it: it then
  /// sleeps only while the deadline is still ahead of `time`. True if it slept.
  bool wait(const clock& time, bool real_time);
  void request_stop() noexcept;
  bool take_stop_request() noexcept;
  std::uint64_t wakeups() const noexcept;

 private:
  mutable std::mutex mutex_;  // guards the flags and the deadline against wake() from other threads
  std::condition_variable signal_;
  bool woken_ = false;
  bool stop_requested_ = false;
  clock::time_point deadline_ = clock::time_point::max();
  std::uint64_t wakeups_ = 0;
};

// Base-from-member: the driver must exist before the loop that refers to it.
struct headless_driver_holder {
  headless_driver driver;
};
}  // namespace detail

class headless_loop : private detail::headless_driver_holder, public loop {
 public:
  /// A loop on the real steady clock. The constructing thread is the loop thread until run().
  explicit headless_loop(loop_options options = {});
  /// A loop whose timers follow `time_source`, which must outlive it.
  explicit headless_loop(manual_clock& time_source, loop_options options = {});
  ~headless_loop();

  /// Makes the calling thread the loop thread and pumps until stop(). Returns
  /// at once if the loop is closed. Loop thread (the caller becomes it).
  void run();

  /// Makes run() return after its current pump. Any thread.
  void stop() noexcept;

  /// Pumps until no task is ready and no timer is due now; returns how many
  /// tasks and timers ran. Never waits for time to pass. Loop thread only.
  std::size_t run_until_idle();

  /// How many times run() woke up from sleeping. Any thread.
  [[nodiscard]] std::uint64_t wakeups() const noexcept { return driver.wakeups(); }

 private:
  manual_clock* manual_ = nullptr;
};

}  // namespace handoff
