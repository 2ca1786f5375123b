#include "handoff/apps/byte_count.hpp"

#include <cstdio>

namespace handoff::apps {

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  const double b = static_cast<double>(bytes);
  const char* format = b < 1e6 ? "%.1f kB" : b < 1e9 ? "%.1f MB" : "%.2f GB";
  const double scaled = b < 1e6 ? b / 1e3 : b < 1e9 ? b / 1e6 : b / 1e9;
  char text[32];
  std::snprintf(text, sizeof text, format, scaled);
  return text;
}

}  // namespace handoff::apps
