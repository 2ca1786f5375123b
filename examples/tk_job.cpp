// Pattern: the production skeleton of a Tk program with background work (the seeds' "Pattern D").
//
// A window with a progress bar, a status line, a bounded read-only log, Start and Cancel. The
// work runs on a thread_pool as a handoff::job and never touches a widget: its progress crosses
// to the Tk thread through the job's progress (coalesced: at most one value per 50 ms, the last
// always), its log lines as posted tasks, and its ending (value, error or cancelled) arrives on
// the Tk thread exactly once. So, unlike the seeds' version, there is no queue to poll, no
// Event to share and no join on the Tk thread:
//   - the work waits with handoff::sleep_for(stop, ...), which returns at once when cancelled;
//   - an error ending is shown by interp::report_exception (stderr line and tk_messageBox),
//     from an `after idle` callback rather than inside the loop task, so posts keep flowing;
//   - the close button asks the job to stop and returns; the job's ending destroys the window,
//     and a deadline timer destroys it anyway if the work does not stop in time.
// Every widget call is interp::call with a vector of words: nothing is pasted into a script.
//
//   tk_job [--autostart] [--steps N] [--step-ms MS] [--fail-at K] [--exit-when-done]
// Prints "ending: ..." on stdout for each job. Exit 0 when it ended cleanly (the window closed
// and no work left running), 1 if the work outlived the close deadline, 2 for bad arguments or
// no display.
#include "handoff/cancellation.hpp"
#include "handoff/job.hpp"
#include "handoff/thread_pool.hpp"
#include "handoff/tk/tk_loop.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

using namespace std::chrono_literals;
using handoff::tk::obj;
using work_job = handoff::job<std::uint64_t, handoff::fraction>;

namespace {

constexpr int max_log_lines = 200;   // the log pane keeps the newest lines only
constexpr auto close_deadline = 2s;  // how long a close waits for the work to stop

struct options {
  bool autostart = false, exit_when_done = false;
  std::uint64_t steps = 100, fail_at = 0;  // fail_at 0: never fails
  std::chrono::milliseconds step{30};
};

class app {
 public:
  app(handoff::tk::tk_loop& ui, handoff::thread_pool& pool, options opt)
      : ui_(ui), tcl_(ui.tcl()), pool_(pool), opt_(opt) {
    tcl_.call({"wm", "title", ".", "tk_job"});
    tcl_.call({"ttk::progressbar", ".bar", "-mode", "determinate", "-maximum", 100, "-length", 440});
    tcl_.call({"ttk::label", ".status", "-text", "Ready: press Start", "-anchor", "w"});
    tcl_.call({"ttk::frame", ".log"});
    tcl_.call({"text", ".log.text", "-height", 12, "-width", 60, "-wrap", "none", "-state", "disabled",
               "-yscrollcommand", obj::list({".log.scroll", "set"})});
    tcl_.call({"ttk::scrollbar", ".log.scroll", "-command", obj::list({".log.text", "yview"})});
    tcl_.call({"ttk::frame", ".buttons"});
    tcl_.call(
        {"ttk::button", ".buttons.start", "-text", "Start", "-command", tcl_.command([this] { start(); })});
    tcl_.call({"ttk::button", ".buttons.cancel", "-text", "Cancel", "-command",
               tcl_.command([this] { cancel(); })});
    tcl_.call({"pack", ".log.scroll", "-side", "right", "-fill", "y"});
    tcl_.call({"pack", ".log.text", "-side", "left", "-fill", "both", "-expand", 1});
    tcl_.call({"pack", ".buttons.start", ".buttons.cancel", "-side", "left", "-padx", 5});
    tcl_.call({"pack", ".bar", "-fill", "x", "-padx", 10, "-pady", obj::list({10, 4})});
    tcl_.call({"pack", ".status", "-fill", "x", "-padx", 10, "-pady", 4});
    tcl_.call({"pack", ".buttons", "-side", "bottom", "-pady", 6});
    tcl_.call({"pack", ".log", "-fill", "both", "-expand", 1, "-padx", 10});
    buttons(true);
    show_error_ = tcl_.command([this] {
      if (error_) tcl_.report_exception("the job '" + name_ + "'", std::exchange(error_, {}));
    });
    ui_.on_close([this] { close(); });
  }

  void start() {
    if (running_ || closing_) return;
    running_ = true;
    ++runs_;
    name_ = "work #" + std::to_string(runs_);
    buttons(false);
    set_progress({0, opt_.steps});
    set_status("Working...");
    log("[start] " + name_ + ": " + std::to_string(opt_.steps) + " steps");
    // The work, on a pool thread: plain values only; widgets are reached through posts.
    auto work = [&ui = ui_, self = this, o = opt_](std::stop_token stop, handoff::determinate_progress& p) {
      for (std::uint64_t i = 1; i <= o.steps; ++i) {
        if (!handoff::sleep_for(stop, o.step)) return i - 1;  // cancelled: the job ends as cancelled
        if (i == o.fail_at) throw std::runtime_error("step " + std::to_string(i) + " failed (--fail-at)");
        p.report({.done = i, .total = o.steps});
        ui.post([self, i] { self->log("[ok] step " + std::to_string(i)); });  // refused once closed
      }
      return o.steps;
    };
    work_job::callbacks on;  // all four run on the Tk thread: progress first, then one ending
    on.on_progress = [this](handoff::fraction f) { set_progress(f); };
    on.on_value = [this](std::uint64_t n) { ended("done", "value " + std::to_string(n) + " steps"); };
    on.on_error = [this](const std::exception_ptr& e) { failed(e); };
    on.on_cancelled = [this] { ended("cancelled", "cancelled"); };
    // Replacing the previous (finished) job is fine here: on the Tk thread its destructor never waits.
    job_.emplace(pool_, ui_, work, std::move(on), handoff::job_options{.name = name_});
  }

