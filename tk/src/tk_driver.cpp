#include "handoff/tk/detail/tk_driver.hpp"

#include <poll.h>
#include <tcl.h>
#include <tk.h>

#include <cstdio>
#include <exception>
#include <limits>
#include <utility>

namespace handoff::tk::detail {

// A Tcl event that says "the loop has work"; Tcl frees it after the handler returns 1.
struct wake_event {
  Tcl_Event header;  // first, so Tcl's pointer is ours
  tk_driver* driver;
};

namespace {

wake_event* make_wake_event(tk_driver* driver) {
  auto* event = reinterpret_cast<wake_event*>(ckalloc(sizeof(wake_event)));
  event->header.proc = nullptr;  // set when queued
  event->header.nextPtr = nullptr;
  event->driver = driver;
  return event;
}

std::chrono::nanoseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::steady_clock::now() - start;
}

}  // namespace

tk_driver::tk_driver(std::chrono::nanoseconds turn_after, std::chrono::nanoseconds idle_every)
    : owner_(reinterpret_cast<Tcl_ThreadId_*>(Tcl_GetCurrentThread())),
      turn_after_(turn_after),
      idle_every_(idle_every) {}

tk_driver::~tk_driver() { shut_down(); }

void tk_driver::start(loop& target) {
  loop_ = &target;
  spare_ = make_wake_event(this);
  last_idle_turn_ = std::chrono::steady_clock::now();
  // Created after Tk's sources (timers, the display), so its check runs last.
  Tcl_CreateEventSource(&tk_driver::on_setup, &tk_driver::on_check, this);
  // release: a waker that sees false also sees spare_.
  event_queued_.store(false, std::memory_order_release);
}

void tk_driver::shut_down() noexcept {
  if (shut_down_) return;
  shut_down_ = true;
  // From now on wake() finds the flag set and does nothing.
  const bool was_queued = event_queued_.exchange(true, std::memory_order_acq_rel);
  if (loop_ != nullptr) {
    // Our queued event (if any) is spare_; Tcl frees what it deletes.
    Tcl_DeleteEvents(&tk_driver::is_own_event, this);
    if (!was_queued && spare_ != nullptr) ckfree(reinterpret_cast<char*>(spare_));
    spare_ = nullptr;
    Tcl_DeleteEventSource(&tk_driver::on_setup, &tk_driver::on_check, this);
    if (idle_turn_registered_) Tcl_CancelIdleCall(&tk_driver::on_idle_turn, this);
    idle_turn_registered_ = false;
    turn_pending_ = false;
    if (timer_ != nullptr) Tcl_DeleteTimerHandler(reinterpret_cast<Tcl_TimerToken>(timer_));
    timer_ = nullptr;
  }
  loop_ = nullptr;
}

void tk_driver::wake() noexcept {
  // A wake from inside our own pump (a task posted, the pump left work, the
  // loop closed) needs no Tcl event: the pump's end decides when to go on.
  if (reinterpret_cast<Tcl_ThreadId_*>(Tcl_GetCurrentThread()) == owner_ && in_pump_) {
    rewake_ = true;
    return;
  }
  // acquire: pairs with the handler's release, so spare_ is the fresh event.
  if (event_queued_.exchange(true, std::memory_order_acquire)) return;  // one queued event serves the batch
  wake_event* event = spare_;
  event->header.proc = &tk_driver::on_wake_event;
  wake_events_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
  const auto thread = reinterpret_cast<Tcl_ThreadId>(owner_);
  Tcl_ThreadQueueEvent(thread, &event->header, TCL_QUEUE_TAIL);
  Tcl_ThreadAlert(thread);
}

int tk_driver::on_wake_event(Tcl_Event* event, int flags) {
  // Our events count as file events: Tk's own restricted waits (window events
  // only) must not run arbitrary tasks in the middle of a window operation.
  if ((flags & TCL_FILE_EVENTS) == 0) return 0;
  tk_driver* self = reinterpret_cast<wake_event*>(event)->driver;
  self->spare_ = make_wake_event(self);
  // release: the next waker must see the new spare_.
  self->event_queued_.store(false, std::memory_order_release);
  self->request_pump();
  return 1;
}

int tk_driver::is_own_event(Tcl_Event* event, void* driver) {
  return event->proc == &tk_driver::on_wake_event && reinterpret_cast<wake_event*>(event)->driver == driver
             ? 1
             : 0;
}

void tk_driver::request_pump() {
  if (loop_ == nullptr) return;
  if (in_pump_) {
    rewake_ = true;  // reached through `update` inside a task: never nest pumps
    return;
  }
  if (turn_pending_) {
    work_after_turn_ = true;  // Tk's turn first; its end queues the wake event again
    return;
  }
  do_pump();
}

