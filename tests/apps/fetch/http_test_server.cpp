#include "http_test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <optional>
#include <system_error>

namespace handoff::fetch::testing {

namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const std::size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash);
  }
  return parts;
}

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view reason_of(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 302:
      return "Found";
    case 404:
      return "Not Found";
    case 416:
      return "Range Not Satisfiable";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Whatever";
  }
}

std::string status_line(int code) {
  return "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason_of(code)) + "\r\n";
}

// "bytes=A-" or "bytes=A-B".
struct byte_range {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;
};

std::optional<byte_range> parse_range(std::string_view value) {
  if (!value.starts_with("bytes=")) return std::nullopt;
  value.remove_prefix(6);
  const std::size_t dash = value.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto first = number(value.substr(0, dash));
  if (!first) return std::nullopt;
  byte_range range{*first, std::nullopt};
  if (dash + 1 < value.size()) range.last = number(value.substr(dash + 1));
  return range;
}

}  // namespace

char file_byte(std::uint64_t index) noexcept {
  return static_cast<char>(((index ^ (index >> 8) ^ (index >> 16)) * 131 + 7) & 0xFF);
}

std::string file_content(std::uint64_t size) {
  std::string content(size, '\0');
  for (std::uint64_t i = 0; i < size; ++i) content[i] = file_byte(i);
  return content;
}

struct http_test_server::request {
  std::string path;
  std::string range;
  bool close = false;  // Connection: close
};

http_test_server::http_test_server() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(listen_fd_);
    throw_errno("listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  stop_fd_ = eventfd(0, EFD_CLOEXEC);
  release_fd_ = eventfd(0, EFD_CLOEXEC);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

http_test_server::~http_test_server() {
  const std::uint64_t one = 1;
  // Never read: the eventfd stays readable, so every poll on it returns from now on.
  if (write(stop_fd_, &one, sizeof one) < 0) std::terminate();
  accept_thread_.join();
  std::vector<std::thread> threads;
  {
    const std::lock_guard lock(mutex_);  // the accept thread has ended: no new connection thread
    threads.swap(connection_threads_);
  }
  for (std::thread& t : threads) t.join();
  close(listen_fd_);
  close(stop_fd_);
  close(release_fd_);
}

std::string http_test_server::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::size_t http_test_server::connections() const {
  const std::lock_guard lock(mutex_);
  return connections_;
}

std::vector<request_record> http_test_server::requests() const {
  const std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<request_record> http_test_server::requests_for(std::string_view path) const {
  std::vector<request_record> matching;
  for (request_record& r : requests()) {
    if (r.path == path) matching.push_back(std::move(r));
  }
  return matching;
}

std::size_t http_test_server::max_in_flight() const {
  const std::lock_guard lock(mutex_);
  return max_in_flight_;
}

bool http_test_server::wait_for_holds(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return holds_ >= count; });
}

void http_test_server::release_holds() {
  const std::uint64_t one = 1;
  if (write(release_fd_, &one, sizeof one) < 0) std::terminate();
}

unsigned http_test_server::count(std::string_view key) {
  const std::lock_guard lock(mutex_);
  auto it = counters_.find(key);
  if (it == counters_.end()) it = counters_.emplace(std::string(key), 0).first;
  return it->second++;
}

