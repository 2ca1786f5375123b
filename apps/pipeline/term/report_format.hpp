// pipeline's words and numbers for people: the live progress line and the end-of-run lines.
// Pure functions of the counts, so that they are tested without a terminal.
#pragma once

#include <handoff/apps/byte_count.hpp>

#include "engine/pipeline_run.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace handoff::pipeline {

/// "512 B", "45.2 MB", "1.07 GB": the programs' common format (handoff/apps/byte_count.hpp).
using handoff::apps::format_bytes;

/// "0:07", "12:03", "1:02:03".
std::string format_duration(double seconds);

/// The live line: bytes done (of the input's size, with a percentage, when
/// known), lines, rate, and the time left when the size is known.
std::string format_progress(const run_progress& progress, std::optional<std::uint64_t> input_size);

/// --stats: "1000000 lines, 104.9 MB in 0.52 s: 1923077 lines/s, 201.7 MB/s" (rates of the input read).
std::string format_stats(const run_result& result);

/// "3 invalid UTF-8 sequences (5 bytes) passed through unchanged"; empty when there were none.
std::string format_invalid(const run_result& result);

}  // namespace handoff::pipeline
