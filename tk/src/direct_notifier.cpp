#include "handoff/tk/direct_notifier.hpp"

#include <tcl.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <vector>

namespace handoff::tk {

namespace {

struct file_handler {
  int fd;
  int mask;   // what Tcl asked for: TCL_READABLE | TCL_WRITABLE | TCL_EXCEPTION
  int ready;  // what was seen since the handler last ran; nonzero while its event is queued
  Tcl_FileProc* proc;
  ClientData data;
};

// One per Tcl thread. Only that thread touches `files` and `polled`; any
// thread may write to `wake_fd` (Tcl_ThreadAlert). Tcl creates and frees it
// under its own notifier-list lock, which Tcl_ThreadAlert holds too, so an
// alert never meets a freed state.
struct thread_notifier {
  int wake_fd = -1;
  // An alert writes to wake_fd only while the thread waits (or is about to):
  // a busy thread is not charged a system call per alert. seq_cst on both
  // sides (Dekker): either the waiter sees `alerted` and does not block, or
  // the alerter sees `waiting` and writes.
  std::atomic<bool> waiting{false};
  std::atomic<bool> alerted{false};
  std::vector<file_handler> files;
  std::vector<pollfd> polled;  // reused by every wait
};

thread_local thread_notifier* current = nullptr;

// What Tcl's queue holds for a ready file; looked up by fd when served, as the
// handler may be gone by then.
struct file_event {
  Tcl_Event header;
  int fd;
};

ClientData init_notifier() {
  auto* notifier = new thread_notifier();
  notifier->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (notifier->wake_fd < 0) Tcl_Panic("handoff::tk direct notifier: eventfd failed (errno %d)", errno);
  current = notifier;
  return notifier;
}

void finalize_notifier(ClientData data) {
  auto* notifier = static_cast<thread_notifier*>(data);
  if (notifier == nullptr) return;
  close(notifier->wake_fd);
  if (current == notifier) current = nullptr;
  delete notifier;
}

void alert_notifier(ClientData data) {
  auto* notifier = static_cast<thread_notifier*>(data);
  if (notifier == nullptr) return;
  notifier->alerted.store(true);
  if (!notifier->waiting.load()) return;  // it will see `alerted` before it blocks
  const std::uint64_t one = 1;
  // A full counter (EAGAIN) is already a wake-up; async-signal-safe.
  [[maybe_unused]] const ssize_t written = write(notifier->wake_fd, &one, sizeof one);
}

void set_timer(const Tcl_Time*) {}  // only for hosts that drive Tcl from a foreign loop

void service_mode_hook(int) {}

void create_file_handler(int fd, int mask, Tcl_FileProc* proc, ClientData data) {
  thread_notifier* notifier = current;
  if (notifier == nullptr) return;
  for (file_handler& handler : notifier->files) {
    if (handler.fd == fd) {
      handler.mask = mask;
      handler.proc = proc;
      handler.data = data;
      return;
    }
  }
  notifier->files.push_back(file_handler{fd, mask, 0, proc, data});
}

void delete_file_handler(int fd) {
  thread_notifier* notifier = current;
  if (notifier == nullptr) return;
  std::erase_if(notifier->files, [fd](const file_handler& handler) { return handler.fd == fd; });
}

int serve_file_event(Tcl_Event* event, int flags) {
  if ((flags & TCL_FILE_EVENTS) == 0) return 0;
  thread_notifier* notifier = current;
  if (notifier == nullptr) return 1;
  const int fd = reinterpret_cast<file_event*>(event)->fd;
  for (file_handler& handler : notifier->files) {
    if (handler.fd != fd) continue;
    const int mask = handler.ready & handler.mask;
    handler.ready = 0;
    if (mask != 0) handler.proc(handler.data, mask);
    break;
  }
  return 1;
}

short poll_events(int mask) {
  short events = 0;
  if ((mask & TCL_READABLE) != 0) events |= POLLIN;
  if ((mask & TCL_WRITABLE) != 0) events |= POLLOUT;
  if ((mask & TCL_EXCEPTION) != 0) events |= POLLPRI;
  return events;
}

int tcl_mask(short revents) {
  int mask = 0;
  if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) mask |= TCL_READABLE;
  if ((revents & (POLLOUT | POLLERR)) != 0) mask |= TCL_WRITABLE;
  if ((revents & POLLPRI) != 0) mask |= TCL_EXCEPTION;
  return mask;
}

int wait_for_event(const Tcl_Time* time) {
  thread_notifier* notifier = current;
  if (notifier == nullptr) return -1;
  std::vector<pollfd>& polled = notifier->polled;
  polled.clear();
  polled.push_back(pollfd{notifier->wake_fd, POLLIN, 0});
  for (const file_handler& handler : notifier->files)
    polled.push_back(pollfd{handler.fd, poll_events(handler.mask), 0});

  timespec timeout{};
  if (time != nullptr) {
    timeout.tv_sec = time->sec;
    timeout.tv_nsec = time->usec * 1000L;
  }
  notifier->waiting.store(true);
  // An alert since the last wait: look at the files, do not sleep (Tcl's own notifier does the same).
  const bool alerted = notifier->alerted.exchange(false);
  if (alerted) timeout = timespec{};
  const int count =
      ppoll(polled.data(), polled.size(), (time != nullptr || alerted) ? &timeout : nullptr, nullptr);
  notifier->waiting.store(false);
  if (count <= 0) return 0;  // timed out, or a signal

  if (polled[0].revents != 0) {
    std::uint64_t alerts = 0;
    [[maybe_unused]] const ssize_t got = read(notifier->wake_fd, &alerts, sizeof alerts);
  }
  int found = 0;
  for (std::size_t i = 1; i < polled.size(); ++i) {
    const int mask = tcl_mask(polled[i].revents);
    if (mask == 0) continue;
    for (file_handler& handler : notifier->files) {
      if (handler.fd != polled[i].fd) continue;
      // One queued event per file, as Tcl's own notifier does.
      if (handler.ready == 0) {
        auto* event = reinterpret_cast<file_event*>(ckalloc(sizeof(file_event)));
        event->header.proc = &serve_file_event;
        event->header.nextPtr = nullptr;
        event->fd = handler.fd;
        Tcl_QueueEvent(&event->header, TCL_QUEUE_TAIL);
      }
      handler.ready = mask;
      found = 1;
      break;
    }
  }
  return found;
}

std::atomic<bool> installed{false};

}  // namespace

bool install_direct_notifier() noexcept {
  static std::once_flag once;
  bool did = false;
  std::call_once(once, [&] {
    Tcl_NotifierProcs procs{};
    procs.setTimerProc = &set_timer;
    procs.waitForEventProc = &wait_for_event;
    procs.createFileHandlerProc = &create_file_handler;
    procs.deleteFileHandlerProc = &delete_file_handler;
    procs.initNotifierProc = &init_notifier;
    procs.finalizeNotifierProc = &finalize_notifier;
    procs.alertNotifierProc = &alert_notifier;
    procs.serviceModeHookProc = &service_mode_hook;
    Tcl_SetNotifier(&procs);
    installed.store(true, std::memory_order_release);  // release: pairs with the acquire below
    did = true;
  });
  return did;
}

bool direct_notifier_installed() noexcept { return installed.load(std::memory_order_acquire); }

}  // namespace handoff::tk