void http_test_server::accept_loop() {
  std::array<pollfd, 2> fds{pollfd{listen_fd_, POLLIN, 0}, pollfd{stop_fd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Headers and body go out in separate writes: without this, Nagle holds the body back
    // until the client's delayed ACK, some 40 ms a response.
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::lock_guard lock(mutex_);  // the count and the thread list
    const std::size_t connection = ++connections_;
    connection_threads_.emplace_back([this, fd, connection] { serve(fd, connection); });
  }
}

void http_test_server::serve(int fd, std::size_t connection) {
  std::string buffer;
  for (;;) {
    std::size_t end = 0;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      std::array<pollfd, 2> fds{pollfd{fd, POLLIN, 0}, pollfd{stop_fd_, POLLIN, 0}};
      if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
        close(fd);
        return;
      }
      if (fds[1].revents != 0) {
        close(fd);
        return;
      }
      if (fds[0].revents == 0) continue;
      std::array<char, 4096> chunk;
      const ssize_t n = read(fd, chunk.data(), chunk.size());
      if (n <= 0) {
        close(fd);  // the client closed the connection (or reset it)
        return;
      }
      buffer.append(chunk.data(), static_cast<std::size_t>(n));
    }
    const std::string head = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    request r;
    std::size_t line_end = head.find("\r\n");
    const std::string first = head.substr(0, line_end);
    const std::size_t space = first.find(' ');
    r.path = first.substr(space + 1, first.find(' ', space + 1) - space - 1);
    while (line_end != std::string::npos) {
      const std::size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(line_end + 2, next - line_end - 2);
      line_end = next;
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      const std::size_t start = line.find_first_not_of(' ', colon + 1);
      const std::string value = start == std::string::npos ? std::string() : line.substr(start);
      if (name == "range") r.range = value;
      if (name == "connection" && value == "close") r.close = true;
    }
    {
      const std::lock_guard lock(mutex_);  // the log and the in-flight count
      requests_.push_back({r.path, r.range, connection, std::chrono::steady_clock::now()});
      max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    }
    const bool keep_alive = respond(fd, r);
    {
      const std::lock_guard lock(mutex_);
      --in_flight_;
    }
    if (!keep_alive || r.close) break;
  }
  close(fd);
}

bool http_test_server::respond(int fd, const request& r) {
  const std::vector<std::string_view> parts = split_path(r.path);
  const std::string_view route = parts.empty() ? std::string_view() : parts[0];
  const auto tail = [&](std::size_t from) {
    std::string joined;
    for (std::size_t i = from; i < parts.size(); ++i) {
      joined += '/';
      joined += parts[i];
    }
    return joined;
  };
  const auto simple = [&](int code, const std::string& extra_headers, const std::string& body) {
    return send_all(fd, status_line(code) + extra_headers + "Content-Length: " + std::to_string(body.size()) +
                            "\r\n\r\n" + body);
  };
  if (route == "file") return send_file(fd, tail(1), r, {}, true, false, false);
  if (route == "hold") return send_file(fd, tail(1), r, {}, true, true, false);
  if (route == "norange") return send_file(fd, tail(1), r, {}, false, false, false);
  if (route == "chunked") {
    const auto size = parts.size() > 1 ? number(parts[1]) : std::nullopt;
    if (!size) return simple(404, {}, "no size\n");
    if (!send_all(fd, status_line(200) + "Transfer-Encoding: chunked\r\n\r\n")) return false;
    const std::string content = file_content(*size);
    for (std::size_t at = 0; at < content.size(); at += 1000) {
      const std::string piece = content.substr(at, 1000);
      char length[32];
      std::snprintf(length, sizeof length, "%zx\r\n", piece.size());
      if (!send_all(fd, length + piece + "\r\n")) return false;
    }
    return send_all(fd, "0\r\n\r\n");
  }
  if (route == "disposition") {
    const std::string name = parts.size() > 2 ? std::string(parts[2]) : "../../evil name.txt";
    return send_file(fd, tail(1), r, "Content-Disposition: attachment; filename=\"" + name + "\"\r\n", true,
                     false, false);
  }
  if (route == "status" && parts.size() > 1) {
    const int code = static_cast<int>(number(parts[1]).value_or(500));
    return simple(code, {}, "error " + std::to_string(code) + "\n");
  }
  if ((route == "flaky" || route == "cut") && parts.size() > 3) {
    const auto times = number(parts[1]);
    const unsigned seen = count(std::string(route) + "/" + std::string(parts[3]));
    const bool misbehave = times && seen < *times;
    if (route == "flaky") {
      if (misbehave) return simple(500, {}, "try again\n");
      return send_file(fd, tail(2), r, {}, true, false, false);
    }
    return send_file(fd, tail(2), r, {}, true, false, misbehave);
  }
  if (route == "busy" && parts.size() > 4) {
    const auto times = number(parts[1]);
    if (times && count("busy/" + std::string(parts[4])) < *times) {
      return simple(503, "Retry-After: " + std::string(parts[2]) + "\r\n", "busy, come back later\n");
    }
    return send_file(fd, tail(3), r, {}, true, false, false);
  }
  if (route == "redirect" && parts.size() > 1) {
    const auto hops = number(parts[1]);
    if (!hops) return simple(404, {}, "no count\n");
    const std::string location =
        *hops <= 1 ? "/file" + tail(2) : "/redirect/" + std::to_string(*hops - 1) + tail(2);
    return simple(302, "Location: " + location + "\r\n", "moved\n");
  }
  if (route == "slow" && parts.size() > 1) {
    const std::uint64_t size = number(parts[1]).value_or(1000);
    if (!send_all(fd, status_line(200) + "Content-Length: " + std::to_string(size) + "\r\n\r\n"))
      return false;
    wait_while_connected(fd, false);
    return false;
  }
  return simple(404, {}, "no such route\n");
}

