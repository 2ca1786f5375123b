// worker_pool under faults: workers that are killed, crash, hang, stop, exit,
// send garbage, or die at once; each is reported once and replaced.
#include "pool_test_support.hpp"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace handoff::procs::testing {
namespace {

// Starts the pool and waits until every slot has reported its first process.
void start_and_wait(worker_pool& pool, recorder& events) {
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == pool.size(); }));
}

// Sends an echo to `worker` and waits for it to come back: the worker serves.
void expect_echo(worker_pool& pool, recorder& events, std::size_t worker, const std::string& text) {
  const std::size_t before = events.count(echo);
  ASSERT_TRUE(pool.send(worker, echo, as_payload(text)));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.count(echo) == before + 1; }));
  EXPECT_EQ(events.messages.back().worker, worker);
  EXPECT_EQ(events.messages.back().payload, text);
}

TEST(WorkerPoolFaults, AWorkerKilledFromOutsideIsReportedOnceAndReplaced) {
  worker_pool pool(test_options(2));
  recorder events;
  start_and_wait(pool, events);
  const pid_t victim = pool.pid(0);
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts_of(0) == 2; }));

  ASSERT_EQ(events.exits.size(), 1u);
  const recorded_exit& exit = events.exits[0];
  EXPECT_EQ(exit.worker, 0u);
  EXPECT_EQ(exit.pid, victim);
  EXPECT_EQ(exit.how.reason, exit_reason::signaled) << exit.how.text;
  EXPECT_EQ(exit.how.signal, SIGKILL);
  EXPECT_EQ(exit.how.code, -1);
  EXPECT_FALSE(exit.how.during_stop);
  EXPECT_NE(exit.how.text.find("signal 9"), std::string::npos) << exit.how.text;

  const recorded_start& replacement = events.starts.back();
  EXPECT_EQ(replacement.worker, 0u);
  EXPECT_EQ(replacement.restarts, 1u);
  EXPECT_NE(replacement.pid, victim);
  EXPECT_EQ(pool.pid(0), replacement.pid);
  EXPECT_EQ(pool.restarts(0), 1u);
  EXPECT_EQ(pool.restarts(1), 0u);

  expect_echo(pool, events, 0, "replacement serves");
  expect_echo(pool, events, 1, "the other worker was untouched");
  EXPECT_EQ(events.exits_of(victim), 1u);
  EXPECT_EQ(events.exits.size(), 1u);
  EXPECT_EQ(events.starts_of(1), 1u);
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
  EXPECT_EQ(events.exits_of(victim), 1u);
  EXPECT_TRUE(no_children_left());
}

TEST(WorkerPoolFaults, AStoppedWorkerIsFoundByItsSilenceAndReplaced) {
  worker_pool_options options = test_options(2);
  options.heartbeat_timeout = 1000ms;
  worker_pool pool(options);
  recorder events;
  start_and_wait(pool, events);
  const pid_t victim = pool.pid(1);
  const auto stopped_at = steady::now();
  ASSERT_EQ(::kill(victim, SIGSTOP), 0);
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts_of(1) == 2; }));

  ASSERT_EQ(events.exits_of(victim), 1u);
  const recorded_exit& exit = events.exits.front();
  EXPECT_EQ(exit.worker, 1u);
  EXPECT_EQ(exit.how.reason, exit_reason::hung) << exit.how.text;
  EXPECT_EQ(exit.how.signal, SIGKILL);
  EXPECT_NE(exit.how.text.find("hung"), std::string::npos) << exit.how.text;
  // Its last heartbeat came at most one interval before the stop.
  EXPECT_GE(exit.at - stopped_at, options.heartbeat_timeout - options.heartbeat_interval - 10ms);
  expect_echo(pool, events, 1, "replacement serves");
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
  EXPECT_TRUE(no_children_left());
}

TEST(WorkerPoolFaults, AWorkerThatStopsBeatingIsKilledAsHung) {
  worker_pool_options options = test_options(1, {"--manual-heartbeats"});
  options.heartbeat_timeout = 1000ms;
  worker_pool pool(options);
  recorder events;
  start_and_wait(pool, events);
  expect_echo(pool, events, 0, "manual heartbeats keep it alive");
  const pid_t victim = pool.pid(0);
  ASSERT_TRUE(pool.send(0, hang, {}));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts_of(0) == 2; }));
  ASSERT_EQ(events.exits.size(), 1u);
  EXPECT_EQ(events.exits[0].pid, victim);
  EXPECT_EQ(events.exits[0].how.reason, exit_reason::hung) << events.exits[0].how.text;
  EXPECT_EQ(events.exits[0].how.signal, SIGKILL);
}

