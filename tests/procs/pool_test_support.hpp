// What the worker_pool tests share: a handler that records every event, a
// bounded wait on the pool, and options that run the test worker.
#pragma once

#include "handoff/procs/worker_pool.hpp"
#include "test_protocol.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

namespace handoff::procs::testing {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct recorded_start {
  std::size_t worker;
  pid_t pid;
  unsigned restarts;
  steady::time_point at;
};

struct recorded_message {
  std::size_t worker;
  message_type type;
  std::string payload;
};

struct recorded_exit {
  std::size_t worker;
  pid_t pid;
  exit_info how;
  steady::time_point at;
  std::size_t messages_before;  // how many messages had been delivered when this exit was
};

class recorder : public worker_handler {
 public:
  void on_started(std::size_t worker, pid_t pid) override {
    starts.push_back({worker, pid, 0, steady::now()});
  }
  void on_restarted(std::size_t worker, pid_t pid, unsigned restarts) override {
    starts.push_back({worker, pid, restarts, steady::now()});
  }
  void on_message(std::size_t worker, message_type type, std::span<const std::byte> payload) override {
    messages.push_back({worker, type, std::string(as_text(payload))});
  }
  void on_exited(std::size_t worker, pid_t pid, const exit_info& how) override {
    exits.push_back({worker, pid, how, steady::now(), messages.size()});
  }

  [[nodiscard]] std::size_t count(message_type type) const {
    std::size_t n = 0;
    for (const recorded_message& m : messages) n += m.type == type ? 1 : 0;
    return n;
  }
  [[nodiscard]] std::size_t exits_of(pid_t pid) const {
    std::size_t n = 0;
    for (const recorded_exit& e : exits) n += e.pid == pid ? 1 : 0;
    return n;
  }
  [[nodiscard]] std::size_t starts_of(std::size_t worker) const {
    std::size_t n = 0;
    for (const recorded_start& s : starts) n += s.worker == worker ? 1 : 0;
    return n;
  }

  std::vector<recorded_start> starts;
  std::vector<recorded_message> messages;
  std::vector<recorded_exit> exits;
};

/// Drives the pool until `done()` holds or `timeout` passes; true if it holds.
template <class Predicate>
bool run_until(worker_pool& pool, worker_handler& handler, Predicate done,
               std::chrono::milliseconds timeout = 20s) {
  const auto deadline = steady::now() + timeout;
  while (!done()) {
    if (steady::now() >= deadline) return false;
    pool.run_once(deadline, handler);
  }
  return true;
}

/// Options that run the test worker with `arguments`. The heartbeat timeout is
/// generous: sanitized workers start slowly on a busy machine.
inline worker_pool_options test_options(std::size_t workers, std::vector<std::string> arguments = {}) {
  worker_pool_options options;
  options.program = HANDOFF_TEST_WORKER;
  options.arguments = std::move(arguments);
  options.workers = workers;
  options.heartbeat_interval = 50ms;
  options.heartbeat_timeout = 5000ms;
  options.restart_delay = 20ms;
  options.max_restart_delay = 1000ms;
  return options;
}

/// True when this process has no child left, reaped or not: no zombie.
inline bool no_children_left() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

}  // namespace handoff::procs::testing
