#include "process_backend.hpp"

#include <stdexcept>

namespace handoff::livepi::detail {

void run_processes(const run_config& /*config*/, run_tracker& /*tracker*/, const std::stop_token& /*stop*/) {
  throw std::runtime_error("the processes backend is not built yet");
}

}  // namespace handoff::livepi::detail
