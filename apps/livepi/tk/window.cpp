// livepi's window: see window.hpp.
//
// Threads: everything here runs on the Tk thread except the coordinator's
// publisher, which only reports into a handoff::progress, and the signal
// watcher, which only posts. Every widget call goes through interp::call with
// a vector of words; user text (the seed, the workers) is read back as values
// and never pasted into a script.
#include "tk/window.hpp"

#include "engine/coordinator.hpp"
#include "term/report_format.hpp"

#include <handoff/apps/signal_watcher.hpp>
#include <handoff/progress.hpp>
#include <handoff/tk/direct_notifier.hpp>
#include <handoff/tk/tk_loop.hpp>

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace handoff::livepi {
namespace {

using tk::obj;
using namespace std::chrono_literals;

constexpr auto redraw_interval = 33ms;     // at most about 30 redraws a second
constexpr auto close_deadline = 3s;        // how long a close waits for the run to stop
constexpr std::size_t max_history = 1500;  // plot points kept (thinned beyond)

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string elapsed_text(double seconds) {
  const auto whole = static_cast<long long>(seconds);
  char text[64];
  std::snprintf(text, sizeof text, "%lld:%02lld.%d", whole / 60, whole % 60,
                static_cast<int>((seconds - static_cast<double>(whole)) * 10));
  return text;
}

/// True if `pid` is a child of this process (so a stale pid is never killed).
bool is_our_child(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  char state = 0;
  long parent = 0;
  if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &parent) != 2) return false;
  return parent == static_cast<long>(getpid());
}

struct plot_point {
  double points;
  double error;
  double standard_error;
};

class window {
 public:
  window(command_line& options, tk::tk_loop& ui) : options_(options), ui_(ui), tcl_(ui.tcl()) { build(); }

  window(const window&) = delete;
  window& operator=(const window&) = delete;

  /// Stops the run (if any) and waits for it: after the loop has ended.
  void shut_down() {
    if (run_) run_->request_stop();
    run_.reset();
    snapshots_.reset();
  }

  void start() {
    if (status_ != status::idle) return;
    run_config config = options_.config;
    try {
      config.workers = static_cast<unsigned>(read_number(".controls.workers", "workers", 1, 1024));
      const std::string backend = tcl_.call({".controls.backend", "get"}).str();
      config.backend = backend == "threads" ? backend_kind::threads : backend_kind::processes;
      const std::string seed_text = tcl_.call({".controls.seed", "get"}).str();
      if (seed_text.empty()) {
        config.seed = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
        // Shown, so the run can be repeated, and resumed after a Stop.
        tcl_.call({".controls.seed", "insert", 0, std::to_string(config.seed)});
      } else {
        const auto [end, error] =
            std::from_chars(seed_text.data(), seed_text.data() + seed_text.size(), config.seed);
        if (error != std::errc{} || end != seed_text.data() + seed_text.size())
          throw std::invalid_argument("seed: '" + seed_text + "' is not a whole number");
      }
    } catch (const std::exception& error) {
      set_message(error.what());
      return;
    }
    // A stopped run of the same seed goes on where it stopped; another seed starts afresh.
    const bool resuming = paused_ && paused_->seed == config.seed;
    if (resuming) config.resume_from = paused_;
    // The previous run has finished: its thread and workers are gone.
    run_.reset();
    snapshots_.reset();
    if (!resuming) history_.clear();
    have_last_ = false;
    last_ = snapshot{};
    snapshots_ = std::make_unique<progress<snapshot>>(
        ui_, [this](snapshot s) { show(std::move(s)); }, redraw_interval);
    progress<snapshot>* sink = snapshots_.get();
    try {
      run_.emplace(config, [sink](snapshot s) {
        if (s.state == run_state::finished) {
          sink->finish(std::move(s));
        } else {
          sink->report(std::move(s));
        }
      });
    } catch (const std::exception& error) {
      set_message(error.what());
      return;
    }
    seed_ = config.seed;
    set_status(status::running);
    set_message(std::string(resuming ? "resumed at " + human_count(static_cast<double>(paused_->points)) +
                                           " points with fresh workers, seed "
                                     : "seed ") +
                std::to_string(seed_) + " (" + std::string(to_string(config.backend)) + ", " +
                std::to_string(config.workers) + " workers)");
    paused_.reset();
    // Space toggles again even when the run was started with Return in a field.
    tcl_.call({"focus", "."});
    redraw_plot();
  }

