// Pattern: "Run 3 Tasks" (the seeds' ThreadPoolExecutor example) as a job_group.
// Three tasks of different lengths run on a pool; the UI thread sees their
// combined progress and then ONE ending with every result, in the order the
// tasks were given, only after all three have stopped. No done-callback ever
// runs on a worker thread, so nothing here needs a lock.
#include "handoff/job_group.hpp"
#include "handoff/headless_loop.hpp"
#include "handoff/thread_pool.hpp"

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {
// Task i takes (2 + i) * 100 ms in 10 ms steps, reporting each, and returns its result line.
handoff::job_group<std::string>::work_type heavy_task(int id) {
  return [id](std::stop_token stop, handoff::determinate_progress& progress) {
    const std::uint64_t steps = 20 + 10 * static_cast<std::uint64_t>(id);
    for (std::uint64_t step = 1; step <= steps; ++step) {
      if (stop.stop_requested()) throw handoff::errors::cancelled();
      std::this_thread::sleep_for(10ms);  // stands for real work
      progress.report({.done = step, .total = steps});
    }
    return "Task " + std::to_string(id) + " result: " + std::to_string(id * 42);
  };
}
}  // namespace

int main() {
  handoff::headless_loop ui;  // this thread is the UI thread; declared first, it outlives the pool
  handoff::thread_pool pool(3, "tasks");
  std::vector<std::string> results;  // UI thread only
  std::printf("Running 3 tasks...\n");

  handoff::job_group<std::string> tasks(pool, ui, {heavy_task(0), heavy_task(1), heavy_task(2)},
                                        {.on_progress =
                                             [](handoff::job_group_progress p) {
                                               const auto filled = static_cast<std::size_t>(p.ratio * 30);
                                               std::printf("\r  Completed %zu/%zu [%s%s] %3.0f%%", p.finished,
                                                           p.members, std::string(filled, '#').c_str(),
                                                           std::string(30 - filled, '.').c_str(),
                                                           p.ratio * 100);
                                               std::fflush(stdout);
                                             },
                                         .on_value =
                                             [&](std::vector<std::string> values) {
                                               results = std::move(values);
                                               std::printf("\nAll tasks complete!\n");
                                               for (const auto& line : results)
                                                 std::printf("  %s\n", line.c_str());
                                               ui.stop();
                                             },
                                         .on_error = [&](std::exception_ptr) { ui.stop(); },
                                         .on_cancelled = [&] { ui.stop(); }},
                                        {.name = "run-3-tasks"});
  ui.run();  // until the group's one ending stops it
  const std::vector<std::string> expected{"Task 0 result: 0", "Task 1 result: 42", "Task 2 result: 84"};
  return results == expected ? 0 : 1;
}
