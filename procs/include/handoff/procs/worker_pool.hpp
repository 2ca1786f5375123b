// handoff::procs::worker_pool: N worker processes, watched, replaced and stopped.
//
// What it is: the parent side of handoff's worker processes. Each worker is a
// fresh posix_spawn of a program (never a fork of this threaded process) that
// talks to the pool over its own socket pair, which it sees as fd 3, in frames
// (frame.hpp); the program uses worker_session (worker_session.hpp). The
// worker inherits stdin (from /dev/null unless told otherwise), stdout, stderr
// and that socket, and no other descriptor of the parent: not the sockets of
// other workers, and not descriptors opened without O_CLOEXEC. It starts in a
// process group of its own (so a terminal's Ctrl-C reaches the parent, which
// decides), with no signal blocked and every signal at its default action.
//
// A worker that exits, dies by a signal, stays silent longer than the
// heartbeat timeout (hung, or stopped with SIGSTOP; it is then SIGKILLed), or
// sends a malformed frame (protocol error; SIGKILLed too) is reaped, reported
// once, and replaced in the same slot. Replacements are rate-limited: a worker
// that died within `stable_after` of its start is a quick death, and from the
// second quick death in a row on the slot waits restart_delay, doubling each
// time up to max_restart_delay; a worker that lived longer resets that.
//
// Ordering and threads: the pool has no thread of its own. One thread, its
// owner (a coordinator, typically), drives it with start(), run_once(),
// send() and stop(); every handler call happens inside run_once() or stop(),
// on that thread. Only wake() may be called from other threads. Using the pool
// from two threads at once, or calling start, run_once or stop from inside a
// handler, throws errors::wrong_thread. For each slot the handler sees
// on_started (or on_restarted) for a process, then that process's messages in
// the order it sent them, then on_exited exactly once, with its pid: frames a
// worker wrote before it died are delivered before its on_exited.
//
// What it does not guarantee: that a message sent to a worker is read (it may
// die first; the pool never re-sends to a replacement: the caller knows what
// was in flight). That a worker's own child processes end with it. The
// parent-death signal (PR_SET_PDEATHSIG) follows the thread that spawned a
// worker, not the process: keep the owner thread alive while the pool runs,
// or its workers are killed when it ends. Exit statuses are exact only if
// nothing else reaps this process's children (no waitpid(-1) elsewhere, no
// SIGCHLD set to SIG_IGN).
//
// Lifetime and shutdown: stop(deadline) asks every worker to finish (a
// shutdown frame), sends SIGTERM at half the time left, SIGKILL at four
// fifths, and reaps; meanwhile it keeps reading every socket and delivering
// what arrives, so a worker blocked writing into a full socket can finish.
// Every process the pool started is reaped before stop() returns: no zombie.
// Workers also die when the parent does (PR_SET_PDEATHSIG SIGKILL, and they
// exit when the parent's socket closes): no orphan. The destructor stops with
// options.destructor_stop as the deadline and reports to nobody.
#pragma once

#include "handoff/procs/frame.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace handoff::procs {

/// How a worker_pool runs its workers.
struct worker_pool_options {
  /// The worker program: a path (not looked up in PATH). Required.
  std::string program;
  /// argv[1..] of the program; argv[0] is `program`.
  std::vector<std::string> arguments;
  /// Extra "NAME=value" entries, added to (or replacing in) the parent's environment.
  std::vector<std::string> environment;
  /// How many workers run at once; at least 1.
  std::size_t workers = 1;
  /// How often workers send a heartbeat (told to them through the environment).
  std::chrono::milliseconds heartbeat_interval{100};
  /// A worker silent for longer than this is killed and reported as hung. More than the interval.
  std::chrono::milliseconds heartbeat_timeout{2000};
  /// The longest payload accepted in either direction; a longer one from a worker is a protocol error.
  std::size_t max_payload = default_max_payload;
  /// The most bytes waiting to be written to one worker; send() refuses beyond. At least one frame.
  std::size_t max_send_buffer = std::size_t{16} << 20;
  /// Replace workers that end (false: a slot stays empty once its worker ended).
  bool restart = true;
  /// A worker that lived at least this long, or sent at least one application
  /// message, did not die "at once": its slot's backoff resets.
  std::chrono::milliseconds stable_after{1000};
  /// The first delay after repeated quick deaths; it doubles per quick death in a row.
  std::chrono::milliseconds restart_delay{50};
  /// The longest delay between two restarts of one slot.
  std::chrono::milliseconds max_restart_delay{5000};
  /// Each worker leads a process group of its own (terminal signals reach the parent only).
  bool own_process_group = true;
  /// The worker's stdin is /dev/null (false: it shares the parent's).
  bool stdin_from_dev_null = true;
  /// The deadline the destructor gives stop().
  std::chrono::milliseconds destructor_stop{500};
};

/// Why a worker process ended, from the pool's point of view.
enum class exit_reason {
  exited,          // it called exit (code says with what)
  signaled,        // a signal ended it (signal says which), the pool's stop() escalation included
  hung,            // silent past the heartbeat timeout: the pool killed it
  protocol_error,  // it sent a malformed frame: the pool killed it
};

