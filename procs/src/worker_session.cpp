// The session's socket is non-blocking and every wait on it is a poll() that
// also watches an eventfd the destructor makes readable: a thread blocked
// reading, or writing into a full socket, always comes back when the session
// is destroyed, whatever the parent does.
#include "handoff/procs/worker_session.hpp"

#include "handoff/cancellation.hpp"
#include "handoff/errors.hpp"
#include "handoff/procs/os_error.hpp"
#include "handoff/thread_registry.hpp"
#include "launch_environment.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace handoff::procs {

namespace {

constexpr std::size_t read_chunk = std::size_t{64} << 10;

template <class T>
std::optional<T> number_from_environment(const char* name) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): nothing here sets the environment
  if (text == nullptr) return std::nullopt;
  T value{};
  const char* end = text + std::strlen(text);
  const auto [stop, error] = std::from_chars(text, end, value);
  if (error != std::errc{} || stop != end) {
    throw errors::invalid_argument(std::string("worker_session: ") + name + " is not a number: " + text);
  }
  return value;
}

std::size_t checked_capacity(const worker_session_options& options) {
  if (options.inbox_capacity == 0)
    throw errors::invalid_argument("worker_session inbox capacity must be at least 1");
  return options.inbox_capacity;
}

}  // namespace

bool worker_session::launched_by_pool() noexcept {
  return std::getenv(detail::parent_pid_variable) != nullptr;  // NOLINT(concurrency-mt-unsafe): read-only use
}

worker_session::worker_session(worker_session_options options) : inbox_(checked_capacity(options)) {
  const std::optional<pid_t> parent = number_from_environment<pid_t>(detail::parent_pid_variable);
  if (!parent) {
    throw errors::invalid_argument(std::string("worker_session: not spawned by a worker_pool (") +
                                   detail::parent_pid_variable + " is not set)");
  }
  parent_pid_ = *parent;
  worker_id_ = number_from_environment<std::size_t>(detail::worker_id_variable).value_or(0);
  heartbeat_interval_ =
      std::chrono::milliseconds(number_from_environment<long long>(detail::heartbeat_variable).value_or(100));
  if (heartbeat_interval_ <= std::chrono::milliseconds::zero()) {
    throw errors::invalid_argument("worker_session: heartbeat interval must be positive");
  }
  max_payload_ =
      number_from_environment<std::size_t>(detail::max_payload_variable).value_or(default_max_payload);
  if (max_payload_ > largest_payload)
    throw errors::invalid_argument("worker_session: max payload above 4 GiB");

  // Die with the parent. The parent may have died between our spawn and this
  // call, too early for the signal; then we were re-parented, and getppid()
  // tells. Ending by SIGKILL is what the signal would have done.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) throw errors::os_error("prctl(PR_SET_PDEATHSIG)", errno);
  if (::getppid() != parent_pid_) ::kill(::getpid(), SIGKILL);

  struct stat status {};
  if (::fstat(detail::worker_fd, &status) != 0 || !S_ISSOCK(status.st_mode)) {
    throw errors::invalid_argument("worker_session: fd 3 is not the pool's socket");
  }
  socket_ = detail::worker_fd;
  // Close-on-exec: programs this worker runs must not hold the pool's socket
  // open (the pool would never see it close).
  const int fd_flags = ::fcntl(socket_, F_GETFD);
  const int status_flags = ::fcntl(socket_, F_GETFL);
  if (fd_flags < 0 || status_flags < 0 || ::fcntl(socket_, F_SETFD, fd_flags | FD_CLOEXEC) != 0 ||
      ::fcntl(socket_, F_SETFL, status_flags | O_NONBLOCK) != 0) {
    throw errors::os_error("fcntl on the pool's socket", errno);
  }
  closing_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (closing_ < 0) throw errors::os_error("eventfd", errno);
  try {
    reader_ = std::jthread([this](const std::stop_token& stop) { read_loop(stop); });
    if (options.automatic_heartbeats) {
      heartbeat_ = std::jthread([this](const std::stop_token& stop) { heartbeat_loop(stop); });
    }
  } catch (...) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(closing_, &one, sizeof one);
    if (reader_.joinable()) reader_.join();
    ::close(closing_);
    throw;
  }
}

