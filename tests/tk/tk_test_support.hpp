// Shared by the Tk tests: whether a display is there, and small helpers.
//
// Every Tk test binary registers display_environment (through this header).
// Binaries built with HANDOFF_TK_TEST_DIRECT_NOTIFIER install the direct
// notifier during static initialisation, before anything touches Tcl, and so
// run the same tests on it.
// Without a reachable X display the whole binary is skipped, unless
// HANDOFF_REQUIRE_DISPLAY is set (the ctest registration sets it and runs the
// binary under tests/tk/with_xvfb.sh), in which case it fails: in CI the Tk
// tests must really run. The probe opens the display with Xlib only, so a
// skipped run never touches Tcl.
#pragma once

#include "handoff/tk/direct_notifier.hpp"
#include "handoff/tk/tk_loop.hpp"

#include <gtest/gtest.h>

#include <tk.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

namespace handoff::tk::testing {

#ifdef HANDOFF_TK_TEST_DIRECT_NOTIFIER
inline const bool direct_notifier_for_this_binary = install_direct_notifier();
inline constexpr bool expects_direct_notifier = true;
#else
inline constexpr bool expects_direct_notifier = false;
#endif

inline bool display_required() {
  const char* required = std::getenv("HANDOFF_REQUIRE_DISPLAY");
  return required != nullptr && *required != '\0' && std::string(required) != "0";
}

/// Empty when a display can be opened, else why not.
inline std::string display_problem() {
  const char* name = std::getenv("DISPLAY");
  if (name == nullptr || *name == '\0') return "DISPLAY is not set";
  Display* display = XOpenDisplay(nullptr);
  if (display == nullptr) return std::string("cannot open the display ") + name;
  XCloseDisplay(display);
  return {};
}

class display_environment : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string problem = display_problem();
    if (problem.empty()) return;
    if (display_required()) {
      FAIL() << "no X display (" << problem << ") but HANDOFF_REQUIRE_DISPLAY is set";
    }
    GTEST_SKIP() << "no X display (" << problem << "); set DISPLAY or run under tests/tk/with_xvfb.sh";
  }
};

// One registration per test binary (an inline variable is initialised once).
inline ::testing::Environment* const display_environment_registration =
    ::testing::AddGlobalTestEnvironment(new display_environment);

inline constexpr auto patience = std::chrono::seconds(20);  // only a hang gets near it

/// Runs `ui`'s event loop until done() holds; false after `patience`.
inline bool run_until(tk_loop& ui, const std::function<bool()>& done) { return ui.run_until(done, patience); }

/// Maps the main window (so that its window-manager frame exists) and returns
/// that frame's X window. Runs `update`: call it before any flood starts.
inline Window map_main_window(tk_loop& ui) {
  ui.tcl().call({"update"});
  return std::stoul(ui.tcl().call({"wm", "frame", "."}).str(), nullptr, 0);
}

/// What a window manager does when the user clicks the close button: a
/// WM_PROTOCOLS / WM_DELETE_WINDOW client message to the toplevel's frame,
/// through the X server. Returns false if Xlib refused to send it.
inline bool send_wm_delete_window(tk_loop& ui, Window frame) {
  Display* display = Tk_Display(Tk_MainWindow(ui.tcl().raw()));
  XEvent event{};
  event.xclient.type = ClientMessage;
  event.xclient.window = frame;
  event.xclient.message_type = XInternAtom(display, "WM_PROTOCOLS", False);
  event.xclient.format = 32;
  event.xclient.data.l[0] = static_cast<long>(XInternAtom(display, "WM_DELETE_WINDOW", False));
  event.xclient.data.l[1] = CurrentTime;
  const bool sent = XSendEvent(display, frame, False, NoEventMask, &event) != 0;
  XFlush(display);
  return sent;
}

}  // namespace handoff::tk::testing
