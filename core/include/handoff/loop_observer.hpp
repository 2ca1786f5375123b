// handoff::loop_observer: hooks a diagnostic tool (the stall watchdog) into a loop's pumps.
//
// The loop calls on_pump_begin and on_pump_end on the loop thread around every
// pump, and on_deadline_chosen near its end. An observer must be cheap and must
// never call back into the loop (a test's observer may, to stage an interleaving).
#pragma once

#include "handoff/clock.hpp"

namespace handoff {

class loop_observer {
 public:
  loop_observer() = default;
  loop_observer(const loop_observer&) = delete;
  loop_observer& operator=(const loop_observer&) = delete;
  virtual ~loop_observer() = default;

  /// A pump starts. Loop thread only.
  virtual void on_pump_begin() noexcept = 0;
  /// The pump that began last has returned. Loop thread only.
  virtual void on_pump_end() noexcept = 0;
  /// The pump has chosen the deadline it is about to arm (time_point::max()
  /// for none): the last step before the driver is told. Tests use it to run
  /// another thread's post_after at exactly this moment. Loop thread only.
  virtual void on_deadline_chosen(clock::time_point /*deadline*/) noexcept {}
};

}  // namespace handoff
