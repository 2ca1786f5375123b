// fetch's command line, URL lists and report lines, without a terminal or a network.
#include "arguments.hpp"
#include "report_format.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace handoff::fetch;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

command_line parse(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "fetch");
  std::vector<char*> argv;
  for (auto& a : arguments) argv.push_back(a.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

std::string usage_error_of(std::vector<std::string> arguments) {
  try {
    parse(std::move(arguments));
  } catch (const usage_error& error) {
    return error.what();
  }
  return "(no error)";
}

// --- command line --------------------------------------------------------------------------------

TEST(fetch_arguments, urls_and_options_become_the_managers_options) {
  const command_line c = parse({"--jobs", "2", "--dir", "/tmp", "--force", "--retries", "5", "--retry-delay",
                                "0.01", "--connect-timeout", "2.5", "--stall-timeout", "7", "--max-redirects",
                                "4", "--no-progress", "http://a/x", "http://b/y"});
  EXPECT_EQ(c.urls, (std::vector<std::string>{"http://a/x", "http://b/y"}));
  EXPECT_TRUE(c.input.empty());
  EXPECT_EQ(c.options.jobs, 2u);
  EXPECT_EQ(c.options.dir, fs::path("/tmp"));
  EXPECT_TRUE(c.options.force);
  EXPECT_EQ(c.options.retries, 5u);
  EXPECT_EQ(c.options.retry_delay, 10ms);
  EXPECT_EQ(c.options.connect_timeout, 2500ms);
  EXPECT_EQ(c.options.low_speed_time, 7s);
  EXPECT_EQ(c.options.max_redirects, 4);
  EXPECT_FALSE(c.progress);
}

TEST(fetch_arguments, the_defaults_are_the_engines) {
  const command_line c = parse({"http://a/x"});
  const fetch_options defaults;
  EXPECT_EQ(c.options.jobs, defaults.jobs);
  EXPECT_EQ(c.options.dir, defaults.dir);
  EXPECT_EQ(c.options.retries, defaults.retries);
  EXPECT_EQ(c.options.retry_delay, defaults.retry_delay);
  EXPECT_EQ(c.options.connect_timeout, defaults.connect_timeout);
  EXPECT_EQ(c.options.low_speed_time, defaults.low_speed_time);
  EXPECT_EQ(c.options.max_redirects, defaults.max_redirects);
  EXPECT_FALSE(c.options.force);
  EXPECT_TRUE(c.progress);
  EXPECT_EQ(parse({"--input", "list.txt"}).input, "list.txt");
}

TEST(fetch_arguments, bad_command_lines_give_one_line_naming_the_problem) {
  EXPECT_NE(usage_error_of({}).find("no URL given"), std::string::npos);
  EXPECT_NE(usage_error_of({"--input", "l.txt", "http://a/x"}).find("not both"), std::string::npos);
  EXPECT_NE(usage_error_of({"--jobs", "0", "http://a/x"}).find("--jobs"), std::string::npos);
  EXPECT_NE(usage_error_of({"--jobs", "many", "http://a/x"}).find("--jobs"), std::string::npos);
  EXPECT_NE(usage_error_of({"--bogus", "http://a/x"}).find("--bogus"), std::string::npos);
  EXPECT_EQ(usage_error_of({"--dir", "/no/such/folder", "http://a/x"}),
            "--dir: '/no/such/folder' does not exist");
  EXPECT_EQ(usage_error_of({"--dir", "/etc/passwd", "http://a/x"}),
            "--dir: '/etc/passwd' is not a directory");
  for (const auto& arguments : std::vector<std::vector<std::string>>{
           {}, {"--jobs", "0", "x"}, {"--retry-delay", "-1", "x"}, {"--stall-timeout", "0", "x"}}) {
    EXPECT_EQ(usage_error_of(arguments).find('\n'), std::string::npos);
  }
}

// --- URL lists -----------------------------------------------------------------------------------

TEST(fetch_url_list, blank_lines_and_comments_are_skipped_and_the_rest_keep_their_line_numbers) {
  std::istringstream in(
      "http://a/1\n\n# a comment\n   http://a/2  \r\nnot a url\r\n\t# indented comment\nhttp://a/3");
  const std::vector<list_entry> entries = parse_url_list(in);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].line, 1u);
  EXPECT_EQ(entries[0].text, "http://a/1");
  EXPECT_EQ(entries[1].line, 4u);
  EXPECT_EQ(entries[1].text, "http://a/2");
  EXPECT_EQ(entries[2].line, 5u);
  EXPECT_EQ(entries[2].text, "not a url");
  EXPECT_EQ(entries[3].line, 7u);
}

TEST(fetch_url_list, a_list_that_cannot_be_read_is_a_usage_error_naming_input) {
  try {
    read_url_list("/no/such/list.txt");
    FAIL() << "no error";
  } catch (const usage_error& error) {
    EXPECT_EQ(std::string(error.what()),
              "--input: cannot read '/no/such/list.txt': No such file or directory");
  }
  EXPECT_THROW(read_url_list(fs::temp_directory_path().string()), usage_error);
  const fs::path list = fs::temp_directory_path() / ("fetch-term-list-" + std::to_string(getpid()));
  std::ofstream(list) << "http://a/1\nhttp://a/2\n";
  EXPECT_EQ(read_url_list(list.string()).size(), 2u);
  fs::remove(list);
}

