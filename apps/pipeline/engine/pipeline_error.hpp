// handoff::pipeline::pipeline_error: a run that cannot start or cannot finish, with the one line to show.
//
// Two kinds, because a caller acts differently on them: a usage error is
// found before any data moves (a missing input, an output that cannot be
// created, the input named as the output) and means "fix the command"; an I/O
// error happens while data moves (a full disk, a failing device) and means
// "the run failed; nothing was left behind".
#pragma once

#include <stdexcept>
#include <string>

namespace handoff::pipeline {

class pipeline_error : public std::runtime_error {
 public:
  enum class kind { usage, io };

  pipeline_error(kind k, const std::string& what) : std::runtime_error(what), kind_(k) {}

  [[nodiscard]] kind error_kind() const noexcept { return kind_; }

  /// The conventional exit status: 2 for a usage error, 1 for an I/O error.
  [[nodiscard]] int exit_status() const noexcept { return kind_ == kind::usage ? 2 : 1; }

 private:
  kind kind_;
};

/// strerror(error) as a std::string, without the thread-safety trap of strerror.
std::string describe_errno(int error);

}  // namespace handoff::pipeline
