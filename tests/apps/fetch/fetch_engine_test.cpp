// fetch's download manager in process, against an HTTP server on 127.0.0.1
// that the test starts. Waits are on the engine's snapshots (a condition
// variable) and on the server's latches, each with a generous deadline; never a sleep.
#include "engine/download_manager.hpp"
#include "http_test_server.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace handoff::fetch;
using namespace handoff::fetch::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Keeps every snapshot the sink hands over; tests wait on it.
class recorder {
 public:
  download_manager::snapshot_sink sink() {
    return [this](fetch_snapshot s) {
      {
        const std::lock_guard lock(mutex_);
        snapshots_.push_back(std::move(s));
        times_.push_back(std::chrono::steady_clock::now());
      }
      changed_.notify_all();
    };
  }

  /// Waits until the newest snapshot satisfies `ready`; false after `timeout`.
  bool wait_until(const std::function<bool(const fetch_snapshot&)>& ready,
                  std::chrono::milliseconds timeout = 60s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return !snapshots_.empty() && ready(snapshots_.back()); });
  }

  /// Waits until `count` transfers were added and all of them finished.
  bool wait_idle(std::size_t count, std::chrono::milliseconds timeout = 60s) {
    return wait_until([&](const fetch_snapshot& s) { return s.transfers.size() == count && s.idle(); },
                      timeout);
  }

  fetch_snapshot last() {
    const std::lock_guard lock(mutex_);
    return snapshots_.empty() ? fetch_snapshot{} : snapshots_.back();
  }

  std::vector<fetch_snapshot> all() {
    const std::lock_guard lock(mutex_);
    return snapshots_;
  }

  /// When each snapshot arrived.
  std::vector<std::chrono::steady_clock::time_point> times() {
    const std::lock_guard lock(mutex_);
    return times_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<fetch_snapshot> snapshots_;
  std::vector<std::chrono::steady_clock::time_point> times_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

// How many threads of this process carry `name`.
int threads_named(const std::string& name) {
  int count = 0;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::string comm = read_file(task.path() / "comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    count += comm == name ? 1 : 0;
  }
  return count;
}

class fetch_engine : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fetch-engine-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.dir = dir_;
    options_.retry_delay = 10ms;
    options_.snapshot_interval = 20ms;
  }
  void TearDown() override { fs::remove_all(dir_); }

  [[nodiscard]] fs::path path(const std::string& name) const { return dir_ / name; }

  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir_)) found.push_back(entry.path().filename().string());
    std::sort(found.begin(), found.end());
    return found;
  }

  // Downloads `paths` from the server with the fixture's options; returns the final snapshot.
  fetch_snapshot fetch_all(const std::vector<std::string>& paths) {
    recorder record;
    download_manager manager(options_, record.sink());
    for (const auto& p : paths) manager.add(p.starts_with("http") ? p : server_.url(p));
    EXPECT_TRUE(record.wait_idle(paths.size()));
    return record.last();
  }

  http_test_server server_;
  fs::path dir_;
  fetch_options options_;
};

// --- normal transfers ----------------------------------------------------------------------------

TEST_F(fetch_engine, a_file_arrives_whole_under_its_url_name_and_the_last_snapshot_shows_it_done) {
  const fetch_snapshot s = fetch_all({"/file/1000/a.bin"});
  ASSERT_EQ(s.transfers.size(), 1u);
  const transfer_status& t = s.transfers[0];
  EXPECT_EQ(t.id, 1u);
  EXPECT_EQ(t.url, server_.url("/file/1000/a.bin"));
  EXPECT_EQ(t.state, transfer_state::done);
  EXPECT_EQ(t.file, path("a.bin"));
  EXPECT_TRUE(t.part.empty());
  EXPECT_EQ(t.bytes, 1000u);
  EXPECT_EQ(t.total, 1000);
  EXPECT_EQ(t.attempts, 1u);
  EXPECT_TRUE(t.reason.empty());
  EXPECT_EQ(t.rate, 0);
  EXPECT_EQ(s.done, 1u);
  EXPECT_EQ(s.bytes, 1000u);
  EXPECT_EQ(read_file(path("a.bin")), file_content(1000));
  EXPECT_EQ(names(), std::vector<std::string>{"a.bin"});
}

