// fetch's command line: parsed into the download manager's options and the
// URLs to fetch, with one clear line for each bad value.
#pragma once

#include "engine/fetch_options.hpp"

#include <cstddef>
#include <istream>
#include <stdexcept>
#include <string>
#include <vector>

namespace handoff::fetch {

/// A bad command line; what() is the one line to show.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct command_line {
  std::vector<std::string> urls;  // given as arguments
  std::string input;              // --input FILE ("-": stdin); empty when URLs are given
  fetch_options options;
  bool progress = true;     // live lines, when stderr is a terminal
  bool gui = false;         // --gui: the window; the URLs (or the list) only fill its text box
  bool help_shown = false;  // --help printed; exit 0
};

/// Parses argv: URLs or --input, never both, never neither (with --gui, neither is fine). Checks the
/// options as the download manager will (a --dir that is not a writable
/// directory is a usage error). Throws usage_error; prints help for --help.
command_line parse_command_line(int argc, char** argv);

/// One line of a URL list.
struct list_entry {
  std::size_t line = 0;  // 1-based line number in the list; 0 for a URL given as an argument
  std::string text;      // trimmed; not necessarily a URL
};

/// The entries of a URL list: one a line, surrounding spaces and a CR
/// trimmed, blank lines and lines starting with '#' skipped.
std::vector<list_entry> parse_url_list(std::istream& in);

/// Reads the list at `path` ("-" for stdin). Throws usage_error naming
/// --input if it cannot be read.
std::vector<list_entry> read_url_list(const std::string& path);

}  // namespace handoff::fetch
