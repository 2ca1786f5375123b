// livepi bench: sequential, threads and processes against the number of workers.
//
// run_bench times the same estimation (same seed, same points) through
// handoff::livepi::coordinator for the sequential baseline and for the threads
// and processes backends with 1 to max_workers workers, several repetitions
// each, and reports medians: a table on stdout as it goes, progress on
// stderr, and a CSV of every run plus an SVG plot (time and speedup against
// workers) in the output directory. Every run's inside count must equal the
// baseline's: the count is a pure function of (seed, points), so a mismatch
// is a bug, and the benchmark stops with an error.
//
// Everything but run_bench is a pure function from data to data or text, so
// it can be tested without running the benchmark.
//
// Threads: run_bench blocks its caller for the whole benchmark (about a
// minute with the defaults) and runs one estimation at a time, each on the
// coordinator's own thread; call it from main, not from a UI thread.
#pragma once

#include "engine/run_config.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace handoff::livepi {

/// Points per run by default: about 1.3 s for one core of this machine's
/// kernel (3e9 points a second), long enough that process start-up and the
/// scheduler's noise are small against it, short enough for a whole
/// benchmark to take about a minute.
inline constexpr std::uint64_t default_bench_points = 4'000'000'000;
inline constexpr std::uint64_t default_bench_seed = 20'240'601;

struct bench_options {
  std::uint64_t points = default_bench_points;
  unsigned reps = 5;
  unsigned max_workers = 0;  // 0: twice the number of cores
  std::string out_dir = ".";
  std::uint64_t seed = default_bench_seed;
};

/// One timed run.
struct bench_sample {
  backend_kind backend = backend_kind::sequential;
  unsigned workers = 1;
  unsigned rep = 0;  // 0-based
  double seconds = 0;
  std::uint64_t points = 0;
  std::uint64_t inside = 0;
};

/// One configuration (backend, workers) over its repetitions.
struct bench_row {
  backend_kind backend = backend_kind::sequential;
  unsigned workers = 1;
  unsigned reps = 0;
  double median_seconds = 0;
  double min_seconds = 0;
  double max_seconds = 0;
  double points_per_second = 0;  // points / median_seconds
  double speedup = 0;            // the baseline's median_seconds / median_seconds
};

/// The median: the middle value of an odd count, the mean of the two middle
/// values of an even one. Throws errors::invalid_argument when empty. Any thread.
double median(std::vector<double> values);

/// One row per configuration, in the order the configurations first appear
/// in `samples`. The baseline of the speedups is the sequential row if there
/// is one, else the first row. Any thread.
std::vector<bench_row> summarize_bench(const std::vector<bench_sample>& samples);

/// The row of (backend, workers), if any. Any thread.
const bench_row* find_row(const std::vector<bench_row>& rows, backend_kind backend, unsigned workers);

/// CSV with the header "backend,workers,rep,seconds,points_per_second" and one
/// line per sample, reps numbered from 1. Any thread.
std::string format_bench_csv(const std::vector<bench_sample>& samples);

/// The table's header line and one line per row, each ending with a newline. Any thread.
std::string format_bench_table_header();
std::string format_bench_table_row(const bench_row& row);

/// The lessons in numbers: 2 workers against 1 for threads and processes,
/// and processes against threads at the number of cores. Lines ending with a
/// newline; empty when the rows lack the configurations. Any thread.
std::string format_bench_findings(const std::vector<bench_row>& rows, unsigned cores);

/// The plot: time against workers and speedup against workers, one line per
/// backend (the sequential baseline as a flat reference), the ideal speedup
/// min(workers, cores), and the region past `cores` shaded. Any thread.
std::string format_bench_svg(const std::vector<bench_row>& rows, unsigned cores, const std::string& subtitle);

/// The first sample whose inside count differs from the first sample's, as a
/// one-line message naming both; nullopt when all agree. Any thread.
std::optional<std::string> find_count_mismatch(const std::vector<bench_sample>& samples);

/// Runs the benchmark: table to `out`, progress and errors to `progress`,
/// files into options.out_dir. Returns the exit status: 0, 1 when a run fails
/// or counts differently, 2 when the output directory cannot be used. Blocks
/// for the whole benchmark; not on a UI thread.
int run_bench(const bench_options& options, std::FILE* out, std::FILE* progress);

}  // namespace handoff::livepi
