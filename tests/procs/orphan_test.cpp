// No orphan, ever: workers end when their parent is SIGKILLed, and a worker
// whose parent closed its socket, or is already gone, ends too.
#include "handoff/errors.hpp"
#include "handoff/procs/worker_session.hpp"
#include "pool_test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

// glibc 2.36 declares these without extern "C" (fixed in 2.37); the extra
// linkage block is harmless once it does.
extern "C" {
#include <sys/pidfd.h>
}

#include <gtest/gtest.h>

#include <cstdlib>

extern char** environ;

namespace handoff::procs::testing {
namespace {

// Spawns `argv` with `actions`, returning its pid (0 on failure).
pid_t spawn(const std::vector<std::string>& arguments, const posix_spawn_file_actions_t* actions,
            const std::vector<std::string>& extra_environment = {}) {
  std::vector<std::string> args = arguments;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment(extra_environment);
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  std::vector<char*> envp;
  for (std::string& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  return ::posix_spawn(&pid, argv[0], actions, nullptr, argv.data(), envp.data()) == 0 ? pid : 0;
}

// Waits for `pidfd` to become readable (its process ended) until `deadline`.
bool ended_by(int pidfd, steady::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now()).count();
    pollfd entry{pidfd, POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::max<long long>(left, 0)));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Reads lines from `fd` until `count` were read or `deadline` passes.
std::vector<std::string> read_lines(int fd, std::size_t count, steady::time_point deadline) {
  std::string buffer;
  std::vector<std::string> lines;
  while (lines.size() < count) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now()).count();
    if (left <= 0) break;
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(left)) <= 0) continue;
    char chunk[256];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t end; (end = buffer.find('\n')) != std::string::npos;) {
      lines.push_back(buffer.substr(0, end));
      buffer.erase(0, end + 1);
    }
  }
  return lines;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

TEST(NoOrphan, WorkersEndWhenTheirParentIsSigkilled) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  // Workers that ignore the end of their socket and SIGTERM: only the
  // parent-death signal can end them.
  const pid_t parent = spawn({HANDOFF_POOL_PARENT, "3", "--ignore-shutdown", "--ignore-term"}, &actions);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ASSERT_GT(parent, 0);

  const std::vector<std::string> lines = read_lines(out[0], 3, steady::now() + 20s);
  ::close(out[0]);
  ASSERT_EQ(lines.size(), 3u) << "the parent did not report its workers";
  std::vector<int> pidfds;
  for (const std::string& line : lines) {
    const pid_t worker = std::stoi(line);
    // A pidfd works for processes that are not our children: readable once it ends.
    const int pidfd = ::pidfd_open(worker, 0);
    ASSERT_GE(pidfd, 0) << "worker " << worker << " is already gone";
    pidfds.push_back(pidfd);
  }

  ASSERT_EQ(::kill(parent, SIGKILL), 0);
  const int status = wait_status(parent);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  const auto deadline = steady::now() + 5s;
  for (std::size_t i = 0; i < pidfds.size(); ++i) {
    EXPECT_TRUE(ended_by(pidfds[i], deadline)) << "worker " << lines[i] << " outlived its parent";
    ::close(pidfds[i]);
  }
  EXPECT_TRUE(no_children_left());
}

// Spawns the test worker by hand, as if by a pool: its socket on fd 3 and the
// pool's variables, with `parent_pid` as the parent it should have.
struct hand_spawned {
  pid_t pid = 0;
  int socket = -1;
};

hand_spawned spawn_worker_by_hand(pid_t parent_pid) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pair[1], 3);
  const pid_t pid = spawn({HANDOFF_TEST_WORKER}, &actions,
                          {"HANDOFF_WORKER_PARENT_PID=" + std::to_string(parent_pid), "HANDOFF_WORKER_ID=0",
                           "HANDOFF_WORKER_HEARTBEAT_MS=50"});
  posix_spawn_file_actions_destroy(&actions);
  ::close(pair[1]);
  return {pid, pair[0]};
}

TEST(NoOrphan, AWorkerExitsWhenItsParentClosesTheSocket) {
  const hand_spawned worker = spawn_worker_by_hand(::getpid());
  ASSERT_GT(worker.pid, 0);
  // Its first heartbeat shows it is attached; then the parent hangs up.
  char byte = 0;
  ASSERT_EQ(::recv(worker.socket, &byte, 1, 0), 1);
  ::close(worker.socket);
  const int pidfd = ::pidfd_open(worker.pid, 0);
  ASSERT_GE(pidfd, 0);
  EXPECT_TRUE(ended_by(pidfd, steady::now() + 10s));
  ::close(pidfd);
  const int status = wait_status(worker.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

TEST(NoOrphan, AWorkerWhoseParentIsAlreadyGoneEndsAtOnce) {
  // pid 1 is nobody's parent here: as if the pool had died before the worker
  // set its parent-death signal.
  const hand_spawned worker = spawn_worker_by_hand(1);
  ASSERT_GT(worker.pid, 0);
  const int status = wait_status(worker.pid);
  ::close(worker.socket);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
}

TEST(WorkerSession, RefusesAProcessThatNoPoolSpawned) {
  ASSERT_EQ(std::getenv("HANDOFF_WORKER_PARENT_PID"), nullptr);
  EXPECT_FALSE(worker_session::launched_by_pool());
  EXPECT_THROW(worker_session{}, errors::invalid_argument);
}

}  // namespace
}  // namespace handoff::procs::testing