// --- report lines --------------------------------------------------------------------------------

transfer_status status(std::uint64_t id, transfer_state state, std::uint64_t bytes = 0,
                       std::int64_t total = -1) {
  transfer_status s;
  s.id = id;
  s.url = "http://example.com/files/" + std::to_string(id) + ".bin";
  s.state = state;
  s.bytes = bytes;
  s.total = total;
  return s;
}

fetch_snapshot snapshot_of(std::vector<transfer_status> transfers) {
  fetch_snapshot s;
  s.transfers = std::move(transfers);
  count_totals(s);
  return s;
}

TEST(fetch_report, bytes_and_rates_read_in_decimal_units) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(999), "999 B");
  EXPECT_EQ(format_bytes(1500), "1.5 kB");
  EXPECT_EQ(format_bytes(45'200'000), "45.2 MB");
  EXPECT_EQ(format_bytes(1'070'000'000), "1.07 GB");
  EXPECT_EQ(format_rate(850'000), "850.0 kB/s");
  EXPECT_EQ(format_rate(-1), "0 B/s");
}

TEST(fetch_report, fit_cuts_whole_characters_and_marks_the_cut) {
  EXPECT_EQ(fit("short", 10), "short");
  EXPECT_EQ(fit("0123456789abc", 10), "0123456...");
  EXPECT_EQ(fit("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 4), "\xC3\xA9...");
}

TEST(fetch_report, a_live_line_shows_name_bytes_total_percent_and_rate_or_why_it_retries) {
  transfer_status running = status(1, transfer_state::downloading, 45'200'000, 100'000'000);
  running.file = "/downloads/a.iso";
  running.rate = 2'300'000;
  EXPECT_EQ(format_transfer_line(running), "a.iso  45.2 MB of 100.0 MB (45%)  2.3 MB/s");
  EXPECT_EQ(format_transfer_line(status(2, transfer_state::downloading)),
            "http://example.com/files/2.bin  connecting");
  transfer_status retrying = status(3, transfer_state::retrying);
  retrying.attempts = 1;
  retrying.reason = "HTTP 503 Service Unavailable";
  EXPECT_EQ(format_transfer_line(retrying),
            "http://example.com/files/3.bin  retrying (attempt 2 next): HTTP 503 Service Unavailable");
}

TEST(fetch_report, the_live_block_is_a_line_per_running_transfer_then_the_total_all_within_the_width) {
  std::vector<transfer_status> transfers;
  transfers.push_back(status(1, transfer_state::done, 100, 100));
  for (std::uint64_t id = 2; id <= 5; ++id)
    transfers.push_back(status(id, transfer_state::downloading, 10, 100));
  transfers.push_back(status(6, transfer_state::waiting));
  transfers.push_back(status(7, transfer_state::failed));
  const fetch_snapshot s = snapshot_of(transfers);
  const std::vector<std::string> lines = format_live_lines(s, 60, 3);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_NE(lines[0].find("2.bin"), std::string::npos);
  EXPECT_EQ(lines[3], "  ... and 1 more running");
  EXPECT_EQ(lines[4], "1 of 7 done, 1 failed, 4 running, 1 waiting: 140 B, 0 B/s");
  for (const auto& line : lines) EXPECT_LE(line.size(), 60u);
}

TEST(fetch_report, results_say_why_and_where_the_partial_file_is) {
  EXPECT_EQ(format_result(status(1, transfer_state::done)), "done");
  transfer_status failed = status(2, transfer_state::failed);
  failed.reason = "HTTP 404 Not Found";
  EXPECT_EQ(format_result(failed), "failed: HTTP 404 Not Found");
  transfer_status cancelled = status(3, transfer_state::cancelled, 512, 1000);
  cancelled.part = "d/3.bin.part";
  EXPECT_EQ(format_result(cancelled), "cancelled, 512 B kept in d/3.bin.part for a resume");
  failed.part = "d/2.bin.part";
  failed.bytes = 10;
  EXPECT_EQ(format_result(failed), "failed: HTTP 404 Not Found; 10 B kept in d/2.bin.part for a resume");
}

TEST(fetch_report, the_summary_is_an_aligned_table_and_a_totals_line) {
  transfer_status done = status(1, transfer_state::done, 1000, 1000);
  done.file = "a.bin";
  transfer_status failed = status(2, transfer_state::failed);
  failed.url = "x";
  failed.reason = "not a URL: x";
  const std::string summary = format_summary(snapshot_of({done, failed}));
  std::istringstream in(summary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "URL                             FILE   SIZE    RESULT");
  EXPECT_EQ(lines[1], "http://example.com/files/1.bin  a.bin  1.0 kB  done");
  EXPECT_EQ(lines[2], "x                               -      -       failed: not a URL: x");
  EXPECT_EQ(lines[3], "2 transfers: 1 done (1.0 kB), 1 failed");
}

}  // namespace
