// fetch's transfer status and snapshot: everything a front end shows, as values.
//
// The download manager publishes a fetch_snapshot (every transfer's status
// plus the totals) to its sink; front ends read snapshots and nothing else.
// A snapshot is the full state, never a delta, so a front end that coalesces
// snapshots (handoff::latest, handoff::progress) loses nothing but
// intermediate progress: the last snapshot it sees is always complete.
//
// Threads: plain values; copy them freely between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace handoff::fetch {

/// waiting: added, not started (all job slots busy). downloading: an attempt
/// is under way. retrying: an attempt failed transiently and the next one is
/// scheduled (the transfer keeps its job slot). done, failed, cancelled: final.
enum class transfer_state { waiting, downloading, retrying, done, failed, cancelled };

/// "waiting", "downloading", "retrying", "done", "failed", "cancelled". Any thread.
std::string_view to_string(transfer_state state) noexcept;

struct transfer_status {
  std::uint64_t id = 0;        // 1, 2, 3... in the order add() was called
  std::string url;             // as given
  std::filesystem::path file;  // the final file's path once the name is known; empty before
  transfer_state state = transfer_state::waiting;
  std::uint64_t bytes = 0;  // bytes of the file so far (resumed bytes included)
  std::int64_t total = -1;  // expected size, -1 while unknown
  double rate = 0;          // bytes per second over the last second or so
  unsigned attempts = 0;    // attempts started so far
  // failed / retrying: why, one line ("HTTP 404 Not Found", "connection refused", "timed out: less
  // than 1 byte/s for 30 s", "cut short: 500 of 1000 bytes", "not a URL: ..."); empty otherwise
  std::string reason;
  std::filesystem::path part;  // the NAME.part file while it holds bytes of this transfer (kept after
                               // a failure or a cancel, for a later resume); empty otherwise

  /// done, failed or cancelled. Any thread.
  [[nodiscard]] bool finished() const noexcept;
};

struct fetch_snapshot {
  std::vector<transfer_status> transfers;  // every transfer added so far, by id
  std::uint64_t bytes = 0;                 // sum of bytes
  double rate = 0;                         // sum of rates
  // active = downloading + retrying
  std::size_t waiting = 0, active = 0, done = 0, failed = 0, cancelled = 0;

  /// Every transfer finished (true when there is none). Any thread.
  [[nodiscard]] bool idle() const noexcept;
};

/// Fills a snapshot's totals from its transfers. Any thread.
void count_totals(fetch_snapshot& snapshot) noexcept;

}  // namespace handoff::fetch
