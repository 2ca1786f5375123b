// The pool is a poll() loop over, per worker, its socket and its pidfd, plus
// one eventfd for wake(). A pidfd (Linux >= 5.3) turns "this child ended"
// into a readable descriptor, so no SIGCHLD handler is needed and no other
// child of the process is ever reaped by mistake: waitid(P_PIDFD) reaps
// exactly ours. Everything the handler must see goes through one queue of
// events, delivered after the pool's own state is up to date: a handler may
// call send() or throw without leaving the pool half-changed.
#include "handoff/procs/worker_pool.hpp"

#include "handoff/errors.hpp"
#include "handoff/procs/os_error.hpp"
#include "launch_environment.hpp"
#include "unique_fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

// glibc 2.36 declares these without extern "C" (fixed in 2.37); the extra
// linkage block is harmless once it does.
extern "C" {
#include <sys/pidfd.h>
}

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <variant>

extern char** environ;

namespace handoff::procs {

void worker_handler::on_started(std::size_t, pid_t) {}
void worker_handler::on_restarted(std::size_t worker, pid_t pid, unsigned) { on_started(worker, pid); }
void worker_handler::on_message(std::size_t, message_type, std::span<const std::byte>) {}
void worker_handler::on_exited(std::size_t, pid_t, const exit_info&) {}
void worker_handler::on_spawn_failed(std::size_t, std::error_code) {}

namespace {

using steady = std::chrono::steady_clock;
using detail::unique_fd;

// How much one poll round reads from one worker: a flooding worker cannot keep
// the owner from its other workers, its timers and wake().
constexpr std::size_t read_limit_per_round = std::size_t{1} << 20;
constexpr std::size_t read_chunk = std::size_t{64} << 10;
// Written bytes are dropped from the front of a send queue once they are at
// least this many and half of it: each byte moves at most once.
constexpr std::size_t send_compact_threshold = std::size_t{64} << 10;
// After the deadline, how long stop() still waits for SIGKILLed workers to end.
constexpr std::chrono::seconds kill_grace{2};

struct started_event {
  pid_t pid;
  unsigned restarts;  // 0 for a slot's first process
};
struct message_event {
  message_type type;
  std::vector<std::byte> payload;
};
struct exited_event {
  pid_t pid;
  exit_info how;
};
struct spawn_failed_event {
  std::error_code error;
};
struct event {
  std::size_t worker;
  std::variant<started_event, message_event, exited_event, spawn_failed_event> what;
};

enum class kill_cause { none, hung, protocol_error };

struct slot {
  pid_t pid = 0;  // 0 while the slot has no unreaped process
  unique_fd pidfd;
  unique_fd socket;
  bool reading = false;  // the worker has not closed its end yet
  bool writing = false;  // writes have not failed yet
  frame_decoder decoder;
  std::vector<std::byte> out;  // frames queued for the worker; out[out_sent..] not yet written
  std::size_t out_sent = 0;
  steady::time_point started_at{};
  steady::time_point last_heard{};
  kill_cause cause = kill_cause::none;
  std::string cause_text;
  bool sent_term = false;
  bool sent_kill = false;
  std::size_t discarded_tail = 0;  // bytes of an unfinished frame left when the worker closed its socket
  unsigned restarts = 0;
  unsigned quick_deaths = 0;  // in a row, for the backoff
  bool did_work = false;      // sent an application message: it did not die "at once"
  std::optional<steady::time_point> restart_at;

  [[nodiscard]] std::size_t pending() const noexcept { return out.size() - out_sent; }
};

// Marks the pool as used by the calling thread for the length of a call. The
// check catches two threads driving the pool at once, and a handler calling
// back into start, run_once or stop (send is allowed: `reentry_allowed`).
class owner_scope {
 public:
  owner_scope(std::atomic<std::thread::id>& inside, bool reentry_allowed, const char* call)
      : inside_(inside) {
    const std::thread::id me = std::this_thread::get_id();
    std::thread::id expected{};
    // acquire: pairs with the release below, so a pool handed from one thread
    // to another is seen whole by the second.
    if (inside_.compare_exchange_strong(expected, me, std::memory_order_acquire, std::memory_order_relaxed)) {
      owner_ = true;
      return;
    }
    if (expected == me && reentry_allowed) return;
    throw errors::wrong_thread(std::string("worker_pool::") + call +
                               (expected == me ? " from inside a worker_pool handler"
                                               : " while another thread is inside the worker_pool"));
  }
  owner_scope(const owner_scope&) = delete;
  owner_scope& operator=(const owner_scope&) = delete;
  ~owner_scope() {
    // release: publishes this call's changes to the next thread that enters.
    if (owner_) inside_.store(std::thread::id{}, std::memory_order_release);
  }

