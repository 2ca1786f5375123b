// fetch's window: see window.hpp.
//
// Every widget call goes through interp::call with a vector of words: the
// URLs, file names and error reasons shown here come from users and servers,
// and are only ever values, never parts of a script.
#include "tk/window.hpp"

#include "engine/download_manager.hpp"
#include "term/arguments.hpp"
#include "term/report_format.hpp"

#include <handoff/apps/signal_watcher.hpp>
#include <handoff/latest.hpp>
#include <handoff/tk/direct_notifier.hpp>
#include <handoff/tk/tk_loop.hpp>

#include <csignal>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace handoff::fetch {
namespace {

using tk::obj;
using namespace std::chrono_literals;

constexpr auto close_deadline = 2s;    // how long a close waits for the transfers to stop
constexpr std::size_t url_width = 40;  // characters of a URL a row shows

/// A URL cut to `width` characters in the middle, so its host and its file name both show.
std::string middle_cut(const std::string& url, std::size_t width) {
  if (url.size() <= width) return url;
  const std::size_t tail = width * 3 / 5;
  return url.substr(0, width - tail - 3) + "..." + url.substr(url.size() - tail);
}

/// What a row's status label says.
std::string status_text(const transfer_status& t) {
  switch (t.state) {
    case transfer_state::waiting:
      return "waiting";
    case transfer_state::downloading: {
      std::string text = "downloading " + format_bytes(t.bytes);
      if (t.total >= 0) text += " of " + format_bytes(static_cast<std::uint64_t>(t.total));
      return text + ", " + format_rate(t.rate);
    }
    case transfer_state::retrying:
      return "retrying (attempt " + std::to_string(t.attempts + 1) + "): " + t.reason;
    case transfer_state::done:
      return "done, " + format_bytes(t.bytes) + " -> " + t.file.filename().string();
    case transfer_state::failed:
      return "error: " + t.reason;
    case transfer_state::cancelled:
      return t.part.empty()
                 ? std::string("cancelled")
                 : "cancelled, " + format_bytes(t.bytes) + " kept in " + t.part.filename().string();
  }
  return "?";
}

/// The widgets of one transfer's row, and what they show now.
struct row {
  std::string prefix;  // the row's widgets are prefix + "url", "bar", "status", "cancel"
  std::string status_shown;
  double fraction_shown = -1;
  transfer_state state_shown = transfer_state::waiting;
  bool cancel_enabled = true;
};

class window {
 public:
  window(const fetch_options& options, tk::tk_loop& ui, const std::vector<std::string>& urls)
      : options_(options), ui_(ui), tcl_(ui.tcl()) {
    build(urls);
    snapshots_.emplace(ui_, [this](fetch_snapshot s) { show(s); });
    latest<fetch_snapshot>* sink = &*snapshots_;
    manager_.emplace(options_, [sink](fetch_snapshot s) { sink->publish(std::move(s)); });
  }

  window(const window&) = delete;
  window& operator=(const window&) = delete;

  /// After the loop has ended: stops the transfers and joins the engine
  /// (blocking is harmless now: there is no window to freeze).
  void shut_down() {
    if (manager_) manager_->cancel_all();
    manager_.reset();
    snapshots_.reset();
  }

  /// The close button, Ctrl+Q or a signal: cancel everything, then go once
  /// the engine says nothing runs (or the deadline passes).
  void close() {
    if (closing_) return;
    closing_ = true;
    manager_->cancel_all();
    if (last_.idle()) {
      ui_.destroy_main_window();
      return;
    }
    tcl_.call({"wm", "title", ".", "fetch — closing"});
    ui_.post_after(close_deadline, [this] {
      std::fprintf(stderr, "fetch: the transfers did not stop within %lld s; closing anyway\n",
                   static_cast<long long>(close_deadline.count()));
      ui_.destroy_main_window();
    });
  }

