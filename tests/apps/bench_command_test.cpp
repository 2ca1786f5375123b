// Behaviours of livepi bench's pure parts: medians, the speedup table, the
// CSV, the findings, the SVG plot, and the bench subcommand's arguments. None
// of these tests runs the benchmark itself.
#include "term/bench_command.hpp"
#include "term/arguments.hpp"
#include "term/svg_plot.hpp"

#include <handoff/errors.hpp>

#include <gtest/gtest.h>

#include <cctype>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace handoff::livepi;

// A small XML well-formedness check, enough for what render_svg writes:
// declaration, comments, elements with quoted attributes, text with entities.
// Returns an empty string when well-formed, else what is wrong.
std::string xml_problem(const std::string& xml) {
  std::vector<std::string> open;
  std::size_t i = 0;
  bool root_seen = false;
  const auto name_at = [&](std::size_t& at) {
    std::string name;
    while (at < xml.size() && (std::isalnum(static_cast<unsigned char>(xml[at])) || xml[at] == '-' ||
                               xml[at] == ':' || xml[at] == '_' || xml[at] == '.')) {
      name += xml[at++];
    }
    return name;
  };
  const auto entity_ok = [&](std::size_t at) {
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
      if (xml.compare(at, std::char_traits<char>::length(e), e) == 0) return true;
    }
    return false;
  };
  while (i < xml.size()) {
    if (xml[i] != '<') {
      if (xml[i] == '&' && !entity_ok(i)) return "bare & at " + std::to_string(i);
      if (xml[i] == '>') return "bare > at " + std::to_string(i);
      if (open.empty() && !std::isspace(static_cast<unsigned char>(xml[i]))) {
        return "text outside the root at " + std::to_string(i);
      }
      ++i;
      continue;
    }
    if (xml.compare(i, 5, "<?xml") == 0) {
      if (i != 0) return "declaration not first";
      const auto end = xml.find("?>", i);
      if (end == std::string::npos) return "unterminated declaration";
      i = end + 2;
      continue;
    }
    if (xml.compare(i, 4, "<!--") == 0) {
      const auto end = xml.find("-->", i);
      if (end == std::string::npos) return "unterminated comment";
      i = end + 3;
      continue;
    }
    if (xml.compare(i, 2, "</") == 0) {
      i += 2;
      const auto name = name_at(i);
      if (i >= xml.size() || xml[i] != '>') return "bad end tag " + name;
      if (open.empty() || open.back() != name) return "mismatched </" + name + ">";
      open.pop_back();
      ++i;
      continue;
    }
    ++i;
    const auto name = name_at(i);
    if (name.empty()) return "element without a name at " + std::to_string(i);
    if (open.empty() && root_seen) return "second root element " + name;
    root_seen = true;
    std::vector<std::string> attributes;
    for (;;) {
      while (i < xml.size() && std::isspace(static_cast<unsigned char>(xml[i]))) ++i;
      if (i >= xml.size()) return "unterminated tag " + name;
      if (xml.compare(i, 2, "/>") == 0) {
        i += 2;
        break;
      }
      if (xml[i] == '>') {
        open.push_back(name);
        ++i;
        break;
      }
      const auto attribute = name_at(i);
      if (attribute.empty()) return "bad attribute in " + name;
      for (const auto& a : attributes) {
        if (a == attribute) return "repeated attribute " + attribute + " in " + name;
      }
      attributes.push_back(attribute);
      if (i + 1 >= xml.size() || xml[i] != '=' || (xml[i + 1] != '"' && xml[i + 1] != '\'')) {
        return "unquoted attribute " + attribute + " in " + name;
      }
      const char quote = xml[i + 1];
      const auto end = xml.find(quote, i + 2);
      if (end == std::string::npos) return "unterminated attribute " + attribute;
      for (std::size_t k = i + 2; k < end; ++k) {
        if (xml[k] == '<') return "< in attribute " + attribute;
        if (xml[k] == '&' && !entity_ok(k)) return "bare & in attribute " + attribute;
      }
      i = end + 1;
    }
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (!root_seen) return "no root element";
  return {};
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::vector<bench_sample> example_samples() {
  // Sequential 4 s; threads and processes halve it with 2 workers, and gain nothing past 2 cores.
  std::vector<bench_sample> samples;
  const std::uint64_t points = 8'000'000'000;
  const std::uint64_t inside = 6'283'185'307;
  unsigned rep = 0;
  for (double s : {4.1, 4.0, 3.9}) samples.push_back({backend_kind::sequential, 1, rep++, s, points, inside});
  for (const auto backend : {backend_kind::threads, backend_kind::processes}) {
    for (unsigned w = 1; w <= 4; ++w) {
      const double base = w == 1 ? 4.0 : 2.0 + 0.05 * (w - 2);
      const double slower = backend == backend_kind::processes ? 1.01 : 1.0;
      for (unsigned r = 0; r < 3; ++r) {
        samples.push_back({backend, w, r, base * slower + 0.01 * r, points, inside});
      }
    }
  }
  return samples;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

command_line parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  static std::string program = "livepi";
  argv.push_back(program.data());
  for (auto& w : words) argv.push_back(w.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(bench_median, of_an_odd_count_is_the_middle_value) {
  EXPECT_DOUBLE_EQ(median({3.0}), 3.0);
  EXPECT_DOUBLE_EQ(median({5.0, 1.0, 3.0}), 3.0);
  EXPECT_DOUBLE_EQ(median({9.0, 1.0, 2.0, 100.0, 3.0}), 3.0);
}

TEST(bench_median, of_an_even_count_is_the_mean_of_the_two_middle_values) {
  EXPECT_DOUBLE_EQ(median({1.0, 2.0}), 1.5);
  EXPECT_DOUBLE_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_DOUBLE_EQ(median({7.0, 7.0, 1.0, 100.0}), 7.0);
}

TEST(bench_median, ignores_a_single_outlier) { EXPECT_DOUBLE_EQ(median({1.0, 1.1, 0.9, 1.0, 50.0}), 1.0); }

TEST(bench_median, of_no_values_is_misuse) { EXPECT_THROW(median({}), handoff::errors::invalid_argument); }

TEST(bench_summary, has_one_row_per_configuration_in_order_of_appearance) {
  const auto rows = summarize_bench(example_samples());
  ASSERT_EQ(rows.size(), 9U);
  EXPECT_EQ(rows[0].backend, backend_kind::sequential);
  EXPECT_EQ(rows[1].backend, backend_kind::threads);
  EXPECT_EQ(rows[1].workers, 1U);
  EXPECT_EQ(rows[4].workers, 4U);
  EXPECT_EQ(rows[5].backend, backend_kind::processes);
  for (const auto& row : rows) EXPECT_EQ(row.reps, 3U);
}

TEST(bench_summary, the_speedup_of_the_sequential_baseline_is_one) {
  const auto rows = summarize_bench(example_samples());
  const auto* base = find_row(rows, backend_kind::sequential, 1);
  ASSERT_NE(base, nullptr);
  EXPECT_DOUBLE_EQ(base->median_seconds, 4.0);
  EXPECT_DOUBLE_EQ(base->speedup, 1.0);
}

TEST(bench_summary, speedup_is_the_baseline_median_over_the_configuration_median) {
  const auto rows = summarize_bench(example_samples());
  const auto* two = find_row(rows, backend_kind::threads, 2);
  ASSERT_NE(two, nullptr);
  EXPECT_DOUBLE_EQ(two->median_seconds, 2.01);
  EXPECT_DOUBLE_EQ(two->min_seconds, 2.0);
  EXPECT_DOUBLE_EQ(two->max_seconds, 2.02);
  EXPECT_DOUBLE_EQ(two->speedup, 4.0 / 2.01);
  EXPECT_DOUBLE_EQ(two->points_per_second, 8e9 / 2.01);
}

TEST(bench_summary, without_a_sequential_row_the_first_row_is_the_baseline) {
  const std::vector<bench_sample> samples{{backend_kind::threads, 1, 0, 2.0, 100, 78},
                                          {backend_kind::threads, 2, 0, 1.0, 100, 78}};
  const auto rows = summarize_bench(samples);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_DOUBLE_EQ(rows[0].speedup, 1.0);
  EXPECT_DOUBLE_EQ(rows[1].speedup, 2.0);
}

TEST(bench_summary, of_no_samples_is_empty) { EXPECT_TRUE(summarize_bench({}).empty()); }

TEST(bench_csv, starts_with_the_header_and_has_one_line_per_sample) {
  const auto samples = example_samples();
  const auto lines = lines_of(format_bench_csv(samples));
  ASSERT_EQ(lines.size(), samples.size() + 1);
  EXPECT_EQ(lines[0], "backend,workers,rep,seconds,points_per_second");
  EXPECT_EQ(lines[1], "sequential,1,1,4.100000,1951219512");
  EXPECT_EQ(lines[4], "threads,1,1,4.000000,2000000000");
  EXPECT_EQ(lines.back(), "processes,4,3,2.141000,3736571695");
}

TEST(bench_csv, numbers_reps_from_one_and_every_line_has_five_fields) {
  for (const auto& line : lines_of(format_bench_csv(example_samples()))) {
    EXPECT_EQ(count(line, ","), 4U) << line;
    EXPECT_EQ(line.find(",0,"), std::string::npos) << line;
  }
}

TEST(bench_table, rows_line_up_under_the_header) {
  const auto rows = summarize_bench(example_samples());
  const auto header = format_bench_table_header();
  ASSERT_FALSE(header.empty());
  EXPECT_EQ(header.back(), '\n');
  EXPECT_NE(header.find("median"), std::string::npos);
  EXPECT_NE(header.find("speedup"), std::string::npos);
  for (const auto& row : rows) {
    const auto line = format_bench_table_row(row);
    EXPECT_EQ(line.size(), header.size()) << line;
    EXPECT_EQ(line.back(), '\n');
  }
  const auto line = format_bench_table_row(*find_row(rows, backend_kind::threads, 2));
  EXPECT_NE(line.find("threads"), std::string::npos) << line;
  EXPECT_NE(line.find("2.010"), std::string::npos) << line;
  EXPECT_NE(line.find("1.99x"), std::string::npos) << line;
}

TEST(bench_findings, report_two_workers_against_one_and_processes_against_threads) {
  const auto text = format_bench_findings(summarize_bench(example_samples()), 2);
  EXPECT_NE(text.find("threads   2 workers vs 1: 2.00x"), std::string::npos) << text;
  EXPECT_NE(text.find("processes 2 workers vs 1: 2.00x"), std::string::npos) << text;
  EXPECT_NE(text.find("processes vs threads at 2 workers: +1.0% time"), std::string::npos) << text;
  EXPECT_EQ(text.find("MISSED"), std::string::npos) << text;
}

TEST(bench_findings, say_when_a_target_is_missed) {
  const std::vector<bench_sample> samples{{backend_kind::threads, 1, 0, 2.0, 100, 78},
                                          {backend_kind::threads, 2, 0, 1.5, 100, 78},
                                          {backend_kind::processes, 2, 0, 1.8, 100, 78}};
  const auto text = format_bench_findings(summarize_bench(samples), 2);
  EXPECT_NE(text.find("1.33x (target: at least 1.85x) MISSED"), std::string::npos) << text;
  EXPECT_NE(text.find("+20.0% time (target: within 3%) MISSED"), std::string::npos) << text;
}

TEST(bench_counts, agreeing_counts_are_no_mismatch) { EXPECT_FALSE(find_count_mismatch(example_samples())); }

TEST(bench_counts, a_differing_count_is_reported_with_both_runs) {
  auto samples = example_samples();
  samples[7].inside += 1;
  const auto message = find_count_mismatch(samples);
  ASSERT_TRUE(message);
  EXPECT_NE(message->find("threads with 2 workers (run 2) counted 6283185308"), std::string::npos)
      << *message;
  EXPECT_NE(message->find("sequential with 1 worker (run 1) counted 6283185307"), std::string::npos)
      << *message;
}

TEST(bench_svg, is_well_formed_xml) {
  const auto svg = format_bench_svg(summarize_bench(example_samples()), 2, "8G points, seed 1 & <more>");
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0U);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"800\" height=\"500\""), std::string::npos);
  EXPECT_NE(svg.find("seed 1 &amp; &lt;more&gt;"), std::string::npos);
}