worker_session::~worker_session() {
  const std::uint64_t one = 1;
  // Never read back: it stays readable, so every poll() in both threads returns.
  [[maybe_unused]] const ssize_t n = ::write(closing_, &one, sizeof one);
  reader_.request_stop();
  heartbeat_.request_stop();
  if (reader_.joinable()) reader_.join();
  if (heartbeat_.joinable()) heartbeat_.join();
  inbox_.close();
  ::close(closing_);
  ::close(socket_);
}

std::optional<frame> worker_session::receive(std::stop_token stop) { return inbox_.receive(std::move(stop)); }

bool worker_session::send(message_type type, std::span<const std::byte> payload) {
  if (is_reserved(type)) throw errors::invalid_argument("worker_session::send: reserved message type");
  if (payload.size() > max_payload_) {
    throw errors::invalid_argument("worker_session::send: payload of " + std::to_string(payload.size()) +
                                   " bytes, above the pool's max_payload");
  }
  return write_frame(type, payload);
}

bool worker_session::beat() { return write_frame(heartbeat_type, {}); }

bool worker_session::write_frame(message_type type, std::span<const std::byte> payload) {
  const std::vector<std::byte> bytes = encode_frame(type, payload);
  bool parent_gone = false;
  {
    // One frame at a time, whole: frames from the heartbeat thread and the
    // program's threads must not interleave on the stream.
    std::lock_guard lock(write_mutex_);
    if (broken_) return false;
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(socket_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd fds[2] = {{socket_, POLLOUT, 0}, {closing_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
          broken_ = true;
          break;
        }
        if (fds[1].revents != 0) {
          // Being destroyed: a frame cut here leaves the stream unusable.
          broken_ = true;
          return false;
        }
      } else {
        broken_ = true;
        parent_gone = true;
        break;
      }
    }
    if (!broken_) return true;
  }
  // Outside the lock: stop callbacks run inline and may send.
  if (parent_gone) end();
  return false;
}

void worker_session::end() noexcept {
  ended_.request_stop();
  inbox_.close();
}

void worker_session::read_loop(const std::stop_token& stop) {
  const thread_registration registration("procs-reader");
  frame_decoder decoder(max_payload_);
  std::vector<std::byte> buffer(read_chunk);
  while (!stop.stop_requested()) {
    pollfd fds[2] = {{socket_, POLLIN, 0}, {closing_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) return;
    const ssize_t n = ::recv(socket_, buffer.data(), buffer.size(), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) break;  // end of stream or a broken socket: the parent is gone
    decoder.feed(std::span<const std::byte>(buffer.data(), static_cast<std::size_t>(n)));
    while (std::optional<frame> f = decoder.next()) {
      if (f->type == shutdown_type) {
        end();
        return;
      }
      if (f->type == heartbeat_type) continue;
      if (is_reserved(f->type)) {
        std::fprintf(stderr, "handoff worker: protocol error from the pool: reserved type %u\n",
                     static_cast<unsigned>(f->type));
        end();
        return;
      }
      // Blocks while the inbox is full: the backlog then waits in the pool's send queue.
      if (!inbox_.send(std::move(*f), stop)) return;
    }
    if (decoder.failed()) {
      std::fprintf(stderr, "handoff worker: protocol error from the pool: %.*s\n",
                   static_cast<int>(describe(decoder.error()).size()), describe(decoder.error()).data());
      break;
    }
  }
  end();
}

void worker_session::heartbeat_loop(const std::stop_token& stop) {
  const thread_registration registration("procs-heartbeat");
  // The first beat at once: a worker that is slow to start its work is not silent.
  if (!write_frame(heartbeat_type, {})) return;
  while (sleep_for(stop, heartbeat_interval_)) {
    if (!write_frame(heartbeat_type, {})) return;
  }
}

}  // namespace handoff::procs
