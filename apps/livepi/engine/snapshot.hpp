// livepi's snapshot: everything a front end shows, as one value.
//
// The coordinator publishes snapshots through a coalescing mailbox; front ends
// read them and nothing else: they never touch workers.
#pragma once

#include "estimate.hpp"
#include "run_config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace handoff::livepi {

enum class worker_state { starting, running, crashed, restarted, stopped };
enum class run_state { running, stopping, finished };

std::string_view to_string(worker_state state) noexcept;
std::string_view to_string(run_state state) noexcept;

struct worker_status {
  unsigned id = 0;
  long pid = 0;  // 0 for threads
  worker_state state = worker_state::starting;
  std::uint64_t ranges_done = 0;
  std::uint64_t points_done = 0;
  double rate = 0;  // points per second since the run began
  unsigned restarts = 0;
  std::string last_exit;  // how its previous process ended ("SIGKILL", "exit 3", "hung"), if it was replaced
};

struct snapshot {
  run_state state = run_state::running;
  backend_kind backend = backend_kind::threads;
  std::uint64_t seed = 0;
  std::uint64_t target_points = 0;  // 0 when unbounded
  std::uint64_t points = 0;
  std::uint64_t inside = 0;
  double elapsed_seconds = 0;
  double rate = 0;  // points per second
  unsigned workers_alive = 0;
  unsigned restarts = 0;
  std::vector<worker_status> workers;
  std::optional<resume_point>
      resume;         // in the last snapshot of a run stopped before its total: where to go on from
  std::string error;  // set when the run could not go on (a worker program that cannot start, ...)

  [[nodiscard]] livepi::estimate result() const noexcept { return estimate::from_count(inside, points); }
};

}  // namespace handoff::livepi
