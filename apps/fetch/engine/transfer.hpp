// fetch's transfer: one URL's download, driven by the engine thread.
//
// What it is: a libcurl easy handle with its callbacks, the NAME.part file it
// writes, and the decision each attempt ends with. The download manager's
// engine adds the handle to its multi handle for each attempt and calls
// end_attempt() when libcurl reports it done; the verdict says what next:
//   done     the file is complete (size checked against Content-Length or
//            Content-Range) and renamed from NAME.part to its final name;
//   retry    a transient failure (reason() says which); the engine retries
//            it after a backoff, or fails it when no retry is left;
//   restart  the .part cannot be resumed (416 to a Range request, a server
//            resuming at another byte, a .part on disk that turned out to be
//            another download's): start again from byte 0 at once;
//   failed   a permanent failure (reason()).
//
// Files: the name is decided when the first successful (2xx) response's body
// begins (Content-Disposition, else the URL: engine/file_name.hpp) and
// reserved in the name book; bytes go to NAME.part at the offset the response
// starts from. An error response's body is never written anywhere. A retry
// resumes with "Range: bytes=N-" from the .part's size; a server that answers
// 200 instead of 206 has the .part truncated and rewritten. A transfer whose
// URL names a NAME.part already on disk (an earlier run's, cancelled or
// failed) resumes it from the first attempt.
//
// Threads: not synchronized; engine thread only. Lifetime: remove the handle
// from the multi handle before destroying the transfer.
#pragma once

#include "engine/fetch_options.hpp"
#include "engine/name_book.hpp"
#include "engine/rate_meter.hpp"
#include "engine/response_headers.hpp"
#include "engine/transfer_status.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace handoff::fetch {

class transfer {
 public:
  enum class verdict { done, retry, restart, failed };

  /// Sets up the handle; finds a NAME.part of an earlier run to resume. A
  /// handle that cannot be made shows as handle() == nullptr.
  transfer(std::uint64_t id, std::string url, const fetch_options& options, name_book& names);
  transfer(const transfer&) = delete;
  transfer& operator=(const transfer&) = delete;
  ~transfer();

  [[nodiscard]] CURL* handle() const noexcept { return handle_; }
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

  /// Prepares the next attempt (the Range to ask for) and counts it.
  void begin_attempt();

  /// Decides how the attempt that libcurl ended with `result` went; for done,
  /// the file is in place.
  verdict end_attempt(CURLcode result);

  /// Closes the .part (kept for a resume, unless empty).
  void stop();

  /// This transfer's fields of a transfer_status (id, url, file, bytes, total, reason, part, attempts).
  void fill(transfer_status& status) const;

  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
  /// The wait the last response asked for (Retry-After), if it did.
  [[nodiscard]] const std::optional<std::chrono::seconds>& server_retry_after() const noexcept {
    return headers_.retry_after();
  }
  [[nodiscard]] unsigned attempts() const noexcept { return attempts_; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return offset_; }

  // The engine's bookkeeping for this transfer.
  transfer_state state = transfer_state::downloading;
  unsigned retries_used = 0;
  std::chrono::steady_clock::time_point retry_at{};
  rate_meter meter;
  double rate = 0;

 private:
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) noexcept;
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) noexcept;
  bool begin_body();
  bool open_part();
  void close_part();
  void forget_empty_part();
  verdict finish_file();
  verdict fail(std::string why);
  verdict retry(std::string why);
  verdict restart_from_zero();
  std::string describe(CURLcode result) const;

  const std::uint64_t id_;
  const std::string url_;
  const fetch_options& options_;
  name_book& names_;
  CURL* handle_ = nullptr;
  char error_[CURL_ERROR_SIZE] = {};

  // The file: the chosen name (before numbering), the reserved one, the .part.
  std::string base_name_;
  std::string name_;              // empty until reserved
  bool named_by_resume_ = false;  // reserved from an earlier run's .part, before any response confirmed it
  std::filesystem::path file_;
  std::filesystem::path part_;  // set while the .part exists
  int fd_ = -1;
  std::uint64_t offset_ = 0;  // bytes in the .part: where the next byte goes
  std::int64_t total_ = -1;

  // The attempt.
  unsigned attempts_ = 0;
  std::uint64_t requested_from_ = 0;  // the Range start asked for; 0 for none
  response_headers headers_;
  bool body_started_ = false;
  bool discard_ = false;  // an error response: its body is read and dropped
  bool restart_ = false;  // begin_body found the .part unusable
  std::string fatal_;     // begin_body's permanent failure (a write error, a nonsensical 206)
  std::string reason_;
};

}  // namespace handoff::fetch
