// The registry is a fixed array of slots of atomics so that the SIGUSR1
// handler can read it without locks or allocation (async-signal-safe), while
// threads come and go. Naming and the dump use POSIX calls: the only ones in
// the core, kept in this file.
#include "handoff/thread_registry.hpp"

#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>

namespace handoff {

namespace {

constexpr std::size_t name_capacity = 32;
constexpr std::size_t detail_capacity = 48;

struct slot {
  std::atomic<bool> claimed{false};
  std::atomic<int> tid{0};  // non-zero once the slot is filled; the dump skips the rest
  std::array<std::atomic<char>, name_capacity> name{};
  std::atomic<const char*> label{nullptr};
  std::array<std::atomic<char>, detail_capacity> detail{};
  std::atomic<long long> since_ns{0};
};

std::array<slot, max_threads> slots;
thread_local slot* current_slot = nullptr;

long long monotonic_ns() noexcept {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe, unlike std::chrono in theory
  return static_cast<long long>(now.tv_sec) * 1'000'000'000LL + now.tv_nsec;
}

template <std::size_t N>
void store_text(std::array<std::atomic<char>, N>& to, std::string_view text) noexcept {
  const std::size_t n = std::min(text.size(), N - 1);
  for (std::size_t i = 0; i < n; ++i) to[i].store(text[i], std::memory_order_relaxed);
  to[n].store('\0', std::memory_order_relaxed);
}

// A tiny line builder for the signal handler: no allocation, no locale, no stdio.
struct line_buffer {
  std::array<char, 256> text{};
  std::size_t used = 0;

  void add(const char* s) noexcept {
    while (s != nullptr && *s != '\0' && used < text.size()) text[used++] = *s++;
  }
  template <std::size_t N>
  void add(const std::array<std::atomic<char>, N>& s) noexcept {
    for (std::size_t i = 0; i < N && used < text.size(); ++i) {
      const char c = s[i].load(std::memory_order_relaxed);
      if (c == '\0') break;
      text[used++] = c;
    }
  }
  void add(long long value) noexcept {
    std::array<char, 24> digits{};
    std::size_t n = 0;
    const bool negative = value < 0;
    unsigned long long v =
        negative ? 0ULL - static_cast<unsigned long long>(value) : static_cast<unsigned long long>(value);
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0 && n < digits.size());
    if (negative && used < text.size()) text[used++] = '-';
    while (n > 0 && used < text.size()) text[used++] = digits[--n];
  }
};

void on_dump_signal(int /*signal_number*/) { dump_threads(STDERR_FILENO); }

}  // namespace

thread_registration::thread_registration(std::string_view name, bool set_os_name) noexcept
    : slot_(nullptr), previous_(current_slot) {
  if (set_os_name) {
    std::array<char, 16> os_name{};  // Linux limits thread names to 15 bytes
    const std::size_t n = std::min(name.size(), os_name.size() - 1);
    std::memcpy(os_name.data(), name.data(), n);
    pthread_setname_np(pthread_self(), os_name.data());
  }

  for (auto& s : slots) {
    bool expected = false;
    // acquire: the slot's previous owner finished with it before releasing the claim.
    if (s.claimed.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
      store_text(s.name, name);
      s.label.store("started", std::memory_order_relaxed);
      store_text(s.detail, {});
      s.since_ns.store(monotonic_ns(), std::memory_order_relaxed);
      // release: the dump reads the fields after it sees the tid.
      s.tid.store(static_cast<int>(syscall(SYS_gettid)), std::memory_order_release);
      slot_ = &s;
      current_slot = &s;
      return;
    }
  }
}

thread_registration::~thread_registration() {
  auto* s = static_cast<slot*>(slot_);
  if (s == nullptr) return;
  current_slot = static_cast<slot*>(previous_);
  s->tid.store(0, std::memory_order_release);
  s->claimed.store(false, std::memory_order_release);
}

thread_activity::thread_activity(const char* label, std::string_view detail) noexcept
    : slot_(current_slot), previous_label_(nullptr), previous_since_(0), had_detail_(!detail.empty()) {
  auto* s = static_cast<slot*>(slot_);
  if (s == nullptr) return;
  previous_label_ = s->label.load(std::memory_order_relaxed);
  previous_since_ = s->since_ns.load(std::memory_order_relaxed);
  if (had_detail_) store_text(s->detail, detail);
  s->since_ns.store(monotonic_ns(), std::memory_order_relaxed);
  s->label.store(label, std::memory_order_relaxed);  // relaxed: a dump may see old and new mixed, harmlessly
}

thread_activity::~thread_activity() {
  auto* s = static_cast<slot*>(slot_);
  if (s == nullptr) return;
  if (had_detail_) store_text(s->detail, {});
  s->since_ns.store(previous_since_, std::memory_order_relaxed);
  s->label.store(previous_label_, std::memory_order_relaxed);
}

void dump_threads(int fd) noexcept {
  const long long now = monotonic_ns();
  line_buffer header;
  header.add("handoff: thread dump (pid ");
  header.add(static_cast<long long>(getpid()));
  header.add(")\n");
  [[maybe_unused]] auto w = write(fd, header.text.data(), header.used);
  for (const auto& s : slots) {
    const int tid = s.tid.load(std::memory_order_acquire);
    if (tid == 0) continue;
    line_buffer line;
    line.add("  thread ");
    line.add(static_cast<long long>(tid));
    line.add(" '");
    line.add(s.name);
    line.add("': ");
    const char* label = s.label.load(std::memory_order_relaxed);
    line.add(label != nullptr ? label : "idle");
    if (s.detail[0].load(std::memory_order_relaxed) != '\0') {
      line.add(" [");
      line.add(s.detail);
      line.add("]");
    }
    line.add(" for ");
    line.add((now - s.since_ns.load(std::memory_order_relaxed)) / 1'000'000);
    line.add(" ms\n");
    if (line.used == line.text.size()) line.text[line.used - 1] = '\n';
    w = write(fd, line.text.data(), line.used);
  }
}

void install_thread_dump_signal(int signal_number) {
  struct sigaction action {};
  action.sa_handler = on_dump_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // interrupted reads and waits carry on after the dump
  sigaction(signal_number, &action, nullptr);
}

std::size_t registered_thread_count() noexcept {
  std::size_t n = 0;
  for (const auto& s : slots) n += s.tid.load(std::memory_order_acquire) != 0 ? 1 : 0;
  return n;
}

}  // namespace handoff
