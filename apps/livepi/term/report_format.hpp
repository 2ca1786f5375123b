// livepi's text output: the live status line, the end-of-run summary and the
// JSON object, each a pure function of a snapshot so they can be tested.
#pragma once

#include "engine/snapshot.hpp"

#include <string>

namespace handoff::livepi {

/// One line, no newline, at most `width` columns: estimate ± se, correct
/// digits, points (a bar and ETA when the total is known), rate, workers, restarts.
std::string format_status_line(const snapshot& s, std::size_t width);

/// A few lines for a person, ending with a newline.
std::string format_summary(const snapshot& s);

/// One JSON object on one line, ending with a newline.
std::string format_json(const snapshot& s);

/// 1234567 -> "1.23M"; 1500 -> "1.50k"; 12 -> "12".
std::string human_count(double value);

}  // namespace handoff::livepi
