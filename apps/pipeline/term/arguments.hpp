// pipeline's command line: parsed into the settings of a run, with one clear line for each bad value.
#pragma once

#include "engine/pipeline_run.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace handoff::pipeline {

/// A bad command line; what() is the one line to show.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct command_line {
  std::string input;   // a path, or "-" for stdin
  std::string output;  // a path, or "-" for stdout
  run_settings run;
  bool stats = false;       // lines/s and MB/s on stderr at the end
  bool sync = false;        // fsync the output before it is renamed into place
  bool progress = true;     // the live line, when stderr is a terminal
  bool help_shown = false;  // --help printed; exit 0
};

/// Parses a size in bytes: digits with an optional binary suffix k, M or G
/// (65536, 64k, 1M). Throws usage_error naming `what`.
std::size_t parse_size(std::string_view text, std::string_view what);

/// Parses argv. Throws usage_error for bad input; prints help for --help.
command_line parse_command_line(int argc, char** argv);

}  // namespace handoff::pipeline
