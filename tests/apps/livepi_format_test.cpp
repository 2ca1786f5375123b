// Behaviours of livepi's arguments, estimate and text output.
#include "engine/estimate.hpp"
#include "term/arguments.hpp"
#include "term/report_format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

using namespace handoff::livepi;

command_line parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  static std::string program = "livepi";
  argv.push_back(program.data());
  for (auto& w : words) argv.push_back(w.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(livepi_arguments, counts_accept_integers_scientific_notation_and_suffixes) {
  EXPECT_EQ(parse_count("1000", "--points"), 1000U);
  EXPECT_EQ(parse_count("1e10", "--points"), 10'000'000'000U);
  EXPECT_EQ(parse_count("2.5e3", "--points"), 2500U);
  EXPECT_EQ(parse_count("10k", "--points"), 10'000U);
  EXPECT_EQ(parse_count("3M", "--points"), 3'000'000U);
  EXPECT_EQ(parse_count("2G", "--points"), 2'000'000'000U);
  EXPECT_EQ(parse_count("1.5M", "--points"), 1'500'000U);
}

TEST(livepi_arguments, bad_counts_name_the_flag_and_the_value) {
  for (const char* bad :
       {"", "abc", "-5", "0", "1.5", "1e30", "99999999999999999999", "5X", "1e-3", "nan", "inf"}) {
    try {
      parse_count(bad, "--points");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const usage_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--points"), std::string::npos) << what;
      EXPECT_NE(what.find(std::string("'") + bad + "'"), std::string::npos) << what;
    }
  }
}

TEST(livepi_arguments, every_flag_with_a_bad_value_is_a_usage_error) {
  const std::vector<std::vector<std::string>> bad = {
      {"--points", "many"},
      {"--points", "0"},
      {"--duration", "-1"},
      {"--duration", "soon"},
      {"--workers", "0"},
      {"--workers", "two"},
      {"--workers", "100000"},
      {"--backend", "gpu"},
      {"--batch", "0"},
      {"--batch", "x"},
      {"--seed", "-3"},
      {"--seed", "seed"},
      {"--fault-rate", "1.5"},
      {"--fault-rate", "-0.1"},
      {"--fault-rate", "often"},
      {"--no-such-flag"},
      {"--fault-rate", "0.1", "--backend", "threads"},
      {"--autostart"},
      {"--points"},
  };
  for (const auto& words : bad) {
    std::string joined;
    for (const auto& w : words) joined += w + " ";
    EXPECT_THROW(parse(words), usage_error) << joined;
  }
}

TEST(livepi_arguments, good_flags_fill_the_config) {
  const auto cl = parse({"--points", "1M", "--workers", "3", "--backend", "threads", "--seed", "42",
                         "--batch", "64k", "--json", "--duration", "2.5"});
  EXPECT_EQ(cl.config.points, 1'000'000U);
  EXPECT_EQ(cl.config.workers, 3U);
  EXPECT_EQ(cl.config.backend, backend_kind::threads);
  EXPECT_EQ(cl.config.seed, 42U);
  EXPECT_TRUE(cl.seed_given);
  EXPECT_EQ(cl.config.batch, 64'000U);
  EXPECT_TRUE(cl.json);
  EXPECT_EQ(cl.config.duration, std::chrono::milliseconds(2500));
}

TEST(livepi_estimate, the_standard_error_follows_the_binomial_formula) {
  const auto e = estimate::from_count(785'398, 1'000'000);
  EXPECT_DOUBLE_EQ(e.value, 4.0 * 0.785398);
  EXPECT_DOUBLE_EQ(e.standard_error, 4.0 * std::sqrt(0.785398 * (1 - 0.785398) / 1e6));
  EXPECT_EQ(e.correct_decimals, 6);  // 3.141592 vs 3.14159265...
}

TEST(livepi_estimate, correct_decimals_compare_the_printed_digits) {
  EXPECT_EQ(estimate::from_count(3, 4).correct_decimals, 0);         // 3.0
  EXPECT_EQ(estimate::from_count(7854, 10000).correct_decimals, 3);  // 3.1416 vs 3.14159: "141" agree
  EXPECT_EQ(estimate::from_count(0, 0).value, 0.0);
}

TEST(livepi_format, the_status_line_shows_estimate_progress_and_fits_the_width) {
  snapshot s;
  s.points = 500'000'000;
  s.inside = 392'699'082;
  s.target_points = 1'000'000'000;
  s.rate = 2e9;
  s.workers.resize(2);
  s.workers_alive = 2;
  const std::string line = format_status_line(s, 200);
  EXPECT_NE(line.find("pi ~ 3.14159"), std::string::npos) << line;
  EXPECT_NE(line.find("500.00M points"), std::string::npos) << line;
  EXPECT_NE(line.find(" 50%"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA"), std::string::npos) << line;
  EXPECT_NE(line.find("2/2 workers"), std::string::npos) << line;
  EXPECT_LE(format_status_line(s, 40).size(), 40U);
}

TEST(livepi_format, json_has_every_required_field) {
  snapshot s;
  s.points = 1000;
  s.inside = 785;
  s.seed = 7;
  s.backend = backend_kind::processes;
  s.workers.resize(4);
  s.error = "quote \" and \\ and \n";
  const std::string json = format_json(s);
  for (const char* key : {"\"pi\":", "\"stderr\":", "\"points\":1000", "\"inside\":785",
                          "\"seconds\":", "\"rate\":", "\"workers\":4", "\"backend\":\"processes\"",
                          "\"seed\":7", "\"restarts\":0", "\\\" and \\\\ and \\u000a"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
  }
  EXPECT_EQ(json.back(), '\n');
  EXPECT_EQ(std::count(json.begin(), json.end(), '\n'), 1);
}

}  // namespace
