// handoff::errors::os_error: a system call procs needed failed.
//
// procs throws it when the operating system refuses what the pool needs to
// work at all: a socket pair, an eventfd, a posix_spawn of the worker program
// (a missing or non-executable file), a pidfd. It joins handoff's errors
// family, so catching errors::error catches it too, and it keeps the errno as
// a std::error_code. A plain value with no thread contract of its own.
#pragma once

#include "handoff/errors.hpp"

#include <string>
#include <string_view>
#include <system_error>

namespace handoff::errors {

class os_error : public error {
 public:
  /// "handoff: <what_failed>: <strerror(error_number)>". Any thread.
  os_error(std::string_view what_failed, int error_number)
      : error("handoff: " + std::string(what_failed) + ": " + std::system_category().message(error_number)),
        code_(error_number, std::system_category()) {}

  /// The errno the call failed with. Any thread.
  [[nodiscard]] std::error_code code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

}  // namespace handoff::errors
