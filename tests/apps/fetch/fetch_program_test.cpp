// The fetch program seen from outside: started as a child process
// (tests/support/child_program.hpp) against an HTTP server on 127.0.0.1 that
// the test runs, with pipes or a pseudo-terminal, signalled, and its files and output checked.
// Waits are on the server's latches, the file system (inotify) or the
// program's exit, each with a deadline; never a sleep.
#include "http_test_server.hpp"

#include <gtest/gtest.h>

#include "support/child_program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using namespace handoff::fetch::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

using handoff::testing::finished;

// A running fetch whose stdout and stderr the test reads.
class child_program : public handoff::testing::child_program {
 public:
  explicit child_program(std::vector<std::string> arguments, bool stderr_on_terminal = false)
      : handoff::testing::child_program(
            FETCH_PROGRAM, {.arguments = std::move(arguments), .stderr_on_terminal = stderr_on_terminal}) {}
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

// Waits until `path` holds at least `size` bytes, woken by inotify on its folder; false after `timeout`.
bool wait_for_file_size(const fs::path& path, std::uintmax_t size, std::chrono::milliseconds timeout = 60s) {
  const int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0) return false;
  inotify_add_watch(fd, path.parent_path().c_str(), IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO);
  const auto give_up = steady::now() + timeout;
  bool reached = false;
  for (;;) {
    // Checked after the watch exists, so a write between the check and the poll still wakes it.
    struct stat info {};
    if (stat(path.c_str(), &info) == 0 && static_cast<std::uintmax_t>(info.st_size) >= size) {
      reached = true;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - steady::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
    std::array<char, 4096> events;
    if (read(fd, events.data(), events.size()) < 0) break;
  }
  close(fd);
  return reached;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The summary row of `url`.
std::string row_of(const std::string& summary, const std::string& url) {
  std::size_t at = 0;
  while ((at = summary.find(url + " ", at)) != std::string::npos) {
    if (at == 0 || summary[at - 1] == '\n') return summary.substr(at, summary.find('\n', at) - at);
    ++at;
  }
  return "(no row for " + url + ")";
}

class fetch_program : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("fetch-program-" + std::to_string(getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    dir_ = root_ / "downloads";
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(root_); }

  [[nodiscard]] fs::path path(const std::string& name) const { return dir_ / name; }

  [[nodiscard]] std::vector<std::string> names(const fs::path& folder) const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(folder))
      found.push_back(entry.path().filename().string());
    std::sort(found.begin(), found.end());
    return found;
  }

  // fetch --dir DIR ARGUMENTS..., to its end.
  finished run(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {"--dir", dir_.string()});
    child_program program(std::move(arguments));
    return program.wait();
  }

  http_test_server server_;
  fs::path root_;
  fs::path dir_;
};

TEST_F(fetch_program, all_done_exits_0_with_a_summary_and_no_live_lines_off_a_terminal) {
  const finished done = run({server_.url("/file/1000/a.bin"), server_.url("/file/2000/b.bin")});
  EXPECT_FALSE(done.timed_out);
  EXPECT_EQ(done.status, 0) << done.err;
  EXPECT_TRUE(done.err.empty()) << done.err;
  EXPECT_EQ(done.out.find('\r'), std::string::npos);
  EXPECT_EQ(done.out.find('\x1b'), std::string::npos);
  EXPECT_TRUE(done.out.starts_with("URL ")) << done.out;
  EXPECT_NE(row_of(done.out, server_.url("/file/1000/a.bin")).find("1.0 kB  done"), std::string::npos)
      << done.out;
  EXPECT_NE(done.out.find("2 transfers: 2 done (3.0 kB)"), std::string::npos) << done.out;
  EXPECT_EQ(read_file(path("a.bin")), file_content(1000));
  EXPECT_EQ(read_file(path("b.bin")), file_content(2000));
}

