// Pattern: a worker thread talks to the UI thread through post (fire and
// forget) and invoke (ask and wait for the answer). Only the loop thread
// touches `ui_state`, the stand-in for widgets, so it needs no lock.
#include <handoff/headless_loop.hpp>

#include <cstdio>
#include <string>
#include <thread>

namespace {
struct ui_state {  // what a window would show; loop thread only
  std::string status = "idle";
  int lines_logged = 0;
};
}  // namespace

int main() {
  handoff::headless_loop ui;
  ui_state state;

  std::jthread worker([&] {
    for (int step = 1; step <= 3; ++step) {
      // post: never runs inline; the lambda owns copies of what it needs.
      ui.post([&state, step] {
        state.status = "working on step " + std::to_string(step);
        ++state.lines_logged;
        std::printf("[ui] %s\n", state.status.c_str());
      });
    }
    // invoke: read UI state safely from this thread, waiting for the answer.
    const int logged = ui.invoke([&state] { return state.lines_logged; });
    std::printf("[worker] the UI has logged %d lines\n", logged);
    ui.post([&ui] { ui.stop(); });  // end run() once everything before this ran
  });

  ui.run();  // this thread is the UI thread until stop()
  worker.join();
  std::printf("[ui] done, last status: %s\n", state.status.c_str());
  return state.lines_logged == 3 ? 0 : 1;
}
