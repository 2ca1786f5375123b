#include "engine/retry_policy.hpp"

#include <curl/curl.h>

#include <algorithm>

namespace handoff::fetch {

bool is_transient_status(long status) noexcept { return status == 408 || status == 429 || status >= 500; }

bool is_transient_curl_error(int code) noexcept {
  switch (static_cast<CURLcode>(code)) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

std::chrono::milliseconds backoff_delay(std::chrono::milliseconds base, unsigned retry,
                                        double jitter) noexcept {
  // Doubling stops at the cap, so a large retry count cannot overflow.
  std::chrono::milliseconds planned = std::min(base, max_retry_delay);
  for (unsigned i = 0; i < retry && planned < max_retry_delay; ++i)
    planned = std::min(planned * 2, max_retry_delay);
  jitter = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::chrono::milliseconds::rep>(static_cast<double>(planned.count()) * (0.5 + jitter / 2)));
}

std::chrono::milliseconds retry_delay(std::chrono::milliseconds backoff,
                                      const std::optional<std::chrono::seconds>& server_asked) noexcept {
  if (!server_asked) return backoff;
  const std::chrono::milliseconds asked =
      std::min<std::chrono::milliseconds>(*server_asked, max_server_retry_delay);
  return std::max(backoff, asked);
}

}  // namespace handoff::fetch
