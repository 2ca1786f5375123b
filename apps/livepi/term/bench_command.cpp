// livepi bench: the runs, their medians, and the CSV, table and plot made from them.
#include "bench_command.hpp"

#include "engine/coordinator.hpp"
#include "report_format.hpp"
#include "svg_plot.hpp"

#include <handoff/errors.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

namespace handoff::livepi {

namespace {

std::string format(const char* pattern, auto... values) {
  char text[256];
  std::snprintf(text, sizeof text, pattern, values...);
  return text;
}

std::string describe(backend_kind backend, unsigned workers) {
  return std::string(to_string(backend)) + " with " + std::to_string(workers) +
         (workers == 1 ? " worker" : " workers");
}

// Colours that stay apart for readers with the common colour blindnesses
// (the Okabe-Ito palette's blue and vermilion), and grey for references.
constexpr const char* threads_colour = "#0072b2";
constexpr const char* processes_colour = "#d55e00";
constexpr const char* baseline_colour = "#555555";
constexpr const char* ideal_colour = "#333333";

// ", load average 2.41" from /proc/loadavg, or nothing: how busy the machine
// was around the benchmark, since other people's work shares its cores.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one_minute;
  if (!(in >> one_minute)) return {};
  return ", load average " + one_minute;
}

bool is_terminal(std::FILE* file) { return isatty(fileno(file)) != 0; }

// One estimation through the coordinator, exactly as livepi runs it; the
// time is the coordinator's own elapsed_seconds of its last snapshot, so
// spawning and stopping workers count, as they do for a user.
struct run_outcome {
  bench_sample sample;
  std::string error;
};

run_outcome run_once(const bench_options& options, backend_kind backend, unsigned workers, unsigned rep,
                     std::uint64_t points) {
  run_config config;
  config.points = points;
  config.backend = backend;
  config.workers = workers;
  config.seed = options.seed;
  config.worker_program = "/proc/self/exe";  // this program, in its hidden worker mode
  config.worker_arguments = {"__worker"};

  snapshot last;
  {
    coordinator run(config, [&](snapshot s) {
      if (s.state == run_state::finished) last = std::move(s);
    });
    run.join();  // joining the coordinator's thread also makes `last` visible here
  }
  run_outcome outcome;
  outcome.sample = bench_sample{backend, workers, rep, last.elapsed_seconds, last.points, last.inside};
  if (!last.error.empty()) {
    outcome.error = describe(backend, workers) + " failed: " + last.error;
  } else if (last.points != points) {
    outcome.error = describe(backend, workers) + " counted " + std::to_string(last.points) + " of " +
                    std::to_string(points) + " points";
  }
  return outcome;
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) throw errors::invalid_argument("median of no values");
  const std::size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle), values.end());
  const double upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  // For an even count the lower middle is the largest value below `upper`.
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle));
  return (lower + upper) / 2;
}

std::vector<bench_row> summarize_bench(const std::vector<bench_sample>& samples) {
  std::vector<bench_row> rows;
  std::vector<std::vector<double>> times;
  std::vector<std::uint64_t> points;
  for (const auto& s : samples) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const bench_row& r) {
      return r.backend == s.backend && r.workers == s.workers;
    });
    if (it == rows.end()) {
      rows.push_back(bench_row{s.backend, s.workers});
      times.emplace_back();
      points.push_back(s.points);
      it = rows.end() - 1;
    }
    times[static_cast<std::size_t>(it - rows.begin())].push_back(s.seconds);
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& row = rows[i];
    row.reps = static_cast<unsigned>(times[i].size());
    row.median_seconds = median(times[i]);
    row.min_seconds = *std::min_element(times[i].begin(), times[i].end());
    row.max_seconds = *std::max_element(times[i].begin(), times[i].end());
    row.points_per_second = row.median_seconds > 0 ? static_cast<double>(points[i]) / row.median_seconds : 0;
  }
  if (rows.empty()) return rows;
  const auto baseline = std::find_if(
      rows.begin(), rows.end(), [](const bench_row& r) { return r.backend == backend_kind::sequential; });
  const double base_seconds = (baseline != rows.end() ? *baseline : rows.front()).median_seconds;
  for (auto& row : rows) row.speedup = row.median_seconds > 0 ? base_seconds / row.median_seconds : 0;
  return rows;
}

