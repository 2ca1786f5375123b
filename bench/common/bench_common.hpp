// Shared helpers of the bench executables: time, statistics, options, one-line
// JSON output, a thread that runs a loop, and the allocation counter that
// alloc_counter.cpp provides.
//
// Every scenario prints one JSON object per line on stdout (the figures) and a
// readable summary on stderr; scripts/bench collects the first into
// build/bench/results.jsonl and lets the second through to the terminal.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

namespace bench {

/// Heap allocations made by the whole program so far (alloc_counter.cpp). Any thread.
std::uint64_t allocations() noexcept;

using steady = std::chrono::steady_clock;

/// Nanoseconds on the steady clock; cheap enough to call per task.
inline std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
}

/// CPU time a clock (a thread's, say) has counted, in nanoseconds: a figure
/// that noise from other processes inflates far less than wall-clock time.
inline double cpu_ns(clockid_t clock) noexcept {
  timespec t{};
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

/// CPU time of the calling thread so far, in nanoseconds.
inline double thread_cpu_ns() noexcept { return cpu_ns(CLOCK_THREAD_CPUTIME_ID); }

/// One spin-wait step: a pause on x86, nothing elsewhere.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// How long a scenario waits for a posted task before it declares the loop stuck.
inline constexpr std::chrono::seconds stuck_after{20};

/// Ends the program when a posted task never ran: a lost wake-up in the loop
/// under test must fail the run, not hang it.
[[noreturn]] inline void report_stuck(const char* what) {
  std::fprintf(stderr, "bench: STUCK: %s: a posted task did not run within %lld s (lost wake-up?)\n", what,
               static_cast<long long>(stuck_after.count()));
  std::printf("{\"scenario\":\"stuck\",\"what\":\"%s\"}\n", what);
  std::fflush(stdout);
  std::_Exit(3);
}

/// Spins until `flag` is true, yielding the core after a few microseconds: the
/// machine has two cores, and when the scheduler puts the waiting thread and
/// the loop thread on the same one, a long spin would delay the loop by as long
/// (4096 pauses, ~100 us here, showed up as every loop's p99).
inline void spin_until(const std::atomic<bool>& flag, const char* what) {
  const auto give_up = steady::now() + stuck_after;
  for (unsigned spins = 0; !flag.load(std::memory_order_acquire); ++spins) {
    if (spins < 128) {
      cpu_relax();
    } else {
      std::this_thread::yield();
      if (spins % 1024 == 0 && steady::now() > give_up) report_stuck(what);
    }
  }
}

/// Waits until `flag` is true, checking every 100 us: for waits of milliseconds,
/// where spinning would only take a core from the loop under test.
inline void sleep_until_set(const std::atomic<bool>& flag, const char* what) {
  const auto give_up = steady::now() + stuck_after;
  while (!flag.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    if (steady::now() > give_up) report_stuck(what);
  }
}

/// The p-th percentile (0..100) by nearest rank; sorts `values`.
inline double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const auto index = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(values.size())));
  return values[index - 1];
}

inline double median(std::vector<double> values) { return percentile(values, 50.0); }

inline double mean(const std::vector<double>& values) {
  if (values.empty()) return 0.0;
  double sum = 0.0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

/// Command-line options: `--quick` and `--name=value` overrides.
class options {
 public:
  options(int argc, char** argv) : args_(argv + 1, argv + argc) {}

  [[nodiscard]] bool flag(std::string_view name) const {
    return std::any_of(args_.begin(), args_.end(), [&](const std::string& a) { return a == name; });
  }

  /// The value of `--name=value`, or `fallback` when absent.
  [[nodiscard]] double value(std::string_view name, double fallback) const {
    for (const auto& a : args_) {
      if (a.size() > name.size() + 1 && std::string_view(a).substr(0, name.size()) == name &&
          a[name.size()] == '=') {
        return std::strtod(a.c_str() + name.size() + 1, nullptr);
      }
    }
    return fallback;
  }

  [[nodiscard]] std::size_t count(std::string_view name, std::size_t fallback) const {
    return static_cast<std::size_t>(value(name, static_cast<double>(fallback)));
  }

 private:
  std::vector<std::string> args_;
};

/// Builds one JSON object on one line; keys keep the order they are added in.
class json_line {
 public:
  json_line& add(std::string_view key, double v) {
    char number[64];
    if (std::isfinite(v)) {
      std::snprintf(number, sizeof number, "%.6g", v);
    } else {
      std::snprintf(number, sizeof number, "null");
    }
    return raw(key, number);
  }
  json_line& add(std::string_view key, std::uint64_t v) { return raw(key, std::to_string(v)); }
  json_line& add(std::string_view key, int v) { return raw(key, std::to_string(v)); }
  json_line& add(std::string_view key, std::string_view v) {
    std::string quoted = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    return raw(key, quoted);
  }
  json_line& add(std::string_view key, const char* v) { return add(key, std::string_view(v)); }

  /// Writes the object and a newline to stdout, flushed at once.
  void print() const {
    std::printf("{%s}\n", body_.c_str());
    std::fflush(stdout);
  }

 private:
  json_line& raw(std::string_view key, std::string_view value) {
    if (!body_.empty()) body_ += ',';
    body_ += '"';
    body_ += key;
    body_ += "\":";
    body_ += value;
    return *this;
  }

  std::string body_;
};

/// A readable line on stderr, printf-style (checked by the compiler).
__attribute__((format(printf, 1, 2))) inline void say(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
}

/// The 1-minute load average, logged with every figure: the machine is shared.
inline double load_average() {
  double load = -1.0;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = -1.0;
    std::fclose(f);
  }
  return load;
}

/// Runs `loop.run()` on a thread of its own for the lifetime of this object;
/// the destructor stops the loop and joins the thread.
template <class Loop>
class loop_thread {
 public:
  explicit loop_thread(Loop& loop) : loop_(loop), thread_([&loop] { loop.run(); }) {}
  loop_thread(const loop_thread&) = delete;
  loop_thread& operator=(const loop_thread&) = delete;
  ~loop_thread() { finish(); }

  /// CPU time the loop's thread has used so far, in nanoseconds. Any thread, while it runs.
  [[nodiscard]] double cpu_ns() const noexcept {
    clockid_t clock{};
    if (pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &clock) != 0) return 0.0;
    return bench::cpu_ns(clock);
  }

  /// Stops the loop and waits for its thread; idempotent.
  void finish() {
    if (!thread_.joinable()) return;
    loop_.stop();
    thread_.join();
  }

 private:
  Loop& loop_;
  std::thread thread_;
};

}  // namespace bench
