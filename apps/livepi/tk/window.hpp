// livepi's window (livepi --gui): the estimate, its controls, the workers and
// a convergence plot, in Tk through handoff::tk.
//
// The main thread is the Tk thread. Each Start creates a coordinator whose
// snapshots reach the window through a handoff::progress (at most about 30
// redraws a second); the window never waits on workers.
#pragma once

#include "term/arguments.hpp"

namespace handoff::livepi {

/// Runs the window until it is closed (Ctrl+Q, the close button, or the end
/// of --duration); returns the exit code. Main thread only.
int run_window(command_line& options);

}  // namespace handoff::livepi
