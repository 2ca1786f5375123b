#include "arguments.hpp"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

namespace handoff::fetch {

namespace {

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n') c = ' ';  // one line, whatever CLI11 wrote
  }
  return text;
}

std::chrono::milliseconds milliseconds_of(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

}  // namespace

command_line parse_command_line(int argc, char** argv) {
  command_line result;
  fetch_options& o = result.options;
  CLI::App app{
      "fetch: download URLs with libcurl, a few at a time, retrying transient failures.\n"
      "Each file is written to NAME.part and renamed to NAME when complete; a NAME.part left by an\n"
      "interrupted run is resumed with Range. An existing file is never overwritten without --force:\n"
      "NAME.1.ext, NAME.2.ext... instead.\n"
      "Exit status: 0 all done, 1 any failed, 2 bad arguments, 130 interrupted (Ctrl-C)."};
  app.name("fetch");
  app.add_option("URL", result.urls, "http:// or https:// URLs to download");
  app.add_option("-i,--input", result.input, "a file with one URL a line (# comments); - for stdin");
  app.add_option("-j,--jobs", o.jobs, "transfers at once (default 4)")
      ->check(CLI::Range(1u, 256u).description(""));
  std::string dir = o.dir.string();
  app.add_option("-d,--dir", dir, "the folder the files go to (default: the current one)");
  app.add_flag("-f,--force", o.force, "overwrite existing files instead of numbering new names");
  app.add_option("--retries", o.retries, "retries after a transient failure (default 3)")
      ->check(CLI::Range(0u, 100u).description(""));
  double retry_delay = 0.5;
  app.add_option("--retry-delay", retry_delay,
                 "seconds before the first retry, doubling each time (default 0.5)")
      ->check(CLI::Range(0.0, 30.0).description(""));
  double connect_timeout = 10;
  app.add_option("--connect-timeout", connect_timeout, "seconds to wait for a connection (default 10)")
      ->check(CLI::Range(0.001, 3600.0).description(""));
  long stall_timeout = 30;
  app.add_option("--stall-timeout", stall_timeout,
                 "seconds under 1 byte/s after which a transfer has timed out (default 30)")
      ->check(CLI::Range(1L, 3600L).description(""));
  app.add_option("--max-redirects", o.max_redirects, "redirects followed at most (default 10)")
      ->check(CLI::Range(0L, 100L).description(""));
  app.add_flag("--gui", result.gui, "open the window: paste URLs, watch and cancel each download");
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "no live progress lines (shown only when stderr is a terminal)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    app.exit(help);
    result.help_shown = true;
    return result;
  } catch (const CLI::ParseError& error) {
    throw usage_error(one_line(error.what()));
  }
  if (!result.urls.empty() && !result.input.empty()) throw usage_error("give URLs or --input FILE, not both");
  if (result.urls.empty() && result.input.empty() && !result.gui)
    throw usage_error("no URL given (fetch URL... or fetch --input FILE)");
  o.dir = dir;
  o.retry_delay = milliseconds_of(retry_delay);
  o.connect_timeout = milliseconds_of(connect_timeout);
  o.low_speed_time = std::chrono::seconds(stall_timeout);
  result.progress = !no_progress;
  try {
    validate(o);
  } catch (const std::invalid_argument& error) {
    throw usage_error(std::string("--") + error.what());  // "--dir: 'x' is not a directory"
  }
  return result;
}

std::vector<list_entry> parse_url_list(std::istream& in) {
  std::vector<list_entry> entries;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const std::size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    const std::size_t end = line.find_last_not_of(" \t\r");
    entries.push_back({number, line.substr(start, end - start + 1)});
  }
  return entries;
}

std::vector<list_entry> read_url_list(const std::string& path) {
  const auto cannot = [&](int error) {
    return usage_error("--input: cannot read '" + path +
                       "': " + std::error_code(error, std::generic_category()).message());
  };
  if (path == "-") return parse_url_list(std::cin);
  // A folder opens like an empty file; say what it is instead.
  if (std::error_code ignored; std::filesystem::is_directory(path, ignored)) throw cannot(EISDIR);
  std::ifstream file(path);
  if (!file) throw cannot(errno);
  errno = 0;
  std::vector<list_entry> entries = parse_url_list(file);
  if (file.bad() || (!file.eof() && file.fail())) throw cannot(errno != 0 ? errno : EIO);
  return entries;
}

}  // namespace handoff::fetch
