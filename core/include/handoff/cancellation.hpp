// handoff cancellation: what std::stop_token lacks, nothing more.
//
// What it is: cancellation in handoff is std::stop_source, std::stop_token and
// std::stop_callback. This header adds the two things they lack: a sleep that
// a stop request cuts short (the C++ spelling of Python's Event.wait(timeout)),
// and a one-line way to turn a stop request into errors::cancelled.
//
// Ordering and threads: every function here may be called on any thread. A
// sleep wakes as soon as stop is requested, from any thread, without polling:
// a stop_callback notifies the condition variable the sleeper waits on.
//
// What it does not guarantee: a sleep never ends early without a stop request,
// but it may end later than asked (scheduling). A stop requested at the very
// moment the time runs out may be reported either way. A token with no stop
// state (a default-constructed one) never stops, so the sleep is a plain sleep.
//
// Lifetime and shutdown: nothing here outlives the call; the waits keep no
// state beyond their own stack frame.
#pragma once

#include "handoff/errors.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

namespace handoff {

namespace detail {

/// now() + timeout on steady_clock, clamped to time_point::max() instead of
/// overflowing (a caller may pass duration::max() to mean "no limit") and to
/// now() for a negative timeout.
template <class Rep, class Period>
std::chrono::steady_clock::time_point saturating_deadline(std::chrono::duration<Rep, Period> timeout) {
  using steady = std::chrono::steady_clock;
  const auto now = steady::now();
  if (timeout <= std::chrono::duration<Rep, Period>::zero()) return now;
  // Compared in floating point: converting a huge timeout to nanoseconds would overflow.
  const std::chrono::duration<double> room = steady::time_point::max() - now;
  if (std::chrono::duration<double>(timeout) >= room) return steady::time_point::max();
  return now + std::chrono::ceil<steady::duration>(timeout);
}

}  // namespace detail

/// Sleeps until `deadline` on Clock. True if the deadline passed with no stop
/// requested; false at once if stop was requested before the call or is
/// requested during it. Any thread.
template <class Clock, class Duration>
bool sleep_until(const std::stop_token& stop, const std::chrono::time_point<Clock, Duration>& deadline) {
  if (stop.stop_requested()) return false;
  if (!stop.stop_possible()) {
    std::this_thread::sleep_until(deadline);
    return true;
  }
  std::mutex mutex;
  std::condition_variable_any wakeup;
  // The lock exists only because the wait needs one: nothing else shares this mutex.
  std::unique_lock lock(mutex);
  // The predicate is false throughout: only the deadline or a stop ends the wait.
  wakeup.wait_until(lock, stop, deadline, [] { return false; });
  return !stop.stop_requested();
}

/// Sleeps for `duration`. True if the whole time passed with no stop requested;
/// false at once if stop was requested before the call or is requested during
/// it. A zero or negative duration returns at once (true unless stopped). Any thread.
template <class Rep, class Period>
bool sleep_for(const std::stop_token& stop, std::chrono::duration<Rep, Period> duration) {
  return sleep_until(stop, detail::saturating_deadline(duration));
}

/// Throws errors::cancelled if stop has been requested on `stop`: lets work
/// written as plain code end as cancelled at its own check points. Any thread.
inline void throw_if_stopped(const std::stop_token& stop) {
  if (stop.stop_requested()) throw errors::cancelled();
}

}  // namespace handoff