TEST_F(fetch_program, a_mixed_batch_reports_every_ending_in_its_row_and_exits_1) {
  const std::string refused = "http://127.0.0.1:" + std::to_string(refused_port()) + "/file/10/refused.bin";
  const std::vector<std::string> urls = {server_.url("/file/100/ok.bin"),
                                         server_.url("/status/404"),
                                         server_.url("/flaky/1/100/flaky.bin"),
                                         server_.url("/cut/1/1000/cut.bin"),
                                         server_.url("/cut/99/1000/short.bin"),
                                         server_.url("/redirect/2/100/r.bin"),
                                         refused,
                                         server_.url("/slow/100")};
  std::vector<std::string> arguments = {"--retries", "1", "--retry-delay", "0.01", "--stall-timeout", "1"};
  arguments.insert(arguments.end(), urls.begin(), urls.end());
  const finished done = run(arguments);
  EXPECT_EQ(done.status, 1) << done.err;
  EXPECT_NE(row_of(done.out, urls[0]).find("done"), std::string::npos) << done.out;
  EXPECT_NE(row_of(done.out, urls[1]).find("failed: HTTP 404 Not Found"), std::string::npos) << done.out;
  EXPECT_NE(row_of(done.out, urls[2]).find("done"), std::string::npos) << done.out;
  EXPECT_NE(row_of(done.out, urls[3]).find("done"), std::string::npos) << done.out;
  EXPECT_NE(row_of(done.out, urls[4]).find("failed: cut short: 750 of 1000 bytes; 750 B kept in"),
            std::string::npos)
      << done.out;
  EXPECT_NE(row_of(done.out, urls[5]).find("done"), std::string::npos) << done.out;
  EXPECT_NE(row_of(done.out, urls[6]).find("failed: connection refused"), std::string::npos) << done.out;
  EXPECT_NE(row_of(done.out, urls[7]).find("failed: timed out: less than 1 byte/s for 1 s"),
            std::string::npos)
      << done.out;
  EXPECT_NE(done.out.find("8 transfers: 4 done (1.3 kB), 4 failed"), std::string::npos) << done.out;
  EXPECT_EQ(names(dir_),
            (std::vector<std::string>{"cut.bin", "flaky.bin", "ok.bin", "r.bin", "short.bin.part"}));
  EXPECT_EQ(read_file(path("cut.bin")), file_content(1000));
  EXPECT_EQ(server_.requests_for("/cut/1/1000/cut.bin").back().range, "bytes=500-");
}

TEST_F(fetch_program, bad_arguments_exit_2_with_one_line_naming_the_problem_and_download_nothing) {
  const std::string url = server_.url("/file/10/x.bin");
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{}, "no URL given"},
      {{"--jobs", "0", url}, "--jobs"},
      {{"--jobs", "lots", url}, "--jobs"},
      {{"--bogus", url}, "--bogus"},
      {{"--input", (root_ / "list.txt").string(), url}, "not both"},
      {{"--input", (root_ / "missing.txt").string()}, "--input: cannot read"},
      {{"--dir", (root_ / "nowhere").string(), url}, "--dir: "},
      {{"--retry-delay", "soon", url}, "--retry-delay"}};
  for (const auto& [arguments, named] : bad) {
    child_program program(arguments);
    const finished done = program.wait();
    EXPECT_EQ(done.status, 2) << named;
    EXPECT_EQ(count_lines(done.err), 1u) << done.err;
    EXPECT_TRUE(done.err.starts_with("fetch: ")) << done.err;
    EXPECT_NE(done.err.find(named), std::string::npos) << done.err;
    EXPECT_TRUE(done.out.empty()) << done.out;
  }
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(fetch_program, a_list_with_bad_lines_reports_each_and_fetches_the_rest) {
  const fs::path list = root_ / "list.txt";
  write_file(list, "# my downloads\n" + server_.url("/file/10/one.bin") + "\nnot a url\n\n  " +
                       server_.url("/file/20/two.bin") + "  \r\nftp://example.com/x\n");
  const finished done = run({"--input", list.string()});
  EXPECT_EQ(done.status, 1) << done.err;
  EXPECT_NE(done.err.find("fetch: " + list.string() + ":3: not a URL: not a url\n"), std::string::npos)
      << done.err;
  EXPECT_NE(done.err.find("fetch: " + list.string() + ":6: not a URL: ftp://example.com/x\n"),
            std::string::npos)
      << done.err;
  EXPECT_EQ(count_lines(done.err), 2u) << done.err;
  EXPECT_NE(row_of(done.out, "not a url").find("failed: not a URL: not a url"), std::string::npos)
      << done.out;
  EXPECT_NE(done.out.find("4 transfers: 2 done (30 B), 2 failed"), std::string::npos) << done.out;
  EXPECT_EQ(names(dir_), (std::vector<std::string>{"one.bin", "two.bin"}));
}

