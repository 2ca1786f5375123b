// livepi's coordinator: runs one estimation on its own thread.
//
// It leases point ranges to workers (threads or processes), accepts each
// range's result exactly once, gives a dead worker's range to another, adds
// up the counts, and publishes a snapshot at most every publish_interval (and
// always a last one, in state finished). Front ends hand it a publisher that
// posts into their loop (a handoff::latest), so the coordinator never blocks
// the UI thread and the UI never blocks it.
//
// Backends: threads (one jthread per worker), processes (a handoff::procs
// worker_pool running config.worker_program) and sequential (the coordinator
// thread computes alone: the baseline).
//
// Lifetime: the constructor starts the run; request_stop() ends it early (the
// last snapshot then counts only ranges completed before the stop); the
// destructor requests a stop and joins, so no worker thread or process
// outlives the coordinator.
#pragma once

#include "run_config.hpp"
#include "snapshot.hpp"

#include <functional>
#include <stop_token>
#include <thread>

namespace handoff::livepi {

class coordinator {
 public:
  using publisher = std::function<void(snapshot)>;

  /// Starts the run on a new thread named "livepi-coord". `publish` runs on
  /// that thread. Throws std::invalid_argument for an inconsistent config. Any thread.
  coordinator(run_config config, publisher publish);
  coordinator(const coordinator&) = delete;
  coordinator& operator=(const coordinator&) = delete;
  /// Stops the run and waits for it (bounded by the worker stop deadline). Any thread but the coordinator's.
  ~coordinator();

  /// Asks the run to stop; returns at once. Any thread.
  void request_stop() noexcept;

  /// Blocks until the run has ended and published its last snapshot. Not on a UI thread.
  void join();

 private:
  void run(const std::stop_token& stop);

  run_config config_;
  publisher publish_;
  std::jthread thread_;
};

/// Throws std::invalid_argument naming the first inconsistent setting. Any thread.
void validate(const run_config& config);

}  // namespace handoff::livepi
