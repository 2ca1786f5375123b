// handoff::tk::detail::tk_driver: the loop driver behind tk_loop (private).
//
// How a pump is requested (docs/tk.md has the whole argument):
//   - wake() from any thread queues at most one Tcl event (Tcl_ThreadQueueEvent
//     + Tcl_ThreadAlert) at a time: an atomic flag is set by the waker that
//     queues it and cleared by the event's handler, so a flood costs one Tcl
//     event per batch. The event is allocated in advance on the Tk thread, so
//     producers never touch Tcl's allocator.
//   - arm_deadline() keeps one Tcl timer handler, replaced when the deadline
//     changes.
//   - After a pump that leaves work (or after turn_after of pumping), the next
//     pump waits for Tk's turn, and the Tk thread never sleeps during it. An
//     event source's setup proc reads pending X input into Xlib's queue and
//     alerts Tcl's notifier so that its wait returns at once; its check proc,
//     which runs after Tk's (timers, display), queues the wake event again:
//     behind the timer and window events Tk just queued. Every idle_every
//     the turn ends through an idle callback (Tcl_DoWhenIdle) instead, so
//     that Tk's redraws and geometry work (idle callbacks, which Tcl runs only
//     when a pass finds nothing else) run too. Until the turn ends the wake
//     event does not pump; it only records that work waits.
//   - Pumps never nest: a task that runs `update` reaches the handlers again;
//     they then only note that work is waiting.
#pragma once

#include "handoff/loop.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>

struct Tcl_ThreadId_;
struct Tcl_TimerToken_;
struct Tcl_Event;

namespace handoff::tk::detail {

struct wake_event;

class tk_driver final : public loop_driver {
 public:
  /// Binds the driver to the calling thread, which must be the interpreter's.
  tk_driver(std::chrono::nanoseconds turn_after, std::chrono::nanoseconds idle_every);
  ~tk_driver() override;

  /// The loop exists: from now on wakes queue events and pumps run. Loop thread only.
  void start(loop& target);
  /// The X display (a Display*) whose input turns read; nullptr for none, as
  /// once the main window is gone. Loop thread only.
  void set_display(void* display) noexcept { display_ = display; }
  /// No callback of this driver runs after this returns and later wakes do
  /// nothing; queued events, the idle callback and the timer are removed. Loop thread only.
  void shut_down() noexcept;

  void wake() noexcept override;
  void arm_deadline(clock::time_point deadline) noexcept override;

  /// Any thread.
  void request_stop() noexcept;
  /// Loop thread only.
  bool take_stop_request() noexcept;

  /// Tcl events queued by wake() so far. Any thread.
  [[nodiscard]] std::uint64_t wake_events() const noexcept {
    return wake_events_.load(std::memory_order_relaxed);
  }
  /// Pumps run so far. Any thread.
  [[nodiscard]] std::uint64_t pumps() const noexcept { return pumps_.load(std::memory_order_relaxed); }
  /// Times a pump waited for Tk's turn. Any thread.
  [[nodiscard]] std::uint64_t turns() const noexcept { return turns_.load(std::memory_order_relaxed); }

 private:
  static int on_wake_event(Tcl_Event* event, int flags);
  static int is_own_event(Tcl_Event* event, void* driver);
  static void on_setup(void* driver, int flags);
  static void on_check(void* driver, int flags);
  static void on_idle_turn(void* driver);
  static void on_deadline(void* driver);

  void request_pump();
  void do_pump();
  void request_turn(bool with_work);
  void end_turn();

  loop* loop_ = nullptr;
  Tcl_ThreadId_* const owner_;
  const std::chrono::nanoseconds turn_after_;
  const std::chrono::nanoseconds idle_every_;

  // True while a wake event is queued (or before start / after shut_down, so
  // that wakes do nothing). acq_rel: the handler's write of spare_ happens
  // before the next waker reads it.
  std::atomic<bool> event_queued_{true};
  // The event the next waker queues; replaced by the handler of the queued one.
  wake_event* spare_ = nullptr;
  std::atomic<bool> stop_requested_{false};

  std::atomic<std::uint64_t> wake_events_{0};
  std::atomic<std::uint64_t> pumps_{0};
  std::atomic<std::uint64_t> turns_{0};

  // Loop thread only.
  bool in_pump_ = false;               // a pump is running: handlers reached from inside it only take notes
  bool rewake_ = false;                // work was requested while the pump ran
  bool turn_pending_ = false;          // the next pump waits for Tk's turn
  bool work_after_turn_ = false;       // the turn's end must queue the wake event
  bool idle_turn_registered_ = false;  // this turn ends through an idle callback
  bool shut_down_ = false;
  std::chrono::nanoseconds pumped_since_turn_{0};
  std::chrono::steady_clock::time_point last_idle_turn_{};
  Tcl_TimerToken_* timer_ = nullptr;
  void* display_ = nullptr;  // a Display*; void* keeps Xlib out of this header
  clock::time_point armed_ = clock::time_point::max();
};

// Base-from-member: the driver must exist before the loop that refers to it.
struct tk_driver_holder {
  tk_driver_holder(std::chrono::nanoseconds turn_after, std::chrono::nanoseconds idle_every)
      : driver(turn_after, idle_every) {}
  tk_driver driver;
};

}  // namespace handoff::tk::detail