 private:
  std::atomic<std::thread::id>& inside_;
  bool owner_ = false;
};

long long to_ms(steady::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string describe_signal(int signal) {
  std::string text = "signal " + std::to_string(signal);
  // sigdescr_np, unlike strsignal, is thread-safe (glibc >= 2.32).
  if (const char* description = sigdescr_np(signal)) text += std::string(" (") + description + ")";
  return text;
}

std::chrono::milliseconds backoff(const worker_pool_options& options, unsigned quick_deaths) {
  if (quick_deaths <= 1) return std::chrono::milliseconds::zero();
  auto delay = options.restart_delay;
  for (unsigned i = 2; i < quick_deaths && delay < options.max_restart_delay; ++i) delay *= 2;
  return std::min(delay, options.max_restart_delay);
}

std::string_view variable_name(std::string_view entry) { return entry.substr(0, entry.find('=')); }

void validate(const worker_pool_options& o) {
  using errors::invalid_argument;
  if (o.program.empty()) throw invalid_argument("worker_pool needs a program");
  if (o.workers == 0) throw invalid_argument("worker_pool needs at least one worker");
  if (o.heartbeat_interval <= std::chrono::milliseconds::zero()) {
    throw invalid_argument("worker_pool heartbeat interval must be positive");
  }
  if (o.heartbeat_timeout <= o.heartbeat_interval) {
    throw invalid_argument("worker_pool heartbeat timeout must be longer than the interval");
  }
  if (o.max_payload > largest_payload) throw invalid_argument("worker_pool max_payload above 4 GiB");
  if (o.max_send_buffer < frame_header_size + o.max_payload) {
    throw invalid_argument("worker_pool max_send_buffer must hold at least one frame of max_payload");
  }
  if (o.stable_after < std::chrono::milliseconds::zero() ||
      o.restart_delay < std::chrono::milliseconds::zero() || o.max_restart_delay < o.restart_delay ||
      o.destructor_stop < std::chrono::milliseconds::zero()) {
    throw invalid_argument("worker_pool restart delays and stop deadline must be ordered and not negative");
  }
  for (const std::string& entry : o.environment) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      throw invalid_argument("worker_pool environment entry without NAME=: " + entry);
    }
  }
}

// posix_spawn's attribute objects, destroyed on every path.
struct spawn_actions {
  posix_spawn_file_actions_t value;
  spawn_actions() { posix_spawn_file_actions_init(&value); }
  spawn_actions(const spawn_actions&) = delete;
  spawn_actions& operator=(const spawn_actions&) = delete;
  ~spawn_actions() { posix_spawn_file_actions_destroy(&value); }
};
struct spawn_attributes {
  posix_spawnattr_t value;
  spawn_attributes() { posix_spawnattr_init(&value); }
  spawn_attributes(const spawn_attributes&) = delete;
  spawn_attributes& operator=(const spawn_attributes&) = delete;
  ~spawn_attributes() { posix_spawnattr_destroy(&value); }
};

struct spawn_failure {
  int error = 0;
  const char* call = "";
};

}  // namespace