TEST_F(fetch_engine, an_empty_file_and_one_of_unknown_length_are_files_too) {
  const fetch_snapshot s = fetch_all({"/file/0/empty.bin", "/chunked/5000/chunked.bin"});
  EXPECT_EQ(s.transfers[0].state, transfer_state::done);
  EXPECT_EQ(s.transfers[1].state, transfer_state::done);
  EXPECT_EQ(s.transfers[1].bytes, 5000u);
  EXPECT_EQ(s.transfers[1].total, -1);  // chunked: never announced
  EXPECT_TRUE(fs::exists(path("empty.bin")));
  EXPECT_EQ(fs::file_size(path("empty.bin")), 0u);
  EXPECT_EQ(read_file(path("chunked.bin")), file_content(5000));
}

TEST_F(fetch_engine, a_large_file_arrives_intact_with_progress_snapshots_in_between) {
  constexpr std::uint64_t size = 24'000'000;
  const fetch_snapshot s = fetch_all({"/file/24000000/large.bin"});
  EXPECT_EQ(s.transfers[0].state, transfer_state::done);
  EXPECT_EQ(s.transfers[0].bytes, size);
  const std::string content = read_file(path("large.bin"));
  ASSERT_EQ(content.size(), size);
  std::uint64_t wrong = 0;
  for (std::uint64_t i = 0; i < size; ++i) wrong += content[i] != file_byte(i) ? 1 : 0;
  EXPECT_EQ(wrong, 0u);
}

TEST_F(fetch_engine,
       progress_shows_bytes_of_the_total_while_the_transfer_runs_then_rate_falls_when_it_stalls) {
  recorder record;
  download_manager manager(options_, record.sink());
  manager.add(server_.url("/hold/2000000/held.bin"));
  ASSERT_TRUE(server_.wait_for_holds(1));
  // The server paused at half: the engine shows half of a known total, downloading, with its file named.
  ASSERT_TRUE(record.wait_until([](const fetch_snapshot& s) {
    return s.transfers[0].bytes == 1'000'000 && s.transfers[0].rate == 0;  // a second without bytes: no rate
  }));
  const fetch_snapshot middle = record.last();
  EXPECT_EQ(middle.transfers[0].state, transfer_state::downloading);
  EXPECT_EQ(middle.transfers[0].total, 2'000'000);
  EXPECT_EQ(middle.transfers[0].file, path("held.bin"));
  EXPECT_EQ(middle.transfers[0].part, path("held.bin.part"));
  EXPECT_EQ(middle.active, 1u);
  EXPECT_FALSE(middle.idle());
  EXPECT_FALSE(fs::exists(path("held.bin")));  // only the .part while incomplete
  server_.release_holds();
  ASSERT_TRUE(record.wait_idle(1));
  EXPECT_EQ(record.last().transfers[0].state, transfer_state::done);
  std::uint64_t previous = 0;
  for (const fetch_snapshot& s : record.all()) {
    EXPECT_GE(s.transfers[0].bytes, previous);  // never backwards
    previous = s.transfers[0].bytes;
  }
  EXPECT_EQ(read_file(path("held.bin")), file_content(2'000'000));
}

