// bench_kernel: livepi's kernel on one core, samples per second and cycles per
// sample, for the AVX2 path, the portable path, and a naive baseline measured
// in the same run (std::mt19937_64 with std::uniform_real_distribution, the
// loop one would write first).
//
// Each repetition runs every path once, in turn, so that background load
// spreads over all of them; the best repetition is the figure (noise only
// ever slows a run down), the median is printed beside it.
//
// Cycles: `perf stat -e cycles,instructions -- bench_kernel --only=avx2` when
// the machine exposes hardware counters. Without them (a VM without a virtual
// PMU), two estimates are printed: TSC ticks per sample (__rdtsc: a constant
// rate, not the core's clock, which boosts with load) and core cycles per
// sample: nanoseconds times the core clock, measured just before and just
// after each timed run by a chain of dependent adds (one per cycle on every
// x86-64 core). A run whose thread lost the CPU (thread CPU time under 98% of
// wall time) is not used for the best figures.
//
//   bench_kernel [--quick] [--points=N] [--reps=N] [--only=avx2|portable|baseline]
//
// stdout: one JSON object per line (a "kernel_run" line, then one line per
// path); stderr: a readable summary.
#include "engine/kernel.hpp"
#include "engine/kernel_detail.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#endif

namespace {

namespace livepi = handoff::livepi;

using steady = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
}

std::uint64_t ticks() {
#if defined(BENCH_HAVE_TSC)
  return __rdtsc();
#else
  return 0;
#endif
}

struct options {
  bool quick = false;
  std::uint64_t points = std::uint64_t{1} << 28;
  int reps = 9;
  std::string only;
};

options parse(int argc, char** argv) {
  options o;
  bool points_given = false, reps_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--quick") {
      o.quick = true;
    } else if (a.starts_with("--points=")) {
      o.points = std::strtoull(argv[i] + 9, nullptr, 0);
      points_given = true;
    } else if (a.starts_with("--reps=")) {
      o.reps = std::atoi(argv[i] + 7);
      reps_given = true;
    } else if (a.starts_with("--only=")) {
      o.only = std::string(a.substr(7));
    } else {
      std::fprintf(stderr, "bench_kernel: unknown argument '%s'\n", argv[i]);
      std::exit(2);
    }
  }
  if (o.quick && !points_given) o.points = std::uint64_t{1} << 24;
  if (o.quick && !reps_given) o.reps = 3;
  if (o.points == 0 || o.reps < 1) {
    std::fprintf(stderr, "bench_kernel: --points and --reps must be positive\n");
    std::exit(2);
  }
  return o;
}

// The naive baseline: what one writes first, with the standard library.
std::uint64_t baseline_count(std::uint64_t seed, std::uint64_t points) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> coordinate(0.0, 1.0);
  std::uint64_t inside = 0;
  for (std::uint64_t i = 0; i < points; ++i) {
    const double x = coordinate(engine);
    const double y = coordinate(engine);
    inside += x * x + y * y < 1.0 ? 1 : 0;
  }
  return inside;
}

// Core clock in GHz: a chain of dependent adds retires one add per cycle, so
// adds over nanoseconds is the clock the core runs at now. Best of a few tries.
double core_ghz(int attempts) {
#if defined(__x86_64__)
  constexpr std::uint64_t iterations = 2'000'000;  // 8 dependent adds each: about 5 ms
  double best = 0.0;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    std::uint64_t chain = 0;
    const std::int64_t start = now_ns();
    for (std::uint64_t i = 0; i < iterations; ++i) {
      __asm__ volatile(
          "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
          "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
          : "+r"(chain));
    }
    const double ns = static_cast<double>(now_ns() - start);
    if (chain != 8 * iterations) std::abort();
    best = std::max(best, 8.0 * static_cast<double>(iterations) / ns);
  }
  return best;
#else
  (void)attempts;
  return 0.0;
#endif
}

std::int64_t thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

struct path_figures {
  std::string name;
  std::uint64_t points = 0;    // per repetition
  std::vector<double> ns;      // per repetition, wall time
  std::vector<double> tsc;     // per repetition
  std::vector<double> cycles;  // per repetition: ns times the core clock around it
  std::vector<bool> kept;      // per repetition: the thread kept its CPU
  std::uint64_t checksum = 0;
};

path_figures make_path(const char* name, std::uint64_t points) {
  path_figures f;
  f.name = name;
  f.points = points;
  return f;
}

template <class Count>
void measure(path_figures& f, std::uint64_t seed, bool clock, Count count) {
  const double ghz_before = clock ? core_ghz(2) : 0.0;
  const std::int64_t cpu0 = thread_cpu_ns();
  const std::int64_t t0 = now_ns();
  const std::uint64_t c0 = ticks();
  f.checksum += count(seed, f.points);
  const std::uint64_t c1 = ticks();
  const std::int64_t t1 = now_ns();
  const std::int64_t cpu1 = thread_cpu_ns();
  const double ghz_after = clock ? core_ghz(2) : 0.0;
  f.ns.push_back(static_cast<double>(t1 - t0));
  f.tsc.push_back(static_cast<double>(c1 - c0));
  f.cycles.push_back(static_cast<double>(t1 - t0) * (ghz_before + ghz_after) / 2.0);
  f.kept.push_back(static_cast<double>(cpu1 - cpu0) >= 0.98 * static_cast<double>(t1 - t0));
}

