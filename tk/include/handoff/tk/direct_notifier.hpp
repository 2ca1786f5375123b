// handoff::tk::install_direct_notifier: an optional, faster notifier for Tcl.
//
// What it is: a replacement for Tcl's Unix notifier (Tcl_SetNotifier), the
// layer under Tcl_DoOneEvent that waits for files (Tk's X connection) and is
// woken by Tcl_ThreadAlert. Tcl's threaded notifier hands every wait on a file
// to a helper thread: a Tk thread that wakes up, or merely polls, talks to that
// helper through a pipe and a condition variable, and on a busy machine waits
// for it to be scheduled. The direct notifier waits in the calling thread
// itself (ppoll on its files and an eventfd that Tcl_ThreadAlert writes), so a
// post from another thread wakes the Tk thread with one system call, and a
// poll costs one. docs/tk.md has the measurements.
//
// Ordering and threads: it replaces the notifier of every Tcl thread in the
// process, so it must be installed before Tcl starts: first thing in main(),
// before any other Tcl, Tk or handoff::tk call (installing it later would hand
// Tcl's own per-thread state to it and crash). Alerts may come from any thread,
// signal handlers included (an eventfd write). Tcl_SetTimer (for hosts that
// embed Tcl in a foreign event loop) is not supported.
//
// What it does not guarantee: nothing about Tcl's stock notifier features
// beyond files, alerts and timed waits; programs that embed Tcl in another
// event loop should not install it.
//
// Lifetime: installed for the life of the process; each Tcl thread's part is
// created when Tcl initialises that thread's notifier and freed when Tcl
// finalises it.
#pragma once

namespace handoff::tk {

/// Installs the direct notifier for the whole process; true if this call
/// installed it, false if it already was. Call it before anything else touches
/// Tcl. Any thread, once, at start-up.
bool install_direct_notifier() noexcept;

/// True once install_direct_notifier() has run. Any thread.
[[nodiscard]] bool direct_notifier_installed() noexcept;

}  // namespace handoff::tk
