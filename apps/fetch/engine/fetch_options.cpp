#include "engine/fetch_options.hpp"

#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace handoff::fetch {

void validate(const fetch_options& options) {
  const auto bad = [](const std::string& what) { return std::invalid_argument(what); };
  if (options.jobs == 0) throw bad("jobs: at least 1 transfer at a time");
  if (options.connect_timeout.count() < 0) throw bad("connect timeout: negative");
  if (options.low_speed_limit < 0) throw bad("low speed limit: negative");
  if (options.low_speed_time.count() < 0) throw bad("low speed time: negative");
  if (options.max_redirects < 0) throw bad("max redirects: negative");
  if (options.retry_delay.count() < 0) throw bad("retry delay: negative");
  if (options.snapshot_interval.count() < 0) throw bad("snapshot interval: negative");
  const std::string dir = options.dir.string();
  if (dir.empty()) throw bad("dir: empty");
  std::error_code error;
  const auto status = std::filesystem::status(options.dir, error);
  if (status.type() == std::filesystem::file_type::not_found) throw bad("dir: '" + dir + "' does not exist");
  if (error) throw bad("dir: '" + dir + "': " + error.message());
  if (status.type() != std::filesystem::file_type::directory)
    throw bad("dir: '" + dir + "' is not a directory");
  // access() asks with the real ids, which are the ones a command-line tool runs with.
  if (access(options.dir.c_str(), W_OK | X_OK) != 0) {
    throw bad("dir: '" + dir +
              "' is not writable: " + std::error_code(errno, std::generic_category()).message());
  }
}

}  // namespace handoff::fetch
