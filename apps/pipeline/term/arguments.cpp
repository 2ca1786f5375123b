#include "arguments.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <limits>

namespace handoff::pipeline {

std::size_t parse_size(std::string_view text, std::string_view what) {
  const auto bad = [&](std::string_view why) {
    return usage_error(std::string(what) + ": '" + std::string(text) + "' " + std::string(why));
  };
  std::string_view digits = text;
  std::size_t scale = 1;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'k':
      case 'K':
        scale = std::size_t{1} << 10;
        break;
      case 'm':
      case 'M':
        scale = std::size_t{1} << 20;
        break;
      case 'g':
      case 'G':
        scale = std::size_t{1} << 30;
        break;
      default:
        break;
    }
    if (scale != 1) digits.remove_suffix(1);
  }
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error == std::errc::invalid_argument || end != digits.data() + digits.size()) {
    throw bad("is not a size (use 65536, 64k or 1M)");
  }
  if (error == std::errc::result_out_of_range || value > std::numeric_limits<std::size_t>::max() / scale) {
    throw bad("is too large");
  }
  return value * scale;
}

command_line parse_command_line(int argc, char** argv) {
  command_line result;
  CLI::App app{
      "pipeline: uppercase a text file with three threads (read, uppercase, write) joined by bounded "
      "channels.\nUppercasing is full Unicode, as Python's str.upper() does it (ß becomes SS). The "
      "output appears only when the run succeeds.\nExit status: 0 done, 1 I/O failure, 2 bad "
      "arguments, 130 interrupted (Ctrl-C)."};
  app.name("pipeline");
  app.add_option("INPUT", result.input, "the file to read; - for stdin")->required();
  app.add_option("OUTPUT", result.output, "the file to write; - for stdout")->required();
  bool ascii = false;
  app.add_flag("--ascii", ascii, "uppercase a-z only and leave every byte above 127 untouched");
  app.add_flag("--stats", result.stats, "print lines/s and MB/s on stderr at the end");
  app.add_flag("--sync", result.sync, "fsync the output before renaming it into place");
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "no live progress line (shown only when stderr is a terminal)");
  std::string block_text;
  app.add_option("--block-size", block_text, "bytes read per block: 64 to 64M (default 1M)");
  std::size_t depth = result.run.queue_depth;
  app.add_option("--queue-depth", depth, "blocks each channel between two threads holds (default 4)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}).description(""));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    app.exit(help);
    result.help_shown = true;
    return result;
  } catch (const CLI::ParseError& error) {
    std::string line = error.what();
    for (char& c : line) {
      if (c == '\n') c = ' ';  // one line, whatever CLI11 wrote
    }
    throw usage_error(line);
  }
  result.run.mode = ascii ? case_mode::ascii : case_mode::unicode;
  result.run.queue_depth = depth;
  result.progress = !no_progress;
  if (!block_text.empty()) {
    result.run.block_size = parse_size(block_text, "--block-size");
    if (result.run.block_size < min_block_size || result.run.block_size > max_block_size) {
      throw usage_error("--block-size: '" + block_text + "' is outside 64 to 64M");
    }
  }
  if (result.input.empty()) throw usage_error("INPUT: the path is empty");
  if (result.output.empty()) throw usage_error("OUTPUT: the path is empty");
  return result;
}

}  // namespace handoff::pipeline
