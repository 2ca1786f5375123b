// Scenario 2: latency from post() on another thread to the task running.
//
// The producer posts one task carrying its steady-clock send time, spins (no
// futex) until the task has run, and repeats; the loop thread records
// run time minus send time. The loops take turns in rounds so background noise
// spreads over all of them. Reported: p50, p99, p99.9 and max in microseconds.
//
// Two variants, one JSON line each:
//   - "back_to_back": the next post follows as soon as the task ran. The loop
//     thread is often still finishing its turn and has not gone back to sleep,
//     so this mostly measures the hand-over between two awake threads.
//   - "from_sleep": the producer spins for a gap (50 us) before each post, so
//     the loop is asleep again and every post pays a full wake-up: the case of
//     a UI loop waiting for events when a worker reports.
//
//   bench_latency [--quick] [--iterations=N] [--sleep-iterations=N] [--rounds=N] [--gap-us=N]
#include "baselines/batched_loop.hpp"
#include "baselines/naive_loop.hpp"
#include "common/bench_common.hpp"
#include "common/latency_recorder.hpp"
#include "handoff/headless_loop.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace {

template <class Loop>
void measure(const char* label, Loop& loop, bench::latency_recorder& r, std::size_t count,
             std::int64_t gap_ns) {
  bench::measure_latency(
      label, [&](std::int64_t sent) { loop.post([rec = &r, sent] { rec->record(sent); }); }, r, count,
      gap_ns);
}

void run_variant(const char* variant, std::size_t iterations, std::size_t rounds, std::int64_t gap_ns) {
  const std::size_t warmup = 1'000;
  const double load_before = bench::load_average();
  handoff::headless_loop handoff_loop;
  bench::batched_loop floor_loop;
  bench::naive_loop naive_loop;
  bench::latency_recorder handoff_rec;
  bench::latency_recorder floor_rec;
  bench::latency_recorder naive_rec;
  for (bench::latency_recorder* r : {&handoff_rec, &floor_rec, &naive_rec})
    r->samples_us.resize(warmup + iterations);
  {
    bench::loop_thread<handoff::headless_loop> t1(handoff_loop);
    bench::loop_thread<bench::batched_loop> t2(floor_loop);
    bench::loop_thread<bench::naive_loop> t3(naive_loop);
    measure("latency/handoff", handoff_loop, handoff_rec, warmup, gap_ns);
    measure("latency/floor", floor_loop, floor_rec, warmup, gap_ns);
    measure("latency/naive", naive_loop, naive_rec, warmup, gap_ns);
    for (std::size_t round = 0; round < rounds; ++round) {
      const std::size_t chunk = iterations / rounds + (round < iterations % rounds ? 1 : 0);
      measure("latency/handoff", handoff_loop, handoff_rec, chunk, gap_ns);
      measure("latency/floor", floor_loop, floor_rec, chunk, gap_ns);
      measure("latency/naive", naive_loop, naive_rec, chunk, gap_ns);
    }
  }

  const bench::latency_summary h = bench::summarise(handoff_rec, warmup);
  const bench::latency_summary f = bench::summarise(floor_rec, warmup);
  const bench::latency_summary n = bench::summarise(naive_rec, warmup);
  bench::json_line line;
  line.add("scenario", "latency")
      .add("variant", variant)
      .add("iterations", static_cast<std::uint64_t>(iterations))
      .add("gap_us", static_cast<double>(gap_ns) / 1e3);
  bench::add_latency(line, "handoff", h);
  bench::add_latency(line, "floor", f);
  bench::add_latency(line, "naive", n);
  line.add("ratio_handoff_floor_p50", h.p50 / f.p50)
      .add("ratio_handoff_floor_p99", h.p99 / f.p99)
      .add("load_average", load_before)
      .print();

  bench::say("latency (%s): post on one thread -> run on the loop thread, %zu posts each, microseconds",
             variant, iterations);
  bench::say("            p50     p99   p99.9      max     mean");
  for (const auto& [name, s] : {std::pair{"handoff", h}, std::pair{"floor  ", f}, std::pair{"naive  ", n}}) {
    bench::say("  %s %7.1f %7.1f %7.1f %8.1f %8.1f", name, s.p50, s.p99, s.p999, s.max, s.mean);
  }
  bench::say("  handoff/floor: p50 %.2fx, p99 %.2fx; targets p50 <= 15 us: %s, p99 <= 60 us: %s",
             h.p50 / f.p50, h.p99 / f.p99, h.p50 <= 15.0 ? "met" : "MISSED",
             h.p99 <= 60.0 ? "met" : "MISSED");
}

}  // namespace

int main(int argc, char** argv) {
  const bench::options opts(argc, argv);
  const bool quick = opts.flag("--quick");
  const std::size_t iterations = opts.count("--iterations", quick ? 10'000 : 100'000);
  const std::size_t sleep_iterations = opts.count("--sleep-iterations", quick ? 5'000 : 50'000);
  const std::size_t rounds = std::max<std::size_t>(1, opts.count("--rounds", 10));
  const auto gap_ns = static_cast<std::int64_t>(opts.value("--gap-us", 50.0) * 1e3);
  run_variant("back_to_back", iterations, rounds, 0);
  run_variant("from_sleep", sleep_iterations, rounds, gap_ns);
  return 0;
}