  void stop() {
    if (status_ != status::running) return;
    run_->request_stop();
    set_status(status::stopping);
  }

  void toggle(const std::string& widget) {
    // Space typed into the seed or the workers field is text, not a command.
    if (!widget.empty()) {
      const std::string kind = tcl_.call({"winfo", "class", widget}).str();
      if (kind == "TEntry" || kind == "TSpinbox" || kind == "TCombobox") return;
    }
    if (status_ == status::idle) {
      start();
    } else {
      stop();
    }
  }

  /// Ctrl+Q, the close button, a signal, the end of --duration: stop the run
  /// under a deadline, then destroy the window (which ends the loop).
  void close() {
    if (closing_) return;
    closing_ = true;
    if (status_ == status::idle) {
      ui_.destroy_main_window();
      return;
    }
    stop();
    ui_.post_after(close_deadline, [this] {
      std::fprintf(stderr, "livepi: the run did not stop within %lld s; closing anyway\n",
                   static_cast<long long>(close_deadline.count()));
      ui_.destroy_main_window();
    });
  }

  /// Forgets a stopped run, so the next Start begins at zero points.
  void reset() {
    if (status_ != status::idle) return;
    paused_.reset();
    history_.clear();
    set_status(status::idle);
    set_message("reset: Start begins a new run");
    redraw_plot();
  }

  void crash_worker() {
    for (const worker_status& worker : last_.workers) {
      if (worker.pid > 0 &&
          (worker.state == worker_state::running || worker.state == worker_state::restarted) &&
          is_our_child(worker.pid)) {
        ::kill(static_cast<pid_t>(worker.pid), SIGKILL);
        set_message("sent SIGKILL to worker " + std::to_string(worker.id) + " (pid " +
                    std::to_string(worker.pid) + ")");
        return;
      }
    }
    set_message("no worker process to crash (the threads backend has none)");
  }

  [[nodiscard]] const snapshot* last() const { return have_last_ ? &last_ : nullptr; }

 private:
  enum class status { idle, running, stopping };