void tk_driver::do_pump() {
  in_pump_ = true;
  rewake_ = false;
  const auto start = std::chrono::steady_clock::now();
  pump_result result;
  try {
    result = loop_->pump();
  } catch (...) {
    // pump() reports task exceptions itself; this would be a bug in handoff,
    // and it must not unwind through Tcl's C frames.
    std::fprintf(stderr, "handoff::tk: loop::pump threw; continuing\n");
  }
  in_pump_ = false;
  pumps_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
  if (loop_ == nullptr) return;                    // shut down from inside a task
  pumped_since_turn_ += since(start);
  const bool more = result.more_ready || rewake_;
  rewake_ = false;
  if (more || pumped_since_turn_ >= turn_after_) request_turn(more);
}

void tk_driver::request_turn(bool with_work) {
  work_after_turn_ = work_after_turn_ || with_work;
  if (turn_pending_) return;
  turn_pending_ = true;
  turns_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
  // Nothing to register: the event source below sees turn_pending_ on Tcl's next pass.
}

void tk_driver::on_setup(void* driver, int flags) {
  auto* self = static_cast<tk_driver*>(driver);
  if (!self->turn_pending_ || self->in_pump_ || (flags & TCL_FILE_EVENTS) == 0) return;
  // Tcl is about to wait for the window system. During a flood the Tk thread
  // must not sleep: a thread that sleeps even a microsecond on a busy machine
  // can wait milliseconds for a core, and a zero-time poll is worse (Tcl's
  // threaded notifier serves it through its helper thread and waits for it).
  // So read the X input here, into Xlib's queue, where Tk's check proc finds
  // it next, and alert our own notifier, which makes Tcl's wait return at once.
  if (self->display_ != nullptr && (flags & TCL_WINDOW_EVENTS) != 0) {
    auto* display = static_cast<Display*>(self->display_);
    pollfd input{ConnectionNumber(display), POLLIN, 0};
    if (poll(&input, 1, 0) > 0) XEventsQueued(display, QueuedAfterReading);
  }
  Tcl_ThreadAlert(reinterpret_cast<Tcl_ThreadId>(self->owner_));
}

void tk_driver::on_check(void* driver, int flags) {
  auto* self = static_cast<tk_driver*>(driver);
  if (!self->turn_pending_ || self->in_pump_ || self->idle_turn_registered_ ||
      (flags & TCL_FILE_EVENTS) == 0) {
    return;
  }
  // Every check proc before ours (timers, the display) has queued what is
  // due, and the notifier has queued window events: the wake event queued now
  // comes after all of them. Idle callbacks (redraws) run only when a pass
  // finds nothing to do, so every idle_every the turn ends through one instead.
  if (std::chrono::steady_clock::now() - self->last_idle_turn_ >= self->idle_every_) {
    self->idle_turn_registered_ = true;
    Tcl_DoWhenIdle(&tk_driver::on_idle_turn, self);
    return;
  }
  self->end_turn();
}

void tk_driver::on_idle_turn(void* driver) {
  auto* self = static_cast<tk_driver*>(driver);
  self->idle_turn_registered_ = false;
  self->last_idle_turn_ = std::chrono::steady_clock::now();
  // Inside a task (`update idletasks`), the turn stays pending: the next pass after the pump ends it.
  if (self->turn_pending_ && !self->in_pump_) self->end_turn();
}

void tk_driver::end_turn() {
  turn_pending_ = false;
  pumped_since_turn_ = std::chrono::nanoseconds::zero();
  // Continue through the wake event rather than pumping here: `update
  // idletasks` (which Tk's own dialogs call) runs idle callbacks only, and
  // must not run a flood of tasks inside itself.
  if (std::exchange(work_after_turn_, false)) wake();
}

void tk_driver::arm_deadline(clock::time_point deadline) noexcept {
  if (shut_down_) return;
  if (deadline == armed_ && (timer_ != nullptr || deadline == clock::time_point::max())) return;
  if (timer_ != nullptr) Tcl_DeleteTimerHandler(reinterpret_cast<Tcl_TimerToken>(timer_));
  timer_ = nullptr;
  armed_ = deadline;
  if (deadline == clock::time_point::max()) return;
  // Tcl timers count whole milliseconds: round up, so the pump never comes early.
  const auto left = deadline - clock::steady().now();
  long long ms = 0;
  if (left > clock::duration::zero()) {
    ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    ms = std::min<long long>(ms, std::numeric_limits<int>::max());
  }
  timer_ = reinterpret_cast<Tcl_TimerToken_*>(
      Tcl_CreateTimerHandler(static_cast<int>(ms), &tk_driver::on_deadline, this));
}

void tk_driver::on_deadline(void* driver) {
  auto* self = static_cast<tk_driver*>(driver);
  self->timer_ = nullptr;
  self->armed_ = clock::time_point::max();
  self->request_pump();
}

void tk_driver::request_stop() noexcept {
  stop_requested_.store(true, std::memory_order_release);  // release: pairs with take_stop_request
  wake();  // so that Tcl_DoOneEvent returns and run() sees the request
}

bool tk_driver::take_stop_request() noexcept {
  return stop_requested_.exchange(false, std::memory_order_acq_rel);
}

}  // namespace handoff::tk::detail