/// How a worker process ended: reported once per process.
struct exit_info {
  exit_reason reason = exit_reason::exited;
  /// The exit code when the process exited by itself, else -1.
  int code = -1;
  /// The signal that ended the process, else 0 (SIGKILL for hung and protocol_error).
  int signal = 0;
  /// True when it ended during stop() (asked, SIGTERMed or SIGKILLed by it).
  bool during_stop = false;
  /// For people: "exited with code 3", "killed by signal 11 (Segmentation fault)", ...
  std::string text;
};

/// What the pool reports; override what you need. Every call comes from inside
/// run_once() or stop(), on the pool's owner thread, which may call send() from
/// a handler (not start, run_once or stop). An exception leaves run_once() or
/// stop(); events not yet delivered wait for the next call.
class worker_handler {
 public:
  virtual ~worker_handler() = default;

  /// The first process of slot `worker` runs as `pid`. Owner thread only.
  virtual void on_started(std::size_t worker, pid_t pid);

  /// A replacement runs in slot `worker` as `pid`, the slot's `restarts`th. The
  /// default calls on_started(worker, pid). Owner thread only.
  virtual void on_restarted(std::size_t worker, pid_t pid, unsigned restarts);

  /// Worker `worker` sent a message (heartbeats are not shown). Owner thread only.
  virtual void on_message(std::size_t worker, message_type type, std::span<const std::byte> payload);

  /// Process `pid` of slot `worker` ended and was reaped; exactly once per process. Owner thread only.
  virtual void on_exited(std::size_t worker, pid_t pid, const exit_info& how);

  /// A replacement for slot `worker` could not be spawned; it is retried after
  /// the slot's backoff. Owner thread only.
  virtual void on_spawn_failed(std::size_t worker, std::error_code error);
};

/// What ended a run_once() call.
enum class run_result {
  events,     // at least one handler call was made
  woken,      // wake() was called (events may have been delivered too)
  timed_out,  // the deadline passed with nothing to report
};

class worker_pool {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// A pool that will run `options.workers` copies of `options.program`; starts
  /// nothing yet. Throws errors::invalid_argument for options that cannot work
  /// and errors::os_error if the wake-up eventfd cannot be made. Any thread.
  explicit worker_pool(worker_pool_options options);
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  /// Stops with options.destructor_stop as the deadline, reporting to nobody.
  /// No other thread may be inside a call. Any thread.
  ~worker_pool();

  /// Spawns every worker; on_started is delivered by the next run_once() or
  /// stop(). Throws errors::os_error if one cannot be spawned (those already
  /// spawned are killed and reaped first, unreported) and errors::invalid_argument
  /// if already started. May be called again after stop(). Owner thread only.
  void start();

  /// Waits until something happens or `deadline` passes, then handles everything
  /// that is ready: reads sockets (delivering messages), reaps and reports
  /// workers that ended, kills silent ones, restarts due slots. Returns once at
  /// least one handler call was made, wake() was called, or at the deadline.
  /// Owner thread only.
  run_result run_once(time_point deadline, worker_handler& handler);

  /// Queues a message to worker `worker`, writing what the socket takes now and
  /// the rest from later run_once() calls: it never blocks. False if the slot
  /// has no running process, its socket is closed, or the queue would exceed
  /// max_send_buffer. Throws errors::invalid_argument for a bad slot, a reserved
  /// type or a payload above max_payload. Owner thread only (a handler may call it).
  bool send(std::size_t worker, message_type type, std::span<const std::byte> payload);

  /// Makes the current or next run_once() return run_result::woken (without
  /// waiting if it has not started yet); several wakes before it may count as one.
  /// Async-signal-safe. Any thread.
  void wake() noexcept;

  /// Stops every worker: a shutdown frame, then SIGTERM at half the time to
  /// `deadline`, SIGKILL at four fifths, reaping each; messages and exits are
  /// delivered to `handler` meanwhile, and no restart happens. True once every
  /// process was reaped, which may take a little past the deadline for a
  /// SIGKILLed process to end (at most 2 s more; false if one is still there).
  /// Owner thread only.
  bool stop(time_point deadline, worker_handler& handler);

  /// As stop(deadline, handler), reporting to nobody. Owner thread only.
  bool stop(time_point deadline);

  /// How many slots the pool has (options.workers). Any thread.
  [[nodiscard]] std::size_t size() const noexcept;

  /// True between start() and the end of stop(). Owner thread only.
  [[nodiscard]] bool started() const noexcept;

  /// The pid running in slot `worker`, or 0 if none does. Owner thread only.
  [[nodiscard]] pid_t pid(std::size_t worker) const;

  /// How many replacements slot `worker` has had. Owner thread only.
  [[nodiscard]] unsigned restarts(std::size_t worker) const;

  /// How many slots have a process that was not yet reaped. Owner thread only.
  [[nodiscard]] std::size_t running() const noexcept;

  /// Bytes queued for worker `worker` and not yet written. Owner thread only.
  [[nodiscard]] std::size_t pending_output(std::size_t worker) const;

  /// The options the pool was made with. Any thread.
  [[nodiscard]] const worker_pool_options& options() const noexcept;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace handoff::procs