TEST(WorkerPoolFaults, AnExitCodeIsReported) {
  worker_pool pool(test_options(1));
  recorder events;
  start_and_wait(pool, events);
  const pid_t pid = pool.pid(0);
  ASSERT_TRUE(pool.send(0, exit_with, as_payload("7")));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts_of(0) == 2; }));
  ASSERT_EQ(events.exits.size(), 1u);
  EXPECT_EQ(events.exits[0].pid, pid);
  EXPECT_EQ(events.exits[0].how.reason, exit_reason::exited);
  EXPECT_EQ(events.exits[0].how.code, 7);
  EXPECT_EQ(events.exits[0].how.signal, 0);
  EXPECT_EQ(events.exits[0].how.text, "exited with code 7");
}

TEST(WorkerPoolFaults, AnAbortIsReportedAsSigabrt) {
  worker_pool pool(test_options(1));
  recorder events;
  start_and_wait(pool, events);
  ASSERT_TRUE(pool.send(0, abort_now, {}));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts_of(0) == 2; }));
  ASSERT_EQ(events.exits.size(), 1u);
  EXPECT_EQ(events.exits[0].how.reason, exit_reason::signaled) << events.exits[0].how.text;
  EXPECT_EQ(events.exits[0].how.signal, SIGABRT);
  expect_echo(pool, events, 0, "replacement serves");
}

TEST(WorkerPoolFaults, ASegfaultIsReportedAsSigsegv) {
  worker_pool pool(test_options(1));
  recorder events;
  start_and_wait(pool, events);
  ASSERT_TRUE(pool.send(0, segfault, {}));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts_of(0) == 2; }));
  ASSERT_EQ(events.exits.size(), 1u);
  EXPECT_EQ(events.exits[0].how.reason, exit_reason::signaled) << events.exits[0].how.text;
  EXPECT_EQ(events.exits[0].how.signal, SIGSEGV);
  expect_echo(pool, events, 0, "replacement serves");
}

class CorruptFrame : public ::testing::TestWithParam<const char*> {};

TEST_P(CorruptFrame, EndsThatWorkerOnlyAsAProtocolError) {
  worker_pool pool(test_options(2));
  recorder events;
  start_and_wait(pool, events);
  const pid_t culprit = pool.pid(0);
  ASSERT_TRUE(pool.send(0, corrupt, as_payload(GetParam())));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts_of(0) == 2; }));
  ASSERT_EQ(events.exits.size(), 1u);
  const recorded_exit& exit = events.exits[0];
  EXPECT_EQ(exit.pid, culprit);
  EXPECT_EQ(exit.how.reason, exit_reason::protocol_error) << exit.how.text;
  EXPECT_EQ(exit.how.signal, SIGKILL);
  EXPECT_NE(exit.how.text.find("protocol error"), std::string::npos) << exit.how.text;
  EXPECT_TRUE(events.messages.empty()) << "the corrupt frame was delivered";
  expect_echo(pool, events, 1, "the other worker serves");
  expect_echo(pool, events, 0, "the replacement serves");
  EXPECT_EQ(events.starts_of(1), 1u);
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
}

INSTANTIATE_TEST_SUITE_P(EveryKind, CorruptFrame,
                         ::testing::Values("magic", "version", "flags", "crc", "oversize", "reserved"));

TEST(WorkerPoolFaults, AnUnfinishedFrameAtExitIsReportedWithTheExitNotAsAProtocolError) {
  worker_pool_options options = test_options(1, {"--manual-heartbeats"});
  options.restart = false;
  worker_pool pool(options);
  recorder events;
  start_and_wait(pool, events);
  ASSERT_TRUE(pool.send(0, half_frame_exit, {}));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.exits.size() == 1; }));
  EXPECT_EQ(events.exits[0].how.reason, exit_reason::exited) << events.exits[0].how.text;
  EXPECT_EQ(events.exits[0].how.code, 0);
  EXPECT_NE(events.exits[0].how.text.find("unfinished frame"), std::string::npos) << events.exits[0].how.text;
  EXPECT_TRUE(events.messages.empty());
}

