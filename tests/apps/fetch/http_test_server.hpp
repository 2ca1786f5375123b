// fetch's tests' HTTP server: HTTP/1.1 on 127.0.0.1, an ephemeral port, routes for every case.
//
// What it is: an accept thread and one thread per connection, all owned by
// the server object. Connections are kept alive between requests (so a test
// can count them to see libcurl reuse one); every request is logged with its
// Range header. Every wait (reading a request, a slow client, a paused
// response) is a poll() that also watches an eventfd the destructor makes
// readable: the destructor stops and joins every thread promptly.
//
// Routes (N is a size in bytes, NAME the last segment the client will name
// the file after; files are file_content(N), deterministic bytes):
//   /file/N[/NAME]            the file; honours Range (206, 416 past the end)
//   /hold/N[/NAME]            the file, but a response starting below N/2
//                             pauses at byte N/2 until release_holds() (or the
//                             client leaves); wait_for_holds() sees the pauses
//   /slow/N                   announces N bytes, sends one, then nothing
//   /status/CODE              that status with a short error page
//   /flaky/K/N/NAME           500 for the first K requests of NAME, then the file
//   /busy/K/S/N/NAME          503 with Retry-After: S (seconds) for the first K
//                             requests of NAME, then the file
//   /cut/K/N/NAME             the first K responses for NAME announce their
//                             length, send half of it and close; then the file
//   /redirect/K/N/NAME        K redirects (302, relative), then /file/N/NAME
//   /disposition/N[/NAME]     the file with Content-Disposition: attachment;
//                             filename="NAME" (default "../../evil name.txt")
//   /norange/N[/NAME]         the file, always 200: ignores Range
//   /chunked/N[/NAME]         the file in chunked encoding: no length announced
//
// Threads: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace handoff::fetch::testing {

/// Byte `index` of every file the server sends: depends on the position, so
/// a resume at the wrong offset shows.
char file_byte(std::uint64_t index) noexcept;

/// The first `size` bytes of that file.
std::string file_content(std::uint64_t size);

struct request_record {
  std::string path;
  std::string range;                           // the Range header's value; empty when none
  std::size_t connection = 0;                  // 1, 2, ... in the order connections were accepted
  std::chrono::steady_clock::time_point at{};  // when its headers had arrived
};

class http_test_server {
 public:
  /// Listens on 127.0.0.1, an ephemeral port. Throws std::system_error if it cannot.
  http_test_server();
  http_test_server(const http_test_server&) = delete;
  http_test_server& operator=(const http_test_server&) = delete;
  /// Stops every connection and joins every thread.
  ~http_test_server();

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "http://127.0.0.1:PORT" + path.
  [[nodiscard]] std::string url(std::string_view path) const;

  [[nodiscard]] std::size_t connections() const;
  [[nodiscard]] std::vector<request_record> requests() const;
  /// The requests whose path is `path`.
  [[nodiscard]] std::vector<request_record> requests_for(std::string_view path) const;
  /// The most responses under way at once.
  [[nodiscard]] std::size_t max_in_flight() const;

  /// Waits until `count` /hold responses have paused (in all); false on timeout.
  bool wait_for_holds(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Paused /hold responses go on; later ones no longer pause.
  void release_holds();

 private:
  struct request;
  void accept_loop();
  void serve(int fd, std::size_t connection);
  bool respond(int fd, const request& r);
  bool send_file(int fd, std::string_view path_tail, const request& r, const std::string& extra_headers,
                 bool honour_range, bool hold, bool cut);
  bool send_all(int fd, std::string_view data);
  bool send_body(int fd, std::uint64_t from, std::uint64_t to, bool hold, std::uint64_t hold_at);
  bool wait_while_connected(int fd, bool until_release);
  unsigned count(std::string_view key);

  int listen_fd_ = -1;
  int stop_fd_ = -1;     // an eventfd, readable once the server stops
  int release_fd_ = -1;  // an eventfd, readable once holds are released
  std::uint16_t port_ = 0;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  std::size_t connections_ = 0;
  std::vector<request_record> requests_;
  std::map<std::string, unsigned, std::less<>> counters_;
  std::size_t in_flight_ = 0;
  std::size_t max_in_flight_ = 0;
  std::size_t holds_ = 0;
  std::vector<std::thread> connection_threads_;
  std::thread accept_thread_;  // last: starts once everything above exists
};

/// A port on 127.0.0.1 that nothing listens on (bound, then closed): connecting is refused.
std::uint16_t refused_port();

}  // namespace handoff::fetch::testing
