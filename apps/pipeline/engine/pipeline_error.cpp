#include "engine/pipeline_error.hpp"

#include <cstring>

namespace handoff::pipeline {

std::string describe_errno(int error) {
  // The GNU strerror_r returns the text (possibly not in buf); strerror itself may share a static buffer.
  char buffer[128];
  return strerror_r(error, buffer, sizeof buffer);
}

}  // namespace handoff::pipeline
