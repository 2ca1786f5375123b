// fetch's response headers: what one transfer needs from the header lines libcurl hands over.
//
// libcurl passes every header line of every response of a transfer,
// redirects included, each response starting with its status line. A status
// line starts a new response, so what is kept always belongs to the last
// response: the one whose body is written. Only the fields fetch acts on are
// kept: the status, its reason phrase, Content-Length, Content-Range,
// Content-Disposition and Retry-After.
//
// Threads: not synchronized; one transfer's callbacks (the engine thread) own it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handoff::fetch {

/// "bytes FIRST-LAST/TOTAL" (total -1 for "*").
struct content_range {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::int64_t total = -1;
};

/// Parses a Content-Range value; nothing if it is not "bytes A-B/C" or "bytes A-B/*" with A <= B.
std::optional<content_range> parse_content_range(std::string_view value);

/// A Retry-After value: delay-seconds ("120") or an HTTP-date, as a wait from
/// `now` (Unix seconds; a date in the past is no wait); nothing if it is neither.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::int64_t now);

/// "Not Found" for 404 and the other common codes; empty for others. For HTTP/2, which sends no phrase.
std::string_view standard_reason_phrase(long status) noexcept;

class response_headers {
 public:
  /// Takes one header line as libcurl gives it (CRLF included).
  void feed(std::string_view line);

  /// Forgets everything: a new attempt begins.
  void clear();

  [[nodiscard]] long status() const noexcept { return status_; }
  /// "HTTP 404 Not Found" (the standard phrase when the server sent none).
  [[nodiscard]] std::string status_text() const;
  /// -1 when absent or not a number.
  [[nodiscard]] std::int64_t content_length() const noexcept { return content_length_; }
  [[nodiscard]] const std::optional<content_range>& range() const noexcept { return range_; }
  /// The file name of Content-Disposition, unsanitized; empty when none.
  [[nodiscard]] const std::string& disposition_name() const noexcept { return disposition_name_; }
  /// How long the server asked the client to wait before trying again (Retry-After), if it did.
  [[nodiscard]] const std::optional<std::chrono::seconds>& retry_after() const noexcept {
    return retry_after_;
  }
  /// True once the blank line that ends a response's headers arrived.
  [[nodiscard]] bool complete() const noexcept { return complete_; }

 private:
  long status_ = 0;
  std::string reason_;
  std::int64_t content_length_ = -1;
  std::optional<content_range> range_;
  std::string disposition_name_;
  std::optional<std::chrono::seconds> retry_after_;
  bool complete_ = false;
};

}  // namespace handoff::fetch
