// handoff::fetch::download_manager: downloads URLs into a directory, a few at a time, on one engine thread.
//
// What it is: add() queues a URL; one engine thread (named "fetch-engine")
// runs a libcurl multi handle carrying up to options.jobs transfers at once
// (the rest wait in the order added), reusing connections between transfers
// to the same server. Each transfer writes NAME.part and renames it into
// place once complete (engine/transfer.hpp); transient failures are retried
// after a backoff (engine/retry_policy.hpp), resuming with Range.
//
// No polling, no sleeps: the engine sleeps in curl_multi_poll() until a
// socket is ready, libcurl's own timer or the nearest retry deadline falls
// due, or a caller wakes it (curl_multi_wakeup) after add, cancel or
// destruction. While bytes move it also wakes every snapshot_interval to
// publish progress (and let rates fall when a transfer stalls).
//
// Snapshots: the sink runs on the engine thread, with the full state, at
// most every snapshot_interval while bytes move, and at once after any state
// change, so after every transfer that finishes there is a snapshot showing
// it finished (a front end coalescing with handoff::latest never misses an
// ending). The sink must not block or throw: hand the snapshot to a loop
// (latest, progress) and return. snapshot() answers any thread with the state
// as of the last publication plus what callers did since (an add, a cancel of
// a waiting transfer): bytes and rates may lag by one interval.
//
// Cancelling: a cancelled transfer is removed from the multi handle and its
// NAME.part is kept (unless empty) for a later resume; its state is cancelled.
// cancel() of a finished transfer does nothing.
//
// Lifetime: the destructor cancels what waits and runs, publishes a last
// snapshot to the sink, and joins the engine thread: no thread is left.
#pragma once

#include "engine/fetch_options.hpp"
#include "engine/transfer_status.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace handoff::fetch {

class download_manager {
 public:
  using snapshot_sink = std::function<void(fetch_snapshot)>;  // called on the engine thread; must not block

  /// Starts the engine thread. Throws std::invalid_argument on bad options
  /// (dir not a writable directory, jobs 0: fetch_options.hpp's validate), and
  /// std::runtime_error if libcurl cannot start. Any thread.
  download_manager(fetch_options options, snapshot_sink sink);
  download_manager(const download_manager&) = delete;
  download_manager& operator=(const download_manager&) = delete;
  /// Cancels what runs, joins the engine thread (no thread left). Any thread but the engine's.
  ~download_manager();

  /// Queues `url` and returns its id (1, 2, 3... in the order of the calls).
  /// Text that is not an http(s) URL becomes a transfer that has failed at
  /// once, with reason "not a URL: ...". Any thread.
  std::uint64_t add(std::string url);

  /// Cancels transfer `id`; nothing if it finished or does not exist. Any thread.
  void cancel(std::uint64_t id);

  /// Cancels every transfer added so far. Any thread.
  void cancel_all();

  /// Every transfer's status and the totals. Any thread.
  [[nodiscard]] fetch_snapshot snapshot() const;

  /// The options in force. Any thread.
  [[nodiscard]] const fetch_options& options() const noexcept;

 private:
  struct shared;  // what callers and the engine thread share (under its mutex), and the multi handle
  class engine;   // the engine thread's own state: running transfers, names, timers

  std::unique_ptr<shared> shared_;
  std::jthread thread_;  // last: starts once everything above exists
};

}  // namespace handoff::fetch
