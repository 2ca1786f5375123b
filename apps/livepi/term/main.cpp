// livepi: a live Monte Carlo estimate of pi.
//
// The main thread is the UI thread: it runs a headless loop that receives the
// coordinator's snapshots (rate-limited to 10 a second) and redraws one
// status line. The coordinator thread and the workers never touch the
// terminal; signals arrive on a watcher thread and are posted to the loop.
#include "arguments.hpp"
#include "engine/coordinator.hpp"
#include "engine/worker_main.hpp"
#include "report_format.hpp"
#ifdef HANDOFF_LIVEPI_GUI
#include "tk/window.hpp"
#endif

#include <handoff/apps/signal_watcher.hpp>
#include <handoff/headless_loop.hpp>
#include <handoff/progress.hpp>
#include <handoff/thread_registry.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <optional>
#include <random>

namespace {

using namespace handoff::livepi;

std::size_t terminal_width(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col - 1;
  return 100;
}

int run_terminal(command_line& options) {
  run_config& config = options.config;
  if (!options.seed_given)
    config.seed = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
  std::fprintf(stderr, "livepi: seed %llu (repeat this run with --seed %llu)\n",
               static_cast<unsigned long long>(config.seed), static_cast<unsigned long long>(config.seed));

  // The live line goes to the terminal: stdout when it is one (and not carrying JSON), else stderr.
  const int live_fd = !options.json && isatty(STDOUT_FILENO) ? STDOUT_FILENO
                      : isatty(STDERR_FILENO)                ? STDERR_FILENO
                                                             : -1;
  std::FILE* live = live_fd == STDOUT_FILENO ? stdout : stderr;

  handoff::headless_loop ui;
  int exit_code = 0;
  bool drew = false;
  snapshot last;
  handoff::progress<snapshot> snapshots(
      ui,
      [&](snapshot s) {
        last = std::move(s);
        if (live_fd >= 0) {
          std::fprintf(live, "\r\x1b[2K%s", format_status_line(last, terminal_width(live_fd)).c_str());
          std::fflush(live);
          drew = true;
        }
        if (last.state == run_state::finished) ui.stop();
      },
      std::chrono::milliseconds(100));

  // Declared before the watcher so its posted task can reach it; emplaced
  // before ui.run(), the only place such a task runs.
  std::optional<coordinator> run;
  const handoff::apps::signal_watcher signals({SIGINT, SIGTERM}, "livepi-signals", [&](int signal_number) {
    ui.post([&, signal_number] {
      if (exit_code == 0) exit_code = 128 + signal_number;
      if (run) run->request_stop();
    });
  });
  handoff::install_thread_dump_signal(SIGUSR1);

  run.emplace(config, [&](snapshot s) {
    if (s.state == run_state::finished) {
      snapshots.finish(std::move(s));
    } else {
      snapshots.report(std::move(s));
    }
  });
  ui.run();
  run->join();
  if (drew) std::fprintf(live, "\n");
  if (options.json) {
    std::fputs(format_json(last).c_str(), stdout);
  } else {
    std::fputs(format_summary(last).c_str(), stdout);
  }
  std::fflush(stdout);
  if (exit_code != 0) return exit_code;
  return last.error.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  command_line options;
  try {
    options = parse_command_line(argc, argv);
  } catch (const usage_error& error) {
    std::fprintf(stderr, "livepi: %s\n", error.what());
    return 2;
  }
  if (options.help_shown) return 0;
  if (options.worker_mode) return handoff::livepi::worker_main();
  if (options.gui) {
#ifdef HANDOFF_LIVEPI_GUI
    return handoff::livepi::run_window(options);
#else
    std::fprintf(stderr, "livepi: --gui: the window is not part of this build yet\n");
    return 2;
#endif
  }
  if (options.bench) return run_bench(options.bench_settings, stdout, stderr);
  return run_terminal(options);
}
