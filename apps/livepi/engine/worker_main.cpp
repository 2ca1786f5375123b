#include "worker_main.hpp"

#include "protocol.hpp"
#include "run_tracker.hpp"

#include <handoff/procs/worker_session.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace handoff::livepi {

namespace {
// A crash for real, as the resilient-coordinator exercise asks: the process
// dies by a signal the pool must notice, not by a polite exit.
[[noreturn]] void crash(std::mt19937_64& random) {
  if (random() % 2 == 0) std::abort();
  std::raise(SIGSEGV);
  std::abort();  // not reached: SIGSEGV's default action ends the process
}
}  // namespace

int worker_main() {
  if (!procs::worker_session::launched_by_pool()) {
    std::fprintf(stderr, "livepi: __worker is internal: it runs as a worker process of livepi\n");
    return 2;
  }
  // Injected crashes must not leave a core file each.
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);

  procs::worker_session session;
  std::mt19937_64 fault_random(std::random_device{}() ^ static_cast<std::uint64_t>(getpid()));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  while (auto message = session.receive()) {
    if (message->type != protocol::lease_type) continue;
    const auto lease = protocol::decode_lease(message->payload);
    if (!lease) {
      std::fprintf(stderr, "livepi worker: malformed lease (%zu bytes)\n", message->payload.size());
      return 3;
    }
    const auto inside = detail::count_range(lease->seed, lease->range, session.stop_token());
    if (!inside) break;
    if (lease->fault_rate > 0 && unit(fault_random) < lease->fault_rate) crash(fault_random);
    const auto payload = protocol::encode(protocol::result_message{lease->lease_id, *inside});
    if (!session.send(protocol::result_type, payload)) break;
  }
  return 0;
}

}  // namespace handoff::livepi