TEST_F(fetch_engine, while_nothing_but_bytes_change_snapshots_come_at_most_every_interval) {
  options_.snapshot_interval = 100ms;
  recorder record;
  download_manager manager(options_, record.sink());
  manager.add(server_.url("/hold/1000000/paced.bin"));
  // A second and more of a stalled transfer: its rate must fall to zero, so snapshots keep coming.
  ASSERT_TRUE(record.wait_until(
      [](const fetch_snapshot& s) { return s.transfers[0].bytes == 500'000 && s.transfers[0].rate == 0; }));
  server_.release_holds();
  ASSERT_TRUE(record.wait_idle(1));
  const auto snapshots = record.all();
  const auto times = record.times();
  std::size_t paced = 0;
  for (std::size_t i = 1; i < snapshots.size(); ++i) {
    if (snapshots[i].transfers[0].state != snapshots[i - 1].transfers[0].state)
      continue;  // a change: at once
    ++paced;
    // The engine's own clock spaces them by the interval; the arrival times
    // here may differ by the time one snapshot takes to copy, so allow 20 ms.
    EXPECT_GE(times[i] - times[i - 1], 80ms) << "snapshot " << i;
  }
  EXPECT_GE(paced, 5u);
}

// --- failures and retries ------------------------------------------------------------------------

TEST_F(fetch_engine, a_response_that_stops_flowing_times_out_and_says_so) {
  options_.low_speed_time = 1s;
  options_.retries = 1;
  const fetch_snapshot s = fetch_all({"/slow/1000"});
  const transfer_status& t = s.transfers[0];
  EXPECT_EQ(t.state, transfer_state::failed);
  EXPECT_EQ(t.reason, "timed out: less than 1 byte/s for 1 s");
  EXPECT_EQ(t.attempts, 2u);
  EXPECT_EQ(server_.requests_for("/slow/1000").size(), 2u);
  EXPECT_FALSE(fs::exists(path("1000")));  // never a complete file
}

TEST_F(fetch_engine, a_404_fails_at_once_without_a_retry_and_writes_nothing) {
  const fetch_snapshot s = fetch_all({"/status/404"});
  const transfer_status& t = s.transfers[0];
  EXPECT_EQ(t.state, transfer_state::failed);
  EXPECT_EQ(t.reason, "HTTP 404 Not Found");
  EXPECT_EQ(t.attempts, 1u);
  EXPECT_TRUE(t.file.empty());
  EXPECT_TRUE(t.part.empty());
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_TRUE(names().empty());  // the error page went nowhere
}

TEST_F(fetch_engine, a_500_is_retried_until_the_file_comes) {
  options_.retries = 3;
  const fetch_snapshot s = fetch_all({"/flaky/2/1000/flaky.bin"});
  const transfer_status& t = s.transfers[0];
  EXPECT_EQ(t.state, transfer_state::done);
  EXPECT_EQ(t.attempts, 3u);
  EXPECT_EQ(server_.requests_for("/flaky/2/1000/flaky.bin").size(), 3u);
  EXPECT_EQ(read_file(path("flaky.bin")), file_content(1000));
  EXPECT_EQ(names(), std::vector<std::string>{"flaky.bin"});
}

TEST_F(fetch_engine, a_503_with_retry_after_is_retried_no_sooner_than_the_server_asked) {
  options_.retries = 3;
  options_.retry_delay = 1ms;  // the backoff alone would come back at once
  const fetch_snapshot s = fetch_all({"/busy/1/1/1000/busy.bin"});
  const transfer_status& t = s.transfers[0];
  EXPECT_EQ(t.state, transfer_state::done);
  EXPECT_EQ(t.attempts, 2u);
  const auto requests = server_.requests_for("/busy/1/1/1000/busy.bin");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(requests[1].at - requests[0].at, 1s);
  EXPECT_EQ(read_file(path("busy.bin")), file_content(1000));
}

TEST_F(fetch_engine,
       persistent_500s_fail_once_the_retries_are_spent_and_the_retrying_state_shows_in_between) {
  options_.retries = 2;
  options_.retry_delay = 300ms;  // long enough for a snapshot in state retrying
  recorder record;
  download_manager manager(options_, record.sink());
  manager.add(server_.url("/flaky/9/1000/never.bin"));
  ASSERT_TRUE(record.wait_idle(1));
  const transfer_status t = record.last().transfers[0];
  EXPECT_EQ(t.state, transfer_state::failed);
  EXPECT_EQ(t.reason, "HTTP 500 Internal Server Error");
  EXPECT_EQ(t.attempts, 3u);
  bool saw_retrying = false;
  for (const fetch_snapshot& s : record.all()) {
    if (s.transfers[0].state == transfer_state::retrying) {
      saw_retrying = true;
      EXPECT_EQ(s.transfers[0].reason, "HTTP 500 Internal Server Error");
      EXPECT_EQ(s.active, 1u);
    }
  }
  EXPECT_TRUE(saw_retrying);
}

TEST_F(fetch_engine, a_refused_connection_is_retried_then_fails_as_connection_refused) {
  options_.retries = 2;
  const fetch_snapshot s =
      fetch_all({"http://127.0.0.1:" + std::to_string(refused_port()) + "/file/10/refused.bin"});
  const transfer_status& t = s.transfers[0];
  EXPECT_EQ(t.state, transfer_state::failed);
  EXPECT_EQ(t.reason, "connection refused");
  EXPECT_EQ(t.attempts, 3u);
  EXPECT_TRUE(names().empty());
}

TEST_F(fetch_engine, a_response_cut_short_is_resumed_with_range_from_the_part) {
  const fetch_snapshot s = fetch_all({"/cut/1/1000/cut.bin"});
  const transfer_status& t = s.transfers[0];
  EXPECT_EQ(t.state, transfer_state::done);
  EXPECT_EQ(t.attempts, 2u);
  const auto requests = server_.requests_for("/cut/1/1000/cut.bin");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range, "");
  EXPECT_EQ(requests[1].range, "bytes=500-");
  EXPECT_EQ(read_file(path("cut.bin")), file_content(1000));
  EXPECT_EQ(names(), std::vector<std::string>{"cut.bin"});
}

TEST_F(fetch_engine, a_response_always_cut_short_fails_and_is_never_left_as_a_complete_file) {
  options_.retries = 2;
  const fetch_snapshot s = fetch_all({"/cut/99/1000/short.bin"});
  const transfer_status& t = s.transfers[0];
  EXPECT_EQ(t.state, transfer_state::failed);
  EXPECT_EQ(t.reason, "cut short: 875 of 1000 bytes");  // 500, then half of the rest twice
  EXPECT_EQ(t.attempts, 3u);
  EXPECT_EQ(t.part, path("short.bin.part"));
  EXPECT_EQ(names(), std::vector<std::string>{"short.bin.part"});  // kept for a resume, never renamed
  EXPECT_EQ(read_file(path("short.bin.part")), file_content(875));
}

TEST_F(fetch_engine, redirects_are_followed_up_to_the_limit_and_more_fail_without_a_retry) {
  options_.max_redirects = 3;
  const fetch_snapshot s = fetch_all({"/redirect/3/100/r.bin", "/redirect/5/100/s.bin"});
  EXPECT_EQ(s.transfers[0].state, transfer_state::done);
  EXPECT_EQ(read_file(path("r.bin")), file_content(100));
  EXPECT_EQ(s.transfers[1].state, transfer_state::failed);
  EXPECT_EQ(s.transfers[1].reason, "too many redirects (more than 3)");
  EXPECT_EQ(s.transfers[1].attempts, 1u);
  EXPECT_EQ(names(), std::vector<std::string>{"r.bin"});
}

TEST_F(fetch_engine, a_line_that_is_not_a_url_fails_at_once_and_the_rest_proceed) {
  recorder record;
  download_manager manager(options_, record.sink());
  EXPECT_EQ(manager.add("not a url"), 1u);
  EXPECT_EQ(manager.add(server_.url("/file/10/good.bin")), 2u);
  EXPECT_EQ(manager.add("ftp://example.com/x"), 3u);
  const fetch_snapshot now = manager.snapshot();  // failed at once, before the engine ran
  EXPECT_EQ(now.transfers[0].state, transfer_state::failed);
  EXPECT_EQ(now.transfers[0].reason, "not a URL: not a url");
  EXPECT_EQ(now.transfers[2].reason, "not a URL: ftp://example.com/x");
  ASSERT_TRUE(record.wait_idle(3));
  const fetch_snapshot s = record.last();
  EXPECT_EQ(s.transfers[1].state, transfer_state::done);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.done, 1u);
}

// --- names ---------------------------------------------------------------------------------------

TEST_F(fetch_engine, a_content_disposition_name_is_made_safe_and_stays_in_the_folder) {
  const fetch_snapshot s = fetch_all({"/disposition/100"});
  EXPECT_EQ(s.transfers[0].state, transfer_state::done);
  EXPECT_EQ(s.transfers[0].file, path("evil name.txt"));
  EXPECT_EQ(names(), std::vector<std::string>{"evil name.txt"});
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "evil name.txt"));
  EXPECT_FALSE(fs::exists(dir_.parent_path().parent_path() / "evil name.txt"));
}