// The smallest of `v` over the repetitions in which the thread kept its CPU
// (over all of them if there is none).
double best_of(const std::vector<double>& v, const std::vector<bool>& kept) {
  double best = -1.0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (kept[i] && (best < 0 || v[i] < best)) best = v[i];
  }
  return best >= 0 ? best : *std::min_element(v.begin(), v.end());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  const bool avx2 = livepi::detail::avx2_usable();
  auto wanted = [&](std::string_view name) { return o.only.empty() || o.only == name; };

  std::vector<path_figures> paths;
  if (avx2 && wanted("avx2")) paths.push_back(make_path("avx2", o.points));
  if (wanted("portable")) paths.push_back(make_path("portable", o.points / 4));
  // About 30 times slower: fewer points keep each repetition short.
  if (wanted("baseline"))
    paths.push_back(make_path("baseline_mt19937_64", std::max<std::uint64_t>(o.points / 32, 1)));
  if (paths.empty()) {
    std::fprintf(stderr, "bench_kernel: nothing to run for --only=%s\n", o.only.c_str());
    return 2;
  }

  // With --only (under perf stat) the clock is not measured, so that the
  // counters see the kernel alone.
  const bool clock = o.only.empty();
  const std::int64_t run_t0 = now_ns();
  const std::uint64_t run_c0 = ticks();
  for (int rep = 0; rep < o.reps; ++rep) {
    const std::uint64_t seed = 1000 + static_cast<std::uint64_t>(rep);
    for (path_figures& f : paths) {
      if (f.name == "avx2") {
        measure(f, seed, clock, [](std::uint64_t s, std::uint64_t n) {
          return livepi::detail::count_inside_on(livepi::kernel_path::avx2, s, 0, n);
        });
      } else if (f.name == "portable") {
        measure(f, seed, clock,
                [](std::uint64_t s, std::uint64_t n) { return livepi::count_inside_portable(s, 0, n); });
      } else {
        measure(f, seed, clock, baseline_count);
      }
    }
  }
  const double tsc_ghz = static_cast<double>(ticks() - run_c0) / static_cast<double>(now_ns() - run_t0);

  std::printf(
      "{\"scenario\":\"kernel_run\",\"points\":%llu,\"reps\":%d,\"avx2_usable\":%s,\"tsc_ghz\":%.4f}\n",
      static_cast<unsigned long long>(o.points), o.reps, avx2 ? "true" : "false", tsc_ghz);
  std::fprintf(
      stderr, "== bench_kernel: one core, %d repetitions, best of those that kept the CPU; TSC %.3f GHz ==\n",
      o.reps, tsc_ghz);
  double baseline_best = 0.0;
  for (const path_figures& f : paths) {
    if (f.name.starts_with("baseline")) baseline_best = best_of(f.ns, f.kept) / static_cast<double>(f.points);
  }
  for (const path_figures& f : paths) {
    const double n = static_cast<double>(f.points);
    const double ns_per = best_of(f.ns, f.kept) / n;
    const double tsc_per = best_of(f.tsc, f.kept) / n;
    const auto kept = static_cast<int>(std::count(f.kept.begin(), f.kept.end(), true));
    // Figures this run could not measure are null in the JSON and left out of the summary.
    char cycles[32] = "null";
    char speedup[32] = "null";
    if (clock) std::snprintf(cycles, sizeof cycles, "%.4f", best_of(f.cycles, f.kept) / n);
    if (baseline_best > 0) std::snprintf(speedup, sizeof speedup, "%.2f", baseline_best / ns_per);
    std::printf(
        "{\"scenario\":\"kernel\",\"path\":\"%s\",\"points\":%llu,\"reps\":%d,\"reps_kept_cpu\":%d,"
        "\"best_samples_per_s\":%.4e,\"median_samples_per_s\":%.4e,\"best_ns_per_sample\":%.4f,"
        "\"best_tsc_per_sample\":%.4f,\"best_cycles_per_sample\":%s,\"speedup_vs_baseline\":%s,"
        "\"checksum\":%llu}\n",
        f.name.c_str(), static_cast<unsigned long long>(f.points), o.reps, kept, 1e9 / ns_per,
        1e9 * n / median(f.ns), ns_per, tsc_per, cycles, speedup,
        static_cast<unsigned long long>(f.checksum));
    std::fprintf(stderr, "  %-20s best %.3e samples/s: %.3f ns, %.3f TSC ticks", f.name.c_str(), 1e9 / ns_per,
                 ns_per, tsc_per);
    if (clock) std::fprintf(stderr, ", ~%s core cycles", cycles);
    std::fprintf(stderr, " per sample (median %.3e/s)", 1e9 * n / median(f.ns));
    if (baseline_best > 0) std::fprintf(stderr, "; %sx the baseline", speedup);
    std::fprintf(stderr, "; %d of %d runs kept the CPU\n", kept, o.reps);
  }
  return 0;
}
