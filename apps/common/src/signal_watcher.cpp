#include "handoff/apps/signal_watcher.hpp"

#include <handoff/thread_registry.hpp>

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <system_error>

namespace handoff::apps {

namespace {

sigset_t signal_set(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (const int number : signals) sigaddset(&set, number);
  return set;
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

signal_watcher::signal_watcher(std::initializer_list<int> signals, std::string thread_name,
                               std::function<void(int)> on_signal)
    : thread_name_(std::move(thread_name)), on_signal_(std::move(on_signal)) {
  const sigset_t set = signal_set(signals);
  if (const int error = pthread_sigmask(SIG_BLOCK, &set, nullptr); error != 0) {
    throw std::system_error(error, std::generic_category(), "pthread_sigmask");
  }
  signals_fd_ = signalfd(-1, &set, SFD_CLOEXEC);
  if (signals_fd_ < 0) throw_errno("signalfd");
  leave_fd_ = eventfd(0, EFD_CLOEXEC);
  if (leave_fd_ < 0) {
    close(signals_fd_);
    throw_errno("eventfd");
  }
  try {
    thread_ = std::thread([this] { watch(); });
  } catch (...) {
    close(signals_fd_);
    close(leave_fd_);
    throw;
  }
}

signal_watcher::~signal_watcher() {
  const std::uint64_t one = 1;
  // The eventfd takes it unless its counter is full, which one write a run cannot make.
  if (write(leave_fd_, &one, sizeof one) < 0) std::terminate();
  thread_.join();
  close(signals_fd_);
  close(leave_fd_);
}

void signal_watcher::watch() {
  const thread_registration registration(thread_name_);
  std::array<pollfd, 2> fds{pollfd{signals_fd_, POLLIN, 0}, pollfd{leave_fd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;  // a SIGUSR1 thread dump ran on this thread
      return;
    }
    if (fds[1].revents != 0) return;
    signalfd_siginfo info{};
    if (read(signals_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      on_signal_(static_cast<int>(info.ssi_signo));
    }
  }
}

}  // namespace handoff::apps
