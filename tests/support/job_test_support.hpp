// Small helpers shared by the job and job-group tests.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <stop_token>
#include <string>

namespace handoff::testing {

/// Blocks until the token is stopped (an interruptible wait, no polling).
inline void wait_for_stop(const std::stop_token& stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait(lock, stop, [] { return false; });
}

/// The what() of an exception_ptr, or "?" for a non-standard exception.
inline std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "?";
  }
}

}  // namespace handoff::testing
