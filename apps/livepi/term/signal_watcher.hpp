// livepi's signal watcher: turns SIGINT and SIGTERM into a call on a thread of ours.
//
// Why a thread: a signal handler may do almost nothing safely. The watcher
// blocks the signals in every thread (construct it before starting any), and
// its own thread takes them with sigwaitinfo and calls the handler, which
// posts to the UI loop. SIGUSR1 stays free for the thread dump.
#pragma once

#include <csignal>
#include <functional>
#include <thread>

namespace handoff::livepi {

class signal_watcher {
 public:
  /// Blocks SIGINT and SIGTERM for this and every later thread and starts
  /// watching. `on_signal` runs on the watcher thread. Main thread, before other threads.
  explicit signal_watcher(std::function<void(int)> on_signal);
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;
  /// Stops the watcher thread. Same thread as the constructor.
  ~signal_watcher();

 private:
  std::function<void(int)> on_signal_;
  std::jthread thread_;
};

}  // namespace handoff::livepi
