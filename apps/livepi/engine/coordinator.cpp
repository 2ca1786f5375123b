#include "coordinator.hpp"

#include "process_backend.hpp"
#include "run_tracker.hpp"

#include <handoff/channel.hpp>
#include <handoff/thread_registry.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace handoff::livepi {

namespace {

void run_sequential(const run_config& config, detail::run_tracker& tracker, const std::stop_token& stop) {
  auto& me = tracker.worker(0);
  me.state = worker_state::running;
  while (!stop.stop_requested() && !tracker.done()) {
    const auto next = tracker.book().next();
    if (!next) break;
    const auto inside = detail::count_range(config.seed, next->range, stop);
    if (!inside) break;
    tracker.complete(0, next->id, *inside);
    tracker.publish_if_due();
  }
  me.state = worker_state::stopped;
}

void run_threads(const run_config& config, detail::run_tracker& tracker, const std::stop_token& stop) {
  struct result {
    unsigned worker;
    std::uint64_t lease_id;
    std::uint64_t inside;
  };
  const std::size_t in_flight_limit =
      2 * std::size_t{config.workers};  // one computing, one queued, per worker
  channel<lease> leases(in_flight_limit);
  channel<result> results(in_flight_limit);
  std::stop_source workers_stop;

  std::vector<std::jthread> workers;
  workers.reserve(config.workers);
  for (unsigned id = 0; id < config.workers; ++id) {
    tracker.worker(id).state = worker_state::running;
    workers.emplace_back([&, id, token = workers_stop.get_token()] {
      const thread_registration registration("livepi-t" + std::to_string(id));
      while (auto next = leases.receive(token)) {
        const thread_activity activity("counting a range");
        const auto inside = detail::count_range(config.seed, next->range, token);
        if (!inside) break;
        if (!results.send(result{id, next->id, *inside}, token)) break;
      }
    });
  }

  std::size_t in_flight = 0;
  auto feed = [&] {
    while (in_flight < in_flight_limit) {
      auto next = tracker.book().next();
      if (!next) return;
      // Cannot fail: the channel holds at most in_flight_limit leases and fewer are out.
      leases.try_send(std::move(*next));
      ++in_flight;
    }
  };
  feed();
  while (!stop.stop_requested() && !tracker.done()) {
    const auto wake_at = std::min(tracker.next_publish(), tracker.deadline());
    const auto wait =
        std::max(wake_at - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
    if (auto r = results.receive_for(wait, stop)) {
      --in_flight;
      tracker.complete(r->worker, r->lease_id, r->inside);
      feed();
    }
    tracker.publish_if_due();
  }
  tracker.publish_now(run_state::stopping);
  workers_stop.request_stop();  // wakes receives and sends, and ends counting within one chunk
  leases.close();
  results.close();
  workers.clear();  // joins
  for (unsigned id = 0; id < config.workers; ++id) tracker.worker(id).state = worker_state::stopped;
}

}  // namespace

std::string_view to_string(backend_kind kind) noexcept {
  switch (kind) {
    case backend_kind::processes:
      return "processes";
    case backend_kind::threads:
      return "threads";
    case backend_kind::sequential:
      return "sequential";
  }
  return "?";
}

std::string_view to_string(worker_state state) noexcept {
  switch (state) {
    case worker_state::starting:
      return "starting";
    case worker_state::running:
      return "running";
    case worker_state::crashed:
      return "crashed";
    case worker_state::restarted:
      return "restarted";
    case worker_state::stopped:
      return "stopped";
  }
  return "?";
}

std::string_view to_string(run_state state) noexcept {
  switch (state) {
    case run_state::running:
      return "running";
    case run_state::stopping:
      return "stopping";
    case run_state::finished:
      return "finished";
  }
  return "?";
}

void validate(const run_config& config) {
  if (config.workers == 0) throw std::invalid_argument("workers must be at least 1");
  if (config.batch == 0) throw std::invalid_argument("batch must be at least 1");
  if (config.fault_rate < 0 || config.fault_rate >= 1)
    throw std::invalid_argument("fault rate must be in [0, 1)");
  if (config.fault_rate > 0 && config.backend != backend_kind::processes) {
    throw std::invalid_argument("a fault rate needs the processes backend (threads cannot crash alone)");
  }
  if (config.resume_from) {
    if (config.resume_from->seed != config.seed)
      throw std::invalid_argument("resume point: it belongs to another seed");
    lease_book check(config.points, config.batch);
    check.resume(*config.resume_from);  // throws for a point that does not fit this run
  }
}

coordinator::coordinator(run_config config, publisher publish)
    : config_(std::move(config)), publish_(std::move(publish)) {
  validate(config_);
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

coordinator::~coordinator() {
  request_stop();
  join();
}

void coordinator::request_stop() noexcept { thread_.request_stop(); }

void coordinator::join() {
  if (thread_.joinable()) thread_.join();
}

void coordinator::run(const std::stop_token& stop) {
  const thread_registration registration("livepi-coord");
  detail::run_tracker tracker(config_, publish_);
  tracker.publish_now(run_state::running);
  try {
    switch (config_.backend) {
      case backend_kind::sequential:
        run_sequential(config_, tracker, stop);
        break;
      case backend_kind::threads:
        run_threads(config_, tracker, stop);
        break;
      case backend_kind::processes:
        detail::run_processes(config_, tracker, stop);
        break;
    }
  } catch (const std::exception& e) {
    tracker.set_error(e.what());
  }
  tracker.publish_now(run_state::finished);
}

}  // namespace handoff::livepi