TEST_F(fetch_engine, names_in_one_batch_never_collide) {
  options_.jobs = 3;
  const fetch_snapshot s = fetch_all({"/file/10/same.bin", "/file/20/same.bin", "/file/30/same.bin"});
  EXPECT_EQ(names(), (std::vector<std::string>{"same.1.bin", "same.2.bin", "same.bin"}));
  for (const transfer_status& t : s.transfers) {
    EXPECT_EQ(t.state, transfer_state::done);
    EXPECT_EQ(read_file(t.file), file_content(t.bytes));  // each name holds its own transfer's bytes
  }
}

TEST_F(fetch_engine, an_existing_file_gets_a_numbered_name_and_force_overwrites_it) {
  write_file(path("e.bin"), "old");
  const fetch_snapshot careful = fetch_all({"/file/10/e.bin"});
  EXPECT_EQ(careful.transfers[0].file, path("e.1.bin"));
  EXPECT_EQ(read_file(path("e.bin")), "old");
  EXPECT_EQ(read_file(path("e.1.bin")), file_content(10));
  options_.force = true;
  const fetch_snapshot forced = fetch_all({"/file/20/e.bin"});
  EXPECT_EQ(forced.transfers[0].file, path("e.bin"));
  EXPECT_EQ(read_file(path("e.bin")), file_content(20));
}