 private:
  void build(const std::vector<std::string>& urls) {
    const auto& t = tcl_;
    t.call({"wm", "title", ".", "fetch"});
    t.call({"wm", "minsize", ".", 720, 480});
    t.call({"wm", "geometry", ".", "1040x560"});

    t.call({"ttk::frame", ".input", "-padding", 8});
    t.call({"ttk::label", ".input.caption", "-text",
            "URLs, one per line (Ctrl+Return downloads them all) — saving into " + options_.dir.string()});
    t.call({"text", ".input.urls", "-height", 6, "-width", 90, "-wrap", "none", "-undo", 1});
    t.call({"ttk::scrollbar", ".input.scroll", "-orient", "vertical", "-command",
            obj::list({".input.urls", "yview"})});
    t.call({".input.urls", "configure", "-yscrollcommand", obj::list({".input.scroll", "set"})});
    t.call({"grid", ".input.caption", "-row", 0, "-column", 0, "-columnspan", 2, "-sticky", "w"});
    t.call({"grid", ".input.urls", "-row", 1, "-column", 0, "-sticky", "nsew"});
    t.call({"grid", ".input.scroll", "-row", 1, "-column", 1, "-sticky", "ns"});
    t.call({"grid", "columnconfigure", ".input", 0, "-weight", 1});
    std::string text;
    for (const std::string& url : urls) text += url + "\n";
    t.call({".input.urls", "insert", "1.0", text});

    t.call({"ttk::frame", ".buttons", "-padding", "8 0"});
    t.call({"ttk::button", ".buttons.download", "-text", "Download All", "-command",
            t.command([this] { download_all(); })});
    t.call({"ttk::button", ".buttons.cancel", "-text", "Cancel All", "-command",
            t.command([this] { manager_->cancel_all(); })});
    t.call({"ttk::label", ".buttons.total", "-text", "nothing yet"});
    t.call({"pack", ".buttons.download", ".buttons.cancel", "-side", "left", "-padx", "0 6"});
    t.call({"pack", ".buttons.total", "-side", "left", "-padx", 12});

    // The rows: a frame inside a canvas, so that any number of them scrolls.
    t.call({"ttk::frame", ".list", "-padding", 8});
    t.call({"canvas", ".list.canvas", "-highlightthickness", 0, "-yscrollcommand",
            obj::list({".list.scroll", "set"})});
    t.call({"ttk::scrollbar", ".list.scroll", "-orient", "vertical", "-command",
            obj::list({".list.canvas", "yview"})});
    t.call({"ttk::frame", ".list.canvas.rows"});
    t.call({".list.canvas", "create", "window", 0, 0, "-anchor", "nw", "-window", ".list.canvas.rows",
            "-tags", "rows"});
    t.call({"bind", ".list.canvas.rows", "<Configure>", t.command([this] { fit_rows(); })});
    t.call({"bind", ".list.canvas", "<Configure>", t.command([this] { fit_rows(); })});
    t.call({"pack", ".list.scroll", "-side", "right", "-fill", "y"});
    t.call({"pack", ".list.canvas", "-side", "left", "-fill", "both", "-expand", 1});
    t.call({"grid", "columnconfigure", ".list.canvas.rows", 0, "-weight", 1});
    t.call({"grid", "columnconfigure", ".list.canvas.rows", 2, "-weight", 1});

    t.call({"pack", ".input", "-fill", "x"});
    t.call({"pack", ".buttons", "-fill", "x"});
    t.call({"pack", ".list", "-fill", "both", "-expand", 1});

    t.call({"bind", ".input.urls", "<Control-Return>",
            obj::list({t.command([this] { download_all(); }), ";", "break"})});
    t.call({"bind", ".", "<Control-q>", t.command([this] { close(); })});
    t.call({"bind", ".", "<Control-Q>", t.command([this] { close(); })});
    t.call({"focus", ".input.urls"});
    ui_.on_close([this] { close(); });
  }

  /// Every line of the text box becomes a transfer, as in a --input list
  /// (blank and # lines skipped; a line that is not a URL becomes a row that
  /// says so); the box is emptied.
  void download_all() {
    if (closing_) return;
    std::istringstream text(tcl_.call({".input.urls", "get", "1.0", "end"}).str());
    for (const list_entry& entry : parse_url_list(text)) manager_->add(entry.text);
    tcl_.call({".input.urls", "delete", "1.0", "end"});
  }

  void fit_rows() {
    const long long width = tcl_.call({"winfo", "width", ".list.canvas"}).as_int();
    tcl_.call({".list.canvas", "itemconfigure", "rows", "-width", width});
    tcl_.call({".list.canvas", "configure", "-scrollregion", tcl_.call({".list.canvas", "bbox", "all"})});
  }