TEST(bench_svg, has_one_polyline_per_backend_in_each_panel) {
  const auto svg = format_bench_svg(summarize_bench(example_samples()), 2, "");
  EXPECT_EQ(count(svg, "<polyline data-series=\"threads\""), 2U);
  EXPECT_EQ(count(svg, "<polyline data-series=\"processes\""), 2U);
  EXPECT_EQ(count(svg, "<polyline data-series=\"sequential\""), 2U);
  EXPECT_EQ(count(svg, "<polyline data-series=\"ideal (2 cores)\""), 1U);
}

TEST(bench_svg, has_axis_labels_panel_titles_and_a_legend) {
  const auto svg = format_bench_svg(summarize_bench(example_samples()), 2, "");
  EXPECT_GE(count(svg, ">workers</text>"), 2U);
  EXPECT_EQ(count(svg, ">seconds</text>"), 1U);
  EXPECT_EQ(count(svg, ">speedup (sequential time / time)</text>"), 1U);
  EXPECT_EQ(count(svg, ">Time per run (median)</text>"), 1U);
  EXPECT_EQ(count(svg, ">Speedup over sequential</text>"), 1U);
  const auto legend = svg.substr(svg.find("<g class=\"legend\">"));
  for (const char* name : {">sequential<", ">threads<", ">processes<", ">ideal (2 cores)<"}) {
    EXPECT_NE(legend.find(name), std::string::npos) << name;
  }
}