// The file of the path's first segment's size, honouring Range when asked; a
// hold pauses at half the file, a cut sends half of the body and closes.
bool http_test_server::send_file(int fd, std::string_view path_tail, const request& r,
                                 const std::string& extra_headers, bool honour_range, bool hold, bool cut) {
  const std::vector<std::string_view> parts = split_path(path_tail);
  const auto size = parts.empty() ? std::nullopt : number(parts[0]);
  if (!size) return send_all(fd, status_line(404) + "Content-Length: 8\r\n\r\nno size\n");
  std::uint64_t from = 0;
  std::uint64_t to = *size;  // one past the last byte
  std::string head;
  const auto range = honour_range && !r.range.empty() ? parse_range(r.range) : std::nullopt;
  if (range) {
    if (range->first >= *size) {
      return send_all(fd, status_line(416) + "Content-Range: bytes */" + std::to_string(*size) +
                              "\r\nContent-Length: 0\r\n\r\n");
    }
    from = range->first;
    if (range->last) to = std::min(*range->last + 1, *size);
    head = status_line(206) + "Content-Range: bytes " + std::to_string(from) + "-" + std::to_string(to - 1) +
           "/" + std::to_string(*size) + "\r\n";
  } else {
    head = status_line(200);
  }
  head += extra_headers + "Content-Length: " + std::to_string(to - from) + "\r\n\r\n";
  if (!send_all(fd, head)) return false;
  if (cut) {
    send_body(fd, from, from + (to - from) / 2, false, 0);
    return false;  // closes the connection with the rest unsent
  }
  return send_body(fd, from, to, hold && from < *size / 2, *size / 2);
}

bool http_test_server::send_body(int fd, std::uint64_t from, std::uint64_t to, bool hold,
                                 std::uint64_t hold_at) {
  std::string chunk;
  for (std::uint64_t at = from; at < to;) {
    if (hold && at == hold_at) {
      {
        const std::lock_guard lock(mutex_);
        ++holds_;
      }
      changed_.notify_all();
      if (!wait_while_connected(fd, true)) return false;
      hold = false;
    }
    std::uint64_t end = std::min(to, at + 65536);
    if (hold && at < hold_at) end = std::min(end, hold_at);
    chunk.resize(end - at);
    for (std::uint64_t i = at; i < end; ++i) chunk[i - at] = file_byte(i);
    if (!send_all(fd, chunk)) return false;
    at = end;
  }
  return true;
}

// Waits until the client leaves or the server stops (false), or, with
// `until_release`, until the holds are released (true).
bool http_test_server::wait_while_connected(int fd, bool until_release) {
  for (;;) {
    std::array<pollfd, 3> fds{pollfd{fd, POLLRDHUP, 0}, pollfd{stop_fd_, POLLIN, 0},
                              pollfd{until_release ? release_fd_ : -1, POLLIN, 0}};
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[0].revents != 0 || fds[1].revents != 0) return false;
    if (fds[2].revents != 0) return true;
  }
}

bool http_test_server::send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    // A full socket buffer: wait for room, the client leaving, or the stop.
    std::array<pollfd, 2> fds{pollfd{fd, POLLOUT, 0}, pollfd{stop_fd_, POLLIN, 0}};
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return false;
    if (fds[1].revents != 0) return false;
    if ((fds[0].revents & (POLLERR | POLLHUP)) != 0) return false;
  }
  return true;
}

std::uint16_t refused_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw_errno("bind on 127.0.0.1");
  }
  close(fd);  // bound, never listened on, closed: a connection to it is refused
  return ntohs(address.sin_port);
}

}  // namespace handoff::fetch::testing
