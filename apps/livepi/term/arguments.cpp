#include "arguments.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <map>
#include <thread>

namespace handoff::livepi {

std::uint64_t parse_count(std::string_view text, std::string_view what) {
  const auto bad = [&](std::string_view why) {
    return usage_error(std::string(what) + ": '" + std::string(text) + "' " + std::string(why));
  };
  if (text.empty()) throw bad("is empty");
  std::uint64_t exact = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), exact);
  if (error == std::errc() && end == text.data() + text.size()) {
    if (exact == 0) throw bad("must be at least 1");
    return exact;
  }
  if (error == std::errc::result_out_of_range) throw bad("is too large");

  double scale = 1;
  std::string_view number = text;
  switch (text.back()) {
    case 'k':
    case 'K':
      scale = 1e3;
      break;
    case 'M':
      scale = 1e6;
      break;
    case 'G':
      scale = 1e9;
      break;
    case 'T':
      scale = 1e12;
      break;
    default:
      break;
  }
  if (scale != 1) number.remove_suffix(1);
  double value = 0;
  const auto [number_end, number_error] =
      std::from_chars(number.data(), number.data() + number.size(), value);
  if (number_error != std::errc() || number_end != number.data() + number.size() || number.empty()) {
    throw bad("is not a count (use 1000000, 1e6 or 1M)");
  }
  value *= scale;
  if (!std::isfinite(value) || value >= 1.8e19) throw bad("is too large");
  if (value < 1) throw bad("must be at least 1");
  if (value != std::floor(value)) throw bad("is not a whole number");
  return static_cast<std::uint64_t>(value);
}

command_line parse_command_line(int argc, char** argv) {
  command_line result;
  run_config& config = result.config;
  config.workers = std::max(1U, std::thread::hardware_concurrency());
  config.worker_arguments = {"__worker"};  // workers are this same program in its hidden worker mode

  CLI::App app{"livepi: a live Monte Carlo estimate of pi, computed by worker processes or threads"};
  app.name("livepi");
  std::string points_text;
  std::string batch_text;
  double duration_seconds = 0;
  app.add_option("--points", points_text, "points to sample (1000000, 1e9, 10G); default: until Ctrl-C");
  app.add_option("--duration", duration_seconds, "stop after this many seconds")
      ->check(CLI::PositiveNumber.description(""));
  app.add_option("--workers", config.workers, "worker processes or threads (default: the number of cores)")
      ->check(CLI::Range(1U, 1024U).description(""));
  const std::map<std::string, backend_kind> backends{{"processes", backend_kind::processes},
                                                     {"threads", backend_kind::threads},
                                                     {"sequential", backend_kind::sequential}};
  std::string backend_text = "processes";
  app.add_option("--backend", backend_text, "processes, threads or sequential (default: processes)")
      ->check(CLI::IsMember(backends).description(""));
  app.add_option("--batch", batch_text, "points per work unit handed to a worker (default: 16M)");
  app.add_option("--seed", config.seed, "random seed; the same seed and points give the same count")
      ->check(CLI::NonNegativeNumber.description(""));
  double heartbeat_seconds = 2;
  app.add_option("--heartbeat-timeout", heartbeat_seconds,
                 "processes: a worker silent this many seconds is killed and replaced (default 2)")
      ->check(CLI::Range(0.05, 3600.0).description(""));
  app.add_option("--fault-rate", config.fault_rate, "probability that a worker process crashes per work unit")
      ->check(CLI::Range(0.0, 0.999).description(""));
  app.add_flag("--json", result.json, "print one JSON summary on stdout at the end");
  app.add_flag("--gui", result.gui, "open the window instead of the terminal display");
  app.add_flag("--autostart", result.autostart, "with --gui: start at once");
  auto* bench =
      app.add_subcommand("bench", "compare sequential, threads and processes; write CSV and a plot");
  // The bench subcommand's options are its own (CLI11 does not pass them on
  // to the main command), so `livepi bench --points 1e9` means what it says.
  std::string bench_points_text;
  bench->add_option("--points", bench_points_text, "points per run (default: 4G, about 1.3 s on one core)");
  bench->add_option("--reps", result.bench_settings.reps, "repetitions of each configuration (default: 5)")
      ->check(CLI::Range(1U, 1000U).description(""));
  bench
      ->add_option("--max-workers", result.bench_settings.max_workers,
                   "workers from 1 to this (default: 2 x cores)")
      ->check(CLI::Range(1U, 1024U).description(""));
  bench
      ->add_option("--out", result.bench_settings.out_dir,
                   "directory for livepi-bench.csv and .svg (default: .)")
      ->check(CLI::Validator(
          [](const std::string& dir) { return dir.empty() ? std::string("is empty") : std::string(); }, ""));
  auto* worker = app.add_subcommand("__worker", "")->group("");  // hidden: a worker process of another livepi

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    app.exit(help);
    result.help_shown = true;
    return result;
  } catch (const CLI::ParseError& error) {
    throw usage_error(error.what());
  }
  config.backend = backends.at(backend_text);
  result.bench = bench->parsed();
  result.worker_mode = worker->parsed();
  result.seed_given = app.count("--seed") > 0;
  if (!points_text.empty()) config.points = parse_count(points_text, "--points");
  if (!batch_text.empty()) config.batch = parse_count(batch_text, "--batch");
  if (!bench_points_text.empty()) result.bench_settings.points = parse_count(bench_points_text, "--points");
  if (result.seed_given) result.bench_settings.seed = config.seed;
  config.heartbeat_timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(heartbeat_seconds));
  if (duration_seconds > 0) {
    if (duration_seconds > 1e9)
      throw usage_error("--duration: '" + std::to_string(duration_seconds) + "' is too long");
    config.duration =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(duration_seconds));
  }
  if (config.backend == backend_kind::sequential) config.workers = 1;
  if (config.fault_rate > 0 && config.backend != backend_kind::processes) {
    throw usage_error("--fault-rate: needs --backend processes (a thread cannot crash alone)");
  }
  if (result.autostart && !result.gui) throw usage_error("--autostart: only makes sense with --gui");
  return result;
}

}  // namespace handoff::livepi
