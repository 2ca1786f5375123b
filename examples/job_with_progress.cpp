// Pattern: jobs report progress, then exactly one ending, on the UI thread. The first runs to
// the end; the second is cancelled halfway: "cancel requested" first, "cancelled" once it stopped.
#include "handoff/headless_loop.hpp"
#include "handoff/job.hpp"
#include "handoff/thread_pool.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

using job = handoff::job<std::uint64_t, handoff::fraction>;

// The work, on a pool thread: 40 steps of 10 ms, each reported; it stops early when asked.
static std::uint64_t work(std::stop_token stop, handoff::determinate_progress& progress) {
  std::uint64_t done = 0;
  for (; done < 40 && !stop.stop_requested(); ++done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // stands for real work
    progress.report({.done = done + 1, .total = 40});
  }
  return done;
}

// A text progress bar, redrawn in place. UI thread only.
static void draw(const char* name, handoff::fraction f, const char* note, const char* end = "") {
  const auto filled = static_cast<std::size_t>(f.ratio() * 30);
  std::printf("\r  %-8s [%s%s] %3.0f%% %-16s%s", name, std::string(filled, '#').c_str(),
              std::string(30 - filled, '.').c_str(), f.ratio() * 100, note, end);
  std::fflush(stdout);
}

int main() {
  handoff::headless_loop ui;  // this thread is the UI thread; declared first, it outlives the pool
  handoff::thread_pool pool(2, "example");
  handoff::fraction shown;  // what the UI shows, like every variable below: UI thread only
  std::string copy_ending, analyse_ending = "value";
  std::optional<job> analyse;
  job::callbacks on_copy, on_analyse;
  on_copy.on_progress = [&](handoff::fraction f) { draw("copy", shown = f, ""); };
  on_copy.on_value = [&](std::uint64_t steps) {
    draw("copy", shown, "done", "\n");
    copy_ending = "value " + std::to_string(steps);
    analyse.emplace(pool, ui, work, on_analyse);  // the second job starts once the first has ended
  };
  on_analyse.on_progress = [&](handoff::fraction f) {
    draw("analyse", shown = f, "");
    if (f.ratio() >= 0.5 && analyse->cancel()) draw("analyse", f, "cancel requested");
  };
  on_analyse.on_value = [&](std::uint64_t) { ui.stop(); };
  on_copy.on_error = on_analyse.on_error = [&](std::exception_ptr) { ui.stop(); };
  on_analyse.on_cancelled = [&] {
    draw("analyse", shown, "cancelled", "\n");
    analyse_ending = "cancelled";
    ui.stop();
  };
  std::printf("handoff: progress, then one ending, on the UI thread\n");
  job copy(pool, ui, work, on_copy);
  ui.run();  // until the second job's ending stops it
  std::printf("  endings: copy -> %s, analyse -> %s\n", copy_ending.c_str(), analyse_ending.c_str());
  return copy_ending == "value 40" && analyse_ending == "cancelled" ? 0 : 1;
}
