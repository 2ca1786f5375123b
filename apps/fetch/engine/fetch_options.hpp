// fetch's options: how many transfers at once, where files go, and the
// timeouts, redirect and retry limits every transfer follows.
//
// Threads: a plain value; the download manager keeps its own copy.
#pragma once

#include <chrono>
#include <filesystem>

namespace handoff::fetch {

struct fetch_options {
  unsigned jobs = 4;  // concurrent transfers
  std::filesystem::path dir = ".";
  bool force = false;  // overwrite existing files
  std::chrono::milliseconds connect_timeout{10'000};
  long low_speed_limit = 1;                 // bytes per second ...
  std::chrono::seconds low_speed_time{30};  // ... for this long = timed out
  long max_redirects = 10;
  unsigned retries = 3;  // retries after the first attempt, for transient failures
  std::chrono::milliseconds retry_delay{
      500};  // first backoff; doubles each retry (with jitter), capped at 30 s
  std::chrono::milliseconds snapshot_interval{
      100};  // sink called at most this often (plus at once on every state change)
};

/// Throws std::invalid_argument naming the first bad option: jobs 0, dir not
/// a writable directory, a negative time or limit. Any thread.
void validate(const fetch_options& options);

}  // namespace handoff::fetch
