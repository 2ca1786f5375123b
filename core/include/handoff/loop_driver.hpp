// handoff::loop_driver: the seam between a loop and the event loop of a toolkit.
//
// A loop never runs tasks by itself; a host (the headless loop, Tk, Qt) calls
// loop::pump() on the loop thread whenever the driver asks it to. The driver
// has two jobs only:
//   - wake(): from any thread, make the host call pump() soon (for Tk: queue
//     one Tcl event and alert the thread; headless: signal a condition);
//   - arm_deadline(t): from the loop thread, make the host call pump() once
//     at or after `t`, replacing any earlier request (time_point::max() disarms).
//
// The loop calls wake() at most once per batch of posts, so a driver may do a
// system call in it. wake() must never block on the loop thread's progress.
#pragma once

#include "handoff/clock.hpp"

namespace handoff {

class loop_driver {
 public:
  loop_driver() = default;
  loop_driver(const loop_driver&) = delete;
  loop_driver& operator=(const loop_driver&) = delete;
  virtual ~loop_driver() = default;

  /// Ask the host to call pump() soon. Any thread; never blocks.
  virtual void wake() noexcept = 0;

  /// Ask the host to call pump() at or after `deadline`, replacing the previous
  /// request; clock::time_point::max() cancels it. Loop thread only.
  virtual void arm_deadline(clock::time_point deadline) noexcept = 0;
};

}  // namespace handoff
