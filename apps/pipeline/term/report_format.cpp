#include "report_format.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace handoff::pipeline {

namespace {

double seconds_of(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string printed(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

}  // namespace

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
  char text[48];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  }
  return text;
}

std::string format_progress(const run_progress& progress, std::optional<std::uint64_t> input_size) {
  const double seconds = seconds_of(progress.elapsed);
  const double rate = seconds > 0 ? static_cast<double>(progress.input_bytes) / seconds : 0;
  std::string line = format_bytes(progress.input_bytes);
  if (input_size) {
    const double fraction =
        *input_size > 0 ? static_cast<double>(progress.input_bytes) / static_cast<double>(*input_size) : 1.0;
    line += " of " + format_bytes(*input_size) + printed(" (%.0f%%)", 100 * std::min(fraction, 1.0));
  }
  line += ", " + std::to_string(progress.newlines) + " lines, " +
          format_bytes(static_cast<std::uint64_t>(rate)) + "/s";
  if (input_size && rate > 0) {
    const double left =
        static_cast<double>(*input_size > progress.input_bytes ? *input_size - progress.input_bytes : 0);
    line += ", ETA " + format_duration(left / rate);
  }
  return line;
}

std::string format_stats(const run_result& result) {
  const double seconds = seconds_of(result.totals.elapsed);
  const double per_second = seconds > 0 ? 1 / seconds : 0;
  return std::to_string(result.lines) + " lines, " + format_bytes(result.totals.input_bytes) + " in " +
         printed("%.3f s: ", seconds) +
         printed("%.0f lines/s, ", static_cast<double>(result.lines) * per_second) +
         printed("%.1f MB/s", static_cast<double>(result.totals.input_bytes) / 1e6 * per_second);
}

std::string format_invalid(const run_result& result) {
  if (result.invalid_sequences == 0) return {};
  const auto plural = [](std::uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return plural(result.invalid_sequences, "invalid UTF-8 sequence", "invalid UTF-8 sequences") + " (" +
         plural(result.invalid_bytes, "byte", "bytes") + ") passed through unchanged";
}

}  // namespace handoff::pipeline