TEST(bench_svg, has_a_tick_label_for_every_worker_count) {
  const auto svg = format_bench_svg(summarize_bench(example_samples()), 2, "");
  for (const char* tick : {">1</text>", ">2</text>", ">3</text>", ">4</text>"}) {
    EXPECT_GE(count(svg, tick), 2U) << tick;
  }
}

TEST(bench_svg, shades_the_workers_past_the_cores_only_when_there_are_some) {
  const auto rows = summarize_bench(example_samples());
  EXPECT_EQ(count(format_bench_svg(rows, 2, ""), "more workers than cores"), 2U);
  EXPECT_EQ(count(format_bench_svg(rows, 4, ""), "more workers than cores"), 0U);
}

TEST(bench_svg, of_no_rows_is_still_a_well_formed_document) {
  EXPECT_EQ(xml_problem(format_bench_svg({}, 2, "")), "");
}

TEST(svg_plot, nice_ticks_cover_the_range_with_round_steps) {
  EXPECT_EQ(nice_ticks(0, 4.1, 6), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(nice_ticks(1, 8, 8, true), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(nice_ticks(1, 16, 8, true), (std::vector<double>{0, 2, 4, 6, 8, 10, 12, 14, 16}));
  const auto small = nice_ticks(0, 0.9, 6);
  ASSERT_EQ(small.size(), 6U);
  EXPECT_NEAR(small[1], 0.2, 1e-12);
  EXPECT_GE(small.back(), 0.9);
  EXPECT_EQ(nice_ticks(1, 2, 8, true), (std::vector<double>{1, 2}));
}

TEST(svg_plot, escapes_text_for_xml) {
  EXPECT_EQ(escape_xml("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
}

TEST(svg_plot, the_same_figure_gives_the_same_bytes) {
  plot_figure figure;
  figure.title = "t";
  figure.panels.push_back({"p", "x", "y", {{"s", {{1, 2}, {2, 3}}}}});
  EXPECT_EQ(render_svg(figure), render_svg(figure));
  EXPECT_EQ(xml_problem(render_svg(figure)), "");
}

TEST(bench_arguments, take_points_reps_max_workers_and_out) {
  const auto options =
      parse({"bench", "--points", "2G", "--reps", "3", "--max-workers", "6", "--out", "/tmp/somewhere"});
  EXPECT_TRUE(options.bench);
  EXPECT_EQ(options.bench_settings.points, 2'000'000'000U);
  EXPECT_EQ(options.bench_settings.reps, 3U);
  EXPECT_EQ(options.bench_settings.max_workers, 6U);
  EXPECT_EQ(options.bench_settings.out_dir, "/tmp/somewhere");
}

TEST(bench_arguments, have_defaults_sized_for_this_machine) {
  const auto options = parse({"bench"});
  EXPECT_TRUE(options.bench);
  EXPECT_EQ(options.bench_settings.points, default_bench_points);
  EXPECT_EQ(options.bench_settings.reps, 5U);
  EXPECT_EQ(options.bench_settings.max_workers, 0U);  // twice the cores, decided when it runs
  EXPECT_EQ(options.bench_settings.out_dir, ".");
}

TEST(bench_arguments, every_bad_value_is_a_usage_error_naming_it) {
  const std::vector<std::vector<std::string>> bad = {
      {"--points", "0"},      {"--points", "lots"},      {"--reps", "0"},
      {"--reps", "five"},     {"--reps", "-2"},          {"--max-workers", "0"},
      {"--max-workers", "x"}, {"--max-workers", "5000"}, {"--out", ""},
  };
  for (auto words : bad) {
    const std::string value = words[1];
    words.insert(words.begin(), "bench");
    try {
      parse(words);
      ADD_FAILURE() << "accepted " << words[1] << " '" << value << "'";
    } catch (const usage_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(words[1]), std::string::npos) << what;
      if (!value.empty()) {
        EXPECT_NE(what.find(value), std::string::npos) << what;
      }
    }
  }
}

}  // namespace
