#include "handoff/tk/tk_loop.hpp"

#include "handoff/tk/tcl_error.hpp"

#include <tcl.h>
#include <tk.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <string>

namespace handoff::tk {

namespace {

loop_options core_options(const tk_loop_options& options) {
  loop_options core;
  core.pump_budget = options.pump_budget;
  return core;
}

std::string interp_result(Tcl_Interp* interp) { return Tcl_GetStringResult(interp); }

// Loads Tk into `interp` unless it is there already; throws tcl_error when it cannot.
void ensure_tk(Tcl_Interp* interp) {
  if (Tk_MainWindow(interp) != nullptr) return;
  if (Tk_Init(interp) != TCL_OK) throw tcl_error("handoff::tk: Tk_Init failed: " + interp_result(interp));
}

Tcl_Interp* create_interpreter(const tk_loop_options& options) {
  static std::once_flag found;
  std::call_once(found, [&] { Tcl_FindExecutable(options.program_name); });
  Tcl_Interp* interp = Tcl_CreateInterp();
  try {
    if (Tcl_Init(interp) != TCL_OK) throw tcl_error("handoff::tk: Tcl_Init failed: " + interp_result(interp));
    ensure_tk(interp);
  } catch (...) {
    Tcl_DeleteInterp(interp);
    throw;
  }
  return interp;
}

Tcl_Interp* prepare_existing(Tcl_Interp* interp) {
  if (interp == nullptr) throw errors::invalid_argument("tk_loop: the interpreter is null");
  ensure_tk(interp);
  return interp;
}

std::atomic<unsigned> close_commands{0};  // numbers the close commands; relaxed: only uniqueness matters

}  // namespace

namespace detail {
struct tk_loop_events {
  // StructureNotify on the main window: its DestroyNotify ends the loop.
  static void on_structure(ClientData self, XEvent* event) {
    if (event->type == DestroyNotify) static_cast<tk_loop*>(self)->main_window_destroyed();
  }
};
}  // namespace detail

tk_loop::tk_loop(tk_loop_options options) : tk_loop(create_interpreter(options), true, options) {}

tk_loop::tk_loop(Tcl_Interp* existing, tk_loop_options options)
    : tk_loop(prepare_existing(existing), false, options) {}

tk_loop::tk_loop(Tcl_Interp* interp, bool owned, const tk_loop_options& options)
    : detail::tk_driver_holder(options.turn_after, options.idle_every),
      loop(driver, core_options(options)),
      raw_(interp),
      owned_(owned),
      tcl_(interp) {
  main_window_ = Tk_MainWindow(raw_);
  // The main window's end is the loop's end: nothing may run against destroyed widgets.
  Tk_CreateEventHandler(static_cast<Tk_Window>(main_window_), StructureNotifyMask,
                        &detail::tk_loop_events::on_structure, this);
  set_exception_handler(
      [this](const std::exception_ptr& error) { tcl_.report_exception("a posted task", error); });
  driver.set_display(Tk_Display(static_cast<Tk_Window>(main_window_)));
  driver.start(*this);
}

tk_loop::~tk_loop() {
  close();
  driver.shut_down();
  discard_pending();
  if (main_window_ != nullptr) {
    auto* window = static_cast<Tk_Window>(main_window_);
    Tk_DeleteEventHandler(window, StructureNotifyMask, &detail::tk_loop_events::on_structure, this);
    main_window_ = nullptr;
    if (owned_) Tk_DestroyWindow(window);
  }
  if (owned_) Tcl_DeleteInterp(raw_);
}

void tk_loop::main_window_destroyed() noexcept {
  main_window_ = nullptr;
  driver.set_display(nullptr);
  close();
}

void tk_loop::run() {
  expect_loop_thread("tk_loop::run");
  while (!driver.take_stop_request() && main_window_ != nullptr) Tcl_DoOneEvent(TCL_ALL_EVENTS);
}

bool tk_loop::run_until(const std::function<bool()>& done, std::chrono::nanoseconds timeout) {
  expect_loop_thread("tk_loop::run_until");
  if (done()) return true;
  bool timed_out = false;
  const auto ms = std::clamp<long long>(std::chrono::ceil<std::chrono::milliseconds>(timeout).count(), 0,
                                        std::numeric_limits<int>::max());
  Tcl_TimerToken give_up = Tcl_CreateTimerHandler(
      static_cast<int>(ms), [](ClientData flag) { *static_cast<bool*>(flag) = true; }, &timed_out);
  bool met = false;
  while (!(met = done()) && !timed_out && main_window_ != nullptr) Tcl_DoOneEvent(TCL_ALL_EVENTS);
  if (!timed_out) Tcl_DeleteTimerHandler(give_up);
  return met;
}

void tk_loop::stop() noexcept { driver.request_stop(); }

void tk_loop::on_close(std::function<void()> handler) {
  tcl_.assert_owner_thread("tk_loop::on_close");
  if (close_command_) {
    tcl_.delete_command(close_command_);
    close_command_ = obj();
  }
  if (!handler) {
    if (main_window_ != nullptr) tcl_.call({"wm", "protocol", ".", "WM_DELETE_WINDOW", ""});
    return;
  }
  const std::string name =
      "::handoff::close" + std::to_string(close_commands.fetch_add(1, std::memory_order_relaxed));
  close_command_ = tcl_.command(name, [body = std::move(handler)](interp::arguments&) { body(); });
  tcl_.call({"wm", "protocol", ".", "WM_DELETE_WINDOW", close_command_});
}

void tk_loop::destroy_main_window() {
  tcl_.assert_owner_thread("tk_loop::destroy_main_window");
  if (main_window_ != nullptr) Tk_DestroyWindow(static_cast<Tk_Window>(main_window_));
}

}  // namespace handoff::tk
