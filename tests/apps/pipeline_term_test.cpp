// pipeline's command line and the lines it shows people, without a process or a terminal.
#include "arguments.hpp"
#include "report_format.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace handoff::pipeline;
using namespace std::chrono_literals;

command_line parse(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "pipeline");
  std::vector<char*> argv;
  for (auto& a : arguments) argv.push_back(a.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(pipeline_arguments, two_paths_and_the_flags_make_the_settings) {
  const command_line plain = parse({"in.txt", "out.txt"});
  EXPECT_EQ(plain.input, "in.txt");
  EXPECT_EQ(plain.output, "out.txt");
  EXPECT_EQ(plain.run.mode, case_mode::unicode);
  EXPECT_EQ(plain.run.block_size, 1U << 20);
  EXPECT_FALSE(plain.stats);
  EXPECT_TRUE(plain.progress);

  const command_line all = parse({"--ascii", "--stats", "--sync", "--no-progress", "--block-size", "64k",
                                  "--queue-depth", "8", "-", "-"});
  EXPECT_EQ(all.input, "-");
  EXPECT_EQ(all.output, "-");
  EXPECT_EQ(all.run.mode, case_mode::ascii);
  EXPECT_EQ(all.run.block_size, 64U << 10);
  EXPECT_EQ(all.run.queue_depth, 8U);
  EXPECT_TRUE(all.stats);
  EXPECT_TRUE(all.sync);
  EXPECT_FALSE(all.progress);
}

TEST(pipeline_arguments, a_bad_command_line_throws_one_line_naming_what_is_wrong) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{}, "INPUT"},
      {{"in"}, "OUTPUT"},
      {{"in", "out", "more"}, "more"},
      {{"--bogus", "in", "out"}, "--bogus"},
      {{"--block-size", "63", "in", "out"}, "--block-size"},
      {{"--block-size", "65M", "in", "out"}, "--block-size"},
      {{"--block-size", "1X", "in", "out"}, "--block-size"},
      {{"--queue-depth", "0", "in", "out"}, "--queue-depth"},
      {{"", "out"}, "INPUT"}};
  for (const auto& [arguments, named] : bad) {
    try {
      parse(arguments);
      ADD_FAILURE() << "accepted: " << named;
    } catch (const usage_error& error) {
      const std::string line = error.what();
      EXPECT_NE(line.find(named), std::string::npos) << line;
      EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    }
  }
}

TEST(pipeline_arguments, sizes_take_binary_suffixes_and_refuse_the_rest) {
  EXPECT_EQ(parse_size("4096", "x"), 4096U);
  EXPECT_EQ(parse_size("64k", "x"), 65536U);
  EXPECT_EQ(parse_size("2M", "x"), 2U << 20);
  EXPECT_EQ(parse_size("1G", "x"), 1U << 30);
  for (const char* bad : {"", "k", "-1", "1.5M", "12q", "99999999999999999999", "99999999999999G"}) {
    EXPECT_THROW((void)parse_size(bad, "x"), usage_error) << bad;
  }
}

TEST(pipeline_report, bytes_durations_and_rates_read_as_people_write_them) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(999), "999 B");
  EXPECT_EQ(format_bytes(45'200'000), "45.2 MB");
  EXPECT_EQ(format_bytes(1'070'000'000), "1.07 GB");
  EXPECT_EQ(format_duration(7.4), "0:07");
  EXPECT_EQ(format_duration(723), "12:03");
  EXPECT_EQ(format_duration(3723), "1:02:03");

  run_progress half{.input_bytes = 50'000'000, .output_bytes = 50'000'000, .newlines = 1234, .elapsed = 1s};
  EXPECT_EQ(format_progress(half, 100'000'000), "50.0 MB of 100.0 MB (50%), 1234 lines, 50.0 MB/s, ETA 0:01");
  EXPECT_EQ(format_progress(half, std::nullopt), "50.0 MB, 1234 lines, 50.0 MB/s");

  run_result result;
  result.totals = half;
  result.lines = 1235;
  EXPECT_EQ(format_stats(result), "1235 lines, 50.0 MB in 1.000 s: 1235 lines/s, 50.0 MB/s");
  EXPECT_EQ(format_invalid(result), "");
  result.invalid_sequences = 1;
  result.invalid_bytes = 1;
  EXPECT_EQ(format_invalid(result), "1 invalid UTF-8 sequence (1 byte) passed through unchanged");
}

}  // namespace
