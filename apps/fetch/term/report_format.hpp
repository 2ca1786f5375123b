// fetch's words and numbers for people: the live lines, the summary table.
// Pure functions of a snapshot, so that they are tested without a terminal.
#pragma once

#include <handoff/apps/byte_count.hpp>

#include "engine/transfer_status.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace handoff::fetch {

/// "512 B", "45.2 MB", "1.07 GB": the programs' common format (handoff/apps/byte_count.hpp).
using handoff::apps::format_bytes;

/// "850 kB/s".
std::string format_rate(double bytes_per_second);

/// `text` cut to `width` characters (UTF-8 aware), with "..." marking the cut.
std::string fit(std::string_view text, std::size_t width);

/// What a transfer is called on screen: its file's name once known, else its URL.
std::string display_name(const transfer_status& status);

/// One live line: "a.iso  45.2 MB of 100.0 MB (45%)  2.3 MB/s",
/// "a.iso  retrying (attempt 2 next): HTTP 503 Service Unavailable", "http://h/x  connecting".
std::string format_transfer_line(const transfer_status& status);

/// The total line: "3 of 10 done, 1 failed, 2 running, 4 waiting: 12.3 MB, 2.1 MB/s".
std::string format_total_line(const fetch_snapshot& snapshot);

/// The live block: a line per running transfer (at most `max_transfers`, then
/// "... and N more running"), then the total line; each cut to `width`.
std::vector<std::string> format_live_lines(const fetch_snapshot& snapshot, std::size_t width,
                                           std::size_t max_transfers);

/// A transfer's ending: "done", "failed: HTTP 404 Not Found",
/// "cancelled, 512 B kept in a.bin.part for a resume".
std::string format_result(const transfer_status& status);

/// The table at the end (URL, FILE, SIZE, RESULT; a row per transfer) and a totals line.
std::string format_summary(const fetch_snapshot& snapshot);

}  // namespace handoff::fetch
