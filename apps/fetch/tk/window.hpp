// fetch's window (fetch --gui): paste URLs, download them, watch each one.
//
// The main thread is the Tk thread. One download_manager runs the transfers on
// its own thread; its snapshots (full state, so coalescing loses nothing)
// reach the window through a handoff::latest, at most one per turn of Tk's
// loop. The window never waits on the network: Cancel and Cancel All only ask
// the engine, and the rows change when its next snapshot says so.
#pragma once

#include "engine/fetch_options.hpp"

#include <string>
#include <vector>

namespace handoff::fetch {

/// Runs the window until it is closed (the close button, Ctrl+Q, SIGINT or
/// SIGTERM); `urls` are put into the text box. Returns the exit code: 0, or
/// 128 + the signal. Main thread only.
int run_window(const fetch_options& options, const std::vector<std::string>& urls);

}  // namespace handoff::fetch