TEST(WorkerPoolFaults, AWorkerThatDiesAtOnceIsRestartedWithGrowingDelays) {
  worker_pool_options options = test_options(1, {"--exit-at-once", "3"});
  options.restart_delay = 40ms;
  options.max_restart_delay = 320ms;
  options.stable_after = 10s;
  worker_pool pool(options);
  recorder events;
  pool.start();
  constexpr std::size_t starts = 8;
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == starts; }));
  for (const recorded_exit& e : events.exits) {
    EXPECT_EQ(e.how.reason, exit_reason::exited);
    EXPECT_EQ(e.how.code, 3);
  }
  // Start k follows death k, which waits 0, 40, 80, 160, 320, 320, ... ms.
  const std::chrono::milliseconds expected[] = {0ms, 0ms, 40ms, 80ms, 160ms, 320ms, 320ms, 320ms};
  for (std::size_t k = 1; k < starts; ++k) {
    const auto gap = events.starts[k].at - events.starts[k - 1].at;
    EXPECT_GE(gap, expected[k]) << "restart " << k;
    EXPECT_EQ(events.starts[k].restarts, k);
  }
  // Without the backoff, 8 starts of a program that exits at once take a few ms.
  EXPECT_GE(events.starts.back().at - events.starts.front().at, 1240ms);
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
  EXPECT_TRUE(no_children_left());
}

TEST(WorkerPoolFaults, AWorkerThatLivedLongEnoughIsReplacedAtOnce) {
  worker_pool_options options = test_options(1);
  options.restart_delay = 1000ms;
  options.max_restart_delay = 1000ms;
  options.stable_after = 0ms;  // every death counts as after a long life
  worker_pool pool(options);
  recorder events;
  start_and_wait(pool, events);
  for (unsigned round = 1; round <= 4; ++round) {
    ASSERT_TRUE(pool.send(0, exit_with, as_payload("1")));
    ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == round + 1; }));
    const auto gap = events.starts.back().at - events.exits.back().at;
    EXPECT_LT(gap, 900ms) << "round " << round << " waited for the backoff";
  }
}

TEST(WorkerPoolFaults, AReplacementThatCannotBeSpawnedIsReportedAndRetried) {
  const std::filesystem::path copy =
      std::filesystem::temp_directory_path() / ("handoff-test-worker-" + std::to_string(::getpid()));
  std::filesystem::copy_file(HANDOFF_TEST_WORKER, copy, std::filesystem::copy_options::overwrite_existing);
  worker_pool_options options = test_options(1);
  options.program = copy.string();
  options.restart_delay = 50ms;
  worker_pool pool(options);
  struct failures : recorder {
    std::vector<std::error_code> errors;
    void on_spawn_failed(std::size_t, std::error_code error) override { errors.push_back(error); }
  } events;
  start_and_wait(pool, events);
  std::filesystem::remove(copy);
  ASSERT_EQ(::kill(pool.pid(0), SIGKILL), 0);
  ASSERT_TRUE(run_until(pool, events, [&] { return !events.errors.empty(); }));
  EXPECT_EQ(events.errors[0], std::errc::no_such_file_or_directory);
  EXPECT_EQ(pool.pid(0), 0);
  std::filesystem::copy_file(HANDOFF_TEST_WORKER, copy);
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 2; }));
  expect_echo(pool, events, 0, "spawned once the program was back");
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
  std::filesystem::remove(copy);
}

TEST(WorkerPoolFaults, StopDuringABackoffLeavesNothingBehind) {
  worker_pool_options options = test_options(2, {"--exit-at-once", "1"});
  options.restart_delay = 5000ms;
  options.max_restart_delay = 5000ms;
  worker_pool pool(options);
  recorder events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.exits.size() >= 4; }));
  const auto begin = steady::now();
  EXPECT_TRUE(pool.stop(begin + 5s, events));
  EXPECT_LT(steady::now() - begin, 4s);
  EXPECT_EQ(pool.running(), 0u);
  EXPECT_EQ(events.starts.size(), events.exits.size());
  EXPECT_TRUE(no_children_left());
}

}  // namespace
}  // namespace handoff::procs::testing
