// livepi's worker process: what `livepi __worker` runs for the processes backend.
#pragma once

namespace handoff::livepi {

/// Serves leases from the parent over fd 3 until told to stop or the parent
/// goes away; returns the process exit code.
int worker_main();

}  // namespace handoff::livepi