struct worker_pool::state {
  explicit state(worker_pool_options o) : options(std::move(o)) {
    validate(options);
    slots.resize(options.workers);
    for (slot& s : slots) s.decoder = frame_decoder(options.max_payload);
    wake_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_fd) throw errors::os_error("eventfd", errno);
    read_buffer.resize(read_chunk);
  }

  worker_pool_options options;
  std::vector<slot> slots;
  unique_fd wake_fd;
  std::deque<event> events;
  bool is_started = false;
  bool stopping = false;
  std::atomic<std::thread::id> inside{};
  std::vector<std::byte> read_buffer;
  std::vector<pollfd> poll_set;
  std::vector<std::size_t> poll_owner;  // the slot of each poll_set entry (npos: the wake eventfd)

  static constexpr std::size_t wake_owner = static_cast<std::size_t>(-1);

  // ---- spawning ----

  std::vector<std::string> child_environment(std::size_t index) const {
    std::vector<std::string> ours{
        std::string(detail::parent_pid_variable) + "=" + std::to_string(::getpid()),
        std::string(detail::worker_id_variable) + "=" + std::to_string(index),
        std::string(detail::heartbeat_variable) + "=" + std::to_string(options.heartbeat_interval.count()),
        std::string(detail::max_payload_variable) + "=" + std::to_string(options.max_payload),
    };
    std::unordered_set<std::string_view> replaced;
    for (const std::string& entry : ours) replaced.insert(variable_name(entry));
    for (const std::string& entry : options.environment) replaced.insert(variable_name(entry));
    std::vector<std::string> result;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      if (!replaced.contains(variable_name(*entry))) result.emplace_back(*entry);
    }
    for (const std::string& entry : options.environment) {
      if (!std::ranges::any_of(
              ours, [&](const std::string& o) { return variable_name(o) == variable_name(entry); })) {
        result.push_back(entry);
      }
    }
    result.insert(result.end(), ours.begin(), ours.end());
    return result;
  }

  spawn_failure spawn(std::size_t index) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return {errno, "socketpair"};
    unique_fd parent_end(pair[0]);
    unique_fd child_end(pair[1]);
    // dup2 of a descriptor onto its own number would leave its close-on-exec
    // flag set, and closefrom(4) would close it: keep the child's end above 3.
    if (child_end.get() <= detail::worker_fd) {
      const int moved = ::fcntl(child_end.get(), F_DUPFD_CLOEXEC, detail::worker_fd + 1);
      if (moved < 0) return {errno, "fcntl(F_DUPFD_CLOEXEC)"};
      child_end.reset(moved);
    }
    const int flags = ::fcntl(parent_end.get(), F_GETFL);
    if (flags < 0 || ::fcntl(parent_end.get(), F_SETFL, flags | O_NONBLOCK) != 0)
      return {errno, "fcntl(O_NONBLOCK)"};

    spawn_actions actions;
    if (options.stdin_from_dev_null) {
      if (const int rc = posix_spawn_file_actions_addopen(&actions.value, 0, "/dev/null", O_RDONLY, 0)) {
        return {rc, "posix_spawn_file_actions_addopen"};
      }
    }
    if (const int rc = posix_spawn_file_actions_adddup2(&actions.value, child_end.get(), detail::worker_fd)) {
      return {rc, "posix_spawn_file_actions_adddup2"};
    }
    // Closes every descriptor above the socket in the child, those opened
    // without O_CLOEXEC (by us, a toolkit, a library) included.
    if (const int rc = posix_spawn_file_actions_addclosefrom_np(&actions.value, detail::worker_fd + 1)) {
      return {rc, "posix_spawn_file_actions_addclosefrom_np"};
    }

    spawn_attributes attributes;
    sigset_t no_signals;
    sigemptyset(&no_signals);
    sigset_t all_signals;
    sigfillset(&all_signals);
    short spawn_flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (options.own_process_group) spawn_flags |= POSIX_SPAWN_SETPGROUP;
    // A parent that blocks or ignores signals (for sigwait, or SIGPIPE) must
    // not pass that on: the worker must die of the SIGTERM the pool sends.
    posix_spawnattr_setsigmask(&attributes.value, &no_signals);
    posix_spawnattr_setsigdefault(&attributes.value, &all_signals);
    posix_spawnattr_setpgroup(&attributes.value, 0);
    posix_spawnattr_setflags(&attributes.value, spawn_flags);

    std::vector<std::string> arguments;
    arguments.reserve(options.arguments.size() + 1);
    arguments.push_back(options.program);
    arguments.insert(arguments.end(), options.arguments.begin(), options.arguments.end());
    std::vector<char*> argv;
    argv.reserve(arguments.size() + 1);
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    std::vector<std::string> environment = child_environment(index);
    std::vector<char*> envp;
    envp.reserve(environment.size() + 1);
    for (std::string& entry : environment) envp.push_back(entry.data());
    envp.push_back(nullptr);

    pid_t pid = 0;
    if (const int rc = ::posix_spawn(&pid, options.program.c_str(), &actions.value, &attributes.value,
                                     argv.data(), envp.data())) {
      return {rc, "posix_spawn"};
    }
    child_end.reset();
    unique_fd pidfd(::pidfd_open(pid, 0));
    if (!pidfd) {
      const int error = errno;
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      return {error, "pidfd_open"};
    }

    slot& s = slots[index];
    const auto now = steady::now();
    s.pid = pid;
    s.pidfd = std::move(pidfd);
    s.socket = std::move(parent_end);
    s.reading = true;
    s.writing = true;
    s.decoder.reset();
    s.out.clear();
    s.out_sent = 0;
    s.started_at = now;
    s.did_work = false;
    s.last_heard = now;
    s.cause = kill_cause::none;
    s.cause_text.clear();
    s.sent_term = false;
    s.sent_kill = false;
    s.discarded_tail = 0;
    s.restart_at.reset();
    return {};
  }

  // Kills and reaps without reporting: for a start() that failed half way.
  void discard_all() {
    for (slot& s : slots) {
      if (s.pid == 0) continue;
      ::pidfd_send_signal(s.pidfd.get(), SIGKILL, nullptr, 0);
      siginfo_t info{};
      while (::waitid(P_PIDFD, static_cast<id_t>(s.pidfd.get()), &info, WEXITED) < 0 && errno == EINTR) {
      }
      s.pid = 0;
      s.pidfd.reset();
      s.socket.reset();
    }
  }

  void restart_due(steady::time_point now) {
    if (stopping || !is_started) return;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      slot& s = slots[i];
      if (s.pid != 0 || !s.restart_at || *s.restart_at > now) continue;
      s.restart_at.reset();
      const spawn_failure failure = spawn(i);
      if (failure.error != 0) {
        ++s.quick_deaths;
        s.restart_at = now + std::max(options.restart_delay, backoff(options, s.quick_deaths));
        events.push_back({i, spawn_failed_event{std::error_code(failure.error, std::system_category())}});
      } else {
        ++s.restarts;
        events.push_back({i, started_event{s.pid, s.restarts}});
      }
    }
  }

  // ---- signals ----

  void signal(slot& s, int number) {
    // A pidfd names this very process even if its pid were reused: no race with reaping.
    ::pidfd_send_signal(s.pidfd.get(), number, nullptr, 0);
    if (number == SIGKILL) s.sent_kill = true;
    if (number == SIGTERM) s.sent_term = true;
  }

  void kill_for(slot& s, kill_cause cause, std::string text) {
    if (s.cause != kill_cause::none) return;
    s.cause = cause;
    s.cause_text = std::move(text);
    signal(s, SIGKILL);
  }

  void protocol_error(slot& s, std::string_view what) {
    kill_for(s, kill_cause::protocol_error, "protocol error: " + std::string(what));
    // Nothing after a malformed frame can be trusted: stop reading and writing.
    s.reading = false;
    s.writing = false;
    s.out.clear();
    s.out_sent = 0;
    s.socket.reset();
  }

  void check_heartbeats(steady::time_point now) {
    if (stopping) return;
    for (slot& s : slots) {
      if (s.pid == 0 || s.cause != kill_cause::none) continue;
      const auto silent = now - s.last_heard;
      if (silent >= options.heartbeat_timeout) {
        kill_for(s, kill_cause::hung,
                 "hung: silent for " + std::to_string(to_ms(silent)) + " ms (timeout " +
                     std::to_string(options.heartbeat_timeout.count()) + " ms)");
      }
    }
  }

  // ---- the socket ----

  void take_frames(std::size_t index) {
    slot& s = slots[index];
    bool heard = false;
    while (std::optional<frame> f = s.decoder.next()) {
      heard = true;
      if (f->type == heartbeat_type) continue;
      if (is_reserved(f->type)) {
        protocol_error(s, "reserved message type " + std::to_string(f->type) + " from a worker");
        return;
      }
      s.did_work = true;
      events.push_back({index, message_event{f->type, std::move(f->payload)}});
    }
    if (heard) s.last_heard = steady::now();
    if (s.decoder.failed()) protocol_error(s, describe(s.decoder.error()));
  }

  void read_socket(std::size_t index, std::size_t limit) {
    slot& s = slots[index];
    std::size_t total = 0;
    while (s.reading && total < limit) {
      const ssize_t n = ::recv(s.socket.get(), read_buffer.data(), read_buffer.size(), 0);
      if (n > 0) {
        total += static_cast<std::size_t>(n);
        s.decoder.feed(std::span<const std::byte>(read_buffer.data(), static_cast<std::size_t>(n)));
        take_frames(index);
      } else if (n == 0) {
        // The worker closed its end: it is exiting. An unfinished frame is
        // noted, not treated as a protocol error: a crash in the middle of a
        // write is reported as the crash it is.
        s.reading = false;
        s.discarded_tail = s.decoder.buffered();
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else {
        s.reading = false;
        s.writing = false;
      }
    }
  }

  void flush(slot& s) {
    while (s.writing && s.pending() > 0) {
      const ssize_t n = ::send(s.socket.get(), s.out.data() + s.out_sent, s.pending(), MSG_NOSIGNAL);
      if (n > 0) {
        s.out_sent += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        // The worker's end is gone: what is queued can never be read.
        s.writing = false;
      }
    }
    if (!s.writing || s.pending() == 0) {
      s.out.clear();
      s.out_sent = 0;
    } else if (s.out_sent >= send_compact_threshold && s.out_sent * 2 >= s.out.size()) {
      s.out.erase(s.out.begin(), s.out.begin() + static_cast<std::ptrdiff_t>(s.out_sent));
      s.out_sent = 0;
    }
  }

  bool enqueue(std::size_t index, message_type type, std::span<const std::byte> payload, bool bounded) {
    slot& s = slots[index];
    if (s.pid == 0 || !s.socket || !s.writing || s.cause != kill_cause::none) return false;
    if (bounded && s.pending() + frame_header_size + payload.size() > options.max_send_buffer) return false;
    append_frame(s.out, type, payload);
    flush(s);
    return true;
  }

  // ---- reaping ----

  void reap(std::size_t index) {
    slot& s = slots[index];
    // Frames it wrote before it died still count: read them all first.
    if (s.reading) read_socket(index, static_cast<std::size_t>(-1));
    siginfo_t info{};
    int rc = 0;
    do {
      rc = ::waitid(P_PIDFD, static_cast<id_t>(s.pidfd.get()), &info, WEXITED | WNOHANG);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0 && info.si_pid == 0) return;  // not ended after all: poll again

    exit_info how;
    how.during_stop = stopping;
    if (rc < 0) {
      how.reason = exit_reason::exited;
      how.text =
          "ended; its exit status was collected elsewhere (SIGCHLD ignored, or waited for by someone else)";
    } else if (info.si_code == CLD_EXITED) {
      how.reason = exit_reason::exited;
      how.code = info.si_status;
      how.text = "exited with code " + std::to_string(info.si_status);
    } else {
      how.reason = exit_reason::signaled;
      how.signal = info.si_status;
      how.text = "killed by " + describe_signal(info.si_status);
      if (info.si_code == CLD_DUMPED) how.text += " (core dumped)";
    }
    if (s.cause != kill_cause::none) {
      how.reason = s.cause == kill_cause::hung ? exit_reason::hung : exit_reason::protocol_error;
      how.text = s.cause_text + "; " + how.text;
    } else if (how.during_stop && how.signal != 0 && (s.sent_term || s.sent_kill)) {
      how.text += " (stop escalated)";
    }
    if (s.discarded_tail > 0) {
      how.text += "; " + std::to_string(s.discarded_tail) + " bytes of an unfinished frame discarded";
    }
    const pid_t pid = s.pid;
    const auto now = steady::now();
    s.pid = 0;
    s.pidfd.reset();
    s.socket.reset();
    s.reading = false;
    s.writing = false;
    s.out.clear();
    s.out_sent = 0;
    s.decoder.reset();
    // A worker that delivered work was useful however short its life (a crash
    // injected per work unit); only one that died before doing anything backs off.
    if (now - s.started_at < options.stable_after && !s.did_work) {
      ++s.quick_deaths;
    } else {
      s.quick_deaths = 0;
    }
    if (!stopping && is_started && options.restart) s.restart_at = now + backoff(options, s.quick_deaths);
    events.push_back({index, exited_event{pid, std::move(how)}});
  }

  // ---- the poll round ----

  // Waits until `until` for any descriptor, then handles what is ready.
  // Returns true if wake() was seen (only when `watch_wake`).
  bool poll_round(steady::time_point until, bool watch_wake) {
    poll_set.clear();
    poll_owner.clear();
    if (watch_wake) {
      poll_set.push_back({wake_fd.get(), POLLIN, 0});
      poll_owner.push_back(wake_owner);
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
      slot& s = slots[i];
      if (s.pid == 0) continue;
      short wanted = 0;
      if (s.socket && s.reading) wanted |= POLLIN;
      if (s.socket && s.writing && s.pending() > 0) wanted |= POLLOUT;
      if (wanted != 0) {
        poll_set.push_back({s.socket.get(), wanted, 0});
        poll_owner.push_back(i);
      }
      poll_set.push_back({s.pidfd.get(), POLLIN, 0});
      poll_owner.push_back(i);
    }
    int timeout = -1;
    if (until != steady::time_point::max()) {
      const auto left = until - steady::now();
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      timeout = static_cast<int>(std::clamp<long long>(ms, 0, INT_MAX));
    }
    const int ready = ::poll(poll_set.data(), poll_set.size(), timeout);
    if (ready < 0) {
      if (errno == EINTR) return false;
      throw errors::os_error("poll", errno);
    }
    bool woken = false;
    for (std::size_t k = 0; k < poll_set.size() && ready > 0; ++k) {
      const pollfd& entry = poll_set[k];
      if (entry.revents == 0) continue;
      const std::size_t owner = poll_owner[k];
      if (owner == wake_owner) {
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t n = ::read(wake_fd.get(), &count, sizeof count);
        woken = true;
        continue;
      }
      slot& s = slots[owner];
      if (s.pid == 0) continue;
      if (entry.fd == s.pidfd.get()) {
        reap(owner);
      } else if (s.socket && entry.fd == s.socket.get()) {
        if ((entry.revents & (POLLIN | POLLHUP | POLLERR)) != 0 && s.reading)
          read_socket(owner, read_limit_per_round);
        if ((entry.revents & (POLLOUT | POLLHUP | POLLERR)) != 0 && s.socket && s.writing) flush(s);
      }
    }
    return woken;
  }

  steady::time_point next_timer(steady::time_point deadline) const {
    steady::time_point next = deadline;
    for (const slot& s : slots) {
      if (s.pid != 0 && s.cause == kill_cause::none && !stopping)
        next = std::min(next, s.last_heard + options.heartbeat_timeout);
      if (s.restart_at) next = std::min(next, *s.restart_at);
    }
    return next;
  }

  void deliver(worker_handler* handler) {
    while (!events.empty()) {
      event e = std::move(events.front());
      events.pop_front();
      if (handler == nullptr) continue;
      if (auto* started = std::get_if<started_event>(&e.what)) {
        if (started->restarts == 0) {
          handler->on_started(e.worker, started->pid);
        } else {
          handler->on_restarted(e.worker, started->pid, started->restarts);
        }
      } else if (auto* message = std::get_if<message_event>(&e.what)) {
        handler->on_message(e.worker, message->type, message->payload);
      } else if (auto* exited = std::get_if<exited_event>(&e.what)) {
        handler->on_exited(e.worker, exited->pid, exited->how);
      } else if (auto* failed = std::get_if<spawn_failed_event>(&e.what)) {
        handler->on_spawn_failed(e.worker, failed->error);
      }
    }
  }

  [[nodiscard]] std::size_t running() const noexcept {
    return static_cast<std::size_t>(std::ranges::count_if(slots, [](const slot& s) { return s.pid != 0; }));
  }

  bool stop(steady::time_point deadline, worker_handler* handler) {
    deliver(handler);
    stopping = true;
    for (slot& s : slots) s.restart_at.reset();
    const auto begin = steady::now();
    const auto budget = std::max(deadline - begin, steady::duration::zero());
    const auto term_at = begin + budget / 2;
    const auto kill_at = begin + budget * 4 / 5;
    const auto give_up = deadline + kill_grace;
    for (std::size_t i = 0; i < slots.size(); ++i) enqueue(i, shutdown_type, {}, false);

    while (running() > 0) {
      const auto now = steady::now();
      for (slot& s : slots) {
        if (s.pid == 0) continue;
        if (now >= kill_at && !s.sent_kill) {
          signal(s, SIGKILL);
        } else if (now >= term_at && !s.sent_term && !s.sent_kill) {
          signal(s, SIGTERM);
        }
      }
      if (now >= give_up) break;
      const auto next = now < term_at ? term_at : now < kill_at ? kill_at : give_up;
      poll_round(next, false);
      deliver(handler);
    }
    const bool all_reaped = running() == 0;
    if (all_reaped) {
      is_started = false;
      stopping = false;
    }
    return all_reaped;
  }
};

