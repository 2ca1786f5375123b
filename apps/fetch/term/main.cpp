// fetch: downloads URLs with libcurl, a few at a time.
//
// The main thread is the UI thread: it runs a headless loop that receives the
// download manager's snapshots (through handoff::progress, at most ten a
// second) and, when stderr is a terminal, redraws a block of lines: one per
// running transfer and a total. When the snapshot shows every URL finished,
// the loop stops and the summary table goes to stdout. The engine thread
// never touches the terminal. Signals arrive on a watcher thread and are
// posted to the loop, which cancels everything: the .part files stay for a
// resume, and the exit status is 128 + the signal (130 for Ctrl-C).
#include "arguments.hpp"
#include "engine/download_manager.hpp"
#include "engine/file_name.hpp"
#include "report_format.hpp"
#ifdef HANDOFF_FETCH_GUI
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
#include <cstring>
#include <optional>
#include <string>

namespace {

using namespace handoff::fetch;
using namespace std::chrono_literals;

void say(const std::string& line) { std::fprintf(stderr, "fetch: %s\n", line.c_str()); }

std::size_t terminal_width(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col - 1;
  return 79;
}

// The block of live lines at the bottom of the terminal, redrawn in place:
// back to its first line, clear to the end of the screen, write the new lines.
// Lines are cut to the width, so none wraps and the count of lines to go back is exact.
class live_block {
 public:
  explicit live_block(std::FILE* out) : out_(out) {}

  void draw(const std::vector<std::string>& lines) {
    std::string text = rewind();
    for (std::size_t i = 0; i < lines.size(); ++i) text += (i > 0 ? "\n" : "") + lines[i];
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
    drawn_ = lines.size();
  }

  void clear() {
    if (drawn_ == 0) return;
    std::fputs(rewind().c_str(), out_);
    std::fflush(out_);
    drawn_ = 0;
  }

 private:
  [[nodiscard]] std::string rewind() const {
    std::string text = "\r";
    if (drawn_ > 1) text += "\x1b[" + std::to_string(drawn_ - 1) + "A";
    return text + "\x1b[J";
  }

  std::FILE* out_;
  std::size_t drawn_ = 0;
};

int run(const command_line& options, const std::vector<list_entry>& entries) {
  const bool live = options.progress && isatty(STDERR_FILENO) == 1;
  handoff::headless_loop ui;
  live_block block(stderr);
  int signal_number = 0;  // loop thread only
  handoff::progress<fetch_snapshot> snapshots(
      ui,
      [&](fetch_snapshot snapshot) {
        if (live) {
          block.draw(format_live_lines(snapshot, terminal_width(STDERR_FILENO), options.options.jobs));
        }
        // All of ours added and finished; a snapshot from before the last add() cannot pass for the end.
        if (snapshot.transfers.size() == entries.size() && snapshot.idle()) ui.stop();
      },
      100ms);

  // Declared before the watcher so its posted task can reach it; emplaced
  // before ui.run(), the only place such a task runs.
  std::optional<download_manager> manager;
  const handoff::apps::signal_watcher signals({SIGINT, SIGTERM, SIGHUP}, "fetch-signal", [&](int number) {
    ui.post([&, number] {
      if (signal_number == 0) signal_number = number;  // the first signal names the ending
      if (manager) manager->cancel_all();
    });
  });
  handoff::install_thread_dump_signal(SIGUSR1);

  manager.emplace(options.options, [&](fetch_snapshot snapshot) {
    // The snapshot that ends the run goes at once, not after the rate limit's interval.
    if (snapshot.transfers.size() == entries.size() && snapshot.idle()) {
      snapshots.finish(std::move(snapshot));
    } else {
      snapshots.report(std::move(snapshot));
    }
  });
  for (const list_entry& entry : entries) {
    if (!is_http_url(entry.text)) {
      // Reported now and in the table; the rest proceed.
      say((entry.line > 0 ? options.input + ":" + std::to_string(entry.line) + ": " : std::string()) +
          "not a URL: " + entry.text);
    }
    manager->add(entry.text);
  }
  if (!entries.empty()) ui.run();
  const fetch_snapshot last = manager->snapshot();
  manager.reset();  // joins the engine thread; its last snapshot goes to a loop that no longer runs
  block.clear();

  std::fputs(format_summary(last).c_str(), stdout);
  std::fflush(stdout);
  if (signal_number != 0) {
    std::size_t kept = 0;
    for (const transfer_status& s : last.transfers) kept += s.part.empty() ? 0 : 1;
    say(std::string("stopped by SIG") + sigabbrev_np(signal_number) +
        (kept > 0 ? "; " + std::to_string(kept) + " .part file" + (kept == 1 ? "" : "s") +
                        " kept: run the same command again to resume"
                  : std::string()));
    return 128 + signal_number;
  }
  return last.failed + last.cancelled > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  command_line options;
  std::vector<list_entry> entries;
  try {
    options = parse_command_line(argc, argv);
    if (options.help_shown) return 0;
    if (options.input.empty()) {
      for (const std::string& url : options.urls) entries.push_back({0, url});
    } else {
      entries = read_url_list(options.input);
    }
  } catch (const usage_error& error) {
    say(error.what());
    return 2;
  }
  if (options.gui) {
#ifdef HANDOFF_FETCH_GUI
    std::vector<std::string> urls;
    for (const list_entry& entry : entries) urls.push_back(entry.text);
    return run_window(options.options, urls);
#else
    say("--gui: this build has no window (handoff::tk was not built: install tk8.6-dev)");
    return 2;
#endif
  }
  try {
    return run(options, entries);
  } catch (const std::invalid_argument& error) {
    say(error.what());  // the folder went away between the check and the start
    return 2;
  } catch (const std::exception& error) {
    say(error.what());
    return 1;
  }
}
