// Pattern: timers on the UI thread. A repeating tick re-arms itself, a
// timeout is cancelled from a worker thread before it fires, and a one-shot
// timer ends the program. Timers never fire early and a cancelled one never runs.
#include <handoff/headless_loop.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

using namespace std::chrono_literals;

int main() {
  handoff::headless_loop ui;
  int ticks = 0;
  bool timeout_fired = false;

  // A repeating 10 ms tick: each tick schedules the next one.
  std::function<void()> tick = [&] {
    ++ticks;
    if (ticks < 5) ui.post_after(10ms, tick);
  };
  ui.post_after(10ms, tick);

  // A "the worker is too slow" timeout that the worker cancels by finishing in time.
  handoff::timer timeout = ui.post_after(10s, [&] { timeout_fired = true; });
  std::jthread worker([&] {
    const bool cancelled = timeout.cancel();  // any thread; true means it will never run
    ui.post([cancelled] {
      std::printf("[ui] worker finished; timeout cancelled: %s\n", cancelled ? "yes" : "no");
    });
  });

  // Stop after 100 ms, by which time the five ticks are done.
  ui.post_after(100ms, [&] { ui.stop(); });
  const auto started = std::chrono::steady_clock::now();
  ui.run();
  worker.join();
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  std::printf("[ui] %d ticks in %lld ms; timeout fired: %s\n", ticks, static_cast<long long>(elapsed.count()),
              timeout_fired ? "yes" : "no");
  return ticks == 5 && !timeout_fired ? 0 : 1;
}
