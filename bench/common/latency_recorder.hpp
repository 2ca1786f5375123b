// The post -> run latency harness shared by the loop benchmarks (bench/latency.cpp
// with headless loops, bench/tk/bench_tk.cpp with Tk): a producer posts one
// task carrying its send time, spins until it ran, and repeats; the loop
// thread records run time minus send time.
#pragma once

#include "common/bench_common.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

/// One loop's samples. samples_us and next are touched by the loop thread
/// only; ran hands each sample back to the producer.
struct latency_recorder {
  std::vector<double> samples_us;
  std::size_t next = 0;
  std::atomic<bool> ran{false};

  /// Loop thread: records the time since `sent_ns` and releases the producer.
  void record(std::int64_t sent_ns) {
    samples_us[next++] = static_cast<double>(now_ns() - sent_ns) / 1e3;
    ran.store(true, std::memory_order_release);  // release: the sample is written first
  }
};

struct latency_summary {
  double p50, p99, p999, max, mean;
};

/// Percentiles of the samples after the first `warmup`.
inline latency_summary summarise(const latency_recorder& r, std::size_t warmup) {
  std::vector<double> v(r.samples_us.begin() + static_cast<std::ptrdiff_t>(warmup),
                        r.samples_us.begin() + static_cast<std::ptrdiff_t>(r.next));
  latency_summary s{};
  s.mean = mean(v);
  s.p50 = percentile(v, 50.0);
  s.p99 = percentile(v, 99.0);
  s.p999 = percentile(v, 99.9);
  s.max = v.empty() ? 0.0 : v.back();
  return s;
}

/// Adds `prefix`_p50_us, _p99_us, _p999_us, _max_us and _mean_us to `line`.
inline json_line& add_latency(json_line& line, const std::string& prefix, const latency_summary& s) {
  return line.add(prefix + "_p50_us", s.p50)
      .add(prefix + "_p99_us", s.p99)
      .add(prefix + "_p999_us", s.p999)
      .add(prefix + "_max_us", s.max)
      .add(prefix + "_mean_us", s.mean);
}

/// Spins (no futex, so the producer stays awake) for `gap_ns`; nothing for 0.
inline void spin_for(std::int64_t gap_ns) {
  if (gap_ns <= 0) return;
  const std::int64_t until = now_ns() + gap_ns;
  while (now_ns() < until) cpu_relax();
}

/// Producer: `count` round trips through `post(task)`, where `post` hands the
/// task (a callable) to the loop under test; `label` names a stuck loop.
template <class Post>
void measure_latency(const char* label, Post&& post, latency_recorder& r, std::size_t count,
                     std::int64_t gap_ns) {
  for (std::size_t i = 0; i < count; ++i) {
    spin_for(gap_ns);
    r.ran.store(false, std::memory_order_relaxed);  // relaxed: the post publishes it
    post(now_ns());
    spin_until(r.ran, label);
  }
}

}  // namespace bench
