#include "report_format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace handoff::fetch {

namespace {

std::string printed(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// Characters, not bytes: UTF-8 continuation bytes do not count.
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string pad(std::string_view text, std::size_t width) {
  std::string cell(text);
  const std::size_t shown = display_width(text);
  if (shown < width) cell.append(width - shown, ' ');
  return cell;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string size_cell(const transfer_status& s) {
  if (s.state == transfer_state::done) return format_bytes(s.bytes);
  if (s.bytes == 0) return "-";
  if (s.total >= 0) return format_bytes(s.bytes) + " of " + format_bytes(static_cast<std::uint64_t>(s.total));
  return format_bytes(s.bytes);
}

}  // namespace

std::string format_rate(double bytes_per_second) {
  return format_bytes(static_cast<std::uint64_t>(std::max(bytes_per_second, 0.0))) + "/s";
}

std::string fit(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width <= 3) return std::string(width, '.');
  std::string out;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool starts_character = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_character && shown++ == width - 3) break;
    out += text[i];
  }
  return out + "...";
}

std::string display_name(const transfer_status& status) {
  if (!status.file.empty()) return status.file.filename().string();
  return status.url;
}

std::string format_transfer_line(const transfer_status& s) {
  std::string line = display_name(s) + "  ";
  switch (s.state) {
    case transfer_state::retrying:
      return line + "retrying (attempt " + std::to_string(s.attempts + 1) + " next): " + s.reason;
    case transfer_state::waiting:
      return line + "waiting";
    case transfer_state::downloading:
      if (s.bytes == 0 && s.total < 0) return line + "connecting";
      break;
    case transfer_state::done:
    case transfer_state::failed:
    case transfer_state::cancelled:
      return line + format_result(s);
  }
  line += format_bytes(s.bytes);
  if (s.total > 0) {
    const double fraction = std::min(static_cast<double>(s.bytes) / static_cast<double>(s.total), 1.0);
    line += " of " + format_bytes(static_cast<std::uint64_t>(s.total)) + printed(" (%.0f%%)", 100 * fraction);
  }
  return line + "  " + format_rate(s.rate);
}

std::string format_total_line(const fetch_snapshot& s) {
  std::string line = std::to_string(s.done) + " of " + std::to_string(s.transfers.size()) + " done";
  if (s.failed > 0) line += ", " + std::to_string(s.failed) + " failed";
  if (s.cancelled > 0) line += ", " + std::to_string(s.cancelled) + " cancelled";
  if (s.active > 0) line += ", " + std::to_string(s.active) + " running";
  if (s.waiting > 0) line += ", " + std::to_string(s.waiting) + " waiting";
  return line + ": " + format_bytes(s.bytes) + ", " + format_rate(s.rate);
}

std::vector<std::string> format_live_lines(const fetch_snapshot& snapshot, std::size_t width,
                                           std::size_t max_transfers) {
  std::vector<std::string> lines;
  std::size_t running = 0;
  for (const transfer_status& s : snapshot.transfers) {
    if (s.state != transfer_state::downloading && s.state != transfer_state::retrying) continue;
    if (++running <= max_transfers) lines.push_back(fit("  " + format_transfer_line(s), width));
  }
  if (running > max_transfers)
    lines.push_back(fit("  ... and " + std::to_string(running - max_transfers) + " more running", width));
  lines.push_back(fit(format_total_line(snapshot), width));
  return lines;
}

std::string format_result(const transfer_status& s) {
  switch (s.state) {
    case transfer_state::done:
      return "done";
    case transfer_state::failed:
    case transfer_state::cancelled: {
      std::string result = s.state == transfer_state::failed ? "failed: " + s.reason : "cancelled";
      if (!s.part.empty()) {
        result += (s.state == transfer_state::failed ? "; " : ", ") + format_bytes(s.bytes) + " kept in " +
                  s.part.string() + " for a resume";
      }
      return result;
    }
    case transfer_state::waiting:
    case transfer_state::downloading:
    case transfer_state::retrying:
      break;
  }
  return std::string(to_string(s.state));
}

std::string format_summary(const fetch_snapshot& snapshot) {
  constexpr std::size_t max_column = 60;  // a longer cell pushes its row, not the whole table
  std::vector<std::array<std::string, 4>> rows;
  rows.push_back({"URL", "FILE", "SIZE", "RESULT"});
  for (const transfer_status& s : snapshot.transfers) {
    const std::string file = s.state == transfer_state::done ? s.file.string() : "-";
    rows.push_back({s.url, file, size_cell(s), format_result(s)});
  }
  std::array<std::size_t, 3> widths{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], std::min(display_width(row[c]), max_column));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < widths.size(); ++c) out += pad(row[c], widths[c]) + "  ";
    out += row[3] + "\n";
  }
  std::uint64_t done_bytes = 0;
  for (const transfer_status& s : snapshot.transfers) {
    if (s.state == transfer_state::done) done_bytes += s.bytes;
  }
  out += plural(snapshot.transfers.size(), "transfer", "transfers") + ": " + std::to_string(snapshot.done) +
         " done (" + format_bytes(done_bytes) + ")";
  if (snapshot.failed > 0) out += ", " + std::to_string(snapshot.failed) + " failed";
  if (snapshot.cancelled > 0) out += ", " + std::to_string(snapshot.cancelled) + " cancelled";
  if (snapshot.active + snapshot.waiting > 0) {
    out += ", " + std::to_string(snapshot.active + snapshot.waiting) + " unfinished";
  }
  return out + "\n";
}

}  // namespace handoff::fetch