  long long read_number(const char* widget, const char* what, long long low, long long high) {
    const std::string text = tcl_.call({widget, "get"}).str();
    long long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < low || value > high)
      throw std::invalid_argument(std::string(what) + ": '" + text + "' is not a number from " +
                                  std::to_string(low) + " to " + std::to_string(high));
    return value;
  }

  void build() {
    const auto& t = tcl_;
    t.call({"wm", "title", ".", "livepi"});
    t.call({"wm", "minsize", ".", 640, 520});
    t.call({"font", "create", "LivepiBig", "-family", "DejaVu Sans Mono", "-size", 34, "-weight", "bold"});
    t.call({"font", "create", "LivepiMid", "-family", "DejaVu Sans", "-size", 12});

    // The estimate.
    t.call({"ttk::frame", ".top", "-padding", 10});
    t.call({"ttk::label", ".top.estimate", "-text", "?.?????????", "-font", "LivepiBig"});
    t.call({"ttk::label", ".top.error", "-text", "press Start (or Space)", "-font", "LivepiMid"});
    t.call({"grid", ".top.estimate", "-row", 0, "-column", 0, "-sticky", "w"});
    t.call({"grid", ".top.error", "-row", 1, "-column", 0, "-sticky", "w"});

    // Points, rate, elapsed, status.
    t.call({"ttk::frame", ".stats", "-padding", "10 0 10 6"});
    const char* names[] = {"status", "points", "rate", "elapsed", "workers", "restarts"};
    int column = 0;
    for (const char* name : names) {
      const std::string caption = std::string(".stats.") + name + "_caption";
      const std::string value = std::string(".stats.") + name;
      std::string title = name;
      title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
      t.call({"ttk::label", caption, "-text", title, "-foreground", "#666666"});
      t.call({"ttk::label", value, "-text", "-", "-font", "LivepiMid", "-width", 11});
      t.call({"grid", caption, "-row", 0, "-column", column, "-sticky", "w", "-padx", "0 12"});
      t.call({"grid", value, "-row", 1, "-column", column, "-sticky", "w", "-padx", "0 12"});
      ++column;
    }
    t.call({".stats.status", "configure", "-text", "Idle"});

    // The controls.
    t.call({"ttk::frame", ".controls", "-padding", "10 4"});
    t.call({"ttk::button", ".controls.start", "-text", "Start", "-takefocus", 0, "-command",
            t.command([this] { start(); })});
    t.call({"ttk::button", ".controls.stop", "-text", "Stop", "-takefocus", 0, "-state", "disabled",
            "-command", t.command([this] { stop(); })});
    t.call({"ttk::button", ".controls.reset", "-text", "Reset", "-takefocus", 0, "-state", "disabled",
            "-command", t.command([this] { reset(); })});
    t.call({"ttk::button", ".controls.crash", "-text", "Crash a worker", "-takefocus", 0, "-state",
            "disabled", "-command", t.command([this] { crash_worker(); })});
    t.call({"ttk::label", ".controls.workers_caption", "-text", "Workers"});
    t.call({"ttk::spinbox", ".controls.workers", "-from", 1, "-to", 256, "-increment", 1, "-width", 5});
    t.call({".controls.workers", "set", static_cast<long long>(options_.config.workers)});
    t.call({"ttk::label", ".controls.backend_caption", "-text", "Backend"});
    t.call({"ttk::combobox", ".controls.backend", "-values", obj::list({"processes", "threads"}), "-state",
            "readonly", "-width", 10});
    t.call({".controls.backend", "set",
            options_.config.backend == backend_kind::threads ? "threads" : "processes"});
    t.call({"ttk::label", ".controls.seed_caption", "-text", "Seed"});
    t.call({"ttk::entry", ".controls.seed", "-width", 22});
    if (options_.seed_given) t.call({".controls.seed", "insert", 0, std::to_string(options_.config.seed)});
    int c = 0;
    for (const char* widget : {".controls.start", ".controls.stop", ".controls.reset", ".controls.crash",
                               ".controls.workers_caption", ".controls.workers", ".controls.backend_caption",
                               ".controls.backend", ".controls.seed_caption", ".controls.seed"}) {
      t.call({"grid", widget, "-row", 0, "-column", c++, "-padx", "0 6"});
    }
    t.call({"ttk::label", ".message", "-text", "", "-padding", "10 0", "-foreground", "#444444"});

    // The workers.
    t.call({"ttk::treeview", ".workers", "-columns", obj::list({"id", "pid", "state", "ranges", "rate"}),
            "-show", "headings", "-height", 5, "-selectmode", "none"});
    const std::pair<const char*, int> columns[] = {
        {"id", 50}, {"pid", 80}, {"state", 100}, {"ranges", 90}, {"rate", 120}};
    for (const auto& [name, width] : columns) {
      std::string title = name;
      title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
      t.call({".workers", "heading", name, "-text", title});
      t.call({".workers", "column", name, "-width", width, "-anchor", "e"});
    }
    t.call({".workers", "column", "state", "-anchor", "center"});

    // The convergence plot.
    t.call(
        {"canvas", ".plot", "-background", "white", "-height", 260, "-width", 640, "-highlightthickness", 0});
    t.call({"bind", ".plot", "<Configure>", t.command([this] { redraw_plot(); })});

    t.call({"pack", ".top", "-fill", "x"});
    t.call({"pack", ".stats", "-fill", "x"});
    t.call({"pack", ".controls", "-fill", "x"});
    t.call({"pack", ".message", "-fill", "x"});
    t.call({"pack", ".workers", "-fill", "x", "-padx", 10, "-pady", 6});
    t.call({"pack", ".plot", "-fill", "both", "-expand", 1, "-padx", 10, "-pady", "0 10"});

    const obj toggle_command = t.command(
        [this](tk::interp::arguments& args) { toggle(args.size() > 0 ? args[0].str() : std::string()); });
    t.call({"bind", ".", "<space>", obj::list({toggle_command, "%W"})});
    // Return in a field starts the run with what was typed.
    const obj start_command = t.command([this] { start(); });
    t.call({"bind", ".controls.seed", "<Return>", start_command});
    t.call({"bind", ".controls.workers", "<Return>", start_command});
    t.call({"bind", ".", "<Control-q>", t.command([this] { close(); })});
    t.call({"bind", ".", "<Control-Q>", t.command([this] { close(); })});
    ui_.on_close([this] { close(); });
  }

  void set_status(status value) {
    status_ = value;
    const char* text = value == status::idle ? "Idle" : value == status::running ? "Running" : "Stopping";
    tcl_.call({".stats.status", "configure", "-text", text});
    tcl_.call({".controls.start", "configure", "-state", value == status::idle ? "normal" : "disabled"});
    tcl_.call({".controls.stop", "configure", "-state", value == status::running ? "normal" : "disabled"});
    tcl_.call({".controls.crash", "configure", "-state", value == status::running ? "normal" : "disabled"});
    tcl_.call(
        {".controls.reset", "configure", "-state", value == status::idle && paused_ ? "normal" : "disabled"});
    tcl_.call(
        {".controls.start", "configure", "-text", value == status::idle && paused_ ? "Resume" : "Start"});
    update_title(true);
    const char* field_state = value == status::idle ? "normal" : "disabled";
    tcl_.call({".controls.workers", "configure", "-state", field_state});
    tcl_.call({".controls.seed", "configure", "-state", field_state});
    tcl_.call({".controls.backend", "configure", "-state", value == status::idle ? "readonly" : "disabled"});
  }

  void set_message(const std::string& text) { tcl_.call({".message", "configure", "-text", text}); }

  /// One snapshot from the progress: at most ~30 a second.
  void show(snapshot s) {
    last_ = std::move(s);
    have_last_ = true;
    const estimate e = last_.result();
    if (last_.points > 0) {
      tcl_.call({".top.estimate", "configure", "-text", fixed(e.value, 9)});
      tcl_.call({".top.error", "configure", "-text",
                 "± " + fixed(e.standard_error, 9) + "    " + std::to_string(e.correct_decimals) +
                     " correct decimal" + (e.correct_decimals == 1 ? "" : "s") + "    error " +
                     fixed(std::abs(e.value - pi_reference), 9)});
      plot_point p{static_cast<double>(last_.points), std::abs(e.value - pi_reference), e.standard_error};
      if (history_.empty() || history_.back().points < p.points) history_.push_back(p);
      if (history_.size() > max_history) {
        // Keep every other point: the plot is log-scaled, so the early ones matter as much as the late ones.
        std::vector<plot_point> thinned;
        for (std::size_t i = 0; i < history_.size(); i += 2) thinned.push_back(history_[i]);
        thinned.push_back(history_.back());
        history_ = std::move(thinned);
      }
    }
    tcl_.call({".stats.points", "configure", "-text", human_count(static_cast<double>(last_.points))});
    tcl_.call({".stats.rate", "configure", "-text", human_count(last_.rate) + "/s"});
    tcl_.call({".stats.elapsed", "configure", "-text", elapsed_text(last_.elapsed_seconds)});
    tcl_.call({".stats.workers", "configure", "-text", std::to_string(last_.workers_alive) + " alive"});
    tcl_.call({".stats.restarts", "configure", "-text", std::to_string(last_.restarts)});
    show_workers();
    redraw_plot();
    update_title(false);
    if (!last_.error.empty()) set_message("error: " + last_.error);

    if (last_.state == run_state::stopping && status_ == status::running) set_status(status::stopping);
    if (last_.state == run_state::finished) {
      paused_ = last_.resume;
      set_status(status::idle);
      if (last_.error.empty() && paused_)
        set_message("stopped at " + human_count(static_cast<double>(last_.points)) + " points after " +
                    elapsed_text(last_.elapsed_seconds) + ", seed " + std::to_string(last_.seed) +
                    "; Resume goes on with fresh workers, Reset starts over");
      else if (last_.error.empty())
        set_message("finished: " + human_count(static_cast<double>(last_.points)) + " points in " +
                    elapsed_text(last_.elapsed_seconds) + ", seed " + std::to_string(last_.seed) +
                    "; Start runs again with fresh workers");
      if (closing_ || options_.config.duration.count() > 0) {
        ui_.destroy_main_window();
      }
    }
  }

  /// The title says what the window says, so a taskbar (and a script) can follow the run.
  void update_title(bool now) {
    const auto time = std::chrono::steady_clock::now();
    if (!now && time < next_title_) return;
    next_title_ = time + 250ms;  // titles cost the window manager a redraw: 4 a second is plenty
    std::string title = "livepi";
    if (have_last_ && last_.points > 0) {
      const estimate e = last_.result();
      title += " — " + fixed(e.value, 8) + " ± " + fixed(e.standard_error, 8) + " — " +
               human_count(static_cast<double>(last_.points)) + " points";
    }
    title += status_ == status::running    ? " — running"
             : status_ == status::stopping ? " — stopping"
             : paused_                     ? " — stopped"
             : have_last_                  ? " — finished"
                                           : "";
    tcl_.call({"wm", "title", ".", title});
  }

  void show_workers() {
    std::vector<std::string> seen;
    for (const worker_status& w : last_.workers) {
      // Built with append: g++ 12 at -O3 warns falsely (-Wrestrict) on "literal" + std::string here.
      std::string item = "w";
      item += std::to_string(w.id);
      seen.push_back(item);
      std::string state(to_string(w.state));
      if (w.restarts > 0) state += " (" + std::to_string(w.restarts) + ")";
      const obj values =
          obj::list({static_cast<long long>(w.id), w.pid > 0 ? std::to_string(w.pid) : "-", state,
                     static_cast<long long>(w.ranges_done), human_count(w.rate) + "/s"});
      if (tcl_.call({".workers", "exists", item}).as_bool()) {
        tcl_.call({".workers", "item", item, "-values", values});
      } else {
        tcl_.call({".workers", "insert", "", "end", "-id", item, "-values", values});
      }
    }
    for (const obj& child : tcl_.call({".workers", "children", ""}).elements()) {
      if (std::find(seen.begin(), seen.end(), child.str()) == seen.end())
        tcl_.call({".workers", "delete", child});
    }
  }

  /// |estimate - pi| against points, log-log, over the bands of 1 and 2 standard errors.
  void redraw_plot() {
    const auto& t = tcl_;
    const double width = static_cast<double>(t.call({"winfo", "width", ".plot"}).as_int());
    const double height = static_cast<double>(t.call({"winfo", "height", ".plot"}).as_int());
    t.call({".plot", "delete", "all"});
    if (width < 100 || height < 80) return;
    const double left = 64;
    const double right = width - 28;
    const double top = 24;
    const double bottom = height - 34;
    t.call({".plot", "create", "text", left, 12, "-anchor", "w", "-text",
            "|estimate - pi| against points (log-log); bands: 1 and 2 standard errors", "-fill", "#333333"});
    t.call({".plot", "create", "rectangle", left, top, right, bottom, "-outline", "#999999"});
    if (history_.size() < 2) {
      t.call({".plot", "create", "text", (left + right) / 2, (top + bottom) / 2, "-text",
              "the plot fills in while a run goes", "-fill", "#999999"});
      return;
    }
    double x_low = std::log10(history_.front().points);
    double x_high = std::log10(history_.back().points);
    double y_low = 1e300;
    double y_high = -1e300;
    for (const plot_point& p : history_) {
      const double floor_error = std::max(p.error, 1e-12);
      y_low = std::min({y_low, std::log10(floor_error), std::log10(p.standard_error)});
      y_high = std::max({y_high, std::log10(floor_error), std::log10(2 * p.standard_error)});
    }
    x_low = std::floor(x_low);
    x_high = std::max(std::ceil(x_high), x_low + 1);
    y_low = std::max(std::floor(y_low), y_high - 8);  // at most 8 decades down: exact hits are rare
    y_high = std::max(std::ceil(y_high), y_low + 1);
    const auto x_of = [&](double points) {
      return left + (std::log10(points) - x_low) / (x_high - x_low) * (right - left);
    };
    const auto y_of = [&](double value) {
      const double v = std::clamp(std::log10(std::max(value, 1e-300)), y_low, y_high);
      return bottom - (v - y_low) / (y_high - y_low) * (bottom - top);
    };
    // Grid and labels, one per decade.
    for (int d = static_cast<int>(x_low); d <= static_cast<int>(x_high); ++d) {
      const double x = x_of(std::pow(10.0, d));
      t.call({".plot", "create", "line", x, top, x, bottom, "-fill", "#eeeeee"});
      t.call(
          {".plot", "create", "text", x, bottom + 12, "-text", "1e" + std::to_string(d), "-fill", "#555555"});
    }
    for (int d = static_cast<int>(y_low); d <= static_cast<int>(y_high); ++d) {
      const double y = y_of(std::pow(10.0, d));
      t.call({".plot", "create", "line", left, y, right, y, "-fill", "#eeeeee"});
      t.call({".plot", "create", "text", left - 6, y, "-anchor", "e", "-text", "1e" + std::to_string(d),
              "-fill", "#555555"});
    }
    t.call(
        {".plot", "create", "text", (left + right) / 2, height - 8, "-text", "points", "-fill", "#555555"});
    // The bands: from the bottom up to 2 se, then up to 1 se.
    for (const auto& [factor, colour] : {std::pair{2.0, "#dbe8f7"}, std::pair{1.0, "#a9c8ee"}}) {
      std::vector<obj> words{".plot", "create", "polygon"};
      for (const plot_point& p : history_) {
        words.emplace_back(x_of(p.points));
        words.emplace_back(y_of(factor * p.standard_error));
      }
      words.emplace_back(x_of(history_.back().points));
      words.emplace_back(bottom);
      words.emplace_back(x_of(history_.front().points));
      words.emplace_back(bottom);
      words.insert(words.end(), {"-fill", colour, "-outline", ""});
      t.call(words);
    }
    std::vector<obj> line{".plot", "create", "line"};
    for (const plot_point& p : history_) {
      line.emplace_back(x_of(p.points));
      line.emplace_back(y_of(p.error));
    }
    line.insert(line.end(), {"-fill", "#c0392b", "-width", 2});
    t.call(line);
    t.call({".plot", "create", "text", right - 6, top + 10, "-anchor", "e", "-text", "|estimate - pi|",
            "-fill", "#c0392b"});
    t.call({".plot", "create", "text", right - 6, top + 26, "-anchor", "e", "-text", "1 se / 2 se", "-fill",
            "#4a78b0"});
  }

  command_line& options_;
  tk::tk_loop& ui_;
  const tk::interp& tcl_;
  status status_ = status::idle;
  bool closing_ = false;
  std::uint64_t seed_ = 0;
  // The run: the progress outlives the coordinator that reports into it.
  std::unique_ptr<progress<snapshot>> snapshots_;
  std::optional<coordinator> run_;
  snapshot last_;
  bool have_last_ = false;
  std::optional<resume_point> paused_;  // where the last run stopped, if it stopped before its total
  std::chrono::steady_clock::time_point next_title_{};
  std::vector<plot_point> history_;
};

}  // namespace

int run_window(command_line& options) {
  tk::install_direct_notifier();  // before anything touches Tcl
  std::optional<tk::tk_loop> ui;
  try {
    ui.emplace();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "livepi: --gui: cannot open the window: %s\n", error.what());
    return 1;
  }
  int exit_code = 0;
  {
    window w(options, *ui);
    const handoff::apps::signal_watcher signals({SIGINT, SIGTERM}, "livepi-signals", [&](int signal_number) {
      ui->post([&, signal_number] {
        if (exit_code == 0) exit_code = 128 + signal_number;
        w.close();
      });
    });
    if (options.autostart) ui->post([&] { w.start(); });
    ui->run();
    w.shut_down();  // the loop is over: waiting for the run here blocks no window
    if (options.json) {
      std::fputs(format_json(w.last() ? *w.last() : snapshot{}).c_str(), stdout);
      std::fflush(stdout);
    }
    if (exit_code == 0 && w.last() && !w.last()->error.empty()) exit_code = 1;
  }
  return exit_code;
}

}  // namespace handoff::livepi
