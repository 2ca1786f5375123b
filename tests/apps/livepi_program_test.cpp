// The livepi program seen from outside: started as a child process, signalled,
// killed, and its answers checked against the kernel computed here.
#include "engine/kernel.hpp"

#include <gtest/gtest.h>

#include "support/child_program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

using handoff::testing::finished;

// A running livepi with its stdout and stderr captured.
class child_program : public handoff::testing::child_program {
 public:
  explicit child_program(std::vector<std::string> arguments, std::vector<std::string> environment = {})
      : handoff::testing::child_program(
            LIVEPI_PROGRAM, {.arguments = std::move(arguments), .environment = std::move(environment)}) {}
};

// True once `pid` runs the worker program: a child seen between its spawn and
// its exec is still a copy of the parent (and stopping it there would stop the
// parent's spawn call with it).
bool runs_worker_program(const std::string& pid) {
  std::ifstream file("/proc/" + pid + "/cmdline");
  const std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return cmdline.find(std::string("__worker") + '\0') != std::string::npos;
}

// The worker processes whose parent is `parent` and that have not ended (zombies count as ended).
std::vector<pid_t> live_children(pid_t parent) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat_file(entry.path() / "stat");
    std::string stat;
    std::getline(stat_file, stat);
    const auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(stat.c_str() + close_paren + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid == parent && state != 'Z' && state != 'X' && runs_worker_program(name)) {
      found.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return found;
}

bool is_alive(pid_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(stat_file, stat)) return false;
  const auto close_paren = stat.rfind(')');
  return close_paren != std::string::npos && stat[close_paren + 2] != 'Z' && stat[close_paren + 2] != 'X';
}

