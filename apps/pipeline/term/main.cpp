// pipeline: uppercases a text file with three threads joined by bounded channels.
//
// The main thread parses the command line, opens the input and the output,
// starts the run (engine/pipeline_run.hpp) and waits for it, redrawing one
// progress line on stderr five times a second when stderr is a terminal.
// Signals (Ctrl-C) arrive on the watcher thread, which only requests a stop:
// the stages end, the main thread sees the run stopped, and the temporary
// output file goes with the output_file that owns it.
#include <handoff/apps/signal_watcher.hpp>
#include "arguments.hpp"
#include "engine/input_file.hpp"
#include "engine/output_file.hpp"
#include "engine/pipeline_error.hpp"
#include "engine/pipeline_run.hpp"
#include "report_format.hpp"

#include <handoff/thread_registry.hpp>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <stop_token>
#include <string>

namespace {

using namespace handoff::pipeline;
using namespace std::chrono_literals;

void say(const std::string& line) { std::fprintf(stderr, "pipeline: %s\n", line.c_str()); }

int run(const command_line& options, std::stop_source& stop, const std::atomic<int>& signal_number) {
  const input_file input(options.input);
  output_file output(options.output, input);
  {
    pipeline_run transfer(input, output, options.run, stop.get_token());
    // Not when the text itself goes to the same terminal: the line would land in the middle of it.
    const bool live = options.progress && isatty(STDERR_FILENO) == 1 &&
                      !(options.output == "-" && isatty(STDOUT_FILENO) == 1);
    const auto draw = [&](const run_progress& progress) {
      std::fprintf(stderr, "\r\x1b[2K%s", format_progress(progress, input.size()).c_str());
      std::fflush(stderr);
    };
    if (live) {
      while (!transfer.wait_for(200ms)) draw(transfer.progress());
    }
    const run_result& result = transfer.wait();
    if (live) {
      run_progress last = result.totals;
      last.newlines = result.lines;  // the last line counts even without its newline, as in --stats
      draw(last);
      std::fputc('\n', stderr);
    }
    if (const std::string invalid = format_invalid(result); !invalid.empty()) say(invalid);
    switch (result.how) {
      case run_result::ending::failed:
        say(result.error + (output.temporary_path().empty() ? "" : "; " + output.name() + " untouched"));
        return 1;
      case run_result::ending::stopped: {
        const int number = signal_number.load();
        say(std::string("stopped") + (number > 0 ? std::string(" by SIG") + sigabbrev_np(number) : "") +
            (output.temporary_path().empty() ? "" : "; " + output.name() + " untouched"));
        return number > 0 ? 128 + number : 1;
      }
      case run_result::ending::finished:
        break;
    }
    output.commit(options.sync);
    if (options.stats) say(format_stats(result));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  command_line options;
  try {
    options = parse_command_line(argc, argv);
  } catch (const usage_error& error) {
    say(error.what());
    return 2;
  }
  if (options.help_shown) return 0;

  // A file-size limit (ulimit -f) then makes write() fail with EFBIG, reported
  // like a full disk, instead of killing the process with its temporary file.
  std::signal(SIGXFSZ, SIG_IGN);

  std::stop_source stop;
  std::atomic<int> signal_number{0};
  try {
    // Before any other thread, so that all of them inherit the blocked signals.
    const handoff::apps::signal_watcher signals(
        {SIGINT, SIGTERM, SIGHUP}, "pipeline-signal", [&](int number) {
          int none = 0;
          signal_number.compare_exchange_strong(none, number);  // the first signal names the ending
          stop.request_stop();
        });
    handoff::install_thread_dump_signal(SIGUSR1);
    return run(options, stop, signal_number);
  } catch (const pipeline_error& error) {
    say(error.what());
    return error.exit_status();
  } catch (const std::exception& error) {
    say(error.what());
    return 1;
  }
}
