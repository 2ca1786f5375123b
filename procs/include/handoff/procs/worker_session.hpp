// handoff::procs::worker_session: the worker side of a worker_pool.
//
// What it is: what a worker program creates first thing in main() to talk to
// the pool that spawned it. The constructor makes the process die with its
// parent (PR_SET_PDEATHSIG SIGKILL, then a check that the parent is still the
// pool's process, which closes the race with a parent that died before the
// call), takes the socket on fd 3, and starts two threads: one reads frames
// from the pool into a bounded inbox, the other sends a heartbeat every
// interval the pool asked for (unless heartbeats are manual, see options).
//
// Ordering and threads: messages are received in the order the pool sent
// them. send() and beat() may be called from any thread at once: each frame is
// written whole, under one lock. receive() may be called from any thread.
// When the pool asks the worker to finish (a shutdown frame), or its socket
// closes because the parent is gone, stop_token() is stopped and the inbox is
// closed: receive() returns the messages that had arrived, then nullopt. The
// program should then return from main(); if it does not, the pool's stop()
// sends SIGTERM and then SIGKILL.
//
// What it does not guarantee: that a sent message is read (the parent may
// die). Automatic heartbeats prove that the process is scheduled, not that its
// work progresses: a worker whose work can stall while its threads run should
// use manual heartbeats and beat() from its work loop. A malformed frame from
// the pool ends the session like a shutdown (and is written to stderr).
//
// Lifetime and shutdown: one session per process, created on any thread of a
// process the pool spawned. The destructor stops and joins both threads,
// interrupting a send() blocked on a full socket, and closes the socket.
#pragma once

#include "handoff/channel.hpp"
#include "handoff/procs/frame.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <thread>

namespace handoff::procs {

struct worker_session_options {
  /// How many received messages may wait for receive(); a fuller inbox makes
  /// the session stop reading, so the pool's send queue takes the backlog.
  std::size_t inbox_capacity = 64;
  /// A thread sends the heartbeats (false: the program calls beat() itself, at
  /// least once per heartbeat_interval(), or the pool kills it as hung).
  bool automatic_heartbeats = true;
};

class worker_session {
 public:
  /// True if this process was spawned by a worker_pool (its environment says
  /// so): a program can then serve as a worker or run on its own. Any thread.
  [[nodiscard]] static bool launched_by_pool() noexcept;

  /// Attaches to the pool. If the parent is no longer the pool's process, the
  /// process ends at once by SIGKILL (as the parent-death signal would have
  /// done). Throws errors::invalid_argument if the process was not spawned by a
  /// worker_pool (no environment, or fd 3 is not a socket), errors::os_error if
  /// a system call fails. Any thread (one session per process).
  explicit worker_session(worker_session_options options = {});
  worker_session(const worker_session&) = delete;
  worker_session& operator=(const worker_session&) = delete;

  /// Stops and joins the session's threads and closes the socket. No other
  /// thread may still be inside a call. Any thread.
  ~worker_session();

  /// The next message from the pool, waiting for it. nullopt once the session
  /// ended (shutdown, parent gone) and every message that arrived before was
  /// received, or at once when `stop` is requested. Any thread.
  std::optional<frame> receive(std::stop_token stop = {});

  /// As receive, but also nullopt once `timeout` passes with no message. Any thread.
  template <class Rep, class Period>
  std::optional<frame> receive_for(std::chrono::duration<Rep, Period> timeout, std::stop_token stop = {}) {
    return inbox_.receive_for(timeout, std::move(stop));
  }

  /// The next message if one is there; never blocks. Any thread.
  std::optional<frame> try_receive() { return inbox_.try_receive(); }

  /// Sends a message to the pool, waiting while the socket is full. False once
  /// the parent is gone or the session is being destroyed. Throws
  /// errors::invalid_argument for a reserved type or a payload above the pool's
  /// max_payload. Any thread.
  bool send(message_type type, std::span<const std::byte> payload);

  /// Sends a heartbeat now. For manual heartbeats; harmless with automatic
  /// ones. False once the parent is gone. Any thread.
  bool beat();

  /// Stopped when the pool asks this worker to finish or the parent is gone. Any thread.
  [[nodiscard]] std::stop_token stop_token() const noexcept { return ended_.get_token(); }

  /// True once the pool asked this worker to finish or the parent is gone. Any thread.
  [[nodiscard]] bool stop_requested() const noexcept { return ended_.stop_requested(); }

  /// This worker's slot in the pool, 0 to workers - 1. Any thread.
  [[nodiscard]] std::size_t worker_id() const noexcept { return worker_id_; }

  /// The pid of the pool's process. Any thread.
  [[nodiscard]] pid_t parent_pid() const noexcept { return parent_pid_; }

  /// How often the pool expects a heartbeat. Any thread.
  [[nodiscard]] std::chrono::milliseconds heartbeat_interval() const noexcept { return heartbeat_interval_; }

  /// The longest payload the pool accepts. Any thread.
  [[nodiscard]] std::size_t max_payload() const noexcept { return max_payload_; }

 private:
  bool write_frame(message_type type, std::span<const std::byte> payload);
  void end() noexcept;
  void read_loop(const std::stop_token& stop);
  void heartbeat_loop(const std::stop_token& stop);

  std::size_t worker_id_ = 0;
  pid_t parent_pid_ = 0;
  std::chrono::milliseconds heartbeat_interval_{100};
  std::size_t max_payload_ = default_max_payload;
  int socket_ = -1;
  int closing_ = -1;  // an eventfd made readable by the destructor: wakes the threads out of poll()
  std::stop_source ended_;
  channel<frame> inbox_;
  std::mutex write_mutex_;  // guards writes to the socket (whole frames) and broken_
  bool broken_ = false;     // a write failed: the parent is gone
  std::jthread reader_;     // last members: they start once everything they use exists
  std::jthread heartbeat_;
};

}  // namespace handoff::procs
