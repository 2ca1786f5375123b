// Scenario 4: does a 10 ms timer keep ticking while a producer floods the loop?
//
// A timer re-arms itself with post_after(10 ms) from its own callback and
// records when it ran. After it has ticked a few times, one producer thread
// posts N small tasks as fast as it can (1 M, then 5 M) and waits until the
// last one ran. Reported: the largest and the p99 gap between ticks over the
// flood, and how long the flood took, for handoff and for the naive loop,
// which looks at its timers only once its queue is drained. Ideal gap: 10 ms
// plus a pump's worth of lateness; the target for handoff is <= 12 ms.
// Each flood runs `reps` times on a fresh loop (a first flood: the queue grows
// as it goes); the gaps of all repetitions are pooled for max and p99, and the
// median of the per-repetition maxima is given too, as the machine is shared.
//
// Control ("busy"): the same handoff loop and timer while the producer thread
// only spins, posting nothing, for as long as handoff's flood took. Its gaps
// are what this machine does to a timer when the other core turns busy (on
// the 2-vCPU VM this was written on: up to 3-4 ms late); the difference to
// handoff's gaps is what the flood itself costs.
//
//   bench_timer_flood [--quick] [--small=N] [--large=N] [--reps=N]
#include "baselines/naive_loop.hpp"
#include "common/bench_common.hpp"
#include "handoff/headless_loop.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr auto tick_period = std::chrono::milliseconds(10);

// Touched by the loop thread only while the loop runs; read after it stopped.
template <class Loop>
struct ticker {
  Loop* loop = nullptr;
  std::vector<std::int64_t> ticks;

  void start() {
    ticks.reserve(1 << 16);
    loop->post_after(tick_period, [this] { tick(); });
  }
  void tick() {
    if (ticks.size() < ticks.capacity()) ticks.push_back(bench::now_ns());  // never reallocates
    loop->post_after(tick_period, [this] { tick(); });
  }
};

// Written by the loop thread only, read by the producer after `done`.
struct sink {
  std::uint64_t sum = 0;
  std::size_t count = 0;
  std::size_t target = 0;
  std::atomic<bool> done{false};
};

// Gaps of every repetition, pooled.
struct flood_samples {
  std::vector<double> during_ms;  // intervals between ticks that overlap the flood
  std::vector<double> quiet_ms;   // the others
  std::vector<double> rep_max_ms;
  std::vector<double> flood_ms;
};

struct flood_figures {
  double gap_max_ms = 0.0;
  double gap_p99_ms = 0.0;
  double gap_mean_ms = 0.0;
  double median_rep_max_ms = 0.0;
  std::size_t gaps = 0;
  double quiet_gap_max_ms = 0.0;
  double flood_ms = 0.0;  // median over the repetitions
};

flood_figures summarise(flood_samples s) {
  flood_figures out;
  out.gaps = s.during_ms.size();
  out.gap_mean_ms = bench::mean(s.during_ms);
  out.gap_p99_ms = bench::percentile(s.during_ms, 99.0);
  out.gap_max_ms = bench::percentile(s.during_ms, 100.0);
  out.median_rep_max_ms = bench::median(s.rep_max_ms);
  out.quiet_gap_max_ms = bench::percentile(s.quiet_ms, 100.0);
  out.flood_ms = bench::median(s.flood_ms);
  return out;
}

// Floods n posts, or, with spin_ns > 0 (the control), spins that long posting nothing.
template <class Loop>
void flood(const char* label, std::size_t n, flood_samples& out, std::int64_t spin_ns = 0) {
  Loop loop;
  ticker<Loop> t;
  t.loop = &loop;
  sink s;
  s.target = n;
  std::int64_t start = 0;
  std::int64_t end = 0;
  {
    bench::loop_thread<Loop> thread(loop);
    t.start();
    std::this_thread::sleep_for(tick_period * 6);  // a few quiet ticks first
    start = bench::now_ns();
    if (spin_ns > 0) {
      while (bench::now_ns() - start < spin_ns) bench::cpu_relax();
      s.done.store(true, std::memory_order_relaxed);  // relaxed: nothing was posted to wait for
      n = 0;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const int a = static_cast<int>(i);
      const int b = 7;
      loop.post([target = &s, a, b] {
        target->sum += static_cast<std::uint64_t>(a ^ b);
        // release: the producer reads sum and count after it sees done.
        if (++target->count == target->target) target->done.store(true, std::memory_order_release);
      });
    }
    bench::spin_until(s.done, label);
    end = bench::now_ns();
    std::this_thread::sleep_for(tick_period * 3);  // the tick that closes the last gap
  }

  out.flood_ms.push_back(static_cast<double>(end - start) / 1e6);
  double rep_max = 0.0;
  for (std::size_t k = 0; k + 1 < t.ticks.size(); ++k) {
    const double gap_ms = static_cast<double>(t.ticks[k + 1] - t.ticks[k]) / 1e6;
    if (t.ticks[k + 1] > start && t.ticks[k] < end) {
      out.during_ms.push_back(gap_ms);
      rep_max = std::max(rep_max, gap_ms);
    } else {
      out.quiet_ms.push_back(gap_ms);
    }
  }
  out.rep_max_ms.push_back(rep_max);
}

}  // namespace