TEST_F(fetch_engine, a_final_name_that_appears_during_the_transfer_is_not_clobbered) {
  recorder record;
  download_manager manager(options_, record.sink());
  manager.add(server_.url("/hold/1000/m.bin"));
  ASSERT_TRUE(server_.wait_for_holds(1));
  ASSERT_TRUE(record.wait_until([](const fetch_snapshot& s) { return !s.transfers[0].file.empty(); }));
  write_file(path("m.bin"), "someone else's");
  server_.release_holds();
  ASSERT_TRUE(record.wait_idle(1));
  EXPECT_EQ(record.last().transfers[0].file, path("m.1.bin"));
  EXPECT_EQ(read_file(path("m.bin")), "someone else's");
  EXPECT_EQ(read_file(path("m.1.bin")), file_content(1000));
}

// --- resume --------------------------------------------------------------------------------------

TEST_F(fetch_engine, cancel_in_the_middle_keeps_the_part_and_a_later_manager_resumes_it_with_range) {
  {
    recorder record;
    download_manager manager(options_, record.sink());
    const auto id = manager.add(server_.url("/hold/100000/h.bin"));
    ASSERT_TRUE(record.wait_until([](const fetch_snapshot& s) { return s.transfers[0].bytes == 50000; }));
    manager.cancel(id);
    ASSERT_TRUE(record.wait_idle(1));
    const transfer_status t = record.last().transfers[0];
    EXPECT_EQ(t.state, transfer_state::cancelled);
    EXPECT_EQ(t.part, path("h.bin.part"));
    EXPECT_TRUE(t.reason.empty());
    EXPECT_EQ(names(), std::vector<std::string>{"h.bin.part"});
    EXPECT_EQ(read_file(path("h.bin.part")), file_content(50000));
    manager.cancel(id);  // finished: nothing
  }
  const fetch_snapshot s = fetch_all({"/hold/100000/h.bin"});
  EXPECT_EQ(s.transfers[0].state, transfer_state::done);
  EXPECT_EQ(s.transfers[0].bytes, 100000u);
  const auto requests = server_.requests_for("/hold/100000/h.bin");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].range, "bytes=50000-");
  EXPECT_EQ(read_file(path("h.bin")), file_content(100000));
  EXPECT_EQ(names(), std::vector<std::string>{"h.bin"});
}

