#include "report_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace handoff::livepi {

namespace {
std::string printf_string(const char* format, auto... values) {
  char buffer[512];
  const int n = std::snprintf(buffer, sizeof buffer, format, values...);
  return std::string(buffer, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof buffer) - 1)));
}

// Enough decimals to show the digits that are right plus one that is not yet.
int shown_decimals(const estimate& e) { return std::clamp(e.correct_decimals + 2, 4, 12); }
}  // namespace

std::string human_count(double value) {
  static constexpr const char* suffixes[] = {"", "k", "M", "G", "T", "P"};
  int index = 0;
  while (value >= 1000 && index < 5) {
    value /= 1000;
    ++index;
  }
  if (index == 0) return printf_string("%.0f", value);
  return printf_string("%.2f%s", value, suffixes[index]);
}

std::string format_status_line(const snapshot& s, std::size_t width) {
  const estimate e = s.result();
  std::string line;
  if (s.points == 0) {
    line = "pi ~ (no points yet)";
  } else {
    line = printf_string("pi ~ %.*f +- %.1e (%d digits right)", shown_decimals(e), e.value, e.standard_error,
                         e.correct_decimals);
  }
  line += " | " + human_count(static_cast<double>(s.points)) + " points";
  if (s.target_points != 0) {
    const double fraction =
        std::min(1.0, static_cast<double>(s.points) / static_cast<double>(s.target_points));
    constexpr int bar_width = 16;
    const int filled = static_cast<int>(fraction * bar_width);
    line += " [" + std::string(static_cast<std::size_t>(filled), '#') +
            std::string(static_cast<std::size_t>(bar_width - filled), '-') + "]";
    line += printf_string(" %3.0f%%", fraction * 100);
    if (s.rate > 0 && fraction < 1) {
      line += " ETA " + printf_string("%.0fs", static_cast<double>(s.target_points - s.points) / s.rate);
    }
  }
  line += " | " + human_count(s.rate) + "/s";
  line += printf_string(" | %u/%zu workers", s.workers_alive, s.workers.size());
  line += printf_string(" | %u restarts", s.restarts);
  if (s.state == run_state::stopping) line += " | stopping";
  if (line.size() > width) line.resize(width);
  return line;
}

std::string format_summary(const snapshot& s) {
  const estimate e = s.result();
  std::string text;
  text += printf_string("pi ~ %.12f +- %.3e (%d correct decimals; pi = %.12f)\n", e.value, e.standard_error,
                        e.correct_decimals, pi_reference);
  text += printf_string("%llu points, %llu inside, in %.3f s: %s points/s\n",
                        static_cast<unsigned long long>(s.points), static_cast<unsigned long long>(s.inside),
                        s.elapsed_seconds, human_count(s.rate).c_str());
  text += printf_string("backend %.*s, %zu workers, %u restarts, seed %llu\n",
                        static_cast<int>(to_string(s.backend).size()), to_string(s.backend).data(),
                        s.workers.size(), s.restarts, static_cast<unsigned long long>(s.seed));
  if (!s.error.empty()) text += "error: " + s.error + "\n";
  return text;
}

std::string format_json(const snapshot& s) {
  const estimate e = s.result();
  std::string error;  // the only free text: escape what JSON requires
  for (const char c : s.error) {
    if (c == '"' || c == '\\') {
      error += '\\';
      error += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      error += printf_string("\\u%04x", static_cast<unsigned>(c));
    } else {
      error += c;
    }
  }
  return printf_string(
             "{\"pi\":%.17g,\"stderr\":%.17g,\"correct_decimals\":%d,\"points\":%llu,\"inside\":%llu,"
             "\"seconds\":%.6f,\"rate\":%.6g,\"workers\":%zu,\"backend\":\"%.*s\",\"seed\":%llu,\"restarts\":"
             "%u,"
             "\"target_points\":%llu",
             e.value, e.standard_error, e.correct_decimals, static_cast<unsigned long long>(s.points),
             static_cast<unsigned long long>(s.inside), s.elapsed_seconds, s.rate, s.workers.size(),
             static_cast<int>(to_string(s.backend).size()), to_string(s.backend).data(),
             static_cast<unsigned long long>(s.seed), s.restarts,
             static_cast<unsigned long long>(s.target_points)) +
         (error.empty() ? std::string() : ",\"error\":\"" + error + "\"") + "}\n";
}

}  // namespace handoff::livepi
