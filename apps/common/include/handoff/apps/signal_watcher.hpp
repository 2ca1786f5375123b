// handoff::apps::signal_watcher: the signals a program stops on become a call on a thread of ours.
//
// Why a thread: a signal handler may do almost nothing safely. The watcher
// blocks the given signals in the calling thread, so every thread started
// afterwards inherits the mask (construct it before starting any), and its
// own thread reads them from a signalfd and calls the handler, which may do
// anything (here: request a stop). Its destructor wakes that thread through
// an eventfd, so no signal is borrowed for leaving.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <thread>

namespace handoff::apps {

class signal_watcher {
 public:
  /// Blocks `signals` and starts watching them; `on_signal` runs on the
  /// watcher thread (named `thread_name`) with the signal's number. Throws
  /// std::system_error if the descriptors or the thread cannot be made. Main
  /// thread, before other threads.
  signal_watcher(std::initializer_list<int> signals, std::string thread_name,
                 std::function<void(int)> on_signal);
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;
  /// Stops and joins the watcher thread. The signals stay blocked. Same thread as the constructor.
  ~signal_watcher();

 private:
  void watch();

  std::string thread_name_;
  std::function<void(int)> on_signal_;
  int signals_fd_ = -1;
  int leave_fd_ = -1;
  std::thread thread_;
};

}  // namespace handoff::apps
