#include "signal_watcher.hpp"

#include <handoff/thread_registry.hpp>

#include <pthread.h>

namespace handoff::livepi {

namespace {
// SIGUSR2 only wakes the watcher to leave; SIGINT and SIGTERM are the ones it reports.
sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  return set;
}
}  // namespace

signal_watcher::signal_watcher(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
  const sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::jthread([this](const std::stop_token& stop) {
    const thread_registration registration("livepi-signals");
    const sigset_t waited = watched_signals();
    while (!stop.stop_requested()) {
      const int received = sigwaitinfo(&waited, nullptr);
      if (received == SIGINT || received == SIGTERM) on_signal_(received);
    }
  });
}

signal_watcher::~signal_watcher() {
  thread_.request_stop();
  pthread_kill(thread_.native_handle(), SIGUSR2);  // sigwaitinfo returns; the loop sees the stop
  thread_.join();
}

}  // namespace handoff::livepi