worker_pool::worker_pool(worker_pool_options options) : state_(std::make_unique<state>(std::move(options))) {}

worker_pool::~worker_pool() {
  if (!state_->is_started && state_->running() == 0) return;
  try {
    const owner_scope scope(state_->inside, false, "~worker_pool");
    state_->stop(std::chrono::steady_clock::now() + state_->options.destructor_stop, nullptr);
  } catch (...) {
    // A destructor must not throw; what could fail here (poll) leaves nothing more to do.
  }
}

void worker_pool::start() {
  const owner_scope scope(state_->inside, false, "start");
  if (state_->is_started) throw errors::invalid_argument("worker_pool::start: already started");
  state_->stopping = false;
  for (std::size_t i = 0; i < state_->slots.size(); ++i) {
    slot& s = state_->slots[i];
    s.restarts = 0;
    s.quick_deaths = 0;
    s.restart_at.reset();
    const spawn_failure failure = state_->spawn(i);
    if (failure.error != 0) {
      state_->discard_all();
      state_->events.clear();
      throw errors::os_error(std::string(failure.call) + " " + state_->options.program, failure.error);
    }
    state_->events.push_back({i, started_event{s.pid, 0}});
  }
  state_->is_started = true;
}

run_result worker_pool::run_once(time_point deadline, worker_handler& handler) {
  const owner_scope scope(state_->inside, false, "run_once");
  state& st = *state_;
  bool woken = false;
  while (st.events.empty()) {
    st.restart_due(steady::now());
    if (!st.events.empty()) break;
    woken = st.poll_round(st.next_timer(deadline), true);
    // Heartbeats are judged after the reads: a worker whose frames were
    // waiting in the socket while the owner was busy is not silent.
    st.check_heartbeats(steady::now());
    if (woken || !st.events.empty()) break;
    if (steady::now() >= deadline) return run_result::timed_out;
  }
  const bool any = !st.events.empty();
  try {
    st.deliver(&handler);
  } catch (...) {
    // The eventfd was read: a wake seen here must not be lost with the exception.
    if (woken) wake();
    throw;
  }
  if (woken) return run_result::woken;
  return any ? run_result::events : run_result::timed_out;
}

