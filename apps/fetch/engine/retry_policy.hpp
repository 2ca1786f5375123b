// fetch's retry policy: which failures are worth another attempt, and how long to wait before it.
//
// Transient (retried while retries remain): connection refused or reset, a
// timeout (connecting, or the low-speed limit), a response cut short, an
// empty reply, HTTP 408, 429 and 5xx. Permanent (failed at once): every other
// 4xx, too many redirects, a host that does not resolve (far more often a typo
// than a passing fault), TLS errors, a local write error, anything unknown.
//
// Backoff: retry k (0 for the first) waits retry_delay * 2^k, capped at 30 s,
// times a jitter factor in [0.5, 1): clients that failed together do not all
// come back at the same instant, and no wait falls below half the plan. A
// server's Retry-After longer than that is honoured, up to 5 minutes.
//
// Threads: pure functions. Any thread.
#pragma once

#include <chrono>
#include <optional>

namespace handoff::fetch {

inline constexpr std::chrono::milliseconds max_retry_delay{30'000};
/// The longest a server's Retry-After is honoured: a longer one is waited this long.
inline constexpr std::chrono::milliseconds max_server_retry_delay{300'000};

/// Whether an HTTP status that ends an attempt is worth retrying (408, 429, 5xx).
bool is_transient_status(long status) noexcept;

/// Whether a libcurl result (a CURLcode's value) is worth retrying.
bool is_transient_curl_error(int code) noexcept;

/// The wait before retry `retry` (0-based) with jitter `jitter` in [0, 1):
/// min(base * 2^retry, 30 s) * (0.5 + jitter / 2).
std::chrono::milliseconds backoff_delay(std::chrono::milliseconds base, unsigned retry,
                                        double jitter) noexcept;

/// The wait before a retry: the backoff, or the server's Retry-After when it
/// asks for longer (a 429 or 503 saying when to come back), at most 5 minutes.
std::chrono::milliseconds retry_delay(std::chrono::milliseconds backoff,
                                      const std::optional<std::chrono::seconds>& server_asked) noexcept;

}  // namespace handoff::fetch
