#include "process_backend.hpp"

#include "protocol.hpp"

#include <handoff/procs/worker_pool.hpp>

#include <deque>
#include <vector>

namespace handoff::livepi::detail {

namespace {

// Two leases per worker: one it computes, one already waiting, so a worker
// never idles through a round trip.
constexpr std::size_t leases_per_worker = 2;

class lease_dispatcher final : public procs::worker_handler {
 public:
  lease_dispatcher(const run_config& config, run_tracker& tracker, procs::worker_pool& pool)
      : config_(config), tracker_(tracker), pool_(pool), held_(config.workers) {}

  void on_started(std::size_t worker, pid_t pid) override {
    auto& status = tracker_.worker(static_cast<unsigned>(worker));
    status.pid = pid;
    status.state = worker_state::running;
    feed(worker);
  }

  void on_restarted(std::size_t worker, pid_t pid, unsigned restarts) override {
    auto& status = tracker_.worker(static_cast<unsigned>(worker));
    status.pid = pid;
    status.state = worker_state::restarted;
    status.restarts = restarts;
    tracker_.count_restart();
    feed(worker);
  }

  void on_message(std::size_t worker, procs::message_type type, std::span<const std::byte> payload) override {
    if (type != protocol::result_type) return;
    const auto result = protocol::decode_result(payload);
    if (!result) return;
    auto& held = held_[worker];
    std::erase(held, result->lease_id);
    tracker_.complete(static_cast<unsigned>(worker), result->lease_id, result->inside);
    feed(worker);
  }

  void on_exited(std::size_t worker, pid_t /*pid*/, const procs::exit_info& how) override {
    auto& status = tracker_.worker(static_cast<unsigned>(worker));
    status.state = how.during_stop ? worker_state::stopped : worker_state::crashed;
    status.pid = 0;
    if (!how.during_stop) status.last_exit = how.text;
    // Its ranges go back to the book and, at once, to workers that can take them.
    for (const auto id : held_[worker]) tracker_.book().reclaim(id);
    held_[worker].clear();
    if (!stopping_) {
      for (std::size_t other = 0; other < held_.size(); ++other) {
        if (other != worker) feed(other);
      }
    }
  }

  void on_spawn_failed(std::size_t worker, std::error_code error) override {
    tracker_.worker(static_cast<unsigned>(worker)).last_exit = "cannot start: " + error.message();
  }

  void stopping() noexcept { stopping_ = true; }

 private:
  void feed(std::size_t worker) {
    if (stopping_ || pool_.pid(worker) == 0) return;
    auto& held = held_[worker];
    while (held.size() < leases_per_worker) {
      const auto next = tracker_.book().next();
      if (!next) return;
      const protocol::lease_message message{next->id, next->range, config_.seed, config_.fault_rate};
      if (!pool_.send(worker, protocol::lease_type, protocol::encode(message))) {
        tracker_.book().reclaim(next->id);
        return;
      }
      held.push_back(next->id);
    }
  }

  const run_config& config_;
  run_tracker& tracker_;
  procs::worker_pool& pool_;
  std::vector<std::deque<std::uint64_t>> held_;  // lease ids each worker holds
  bool stopping_ = false;
};

}  // namespace

void run_processes(const run_config& config, run_tracker& tracker, const std::stop_token& stop) {
  procs::worker_pool_options options;
  options.program = config.worker_program;
  options.arguments = config.worker_arguments;
  options.workers = config.workers;
  options.heartbeat_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.heartbeat_timeout);
  options.heartbeat_interval = std::max(std::chrono::milliseconds(10), options.heartbeat_timeout / 10);
  procs::worker_pool pool(options);
  lease_dispatcher dispatcher(config, tracker, pool);
  const std::stop_callback wake_on_stop(
      stop, [&pool] { pool.wake(); });  // wake() is async-signal-safe, so safe here

  pool.start();
  while (!stop.stop_requested() && !tracker.done()) {
    pool.run_once(std::min(tracker.next_publish(), tracker.deadline()), dispatcher);
    tracker.publish_if_due();
  }
  dispatcher.stopping();
  tracker.publish_now(run_state::stopping);
  // Well inside the 200 ms the program promises: ask, SIGTERM at 75 ms, SIGKILL at 120 ms.
  pool.stop(std::chrono::steady_clock::now() + std::chrono::milliseconds(150), dispatcher);
}

}  // namespace handoff::livepi::detail