// Waits for an observable state of another process, checking every millisecond, up to `limit`.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 20000ms) {
  const auto give_up = steady::now() + limit;
  while (!condition()) {
    if (steady::now() > give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::uint64_t json_number(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return ~std::uint64_t{0};
  return std::stoull(json.substr(at + key.size() + 3));
}

// Points that take one core about `seconds` in this build (sanitizers slow it down a lot).
std::uint64_t points_for(double seconds) {
  const auto start = steady::now();
  constexpr std::uint64_t probe = 1 << 24;
  (void)handoff::livepi::count_inside(1, 0, probe);
  const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
  const double rate = static_cast<double>(probe) / std::max(elapsed, 1e-6);
  const auto points = static_cast<std::uint64_t>(rate * seconds);
  return std::max<std::uint64_t>(points / 65536 * 65536, 1 << 20);
}

TEST(livepi_program, the_same_seed_and_points_give_the_same_count_for_every_backend_workers_batch_and_path) {
  const std::uint64_t points = points_for(0.15);
  const std::uint64_t seed = 20261122;
  const std::uint64_t expected = handoff::livepi::count_inside(seed, 0, points);
  struct run {
    std::vector<std::string> flags;
    std::vector<std::string> environment;
  };
  const std::vector<run> runs = {
      {{"--backend", "sequential"}, {}},
      {{"--backend", "threads", "--workers", "1"}, {}},
      {{"--backend", "threads", "--workers", "2", "--batch", "64k"}, {}},
      {{"--backend", "threads", "--workers", "5", "--batch", "1M"}, {}},
      {{"--backend", "processes", "--workers", "1"}, {}},
      {{"--backend", "processes", "--workers", "2", "--batch", "200k"}, {}},
      {{"--backend", "processes", "--workers", "5", "--batch", "64k"}, {}},
      {{"--backend", "processes", "--workers", "2", "--batch", "64k", "--fault-rate", "0.05"}, {}},
      {{"--backend", "processes", "--workers", "2"}, {"HANDOFF_LIVEPI_KERNEL=portable"}},
  };
  for (const auto& r : runs) {
    std::vector<std::string> arguments = {"--points", std::to_string(points), "--seed", std::to_string(seed),
                                          "--json"};
    arguments.insert(arguments.end(), r.flags.begin(), r.flags.end());
    child_program livepi(arguments, r.environment);
    const finished done = livepi.wait();
    std::string described;
    for (const auto& f : r.flags) described += f + " ";
    ASSERT_EQ(done.status, 0) << described << done.err;
    EXPECT_EQ(json_number(done.out, "inside"), expected) << described << done.out;
    EXPECT_EQ(json_number(done.out, "points"), points) << described;
  }
}

TEST(livepi_program, a_worker_killed_with_sigkill_is_replaced_and_the_count_stays_exact) {
  const std::uint64_t points = points_for(2.0);
  const std::uint64_t seed = 5;
  child_program livepi({"--points", std::to_string(points), "--seed", "5", "--workers", "2", "--json"});
  std::vector<pid_t> workers;
  ASSERT_TRUE(eventually([&] { return (workers = live_children(livepi.pid())).size() == 2; }));
  kill(workers[0], SIGKILL);
  const std::uint64_t expected = handoff::livepi::count_inside(seed, 0, points);
  const finished done = livepi.wait();
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(json_number(done.out, "inside"), expected) << done.out;
  EXPECT_GE(json_number(done.out, "restarts"), 1U) << done.out;
}

TEST(livepi_program,
     a_worker_stopped_with_sigstop_is_found_by_its_heartbeat_replaced_and_the_count_stays_exact) {
  const std::uint64_t points = points_for(3.0);
  child_program livepi({"--points", std::to_string(points), "--seed", "6", "--workers", "2", "--json",
                        "--heartbeat-timeout", "0.3"});
  std::vector<pid_t> workers;
  ASSERT_TRUE(eventually([&] { return (workers = live_children(livepi.pid())).size() == 2; }));
  kill(workers[1], SIGSTOP);
  const std::uint64_t expected = handoff::livepi::count_inside(6, 0, points);
  const finished done = livepi.wait();
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(json_number(done.out, "inside"), expected) << done.out;
  EXPECT_GE(json_number(done.out, "restarts"), 1U) << done.out;
  EXPECT_FALSE(is_alive(workers[1]));
}

TEST(livepi_program, the_parent_killed_with_sigkill_leaves_no_worker_behind) {
  // Orphans are re-parented to this test process, which reaps them, so none lingers as a zombie.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::vector<pid_t> workers;
  {
    child_program livepi({"--workers", "2", "--seed", "7"});  // runs until stopped
    ASSERT_TRUE(eventually([&] { return (workers = live_children(livepi.pid())).size() == 2; }));
    kill(livepi.pid(), SIGKILL);
    livepi.wait();
  }
  EXPECT_TRUE(eventually([&] {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    return !is_alive(workers[0]) && !is_alive(workers[1]);
  }));
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

void expect_stops_on(int signal_number, int expected_status) {
  child_program livepi({"--workers", "2", "--seed", "8"});
  std::vector<pid_t> workers;
  ASSERT_TRUE(eventually([&] { return (workers = live_children(livepi.pid())).size() == 2; }));
  kill(livepi.pid(), signal_number);
  const finished done = livepi.wait();
  EXPECT_EQ(done.status, expected_status) << done.err;
  EXPECT_NE(done.out.find(" points, "), std::string::npos) << done.out;  // the summary of what was counted
  for (const pid_t w : workers) EXPECT_FALSE(is_alive(w));
}

TEST(livepi_program, sigint_stops_the_workers_prints_the_summary_and_exits_130) {
  expect_stops_on(SIGINT, 130);
}

TEST(livepi_program, sigterm_stops_the_workers_prints_the_summary_and_exits_143) {
  expect_stops_on(SIGTERM, 143);
}

TEST(livepi_program, a_bad_value_gives_one_line_naming_it_and_exit_2) {
  const std::vector<std::vector<std::string>> bad = {
      {"--workers", "0"}, {"--backend", "gpu"}, {"--points", "lots"}, {"--fault-rate", "2"}, {"--bogus"}};
  for (const auto& arguments : bad) {
    child_program livepi(arguments);
    const finished done = livepi.wait();
    EXPECT_EQ(done.status, 2) << arguments[0];
    EXPECT_EQ(std::count(done.err.begin(), done.err.end(), '\n'), 1) << done.err;
    EXPECT_NE(done.err.find(arguments[0]), std::string::npos) << done.err;
    EXPECT_TRUE(done.out.empty());
  }
}

TEST(livepi_program, off_a_terminal_it_prints_no_live_redraws_only_the_summary) {
  child_program livepi({"--points", "10M", "--seed", "9", "--backend", "threads", "--workers", "2"});
  const finished done = livepi.wait();
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(done.out.find('\r'), std::string::npos);
  EXPECT_EQ(done.err.find('\r'), std::string::npos);
  EXPECT_NE(done.out.find("10000000 points"), std::string::npos) << done.out;
}

}  // namespace