const bench_row* find_row(const std::vector<bench_row>& rows, backend_kind backend, unsigned workers) {
  for (const auto& row : rows) {
    if (row.backend == backend && row.workers == workers) return &row;
  }
  return nullptr;
}

std::string format_bench_csv(const std::vector<bench_sample>& samples) {
  std::string out = "backend,workers,rep,seconds,points_per_second\n";
  for (const auto& s : samples) {
    const double rate = s.seconds > 0 ? static_cast<double>(s.points) / s.seconds : 0;
    out += std::string(to_string(s.backend)) + "," + std::to_string(s.workers) + "," +
           std::to_string(s.rep + 1) + "," + format("%.6f", s.seconds) + "," + format("%.0f", rate) + "\n";
  }
  return out;
}

std::string format_bench_table_header() {
  return format("%-11s %7s %9s %8s %8s %7s %11s %8s\n", "backend", "workers", "median s", "min s", "max s",
                "spread", "points/s", "speedup");
}

std::string format_bench_table_row(const bench_row& row) {
  // Spread: how far apart the fastest and slowest repetitions were, against the median.
  const double spread = row.median_seconds > 0 ? (row.max_seconds - row.min_seconds) / row.median_seconds : 0;
  return format("%-11s %7u %9.3f %8.3f %8.3f %6.1f%% %11s %7.2fx\n",
                std::string(to_string(row.backend)).c_str(), row.workers, row.median_seconds, row.min_seconds,
                row.max_seconds, 100 * spread, human_count(row.points_per_second).c_str(), row.speedup);
}

std::string format_bench_findings(const std::vector<bench_row>& rows, unsigned cores) {
  std::string out;
  for (const auto backend : {backend_kind::threads, backend_kind::processes}) {
    const auto* one = find_row(rows, backend, 1);
    const auto* two = find_row(rows, backend, 2);
    if (one == nullptr || two == nullptr || two->median_seconds <= 0) continue;
    const double ratio = one->median_seconds / two->median_seconds;
    out += format("%-9s 2 workers vs 1: %.2fx (target: at least 1.85x) %s\n",
                  std::string(to_string(backend)).c_str(), ratio, ratio >= 1.85 ? "ok" : "MISSED");
  }
  // Processes against threads where both use every core (2 workers here).
  const unsigned at = std::max(1U, std::min(cores, 2U));
  const auto* threads = find_row(rows, backend_kind::threads, at);
  const auto* processes = find_row(rows, backend_kind::processes, at);
  if (threads != nullptr && processes != nullptr && threads->median_seconds > 0) {
    const double difference = processes->median_seconds / threads->median_seconds - 1;
    out += format("processes vs threads at %u workers: %+.1f%% time (target: within 3%%) %s\n", at,
                  100 * difference, std::abs(difference) <= 0.03 ? "ok" : "MISSED");
  }
  return out;
}

