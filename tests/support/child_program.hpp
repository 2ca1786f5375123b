// The programs' tests run the real program as a child process: this starts
// one with chosen arguments, environment, stdin and stderr (a pipe, or a
// pseudo-terminal to see what a user at a terminal sees), reads its stdout
// and stderr to their end, and reaps it. A child still running when its
// owner goes is killed and reaped: a failing test leaves no process behind.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace handoff::testing {

struct finished {
  bool exited = false;  // false: killed by a signal
  int status = -1;      // the exit code, or 128 + the signal
  bool timed_out = false;
  std::string out;
  std::string err;
};

struct launch {
  std::vector<std::string> arguments{};     // after the program's name
  std::vector<std::string> environment{};   // NAME=value, added to the test's own
  bool feed_stdin = false;                  // stdin is a pipe the test writes to (else /dev/null)
  bool stderr_on_terminal = false;          // stderr is a pseudo-terminal
  std::optional<rlim_t> file_size_limit{};  // RLIMIT_FSIZE in the child
  bool ignore_sigxfsz = false;              // SIGXFSZ ignored in the child (inherited through exec)
};

class child_program {
 public:
  /// Starts `program` as `how` says. Test thread.
  child_program(const char* program, launch how) {
    how.arguments.insert(how.arguments.begin(), program);
    std::vector<char*> argv;
    for (auto& a : how.arguments) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Built before the fork: between fork and exec only async-signal-safe calls.
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
    environment.insert(environment.end(), how.environment.begin(), how.environment.end());
    std::vector<char*> envp;
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);

    int in_pipe[2] = {-1, -1};
    int out_pipe[2] = {-1, -1};
    int err_pipe[2] = {-1, -1};
    if (how.feed_stdin) {
      EXPECT_EQ(pipe2(in_pipe, O_CLOEXEC), 0);
    }
    EXPECT_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
    std::string terminal_name;
    if (how.stderr_on_terminal) {
      err_fd_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
      EXPECT_GE(err_fd_, 0);
      EXPECT_EQ(grantpt(err_fd_), 0);
      EXPECT_EQ(unlockpt(err_fd_), 0);
      terminal_name = ptsname(err_fd_);
    } else {
      EXPECT_EQ(pipe2(err_pipe, O_CLOEXEC), 0);
      err_fd_ = err_pipe[0];
    }
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(how.feed_stdin ? in_pipe[0] : null_fd, STDIN_FILENO);
      dup2(out_pipe[1], STDOUT_FILENO);
      if (how.stderr_on_terminal) {
        const int terminal = open(terminal_name.c_str(), O_RDWR | O_NOCTTY);
        dup2(terminal, STDERR_FILENO);
      } else {
        dup2(err_pipe[1], STDERR_FILENO);
      }
      if (how.file_size_limit) {
        const rlimit limit{*how.file_size_limit, *how.file_size_limit};
        setrlimit(RLIMIT_FSIZE, &limit);
      }
      if (how.ignore_sigxfsz) {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigaction(SIGXFSZ, &ignore, nullptr);
      }
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    EXPECT_GT(pid_, 0);
    close(null_fd);
    if (how.feed_stdin) {
      close(in_pipe[0]);
      in_fd_ = in_pipe[1];
    }
    close(out_pipe[1]);
    out_fd_ = out_pipe[0];
    if (!how.stderr_on_terminal) close(err_pipe[1]);
  }
  child_program(const child_program&) = delete;
  child_program& operator=(const child_program&) = delete;
  ~child_program() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    for (const int fd : {in_fd_, out_fd_, err_fd_}) {
      if (fd >= 0) close(fd);
    }
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] int stdin_fd() const noexcept { return in_fd_; }
  [[nodiscard]] int stdout_fd() const noexcept { return out_fd_; }
  void close_stdin() {
    if (in_fd_ >= 0) close(in_fd_);
    in_fd_ = -1;
  }

  /// Reads stdout and stderr to their end, then reaps the program; kills it
  /// once `limit` passes (timed_out). Test thread.
  finished wait(std::chrono::milliseconds limit = std::chrono::seconds(120)) {
    using steady = std::chrono::steady_clock;
    finished result;
    const auto give_up = steady::now() + limit;
    std::array<pollfd, 2> fds{pollfd{out_fd_, POLLIN, 0}, pollfd{err_fd_, POLLIN, 0}};
    std::array<std::string*, 2> into{&result.out, &result.err};
    int open_streams = 2;
    while (open_streams > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - steady::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        kill(pid_, SIGKILL);
        break;
      }
      if (poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0) continue;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        std::array<char, 65536> buffer;
        const ssize_t n = read(fds[i].fd, buffer.data(), buffer.size());
        if (n > 0) {
          into[i]->append(buffer.data(), static_cast<std::size_t>(n));
        } else {
          fds[i].fd = -1;  // the end (a terminal reports EIO once its last writer is gone)
          --open_streams;
        }
      }
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    result.exited = WIFEXITED(status);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
  }

 private:
  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
};

}  // namespace handoff::testing
