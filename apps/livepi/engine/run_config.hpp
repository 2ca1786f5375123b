// livepi's run configuration: what to compute, with which backend, how fast to report.
#pragma once

#include "resume_point.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handoff::livepi {

enum class backend_kind { processes, threads, sequential };

/// "processes", "threads", "sequential".
std::string_view to_string(backend_kind kind) noexcept;

struct run_config {
  std::uint64_t points = 0;              // 0: no total; run until the duration ends or a stop
  std::chrono::nanoseconds duration{0};  // 0: no time limit
  unsigned workers = 1;                  // worker threads or processes (sequential: 1)
  backend_kind backend = backend_kind::processes;
  std::uint64_t batch = std::uint64_t{1} << 24;  // points per lease
  std::uint64_t seed = 0;
  double fault_rate = 0;                          // processes only: crash probability per range
  std::string worker_program = "/proc/self/exe";  // processes: the program each worker runs
  std::vector<std::string> worker_arguments;      // processes: its arguments after argv[0]
  std::chrono::nanoseconds publish_interval = std::chrono::milliseconds(33);  // about 30 snapshots a second
  std::chrono::nanoseconds heartbeat_timeout = std::chrono::seconds(2);  // processes: silent this long = hung
  std::optional<resume_point>
      resume_from;  // go on from a stopped run of the same seed (its last snapshot's resume)
};

}  // namespace handoff::livepi
