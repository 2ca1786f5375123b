// Scenario 3: what an idle loop costs, and what polling costs in latency.
//
// Part 1: every loop runs on its own thread with nothing to do for a while
// (2 s); reported: wake-ups per second (headless_loop::wakeups(), the
// baselines' own counters). An event-driven loop should show zero; the 50 ms
// polling baseline about 20.
// Part 2: latency of an occasional post: the producer sleeps a random 0..50 ms
// (so it lands anywhere in a poll interval), posts one task carrying its send
// time, and waits (futex wait: the figure is taken on the loop thread) until
// it ran. The polling baseline should average half its interval, ~25 ms; the
// event-driven loops pay one wake from sleep.
//
//   bench_idle_wakeups [--quick] [--seconds=S] [--samples=N]
#include "baselines/batched_loop.hpp"
#include "baselines/naive_loop.hpp"
#include "baselines/polling_loop.hpp"
#include "common/bench_common.hpp"
#include "handoff/headless_loop.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

namespace {

struct idle_figures {
  std::vector<double> latency_us;
  double wakeups_per_s = 0.0;
};

template <class Loop>
void occasional_posts(const char* label, Loop& loop, std::size_t samples, std::mt19937& random,
                      idle_figures& out) {
  std::uniform_int_distribution<int> gap_us(0, 50'000);
  double latency_us = 0.0;  // written by the loop thread, read after `ran`
  std::atomic<bool> ran{false};
  for (std::size_t i = 0; i < samples; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(gap_us(random)));
    ran.store(false, std::memory_order_relaxed);  // relaxed: the post below publishes it
    const std::int64_t sent = bench::now_ns();
    loop.post([&latency_us, &ran, sent] {
      latency_us = static_cast<double>(bench::now_ns() - sent) / 1e3;
      ran.store(true, std::memory_order_release);  // release: latency_us is written first
    });
    bench::sleep_until_set(ran, label);
    out.latency_us.push_back(latency_us);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bench::options opts(argc, argv);
  const bool quick = opts.flag("--quick");
  const double seconds = opts.value("--seconds", quick ? 0.5 : 2.0);
  const std::size_t samples = opts.count("--samples", quick ? 10 : 40);
  const double load_before = bench::load_average();

  handoff::headless_loop handoff_loop;
  bench::batched_loop floor_loop;
  bench::naive_loop naive_loop;
  bench::polling_loop polling_loop;
  idle_figures h, f, n, p;
  {
    bench::loop_thread<handoff::headless_loop> t1(handoff_loop);
    bench::loop_thread<bench::batched_loop> t2(floor_loop);
    bench::loop_thread<bench::naive_loop> t3(naive_loop);
    bench::loop_thread<bench::polling_loop> t4(polling_loop);

    // Part 1: all four idle at once; they are asleep (or polling), so they do not disturb each other.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let each reach its wait
    const std::uint64_t h0 = handoff_loop.wakeups(), f0 = floor_loop.wakeups(), n0 = naive_loop.wakeups(),
                        p0 = polling_loop.wakeups();
    const std::int64_t start = bench::now_ns();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const double elapsed = static_cast<double>(bench::now_ns() - start) / 1e9;
    h.wakeups_per_s = static_cast<double>(handoff_loop.wakeups() - h0) / elapsed;
    f.wakeups_per_s = static_cast<double>(floor_loop.wakeups() - f0) / elapsed;
    n.wakeups_per_s = static_cast<double>(naive_loop.wakeups() - n0) / elapsed;
    p.wakeups_per_s = static_cast<double>(polling_loop.wakeups() - p0) / elapsed;

    // Part 2: one loop at a time, each with the same sequence of gaps.
    const auto fresh_random = [] { return std::mt19937(42); };
    auto r1 = fresh_random(), r2 = fresh_random(), r3 = fresh_random(), r4 = fresh_random();
    occasional_posts("idle/handoff", handoff_loop, samples, r1, h);
    occasional_posts("idle/floor", floor_loop, samples, r2, f);
    occasional_posts("idle/naive", naive_loop, samples, r3, n);
    occasional_posts("idle/polling", polling_loop, samples, r4, p);
  }

  const auto avg = [](const idle_figures& x) { return bench::mean(x.latency_us); };
  const auto p50 = [](idle_figures x) { return bench::percentile(x.latency_us, 50.0); };
  const auto worst = [](idle_figures x) { return bench::percentile(x.latency_us, 100.0); };
  bench::json_line()
      .add("scenario", "idle")
      .add("idle_seconds", seconds)
      .add("samples", static_cast<std::uint64_t>(samples))
      .add("handoff_wakeups_per_s", h.wakeups_per_s)
      .add("floor_wakeups_per_s", f.wakeups_per_s)
      .add("naive_wakeups_per_s", n.wakeups_per_s)
      .add("polling_wakeups_per_s", p.wakeups_per_s)
      .add("handoff_idle_post_mean_us", avg(h))
      .add("handoff_idle_post_p50_us", p50(h))
      .add("handoff_idle_post_max_us", worst(h))
      .add("floor_idle_post_mean_us", avg(f))
      .add("floor_idle_post_p50_us", p50(f))
      .add("floor_idle_post_max_us", worst(f))
      .add("naive_idle_post_mean_us", avg(n))
      .add("naive_idle_post_p50_us", p50(n))
      .add("naive_idle_post_max_us", worst(n))
      .add("polling_idle_post_mean_us", avg(p))
      .add("polling_idle_post_p50_us", p50(p))
      .add("polling_idle_post_max_us", worst(p))
      .add("ratio_handoff_floor_idle_post_mean", avg(h) / avg(f))
      .add("load_average", load_before)
      .print();

  bench::say(
      "idle: wake-ups per second over %.1f s with nothing to do; then %zu posts at random 0..50 ms gaps",
      seconds, samples);
  bench::say("            wakeups/s   post->run mean     p50       max");
  bench::say("  handoff   %9.1f   %11.1f us %7.1f us %7.1f us", h.wakeups_per_s, avg(h), p50(h), worst(h));
  bench::say("  floor     %9.1f   %11.1f us %7.1f us %7.1f us", f.wakeups_per_s, avg(f), p50(f), worst(f));
  bench::say("  naive     %9.1f   %11.1f us %7.1f us %7.1f us", n.wakeups_per_s, avg(n), p50(n), worst(n));
  bench::say("  polling   %9.1f   %11.1f ms %7.1f ms %7.1f ms", p.wakeups_per_s, avg(p) / 1e3, p50(p) / 1e3,
             worst(p) / 1e3);
  bench::say("  target: zero idle wake-ups (handoff: %s)", h.wakeups_per_s == 0.0 ? "met" : "MISSED");
  return 0;
}
