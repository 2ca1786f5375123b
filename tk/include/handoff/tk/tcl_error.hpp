// handoff::tk::tcl_error: a Tcl command called from C++ failed.
//
// What it is: what interp::call throws when Tcl returns TCL_ERROR, carrying
// Tcl's message (what()) and its stack trace (error_info()). It belongs to the
// handoff::errors family, so catching handoff::errors::error catches it too.
//
// Threads: a plain value; it may be rethrown on any thread.
#pragma once

#include "handoff/errors.hpp"

#include <string>
#include <utility>

namespace handoff::tk {

class tcl_error : public errors::error {
 public:
  /// Any thread.
  explicit tcl_error(const std::string& message, std::string error_info = {})
      : errors::error(message), error_info_(std::move(error_info)) {}

  /// Tcl's -errorinfo: the message followed by the Tcl stack trace (may be empty). Any thread.
  [[nodiscard]] const std::string& error_info() const noexcept { return error_info_; }

 private:
  std::string error_info_;
};

}  // namespace handoff::tk
