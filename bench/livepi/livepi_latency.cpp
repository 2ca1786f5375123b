// livepi's two latency promises, measured:
//   stop:     SIGINT to the livepi program -> every worker process gone (target < 200 ms)
//   recovery: SIGKILL to a worker -> its replacement running, and its first
//             range counted (target < 100 ms)
// Prints one JSON object per scenario. Worker exits are observed through
// pidfds (poll wakes when the process ends), not by polling /proc.
#include "engine/coordinator.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

double ms(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream file(entry.path() / "stat");
    std::string stat;
    std::getline(file, stat);
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    std::ifstream cmdline_file(entry.path() / "cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(cmdline_file)),
                              std::istreambuf_iterator<char>());
    const bool exec_done =
        cmdline.find(std::string("__worker") + '\0') != std::string::npos;  // not a pre-exec copy
    if (std::sscanf(stat.c_str() + paren + 1, " %c %ld", &state, &ppid) == 2 && ppid == parent &&
        state != 'Z' && exec_done) {
      found.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return found;
}

void print_summary(const char* scenario, std::vector<double> samples, double target_ms) {
  std::sort(samples.begin(), samples.end());
  const double median = samples[samples.size() / 2];
  std::printf(
      "{\"scenario\":\"%s\",\"runs\":%zu,\"median_ms\":%.2f,\"max_ms\":%.2f,\"target_ms\":%.0f,\"met\":%s}\n",
      scenario, samples.size(), median, samples.back(), target_ms,
      samples.back() < target_ms ? "true" : "false");
  std::fflush(stdout);
}

double one_stop() {
  pid_t livepi = 0;
  std::string program = LIVEPI_PROGRAM;
  std::vector<std::string> args = {program, "--workers", "2", "--seed", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn(&livepi, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  std::vector<pid_t> workers;
  while ((workers = children_of(livepi)).size() < 2) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(300ms);  // let both workers get busy computing
  std::vector<pollfd> exits;
  for (const pid_t w : workers) exits.push_back({static_cast<int>(syscall(SYS_pidfd_open, w, 0)), POLLIN, 0});
  const auto signalled = steady::now();
  kill(livepi, SIGINT);
  std::size_t gone = 0;
  while (gone < exits.size()) {
    poll(exits.data(), exits.size(), -1);
    for (auto& p : exits) {
      if (p.fd >= 0 && (p.revents & POLLIN) != 0) {
        close(p.fd);
        p.fd = -1;
        ++gone;
      }
    }
  }
  const double elapsed = ms(steady::now() - signalled);
  waitpid(livepi, nullptr, 0);
  return elapsed;
}

void measure_recovery(int runs) {
  using namespace handoff::livepi;
  std::mutex mutex;
  std::condition_variable changed;
  snapshot latest;
  run_config config;
  config.backend = backend_kind::processes;
  config.workers = 2;
  config.seed = 1;
  config.batch = 65536;  // one block: a range takes tens of microseconds, so "computing" shows at once
  config.worker_program = LIVEPI_PROGRAM;
  config.worker_arguments = {"__worker"};
  config.publish_interval = 200us;
  coordinator run(config, [&](snapshot s) {
    {
      std::lock_guard lock(mutex);
      latest = std::move(s);
    }
    changed.notify_all();
  });
  std::vector<double> to_running;
  std::vector<double> to_computing;
  for (int i = 0; i < runs; ++i) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return latest.workers.size() == 2 && latest.workers[0].pid != 0; });
    const auto victim = static_cast<pid_t>(latest.workers[0].pid);
    const auto ranges_before = latest.workers[0].ranges_done;
    lock.unlock();
    std::this_thread::sleep_for(100ms);  // a steady state between kills
    const auto killed = steady::now();
    kill(victim, SIGKILL);
    lock.lock();
    changed.wait(lock, [&] { return latest.workers[0].pid != 0 && latest.workers[0].pid != victim; });
    to_running.push_back(ms(steady::now() - killed));
    const auto ranges_at_restart = latest.workers[0].ranges_done;
    changed.wait(lock, [&] { return latest.workers[0].ranges_done > ranges_at_restart; });
    to_computing.push_back(ms(steady::now() - killed));
    (void)ranges_before;
  }
  run.request_stop();
  print_summary("recovery_kill_to_replacement_running", to_running, 100);
  print_summary("recovery_kill_to_first_range_counted", to_computing, 100);
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  std::vector<double> stops;
  for (int i = 0; i < runs; ++i) stops.push_back(one_stop());
  print_summary("stop_sigint_to_all_workers_gone", stops, 200);
  measure_recovery(runs);
  return 0;
}
