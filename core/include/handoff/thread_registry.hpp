// handoff's thread registry: names every thread handoff starts and records what it is doing.
//
// Why: a frozen window is debugged by asking "what is every thread doing?".
// Threads registered here carry an OS name (visible in `top -H`, gdb, /proc)
// and an activity label; dump_threads() writes one line per thread, and
// install_thread_dump_signal() makes SIGUSR1 do it on request, the way
// Python's faulthandler dumps stacks.
//
// Limits: at most `max_threads` threads are registered at once (more are
// named for the OS but left out of the dump); names are cut to 15 bytes for
// the OS and 31 in the dump; activity details to 47 bytes.
//
// Thread contract: each function says which thread may call it.
#pragma once

#include <csignal>
#include <cstddef>
#include <string_view>

namespace handoff {

inline constexpr std::size_t max_threads = 256;

/// Registers the calling thread under `name` and, unless `set_os_name` is
/// false (a program's main thread keeps its own), names it for the OS; the
/// destructor removes it. Construct it first thing on a new thread. Calling thread only.
class thread_registration {
 public:
  explicit thread_registration(std::string_view name, bool set_os_name = true) noexcept;
  thread_registration(const thread_registration&) = delete;
  thread_registration& operator=(const thread_registration&) = delete;
  ~thread_registration();

 private:
  void* slot_;
  void* previous_;  // a thread registered twice (a loop run on a pool thread) gets its outer slot back
};

/// Sets what the calling thread is doing for the length of a scope: a string
/// literal `label` and an optional copied `detail` (a job's name, say). The
/// previous activity comes back on destruction. Cheap; a no-op on threads that
/// are not registered. Calling thread only.
class thread_activity {
 public:
  explicit thread_activity(const char* label, std::string_view detail = {}) noexcept;
  thread_activity(const thread_activity&) = delete;
  thread_activity& operator=(const thread_activity&) = delete;
  ~thread_activity();

 private:
  void* slot_;
  const char* previous_label_;
  long long previous_since_;
  bool had_detail_;
};

/// Writes one line per registered thread (tid, name, activity, for how long)
/// to the file descriptor. Async-signal-safe. Any thread.
void dump_threads(int fd) noexcept;

/// Makes `signal_number` (default SIGUSR1) dump the registered threads to
/// stderr. Opt-in; replaces any previous handler of that signal. Any thread.
void install_thread_dump_signal(int signal_number = SIGUSR1);

/// How many threads are registered now. Any thread.
std::size_t registered_thread_count() noexcept;

}  // namespace handoff
