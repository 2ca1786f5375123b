// handoff::loop_observer: hooks a diagnostic tool (the stall watchdog) into a loop's pumps.
//
// The loop calls on_pump_begin and on_pump_end on the loop thread around every
// pump. An observer must be cheap and must never call back into the loop.
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
};

}  // namespace handoff