std::string format_bench_svg(const std::vector<bench_row>& rows, unsigned cores,
                             const std::string& subtitle) {
  cores = std::max(cores, 1U);
  unsigned max_workers = 1;
  for (const auto& row : rows) max_workers = std::max(max_workers, row.workers);

  plot_panel time{"Time per run (median)", "workers", "seconds"};
  plot_panel speedup{"Speedup over sequential", "workers", "speedup (sequential time / time)"};
  for (auto* p : {&time, &speedup}) {
    p->integer_x_ticks = true;
    if (max_workers > cores) {
      p->shade_from_x = cores;
      p->shade_label = "more workers than cores";
    }
  }

  // The baseline runs on one thread whatever the worker count, so it is a
  // flat reference across the plot rather than a single dot.
  if (const auto* base = find_row(rows, backend_kind::sequential, 1)) {
    plot_series flat{"sequential", {}, baseline_colour};
    flat.markers = false;
    flat.points = {{1, base->median_seconds}, {static_cast<double>(max_workers), base->median_seconds}};
    time.series.push_back(flat);
    flat.points = {{1, base->speedup}, {static_cast<double>(max_workers), base->speedup}};
    speedup.series.push_back(flat);
  }

  for (const auto backend : {backend_kind::threads, backend_kind::processes}) {
    plot_series t{std::string(to_string(backend)),
                  {},
                  backend == backend_kind::threads ? threads_colour : processes_colour};
    plot_series s = t;
    for (const auto& row : rows) {
      if (row.backend != backend) continue;
      t.points.push_back({static_cast<double>(row.workers), row.median_seconds});
      s.points.push_back({static_cast<double>(row.workers), row.speedup});
    }
    if (t.points.empty()) continue;
    time.series.push_back(std::move(t));
    speedup.series.push_back(std::move(s));
  }

  // The best any backend can do on this machine: one core per worker, up to
  // the cores. Drawn last, thin and dashed, so that a backend that reaches it
  // does not hide it.
  plot_series ideal{
      "ideal (" + std::to_string(cores) + (cores == 1 ? " core)" : " cores)"), {}, ideal_colour};
  ideal.dashed = true;
  ideal.width = 1.6;
  ideal.markers = false;
  ideal.points.push_back({1, 1});
  const auto full = static_cast<double>(std::min(cores, max_workers));
  if (full > 1) ideal.points.push_back({full, full});
  if (max_workers > cores)
    ideal.points.push_back({static_cast<double>(max_workers), static_cast<double>(cores)});
  speedup.series.push_back(std::move(ideal));

  plot_figure figure;
  figure.title = "livepi bench: C++ threads and processes against workers";
  figure.subtitle = subtitle;
  figure.panels = {std::move(time), std::move(speedup)};
  return render_svg(figure);
}

std::optional<std::string> find_count_mismatch(const std::vector<bench_sample>& samples) {
  if (samples.empty()) return std::nullopt;
  const auto& first = samples.front();
  for (const auto& s : samples) {
    if (s.inside == first.inside && s.points == first.points) continue;
    return describe(s.backend, s.workers) + " (run " + std::to_string(s.rep + 1) + ") counted " +
           std::to_string(s.inside) + " inside of " + std::to_string(s.points) + " points, but " +
           describe(first.backend, first.workers) + " (run " + std::to_string(first.rep + 1) + ") counted " +
           std::to_string(first.inside) + " inside of " + std::to_string(first.points) +
           ": the count must not depend on the backend or the workers";
  }
  return std::nullopt;
}