bool worker_pool::send(std::size_t worker, message_type type, std::span<const std::byte> payload) {
  const owner_scope scope(state_->inside, true, "send");
  if (worker >= state_->slots.size())
    throw errors::invalid_argument("worker_pool::send: no worker " + std::to_string(worker));
  if (is_reserved(type)) throw errors::invalid_argument("worker_pool::send: reserved message type");
  if (payload.size() > state_->options.max_payload) {
    throw errors::invalid_argument("worker_pool::send: payload of " + std::to_string(payload.size()) +
                                   " bytes, above max_payload");
  }
  return state_->enqueue(worker, type, payload, true);
}

void worker_pool::wake() noexcept {
  const std::uint64_t one = 1;
  // Fails only when the counter would overflow, and then a wake is pending anyway.
  [[maybe_unused]] const ssize_t n = ::write(state_->wake_fd.get(), &one, sizeof one);
}

bool worker_pool::stop(time_point deadline, worker_handler& handler) {
  const owner_scope scope(state_->inside, false, "stop");
  return state_->stop(deadline, &handler);
}

bool worker_pool::stop(time_point deadline) {
  const owner_scope scope(state_->inside, false, "stop");
  return state_->stop(deadline, nullptr);
}

std::size_t worker_pool::size() const noexcept { return state_->options.workers; }

bool worker_pool::started() const noexcept { return state_->is_started; }

pid_t worker_pool::pid(std::size_t worker) const {
  if (worker >= state_->slots.size())
    throw errors::invalid_argument("worker_pool::pid: no worker " + std::to_string(worker));
  return state_->slots[worker].pid;
}

unsigned worker_pool::restarts(std::size_t worker) const {
  if (worker >= state_->slots.size()) {
    throw errors::invalid_argument("worker_pool::restarts: no worker " + std::to_string(worker));
  }
  return state_->slots[worker].restarts;
}

std::size_t worker_pool::running() const noexcept { return state_->running(); }

std::size_t worker_pool::pending_output(std::size_t worker) const {
  if (worker >= state_->slots.size()) {
    throw errors::invalid_argument("worker_pool::pending_output: no worker " + std::to_string(worker));
  }
  return state_->slots[worker].pending();
}

const worker_pool_options& worker_pool::options() const noexcept { return state_->options; }

}  // namespace handoff::procs