int main(int argc, char** argv) {
  const bench::options opts(argc, argv);
  const bool quick = opts.flag("--quick");
  const std::size_t sizes[] = {opts.count("--small", quick ? 100'000 : 1'000'000),
                               opts.count("--large", quick ? 500'000 : 5'000'000)};
  const std::size_t reps = opts.count("--reps", quick ? 1 : 3);

  bench::say("timer_flood: 10 ms self-re-arming timer while one producer floods N posts; gaps between ticks");
  bench::say("  %zu repetitions each; gaps pooled; 'rep max' is the median of the per-repetition maxima;",
             reps);
  bench::say("  'busy' is the control: the handoff loop while the producer spins without posting");
  bench::say("  posts      loop      gap max   gap p99  rep max  gap mean  gaps  quiet max   flood took");
  bool met = true;
  for (const std::size_t n : sizes) {
    const double load_before = bench::load_average();
    flood_samples handoff_samples;
    flood_samples naive_samples;
    flood_samples busy_samples;
    for (std::size_t r = 0; r < reps; ++r) {
      flood<handoff::headless_loop>("timer_flood/handoff", n, handoff_samples);
      flood<bench::naive_loop>("timer_flood/naive", n, naive_samples);
      const auto spin_ns = static_cast<std::int64_t>(handoff_samples.flood_ms.back() * 1e6);
      flood<handoff::headless_loop>("timer_flood/busy", n, busy_samples, spin_ns);
    }
    const flood_figures h = summarise(handoff_samples);
    const flood_figures v = summarise(naive_samples);
    const flood_figures c = summarise(busy_samples);
    met = met && h.gap_max_ms <= 12.0;
    bench::json_line()
        .add("scenario", "timer_flood")
        .add("posts", static_cast<std::uint64_t>(n))
        .add("reps", static_cast<std::uint64_t>(reps))
        .add("handoff_gap_max_ms", h.gap_max_ms)
        .add("handoff_gap_p99_ms", h.gap_p99_ms)
        .add("handoff_gap_median_rep_max_ms", h.median_rep_max_ms)
        .add("handoff_gap_mean_ms", h.gap_mean_ms)
        .add("handoff_gaps", static_cast<std::uint64_t>(h.gaps))
        .add("handoff_quiet_gap_max_ms", h.quiet_gap_max_ms)
        .add("handoff_flood_ms", h.flood_ms)
        .add("naive_gap_max_ms", v.gap_max_ms)
        .add("naive_gap_p99_ms", v.gap_p99_ms)
        .add("naive_gap_median_rep_max_ms", v.median_rep_max_ms)
        .add("naive_gap_mean_ms", v.gap_mean_ms)
        .add("naive_gaps", static_cast<std::uint64_t>(v.gaps))
        .add("naive_quiet_gap_max_ms", v.quiet_gap_max_ms)
        .add("naive_flood_ms", v.flood_ms)
        .add("busy_control_gap_max_ms", c.gap_max_ms)
        .add("busy_control_gap_median_rep_max_ms", c.median_rep_max_ms)
        .add("busy_control_quiet_gap_max_ms", c.quiet_gap_max_ms)
        .add("ratio_handoff_naive_gap_max", h.gap_max_ms / v.gap_max_ms)
        .add("ratio_handoff_naive_flood_time", h.flood_ms / v.flood_ms)
        .add("load_average", load_before)
        .print();
    for (const auto& [name, f] :
         {std::pair{"handoff", h}, std::pair{"naive  ", v}, std::pair{"busy   ", c}}) {
      bench::say("  %-9zu  %s  %7.2f ms %7.2f ms %7.2f ms %7.2f ms %5zu %7.2f ms %9.1f ms", n, name,
                 f.gap_max_ms, f.gap_p99_ms, f.median_rep_max_ms, f.gap_mean_ms, f.gaps, f.quiet_gap_max_ms,
                 f.flood_ms);
    }
  }
  bench::say("  target: handoff gap max <= 12 ms under both floods: %s", met ? "met" : "MISSED");
  return 0;
}
