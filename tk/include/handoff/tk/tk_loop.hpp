// handoff::tk::tk_loop: a handoff::loop whose host is Tk's event loop.
//
// What it is: the loop of a Tk program. It creates a Tcl interpreter with Tk
// on the calling thread (or attaches to one that exists there), and that
// thread becomes the loop thread: tasks posted from any thread run there,
// inside Tk's event loop, between Tk's own timers, window events and redraws.
// run() is Tk's main loop; tcl() is the safe command layer (interp.hpp).
//
// Ordering and threads: everything loop.hpp promises (post never inline, one
// wake per batch, FIFO per producer, timers in deadline order and never
// early). On top of it, a flood of posts never starves Tk: a pump runs at most
// pump_budget (1 ms by default), and once a pump leaves work behind, or the
// pumps have taken turn_after since Tk last had its turn, the next pump waits
// until Tk has served its due timers and window events, without the Tk thread
// sleeping; every idle_every its idle callbacks (redraws, geometry) run too.
// docs/tk.md explains the scheme and its measured cost. An idle loop costs
// nothing: no polling, no timer unless a post_after is pending. For lower
// wake-up latency, install the direct notifier (direct_notifier.hpp) first
// thing in main().
//
// What it does not guarantee: Tk timers are late by up to one pump (plus the
// host's scheduling), so a 10 ms `after` may tick at ~11 ms under a flood;
// tasks that themselves run long delay Tk just as long. Tcl must have been
// built with threads (Tcl 8.6 is by default).
//
// Lifetime and shutdown: destroying the main window (the user closed it, or
// the close handler destroyed it) closes the loop: later posts are refused
// and what is pending is destroyed unrun, so nothing runs against destroyed
// widgets. on_close() lets the program decide what the window manager's close
// button does (stop background work under a deadline, then destroy the
// window). The destructor (loop thread) closes the loop, removes every
// callback the loop gave Tcl, and, for an interpreter it created, destroys
// the main window and deletes the interpreter. Every thread that posts must
// have returned from its last post() before the destructor starts.
#pragma once

#include "handoff/loop.hpp"
#include "handoff/tk/detail/tk_driver.hpp"
#include "handoff/tk/interp.hpp"

#include <chrono>
#include <cstdint>
#include <functional>

struct Tcl_Interp;

namespace handoff::tk {

namespace detail {
struct tk_loop_events;  // tk_loop.cpp: the Tk event handler on the main window
}

struct tk_loop_options {
  /// How long one pump may run tasks before Tk gets its turn. Tk's timers are
  /// invisible to the loop, so this bounds how late they run under a flood.
  std::chrono::nanoseconds pump_budget = std::chrono::milliseconds(1);
  /// Pumping time after which Tk gets a turn (its queued events, timers and
  /// window events) before the next pump, even if every pump emptied its batch.
  std::chrono::nanoseconds turn_after = std::chrono::microseconds(250);
  /// Under a flood, how often a turn also lets Tk run its idle callbacks
  /// (redraws, geometry management): the longest a redraw waits.
  std::chrono::nanoseconds idle_every = std::chrono::milliseconds(4);
  /// Passed to Tcl_FindExecutable the first time a tk_loop creates an
  /// interpreter in this process (nullptr: unknown). Ignored when attaching.
  const char* program_name = nullptr;
};

class tk_loop : private detail::tk_driver_holder, public loop {
 public:
  /// Creates an interpreter on the calling thread, which becomes the loop
  /// thread, and loads Tcl and Tk into it (Tcl_CreateInterp, Tcl_Init,
  /// Tk_Init). Throws tcl_error when Tk cannot start (no display, say).
  explicit tk_loop(tk_loop_options options = {});

  /// Attaches to `existing`, an interpreter of the calling thread (Tk is
  /// loaded into it if it is not yet). The interpreter stays the caller's: the
  /// destructor leaves it and its windows alone. Throws tcl_error when Tk
  /// cannot be loaded.
  explicit tk_loop(Tcl_Interp* existing, tk_loop_options options = {});

  tk_loop(const tk_loop&) = delete;
  tk_loop& operator=(const tk_loop&) = delete;
  /// Loop thread only.
  ~tk_loop();

  /// The safe command layer for this interpreter. Loop thread only.
  [[nodiscard]] const interp& tcl() const noexcept { return tcl_; }

  /// Runs Tk's event loop until the main window is destroyed or stop() is
  /// called. A stop() that came before run() makes it return at once. Loop thread only.
  void run();

  /// Runs Tk's event loop until done() holds (checked after every event Tk
  /// served, each pump included), `timeout` passes or the main window is
  /// gone; returns done(). Loop thread only.
  bool run_until(const std::function<bool()>& done, std::chrono::nanoseconds timeout);

  /// Makes run() return after the event Tk is serving. Any thread.
  void stop() noexcept;

  /// Sets what the window manager's close button (WM_DELETE_WINDOW) does:
  /// `handler` runs on the loop thread; it may stop background work under a
  /// deadline and then call destroy_main_window(). An empty handler restores
  /// Tk's default (destroy the window at once). Exceptions from the handler
  /// are reported like any callback's. Loop thread only.
  void on_close(std::function<void()> handler);

  /// Destroys the main window (and so every widget, and closes the loop).
  /// Nothing if it is already gone. Loop thread only.
  void destroy_main_window();

  /// True until the main window is destroyed. Loop thread only.
  [[nodiscard]] bool has_main_window() const noexcept { return main_window_ != nullptr; }

  /// Debug builds: aborts with a message unless called on the interpreter's
  /// thread; put it at the top of code that touches widgets. Release: nothing. Any thread.
  void assert_tk_thread(const char* what) const noexcept { tcl_.assert_owner_thread(what); }

  /// Tcl events queued to wake the loop so far (at most one per batch). Any thread.
  [[nodiscard]] std::uint64_t wake_events() const noexcept { return driver.wake_events(); }
  /// Pumps run so far. Any thread.
  [[nodiscard]] std::uint64_t pumps() const noexcept { return driver.pumps(); }
  /// Pumps that waited for Tk's turn so far. Any thread.
  [[nodiscard]] std::uint64_t turns() const noexcept { return driver.turns(); }

 private:
  friend struct detail::tk_loop_events;
  tk_loop(Tcl_Interp* interp, bool owned, const tk_loop_options& options);
  void main_window_destroyed() noexcept;

  Tcl_Interp* raw_;
  bool owned_;
  interp tcl_;
  void* main_window_ = nullptr;  // the Tk_Window of "."; nullptr once destroyed
  obj close_command_;
};

}  // namespace handoff::tk
