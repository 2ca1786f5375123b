// A parent for the "parent killed" test: `procs_pool_parent N [worker flags]`
// starts a pool of N test workers (given the flags), prints their pids on
// stdout, one a line, then drives the pool until killed.
#include "handoff/procs/worker_pool.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

class pid_printer : public handoff::procs::worker_handler {
 public:
  void on_started(std::size_t, pid_t pid) override { pids.push_back(pid); }
  std::vector<pid_t> pids;
};

}  // namespace

int main(int argc, char** argv) {
  handoff::procs::worker_pool_options options;
  options.program = HANDOFF_TEST_WORKER;
  options.workers = argc > 1 ? static_cast<std::size_t>(std::atoi(argv[1])) : 2;
  options.heartbeat_timeout = std::chrono::seconds(30);
  for (int i = 2; i < argc; ++i) options.arguments.emplace_back(argv[i]);
  handoff::procs::worker_pool pool(options);
  pid_printer printer;
  pool.start();
  while (printer.pids.size() < options.workers) {
    pool.run_once(std::chrono::steady_clock::time_point::max(), printer);
  }
  for (pid_t pid : printer.pids) std::printf("%d\n", static_cast<int>(pid));
  std::fflush(stdout);
  for (;;) pool.run_once(std::chrono::steady_clock::time_point::max(), printer);
}