TEST_F(fetch_program, an_existing_file_gets_a_numbered_name_and_force_overwrites_it) {
  write_file(path("e.bin"), "old");
  const finished careful = run({server_.url("/file/10/e.bin")});
  EXPECT_EQ(careful.status, 0) << careful.err;
  EXPECT_EQ(read_file(path("e.bin")), "old");
  EXPECT_EQ(read_file(path("e.1.bin")), file_content(10));
  EXPECT_NE(careful.out.find("e.1.bin"), std::string::npos) << careful.out;
  const finished forced = run({"--force", server_.url("/file/20/e.bin")});
  EXPECT_EQ(forced.status, 0) << forced.err;
  EXPECT_EQ(read_file(path("e.bin")), file_content(20));
  EXPECT_EQ(names(dir_), (std::vector<std::string>{"e.1.bin", "e.bin"}));
}

TEST_F(fetch_program, a_name_that_climbs_out_of_the_folder_lands_inside_it) {
  const finished done = run({server_.url("/disposition/100"), server_.url("/file/10/..%2F..%2Fescaped.bin")});
  EXPECT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(names(dir_), (std::vector<std::string>{"escaped.bin", "evil name.txt"}));
  EXPECT_EQ(names(root_), std::vector<std::string>{"downloads"});
  EXPECT_FALSE(fs::exists(root_.parent_path() / "evil name.txt"));
  EXPECT_FALSE(fs::exists(root_.parent_path() / "escaped.bin"));
}

TEST_F(fetch_program, sigint_in_the_middle_exits_130_keeps_the_part_and_a_rerun_resumes_it_with_range) {
  const std::string url = server_.url("/hold/200000/h.bin");
  {
    child_program program({"--dir", dir_.string(), url});
    ASSERT_TRUE(server_.wait_for_holds(1));
    ASSERT_TRUE(wait_for_file_size(path("h.bin.part"), 100000));
    const auto sent = steady::now();
    kill(program.pid(), SIGINT);
    const finished done = program.wait(60s);
    EXPECT_LT(steady::now() - sent, 10s);
    EXPECT_EQ(done.status, 130) << done.err;
    EXPECT_NE(done.err.find("fetch: stopped by SIGINT; 1 .part file kept"), std::string::npos) << done.err;
    EXPECT_NE(row_of(done.out, url).find("cancelled, 100.0 kB kept in"), std::string::npos) << done.out;
    EXPECT_EQ(names(dir_), std::vector<std::string>{"h.bin.part"});
  }
  const finished again = run({url});
  EXPECT_EQ(again.status, 0) << again.err;
  const auto requests = server_.requests_for("/hold/200000/h.bin");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range, "");
  EXPECT_EQ(requests[1].range, "bytes=100000-");
  EXPECT_EQ(read_file(path("h.bin")), file_content(200000));
  EXPECT_EQ(names(dir_), std::vector<std::string>{"h.bin"});
}

TEST_F(fetch_program, sigterm_stops_it_too_with_exit_143) {
  child_program program(
      {"--dir", dir_.string(), server_.url("/hold/2000/t.bin"), server_.url("/file/10/u.bin")});
  ASSERT_TRUE(server_.wait_for_holds(1));
  kill(program.pid(), SIGTERM);
  const finished done = program.wait(60s);
  EXPECT_EQ(done.status, 143) << done.err;
  EXPECT_NE(done.err.find("stopped by SIGTERM"), std::string::npos) << done.err;
}

TEST_F(fetch_program, on_a_terminal_it_redraws_live_lines_in_place_then_clears_them_for_the_summary) {
  child_program program({"--dir", dir_.string(), server_.url("/hold/100000/t.bin")}, true);
  ASSERT_TRUE(server_.wait_for_holds(1));
  server_.release_holds();
  const finished done = program.wait(60s);
  EXPECT_EQ(done.status, 0) << done.err;
  EXPECT_NE(done.err.find("\x1b[J"), std::string::npos) << done.err;  // redrawn in place
  EXPECT_NE(done.err.find("1 of 1 done"), std::string::npos) << done.err;
  EXPECT_TRUE(done.err.ends_with("\r\x1b[J")) << done.err;  // cleared before the summary
  EXPECT_NE(done.out.find("1 transfer: 1 done (100.0 kB)"), std::string::npos) << done.out;
}

}  // namespace