  void cancel() {
    if (!running_ || !job_->cancel()) return;
    set_status("Cancelling: waiting for the work to stop...");  // "requested" is not "stopped"
    tcl_.call({".buttons.cancel", "state", "disabled"});
  }

  // The close button. Never waits: the job's ending (or the deadline) destroys the window.
  void close() {
    if (closing_) return;
    closing_ = true;
    if (!running_) {
      ui_.destroy_main_window();
      return;
    }
    job_->cancel();
    set_status("Closing: waiting for the work to stop...");
    deadline_ = ui_.post_after(close_deadline, [this] {
      std::fprintf(stderr, "tk_job: the work did not stop within %lld s; closing anyway\n",
                   static_cast<long long>(close_deadline.count()));
      stuck_ = true;
      ui_.destroy_main_window();
    });
  }

  [[nodiscard]] int exit_code() const { return stuck_ ? 1 : 0; }

 private:
  void failed(const std::exception_ptr& error) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    ended("failed", "error: " + what);
    if (!ui_.has_main_window()) {  // closing: no dialog, the stderr line only
      tcl_.report_exception("the job '" + name_ + "'", error);
      return;
    }
    // The dialog is modal: opened inside this loop task it would hold every later post until it
    // is dismissed, so it opens from Tk's idle queue instead (report_exception: stderr + dialog).
    error_ = error;
    tcl_.call({"after", "idle", show_error_});
  }

  // Exactly one ending per job arrives here, on the Tk thread.
  void ended(std::string_view word, const std::string& ending) {
    running_ = false;
    std::printf("ending: %s: %s\n", name_.c_str(), ending.c_str());
    std::fflush(stdout);
    set_status("Ended: " + ending);
    tcl_.call({"wm", "title", ".", "tk_job \u2014 " + std::string(word)});
    log("[end] " + ending);
    buttons(true);
    if (closing_ || opt_.exit_when_done) {
      deadline_.cancel();
      ui_.destroy_main_window();
    }
  }

  void set_progress(handoff::fraction f) {
    const auto percent = static_cast<int>(f.ratio() * 100);
    tcl_.call({".bar", "configure", "-value", f.ratio() * 100});
    tcl_.call({"wm", "title", ".", "tk_job \u2014 " + std::to_string(percent) + "%"});
    // Progress held before a stop request may still arrive: keep "Cancelling..." on screen.
    const bool stopping = closing_ || (job_ && job_->status() == handoff::job_status::cancel_requested);
    if (!stopping) set_status("Step " + std::to_string(f.done) + " of " + std::to_string(f.total));
  }

  void set_status(const std::string& text) { tcl_.call({".status", "configure", "-text", text}); }

  void buttons(bool idle) {
    tcl_.call({".buttons.start", "state", idle ? "!disabled" : "disabled"});
    tcl_.call({".buttons.cancel", "state", idle ? "disabled" : "!disabled"});
  }

  // Appends a line, drops the oldest beyond max_log_lines, scrolls to the end. Read-only to
  // the user: the widget is enabled only for the insert.
  void log(const std::string& line) {
    tcl_.call({".log.text", "configure", "-state", "normal"});
    tcl_.call({".log.text", "insert", "end", line + "\n"});
    tcl_.call({".log.text", "delete", "1.0", "end - " + std::to_string(max_log_lines + 1) + " lines"});
    tcl_.call({".log.text", "see", "end"});
    tcl_.call({".log.text", "configure", "-state", "disabled"});
  }

  handoff::tk::tk_loop& ui_;
  const handoff::tk::interp& tcl_;
  handoff::thread_pool& pool_;
  const options opt_;
  // Tk thread only, like everything in this class.
  std::optional<work_job> job_;
  std::string name_;
  obj show_error_;
  std::exception_ptr error_;
  handoff::timer deadline_;
  int runs_ = 0;
  bool running_ = false, closing_ = false, stuck_ = false;
};

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    try {
      if (arg == "--autostart") {
        o.autostart = true;
      } else if (arg == "--exit-when-done") {
        o.exit_when_done = true;
      } else if (arg == "--steps" && has_value) {
        o.steps = std::stoull(argv[++i]);
      } else if (arg == "--fail-at" && has_value) {
        o.fail_at = std::stoull(argv[++i]);
      } else if (arg == "--step-ms" && has_value) {
        o.step = std::chrono::milliseconds(std::stoul(argv[++i]));
      } else {
        return false;
      }
    } catch (const std::exception&) {
      return false;
    }
  }
  return o.steps > 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (!parse(argc, argv, opt)) {
    std::fprintf(stderr, "usage: tk_job [--autostart] [--steps N] [--step-ms MS] [--fail-at K] %s\n",
                 "[--exit-when-done]");
    return 2;
  }
  std::optional<handoff::tk::tk_loop> ui;  // this thread becomes the Tk thread
  try {
    ui.emplace();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tk_job: cannot start Tk: %s\n", e.what());
    return 2;
  }
  handoff::thread_pool pool(1, "tk_job");  // declared after the loop: destroyed before it
  app window(*ui, pool, opt);
  if (opt.autostart) window.start();
  ui->run();  // until the window is destroyed
  // Join the work before the loop it posts to is destroyed. Work that ignores its token cannot
  // be joined; it still holds the loop, so the process ends without destroying anything.
  if (!pool.shutdown(1s)) {
    std::fflush(nullptr);
    std::_Exit(1);
  }
  return window.exit_code();
}