TEST_F(fetch_engine, a_server_that_ignores_range_has_the_part_started_over) {
  write_file(path("nr.bin.part"), std::string(300, 'x'));
  const fetch_snapshot s = fetch_all({"/norange/1000/nr.bin"});
  EXPECT_EQ(s.transfers[0].state, transfer_state::done);
  EXPECT_EQ(server_.requests()[0].range, "bytes=300-");
  EXPECT_EQ(read_file(path("nr.bin")), file_content(1000));
  EXPECT_EQ(names(), std::vector<std::string>{"nr.bin"});
}

TEST_F(fetch_engine, a_part_that_is_already_whole_gets_416_and_starts_over) {
  write_file(path("whole.bin.part"), file_content(100));
  const fetch_snapshot s = fetch_all({"/file/100/whole.bin"});
  EXPECT_EQ(s.transfers[0].state, transfer_state::done);
  EXPECT_EQ(s.transfers[0].attempts, 2u);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range, "bytes=100-");
  EXPECT_EQ(requests[1].range, "");
  EXPECT_EQ(read_file(path("whole.bin")), file_content(100));
}

TEST_F(fetch_engine, a_part_under_the_url_name_that_the_server_names_otherwise_is_left_alone) {
  write_file(path("100.part"), "another download's bytes");
  const fetch_snapshot s = fetch_all({"/disposition/100"});  // the URL says "100", the server "evil name.txt"
  EXPECT_EQ(s.transfers[0].state, transfer_state::done);
  EXPECT_EQ(s.transfers[0].file, path("evil name.txt"));
  EXPECT_EQ(read_file(path("evil name.txt")), file_content(100));
  EXPECT_EQ(read_file(path("100.part")), "another download's bytes");
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].range, "");
}

// --- jobs, connections, cancelling ---------------------------------------------------------------

TEST_F(fetch_engine, at_most_jobs_transfers_run_at_once_and_the_rest_wait_in_order) {
  options_.jobs = 2;
  recorder record;
  download_manager manager(options_, record.sink());
  for (int i = 0; i < 4; ++i) manager.add(server_.url("/hold/1000/j" + std::to_string(i) + ".bin"));
  ASSERT_TRUE(server_.wait_for_holds(2));
  const fetch_snapshot s = manager.snapshot();
  EXPECT_EQ(s.active, 2u);
  EXPECT_EQ(s.waiting, 2u);
  EXPECT_EQ(s.transfers[0].state, transfer_state::downloading);
  EXPECT_EQ(s.transfers[1].state, transfer_state::downloading);
  EXPECT_EQ(s.transfers[3].state, transfer_state::waiting);
  server_.release_holds();
  ASSERT_TRUE(record.wait_idle(4));
  EXPECT_EQ(record.last().done, 4u);
  EXPECT_EQ(server_.max_in_flight(), 2u);
}

TEST_F(fetch_engine, transfers_to_one_server_reuse_one_connection) {
  options_.jobs = 1;
  const fetch_snapshot s = fetch_all({"/file/100/c1.bin", "/file/200/c2.bin", "/flaky/1/300/c3.bin"});
  EXPECT_EQ(s.done, 3u);
  EXPECT_EQ(server_.requests().size(), 4u);
  EXPECT_EQ(server_.connections(), 1u);
}