  row& row_for(const transfer_status& t) {
    const auto found = rows_.find(t.id);
    if (found != rows_.end()) return found->second;
    row r;
    r.prefix = ".list.canvas.rows.r" + std::to_string(t.id);
    const std::string& f = r.prefix;
    const int grid_row = static_cast<int>(rows_.size());
    const auto id = t.id;
    tcl_.call({"ttk::label", f + "url", "-text", middle_cut(t.url, url_width), "-width", url_width});
    tcl_.call({"ttk::progressbar", f + "bar", "-mode", "determinate", "-maximum", 1.0, "-length", 160});
    tcl_.call({"ttk::label", f + "status", "-text", "waiting", "-width", 56});
    tcl_.call({"ttk::button", f + "cancel", "-text", "Cancel", "-command",
               tcl_.command([this, id] { manager_->cancel(id); })});
    tcl_.call(
        {"grid", f + "url", "-row", grid_row, "-column", 0, "-sticky", "we", "-padx", "0 6", "-pady", 2});
    tcl_.call({"grid", f + "bar", "-row", grid_row, "-column", 1, "-padx", "0 6"});
    tcl_.call({"grid", f + "status", "-row", grid_row, "-column", 2, "-sticky", "we", "-padx", "0 6"});
    tcl_.call({"grid", f + "cancel", "-row", grid_row, "-column", 3});
    return rows_.emplace(t.id, std::move(r)).first->second;
  }

  /// One snapshot: at most one per turn of Tk's loop. Widgets change only
  /// where the shown value changed, so a snapshot costs little however many rows.
  void show(const fetch_snapshot& s) {
    last_ = s;
    for (const transfer_status& t : s.transfers) {
      row& r = row_for(t);
      const std::string status = status_text(t);
      if (status != r.status_shown) {
        tcl_.call({r.prefix + "status", "configure", "-text", status, "-foreground",
                   t.state == transfer_state::failed ? "#b03a2e" : "#222222"});
        r.status_shown = status;
      }
      double fraction = 0;
      if (t.state == transfer_state::done) {
        fraction = 1;
      } else if (t.total > 0) {
        fraction = static_cast<double>(t.bytes) / static_cast<double>(t.total);
      }
      if (fraction != r.fraction_shown) {
        tcl_.call({r.prefix + "bar", "configure", "-value", fraction});
        r.fraction_shown = fraction;
      }
      if (t.finished() && r.cancel_enabled) {
        tcl_.call({r.prefix + "cancel", "configure", "-state", "disabled"});
        r.cancel_enabled = false;
      }
    }
    const std::size_t finished = s.done + s.failed + s.cancelled;
    std::string total = std::to_string(s.done) + " done, " + std::to_string(s.failed) + " failed, " +
                        std::to_string(s.cancelled) + " cancelled, " + std::to_string(s.active) +
                        " downloading, " + std::to_string(s.waiting) + " waiting — " + format_bytes(s.bytes) +
                        " at " + format_rate(s.rate);
    tcl_.call({".buttons.total", "configure", "-text", total});
    if (!closing_) {
      // The title says what the list says, so a taskbar (and a script) can follow it.
      std::string title = "fetch";
      if (!s.transfers.empty()) {
        title += " — " + std::to_string(finished) + " of " + std::to_string(s.transfers.size()) +
                 " finished (" + std::to_string(s.done) + " done, " + std::to_string(s.failed) + " failed, " +
                 std::to_string(s.cancelled) + " cancelled)";
        if (s.active > 0) title += " — " + format_rate(s.rate);
      }
      if (title != title_shown_) {
        tcl_.call({"wm", "title", ".", title});
        title_shown_ = title;
      }
    }
    if (closing_ && s.idle()) ui_.destroy_main_window();
  }

  const fetch_options& options_;
  tk::tk_loop& ui_;
  const tk::interp& tcl_;
  bool closing_ = false;
  fetch_snapshot last_;
  std::string title_shown_;
  std::map<std::uint64_t, row> rows_;
  // The mailbox outlives the manager that publishes into it (members die in reverse order).
  std::optional<latest<fetch_snapshot>> snapshots_;
  std::optional<download_manager> manager_;
};

}  // namespace

int run_window(const fetch_options& options, const std::vector<std::string>& urls) {
  tk::install_direct_notifier();  // before anything touches Tcl
  std::optional<tk::tk_loop> ui;
  try {
    ui.emplace();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fetch: --gui: cannot open the window: %s\n", error.what());
    return 1;
  }
  int exit_code = 0;
  {
    window w(options, *ui, urls);
    const handoff::apps::signal_watcher signals({SIGINT, SIGTERM}, "fetch-signals", [&](int signal_number) {
      ui->post([&, signal_number] {
        if (exit_code == 0) exit_code = 128 + signal_number;
        w.close();
      });
    });
    ui->run();
    w.shut_down();
  }
  return exit_code;
}

}  // namespace handoff::fetch