int run_bench(const bench_options& options, std::FILE* out, std::FILE* progress) {
  namespace fs = std::filesystem;
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  const unsigned max_workers = options.max_workers != 0 ? options.max_workers : 2 * cores;
  const unsigned reps = std::max(1U, options.reps);

  // The output directory is checked first, so that a bad --out fails at
  // once rather than after a minute of benchmarking.
  const fs::path dir = options.out_dir.empty() ? fs::path(".") : fs::path(options.out_dir);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error || !fs::is_directory(dir) || access(dir.c_str(), W_OK) != 0) {
    std::fprintf(progress, "livepi: --out: '%s' is not a writable directory%s%s\n", options.out_dir.c_str(),
                 error ? ": " : "", error ? error.message().c_str() : "");
    return 2;
  }
  const fs::path csv_path = dir / "livepi-bench.csv";
  const fs::path svg_path = dir / "livepi-bench.svg";

  std::fprintf(out, "livepi bench: %s points, seed %llu, %u repetitions, 1 to %u workers, %u cores%s\n",
               human_count(static_cast<double>(options.points)).c_str(),
               static_cast<unsigned long long>(options.seed), reps, max_workers, cores,
               load_average().c_str());
  std::fflush(out);

  // Warm-up, not timed: the first run of a program pays for page faults, the
  // first worker process for reading the executable, and the CPU's clock
  // may still be ramping up.
  const std::uint64_t warm_points = std::max<std::uint64_t>(options.points / 8, 1);
  for (const auto backend : {backend_kind::threads, backend_kind::processes}) {
    std::fprintf(progress, "bench: warming up (%s)\n", std::string(to_string(backend)).c_str());
    const auto warm = run_once(options, backend, 1, 0, warm_points);
    if (!warm.error.empty()) {
      std::fprintf(progress, "livepi: bench: %s\n", warm.error.c_str());
      return 1;
    }
  }

  struct configuration {
    backend_kind backend;
    unsigned workers;
  };
  std::vector<configuration> plan{{backend_kind::sequential, 1}};
  for (const auto backend : {backend_kind::threads, backend_kind::processes}) {
    for (unsigned w = 1; w <= max_workers; ++w) plan.push_back({backend, w});
  }

  // Rounds: each round runs every configuration once, and the repetitions
  // are the rounds. On a shared machine the load comes and goes (somebody
  // starts a build); interleaving spreads a burst over all configurations
  // instead of spoiling every repetition of one, and the median then drops it.
  //
  // On a terminal the progress line is redrawn in place and erased before
  // each table row; elsewhere (a log file) each run gets a line. The table's
  // rows appear during the last round, as each configuration completes.
  const bool redraw = is_terminal(progress);
  const char* erase = redraw ? "\r\x1b[2K" : "";
  std::vector<bench_sample> samples;
  for (unsigned rep = 0; rep < reps; ++rep) {
    const bool last_round = rep + 1 == reps;
    if (last_round) {
      std::fputs(erase, progress);
      std::fflush(progress);
      std::fputs(format_bench_table_header().c_str(), out);
      std::fflush(out);
    }
    for (std::size_t c = 0; c < plan.size(); ++c) {
      const auto [backend, workers] = plan[c];
      const std::string line = format("bench: round %u/%u, [%zu/%zu] %s", rep + 1, reps, c + 1, plan.size(),
                                      describe(backend, workers).c_str());
      if (redraw) std::fprintf(progress, "%s%s ...", erase, line.c_str());
      std::fflush(progress);
      const auto outcome = run_once(options, backend, workers, rep, options.points);
      if (!outcome.error.empty()) {
        std::fprintf(progress, "%slivepi: bench: %s\n", erase, outcome.error.c_str());
        return 1;
      }
      samples.push_back(outcome.sample);
      if (const auto mismatch = find_count_mismatch(samples)) {
        std::fprintf(progress, "%slivepi: bench: %s (seed %llu)\n", erase, mismatch->c_str(),
                     static_cast<unsigned long long>(options.seed));
        return 1;
      }
      if (!redraw) std::fprintf(progress, "%s: %.3f s\n", line.c_str(), outcome.sample.seconds);
      if (last_round) {
        std::fputs(erase, progress);
        std::fflush(progress);
        const auto rows = summarize_bench(samples);
        std::fputs(format_bench_table_row(*find_row(rows, backend, workers)).c_str(), out);
        std::fflush(out);
      }
    }
  }
  std::fputs(erase, progress);
  std::fflush(progress);

  const auto rows = summarize_bench(samples);
  const std::string subtitle = human_count(static_cast<double>(options.points)) + " points, seed " +
                               std::to_string(options.seed) + ", median of " + std::to_string(reps) +
                               " runs each, " + std::to_string(cores) + " cores";
  {
    std::ofstream csv(csv_path, std::ios::binary | std::ios::trunc);
    csv << format_bench_csv(samples);
    std::ofstream svg(svg_path, std::ios::binary | std::ios::trunc);
    svg << format_bench_svg(rows, cores, subtitle);
    if (!csv.flush() || !svg.flush()) {
      std::fprintf(progress, "livepi: bench: cannot write %s or %s\n", csv_path.c_str(), svg_path.c_str());
      return 1;
    }
  }
  std::fprintf(out, "\n%s", format_bench_findings(rows, cores).c_str());
  std::fprintf(out, "every run counted %llu inside of %llu points, as the sequential run did\n",
               static_cast<unsigned long long>(samples.front().inside),
               static_cast<unsigned long long>(samples.front().points));
  std::fprintf(out, "wrote %s and %s%s\n", csv_path.c_str(), svg_path.c_str(), load_average().c_str());
  std::fflush(out);
  return 0;
}

}  // namespace handoff::livepi