TEST_F(fetch_engine, cancelling_a_waiting_transfer_never_starts_it) {
  options_.jobs = 1;
  recorder record;
  download_manager manager(options_, record.sink());
  manager.add(server_.url("/hold/1000/first.bin"));
  const auto second = manager.add(server_.url("/file/10/second.bin"));
  ASSERT_TRUE(server_.wait_for_holds(1));
  manager.cancel(second);
  EXPECT_EQ(manager.snapshot().transfers[1].state, transfer_state::cancelled);  // at once
  server_.release_holds();
  ASSERT_TRUE(record.wait_idle(2));
  EXPECT_EQ(record.last().transfers[0].state, transfer_state::done);
  EXPECT_EQ(record.last().transfers[1].state, transfer_state::cancelled);
  EXPECT_TRUE(server_.requests_for("/file/10/second.bin").empty());
  manager.cancel(0);   // no such transfer: nothing
  manager.cancel(99);  // nor this
}

TEST_F(fetch_engine, cancel_all_stops_running_and_waiting_transfers_and_keeps_the_parts) {
  options_.jobs = 1;
  recorder record;
  download_manager manager(options_, record.sink());
  manager.add(server_.url("/hold/1000/p.bin"));
  manager.add(server_.url("/file/10/q.bin"));
  ASSERT_TRUE(record.wait_until([](const fetch_snapshot& s) { return s.transfers[0].bytes == 500; }));
  manager.cancel_all();
  ASSERT_TRUE(record.wait_idle(2));
  EXPECT_EQ(record.last().cancelled, 2u);
  EXPECT_EQ(names(), std::vector<std::string>{"p.bin.part"});
  // Still usable afterwards.
  manager.add(server_.url("/file/10/r.bin"));
  ASSERT_TRUE(record.wait_idle(3));
  EXPECT_EQ(record.last().transfers[2].state, transfer_state::done);
}

TEST_F(fetch_engine, destroying_the_manager_mid_transfer_cancels_publishes_and_leaves_no_thread) {
  recorder record;
  {
    download_manager manager(options_, record.sink());
    manager.add(server_.url("/hold/1000/d.bin"));
    manager.add(server_.url("/hold/1000/e.bin"));
    ASSERT_TRUE(server_.wait_for_holds(2));
    EXPECT_EQ(threads_named("fetch-engine"), 1);  // it has named itself by now: it made the requests
  }
  EXPECT_EQ(threads_named("fetch-engine"), 0);
  const fetch_snapshot last = record.last();
  EXPECT_EQ(last.cancelled, 2u);
  EXPECT_TRUE(last.idle());
}

TEST_F(fetch_engine, bad_options_throw_invalid_argument) {
  recorder record;
  fetch_options no_jobs = options_;
  no_jobs.jobs = 0;
  EXPECT_THROW(download_manager(no_jobs, record.sink()), std::invalid_argument);
  fetch_options missing = options_;
  missing.dir = dir_ / "missing";
  EXPECT_THROW(download_manager(missing, record.sink()), std::invalid_argument);
  write_file(path("plain"), "x");
  fetch_options not_a_dir = options_;
  not_a_dir.dir = path("plain");
  EXPECT_THROW(download_manager(not_a_dir, record.sink()), std::invalid_argument);
  if (geteuid() != 0) {  // root writes anywhere
    fs::create_directory(path("locked"));
    fs::permissions(path("locked"), fs::perms::owner_read | fs::perms::owner_exec);
    fetch_options locked = options_;
    locked.dir = path("locked");
    EXPECT_THROW(download_manager(locked, record.sink()), std::invalid_argument);
    fs::permissions(path("locked"), fs::perms::owner_all);
  }
}

}  // namespace
