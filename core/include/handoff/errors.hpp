// handoff::errors: the small family of exceptions handoff throws.
//
// Misuse and "cannot deliver" conditions throw one of these; "will not run" is
// reported as a bool instead (post, try_send, ...). Every type derives from
// handoff::errors::error so a caller can catch the whole family at once.
#pragma once

#include <stdexcept>
#include <string>

namespace handoff::errors {

/// Base of every exception handoff throws.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The loop is closed, or closed while the caller waited: the call cannot complete.
class loop_closed : public error {
 public:
  loop_closed() : error("handoff: the loop is closed") {}
};

/// A timed wait (invoke_for, ...) expired before the result arrived.
class timeout : public error {
 public:
  timeout() : error("handoff: timed out") {}
};

/// Work observed a stop request; a job that throws this ends as cancelled.
class cancelled : public error {
 public:
  cancelled() : error("handoff: cancelled") {}
};

/// A call was made from a thread its contract forbids (for example pump off the loop thread).
class wrong_thread : public error {
 public:
  explicit wrong_thread(const std::string& what) : error("handoff: wrong thread: " + what) {}
};

/// An argument broke a documented precondition (zero capacity, negative interval, ...).
class invalid_argument : public error {
 public:
  explicit invalid_argument(const std::string& what) : error("handoff: invalid argument: " + what) {}
};

}  // namespace handoff::errors
