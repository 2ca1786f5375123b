// livepi's processes backend: workers are processes of a handoff::procs worker_pool.
#pragma once

#include "run_tracker.hpp"

#include <stop_token>

namespace handoff::livepi::detail {

/// Runs the estimation on config.workers worker processes until done or
/// stopped. Coordinator thread only.
void run_processes(const run_config& config, run_tracker& tracker, const std::stop_token& stop);

}  // namespace handoff::livepi::detail
