// livepi's command line: parsing it into a run_config, with one clear line for each bad value.
#pragma once

#include "bench_command.hpp"
#include "engine/run_config.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace handoff::livepi {

/// A bad command line; what() is the one line to show.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses a count: plain digits, scientific notation (1e10, 2.5e9) or a
/// suffix k, M, G (x1e3, 1e6, 1e9). Throws usage_error naming `what`.
std::uint64_t parse_count(std::string_view text, std::string_view what);

struct command_line {
  run_config config;
  bool json = false;
  bool seed_given = false;
  bool gui = false;
  bool autostart = false;
  bool worker_mode = false;  // internal: this process is a worker of another livepi
  bool bench = false;
  bench_options bench_settings;  // the bench subcommand's own options
  bool help_shown = false;       // --help printed; exit 0
};

/// Parses argv. Throws usage_error for bad input; prints help for --help.
command_line parse_command_line(int argc, char** argv);

}  // namespace handoff::livepi
