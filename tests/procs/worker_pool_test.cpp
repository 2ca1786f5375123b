// worker_pool: starting, talking, stopping, and the rules of its API.
#include "handoff/errors.hpp"
#include "handoff/procs/os_error.hpp"
#include "pool_test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace handoff::procs::testing {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(WorkerPool, ReportsEveryWorkerStartedOnceWithItsPid) {
  worker_pool pool(test_options(3));
  recorder events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 3; }));
  std::set<pid_t> pids;
  for (const recorded_start& s : events.starts) {
    EXPECT_EQ(s.restarts, 0u);
    EXPECT_EQ(pool.pid(s.worker), s.pid);
    pids.insert(s.pid);
  }
  EXPECT_EQ(pids.size(), 3u);
  EXPECT_EQ(pool.running(), 3u);

  for (std::size_t i = 0; i < 3; ++i) ASSERT_TRUE(pool.send(i, report_ids, {}));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.count(report_ids) == 3; }));
  for (const recorded_message& m : events.messages) {
    std::istringstream ids(m.payload);
    long pid = 0, parent = 0, id = 0;
    ids >> pid >> parent >> id;
    EXPECT_EQ(pid, pool.pid(m.worker));
    EXPECT_EQ(parent, ::getpid());
    EXPECT_EQ(static_cast<std::size_t>(id), m.worker);
  }
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
}

TEST(WorkerPool, EchoesMessagesInOrderPerWorker) {
  worker_pool pool(test_options(2));
  recorder events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 2; }));
  constexpr int count = 200;
  for (int i = 0; i < count; ++i) {
    for (std::size_t w = 0; w < 2; ++w) {
      const std::string text = std::to_string(w) + ":" + std::to_string(i);
      ASSERT_TRUE(pool.send(w, echo, as_payload(text)));
    }
  }
  ASSERT_TRUE(run_until(pool, events, [&] { return events.count(echo) == 2 * count; }));
  std::array<int, 2> next{0, 0};
  for (const recorded_message& m : events.messages) {
    ASSERT_EQ(m.type, echo);
    EXPECT_EQ(m.payload, std::to_string(m.worker) + ":" + std::to_string(next[m.worker]));
    ++next[m.worker];
  }
  EXPECT_TRUE(events.exits.empty());
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
}

TEST(WorkerPool, LargestPayloadRoundTrips) {
  worker_pool_options options = test_options(1);
  options.max_payload = 256 << 10;
  worker_pool pool(options);
  recorder events;
  pool.start();
  std::string big(options.max_payload, 'x');
  for (std::size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(pool.send(0, echo, as_payload(big)));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.count(echo) == 1; }));
  EXPECT_EQ(events.messages.front().payload, big);
  EXPECT_TRUE(events.exits.empty());
}

TEST(WorkerPool, StopAsksFirstAndWellBehavedWorkersExitByThemselves) {
  worker_pool pool(test_options(2));
  recorder events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 2; }));
  const auto begin = steady::now();
  ASSERT_TRUE(pool.stop(begin + 10s, events));
  EXPECT_LT(steady::now() - begin, 5s) << "the workers waited for SIGTERM";
  ASSERT_EQ(events.exits.size(), 2u);
  for (const recorded_exit& e : events.exits) {
    EXPECT_EQ(e.how.reason, exit_reason::exited) << e.how.text;
    EXPECT_EQ(e.how.code, 0);
    EXPECT_TRUE(e.how.during_stop);
  }
  EXPECT_EQ(pool.running(), 0u);
  EXPECT_FALSE(pool.started());
  EXPECT_TRUE(no_children_left());
}

TEST(WorkerPool, StopSendsSigtermToAWorkerThatIgnoresTheRequest) {
  worker_pool pool(test_options(1, {"--ignore-shutdown"}));
  recorder events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 1; }));
  const auto begin = steady::now();
  ASSERT_TRUE(pool.stop(begin + 2s, events));
  const auto took = steady::now() - begin;
  ASSERT_EQ(events.exits.size(), 1u);
  EXPECT_EQ(events.exits[0].how.reason, exit_reason::signaled) << events.exits[0].how.text;
  EXPECT_EQ(events.exits[0].how.signal, SIGTERM);
  EXPECT_TRUE(events.exits[0].how.during_stop);
  EXPECT_GE(took, 1s - 50ms) << "SIGTERM comes at half the time";
  EXPECT_TRUE(no_children_left());
}

TEST(WorkerPool, StopEscalatesToSigkillForAWorkerIgnoringSigterm) {
  worker_pool pool(test_options(2, {"--ignore-shutdown", "--ignore-term"}));
  recorder events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 2; }));
  const auto begin = steady::now();
  const auto deadline = begin + 2s;
  ASSERT_TRUE(pool.stop(deadline, events));
  EXPECT_LT(steady::now(), deadline + 500ms);
  ASSERT_EQ(events.exits.size(), 2u);
  for (const recorded_exit& e : events.exits) {
    EXPECT_EQ(e.how.reason, exit_reason::signaled) << e.how.text;
    EXPECT_EQ(e.how.signal, SIGKILL);
    EXPECT_TRUE(e.how.during_stop);
    EXPECT_GE(e.at - begin, 1600ms - 50ms) << "SIGKILL comes at four fifths of the time";
  }
  EXPECT_EQ(pool.running(), 0u);
  EXPECT_TRUE(no_children_left());
}

TEST(WorkerPool, AFloodingWorkerDoesNotDeadlockStop) {
  worker_pool pool(test_options(1));
  recorder events;
  pool.start();
  // 8 MiB: far more than a socket buffer holds, so the worker blocks in write
  // until the pool reads; stop() must keep reading for it to finish.
  constexpr int count = 2048;
  ASSERT_TRUE(pool.send(0, flood, as_payload(std::to_string(count) + " 4096")));
  const auto begin = steady::now();
  ASSERT_TRUE(pool.stop(begin + 20s, events));
  EXPECT_LT(steady::now() - begin, 10s) << "stop() waited for SIGTERM";
  EXPECT_EQ(events.count(flood_data), static_cast<std::size_t>(count));
  EXPECT_EQ(events.count(flood_done), 1u);
  ASSERT_EQ(events.exits.size(), 1u);
  EXPECT_EQ(events.exits[0].how.reason, exit_reason::exited) << events.exits[0].how.text;
  EXPECT_EQ(events.exits[0].how.code, 0);
  EXPECT_EQ(events.exits[0].messages_before, events.messages.size());
  EXPECT_TRUE(no_children_left());
}

TEST(WorkerPool, MessagesAWorkerSentBeforeItDiedArriveBeforeItsExit) {
  worker_pool_options options = test_options(1);
  options.restart = false;
  worker_pool pool(options);
  recorder events;
  pool.start();
  constexpr int count = 3000;
  ASSERT_TRUE(pool.send(0, last_words, as_payload(std::to_string(count) + " 5")));
  ASSERT_TRUE(run_until(pool, events, [&] { return !events.exits.empty(); }));
  ASSERT_EQ(events.exits.size(), 1u);
  EXPECT_EQ(events.exits[0].how.reason, exit_reason::exited);
  EXPECT_EQ(events.exits[0].how.code, 5);
  EXPECT_EQ(events.exits[0].messages_before, static_cast<std::size_t>(count));
  ASSERT_EQ(events.count(last_word), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i)
    EXPECT_EQ(events.messages[static_cast<std::size_t>(i)].payload, std::to_string(i));
}

TEST(WorkerPool, SendToAWorkerThatDoesNotReadNeverBlocksAndStaysBounded) {
  worker_pool_options options = test_options(1);
  options.max_payload = 64 << 10;
  options.max_send_buffer = 1 << 20;
  options.heartbeat_timeout = 60s;
  worker_pool pool(options);
  recorder events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 1; }));
  ASSERT_EQ(::kill(pool.pid(0), SIGSTOP), 0);
  const std::string chunk(options.max_payload, 's');
  const auto begin = steady::now();
  int accepted = 0;
  while (pool.send(0, echo, as_payload(chunk))) {
    ++accepted;
    ASSERT_LT(accepted, 10000) << "send() never refused";
  }
  EXPECT_LT(steady::now() - begin, 2s);
  EXPECT_GT(accepted, 0);
  EXPECT_LE(pool.pending_output(0), options.max_send_buffer);
  ASSERT_EQ(::kill(pool.pid(0), SIGCONT), 0);
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
  EXPECT_TRUE(no_children_left());
}

TEST(WorkerPool, WakeFromAnotherThreadEndsRunOnceEarly) {
  worker_pool pool(test_options(1));
  recorder events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 1; }));
  std::jthread waker([&] { pool.wake(); });
  const auto begin = steady::now();
  run_result result = run_result::events;
  while (result == run_result::events) result = pool.run_once(begin + 60s, events);
  EXPECT_EQ(result, run_result::woken);
  EXPECT_LT(steady::now() - begin, 30s);
}

TEST(WorkerPool, RunOnceTimesOutWhenNothingHappens) {
  worker_pool pool(test_options(1));
  recorder events;
  const auto begin = steady::now();
  EXPECT_EQ(pool.run_once(begin + 100ms, events), run_result::timed_out);
  EXPECT_GE(steady::now() - begin, 100ms);
}

TEST(WorkerPool, HeartbeatsAloneAreNotEvents) {
  worker_pool pool(test_options(1));
  recorder events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 1; }));
  // Several heartbeat intervals pass: run_once must wait them out, not return.
  const auto begin = steady::now();
  EXPECT_EQ(pool.run_once(begin + 300ms, events), run_result::timed_out);
  EXPECT_GE(steady::now() - begin, 300ms);
  EXPECT_TRUE(events.messages.empty());
}

TEST(WorkerPool, NoDescriptorOfTheParentLeaksIntoAWorker) {
  const std::filesystem::path marker =
      std::filesystem::temp_directory_path() / ("handoff-fd-marker-" + std::to_string(::getpid()));
  // Opened without O_CLOEXEC, as a careless library would.
  const int leaky = ::open(marker.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(leaky, 0);
  int leaky_pipe[2];
  ASSERT_EQ(::pipe(leaky_pipe), 0);

  worker_pool pool(test_options(2));
  recorder events;
  pool.start();
  for (std::size_t i = 0; i < 2; ++i) ASSERT_TRUE(pool.send(i, report_fds, {}));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.count(report_fds) == 2; }));

  const std::string pipe_target =
      std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(leaky_pipe[0]));
  std::set<std::string> parent_sockets;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (target.starts_with("socket:")) parent_sockets.insert(target);
  }
  std::set<std::string> worker_sockets;
  for (const recorded_message& m : events.messages) {
    std::set<int> fds;
    for (const std::string& line : split_lines(m.payload)) {
      const int fd = std::stoi(line.substr(0, line.find(' ')));
      const std::string target = line.substr(line.find(' ') + 1);
      fds.insert(fd);
      EXPECT_NE(target, marker.string()) << "the parent's file leaked as fd " << fd;
      EXPECT_NE(target, pipe_target) << "the parent's pipe leaked as fd " << fd;
      if (target.starts_with("socket:")) {
        EXPECT_EQ(fd, 3) << "a socket other than the worker's own: " << target;
        EXPECT_FALSE(parent_sockets.contains(target)) << "a socket of the parent: " << target;
        worker_sockets.insert(target);
      }
      if (fd == 0) {
        EXPECT_EQ(target, "/dev/null");
      }
    }
    EXPECT_EQ(fds, (std::set<int>{0, 1, 2, 3})) << m.payload;
  }
  EXPECT_EQ(worker_sockets.size(), 2u) << "each worker has a socket of its own";
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
  ::close(leaky);
  ::close(leaky_pipe[0]);
  ::close(leaky_pipe[1]);
  std::filesystem::remove(marker);
}

TEST(WorkerPool, DestroyingARunningPoolLeavesNoProcessBehind) {
  std::vector<pid_t> pids;
  {
    worker_pool pool(test_options(2, {"--ignore-shutdown", "--ignore-term"}));
    recorder events;
    pool.start();
    ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 2; }));
    pids = {pool.pid(0), pool.pid(1)};
  }
  EXPECT_TRUE(no_children_left());
  for (pid_t pid : pids) EXPECT_NE(::kill(pid, 0), 0) << "pid " << pid << " still exists";
}

TEST(WorkerPool, PoolCanStartAgainAfterStop) {
  worker_pool pool(test_options(1));
  recorder events;
  pool.start();
  ASSERT_TRUE(pool.stop(steady::now() + 5s, events));
  ASSERT_EQ(events.exits.size(), 1u);
  pool.start();
  ASSERT_TRUE(pool.send(0, echo, as_payload("again")));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.count(echo) == 1; }));
  EXPECT_EQ(events.starts.size(), 2u);
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
}

TEST(WorkerPool, StartedEventsWaitingAtStopAreStillDelivered) {
  worker_pool pool(test_options(2));
  recorder events;
  pool.start();
  ASSERT_TRUE(pool.stop(steady::now() + 5s, events));
  EXPECT_EQ(events.starts.size(), 2u);
  EXPECT_EQ(events.exits.size(), 2u);
}

TEST(WorkerPool, SendRefusesWhenTheSlotHasNoProcess) {
  worker_pool_options options = test_options(1);
  options.restart = false;
  worker_pool pool(options);
  recorder events;
  EXPECT_FALSE(pool.send(0, echo, as_payload("before start")));
  pool.start();
  ASSERT_TRUE(pool.send(0, exit_with, as_payload("0")));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.exits.size() == 1; }));
  EXPECT_FALSE(pool.send(0, echo, as_payload("after exit")));
  EXPECT_EQ(pool.pid(0), 0);
  EXPECT_EQ(pool.running(), 0u);
  EXPECT_EQ(pool.run_once(steady::now() + 200ms, events), run_result::timed_out)
      << "no restart when disabled";
  EXPECT_EQ(events.starts.size(), 1u);
}

TEST(WorkerPool, MisusedSendThrows) {
  worker_pool_options options = test_options(1);
  options.max_payload = 100;
  worker_pool pool(options);
  pool.start();
  EXPECT_THROW(pool.send(1, echo, {}), errors::invalid_argument);
  EXPECT_THROW(pool.send(0, shutdown_type, {}), errors::invalid_argument);
  EXPECT_THROW(pool.send(0, heartbeat_type, {}), errors::invalid_argument);
  EXPECT_THROW(pool.send(0, echo, as_payload(std::string(101, 'x'))), errors::invalid_argument);
  EXPECT_THROW(pool.start(), errors::invalid_argument);
  EXPECT_THROW((void)pool.pid(1), errors::invalid_argument);
}

TEST(WorkerPool, OptionsThatCannotWorkAreRefused) {
  auto refused = [](auto change) {
    worker_pool_options options = test_options(1);
    change(options);
    EXPECT_THROW(worker_pool{options}, errors::invalid_argument);
  };
  refused([](worker_pool_options& o) { o.program.clear(); });
  refused([](worker_pool_options& o) { o.workers = 0; });
  refused([](worker_pool_options& o) { o.heartbeat_interval = 0ms; });
  refused([](worker_pool_options& o) { o.heartbeat_timeout = o.heartbeat_interval; });
  refused([](worker_pool_options& o) { o.max_send_buffer = o.max_payload; });
  refused([](worker_pool_options& o) { o.max_restart_delay = o.restart_delay - 1ms; });
  refused([](worker_pool_options& o) { o.environment = {"NO_EQUALS_SIGN"}; });
}

TEST(WorkerPool, AMissingProgramFailsStartAndLeavesNoChild) {
  worker_pool_options options = test_options(3);
  options.program = "/nonexistent/handoff-worker";
  worker_pool pool(options);
  try {
    pool.start();
    FAIL() << "start() succeeded";
  } catch (const errors::os_error& error) {
    EXPECT_EQ(error.code(), std::errc::no_such_file_or_directory) << error.what();
  }
  EXPECT_FALSE(pool.started());
  EXPECT_EQ(pool.running(), 0u);
  EXPECT_TRUE(no_children_left());
}

TEST(WorkerPool, CallingRunOnceFromAHandlerIsRefused) {
  worker_pool pool(test_options(1));
  struct reentrant : recorder {
    worker_pool* pool = nullptr;
    bool refused = false;
    void on_started(std::size_t worker, pid_t pid) override {
      recorder::on_started(worker, pid);
      try {
        pool->run_once(steady::now(), *this);
      } catch (const errors::wrong_thread&) {
        refused = true;
      }
      // send() is allowed from a handler.
      pool->send(worker, echo, as_payload("from a handler"));
    }
  } events;
  events.pool = &pool;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.count(echo) == 1; }));
  EXPECT_TRUE(events.refused);
}

TEST(WorkerPool, AHandlerThatThrowsLosesNoLaterEvent) {
  worker_pool pool(test_options(1));
  struct throws_once : recorder {
    bool thrown = false;
    void on_message(std::size_t worker, message_type type, std::span<const std::byte> payload) override {
      recorder::on_message(worker, type, payload);
      if (!thrown) {
        thrown = true;
        throw std::runtime_error("handler failed");
      }
    }
  } events;
  pool.start();
  ASSERT_TRUE(run_until(pool, events, [&] { return events.starts.size() == 1; }));
  for (const char* text : {"one", "two", "three"}) ASSERT_TRUE(pool.send(0, echo, as_payload(text)));
  bool caught = false;
  const auto deadline = steady::now() + 20s;
  while (events.messages.size() < 3 && steady::now() < deadline) {
    try {
      pool.run_once(deadline, events);
    } catch (const std::runtime_error&) {
      caught = true;
    }
  }
  EXPECT_TRUE(caught);
  ASSERT_EQ(events.messages.size(), 3u);
  EXPECT_EQ(events.messages[0].payload, "one");
  EXPECT_EQ(events.messages[1].payload, "two");
  EXPECT_EQ(events.messages[2].payload, "three");
  EXPECT_TRUE(pool.stop(steady::now() + 5s, events));
}

TEST(WorkerPool, ExtraEnvironmentReachesTheWorkerButNeverReplacesThePoolsOwn) {
  worker_pool_options options = test_options(1);
  options.environment = {"HANDOFF_TEST_EXTRA=hello", "HANDOFF_WORKER_ID=99"};
  worker_pool pool(options);
  recorder events;
  pool.start();
  ASSERT_TRUE(pool.send(0, report_env, as_payload("HANDOFF_TEST_EXTRA")));
  ASSERT_TRUE(pool.send(0, report_env, as_payload("HANDOFF_WORKER_ID")));
  ASSERT_TRUE(run_until(pool, events, [&] { return events.count(report_env) == 2; }));
  EXPECT_EQ(events.messages[0].payload, "hello");
  EXPECT_EQ(events.messages[1].payload, "0");
}

}  // namespace
}  // namespace handoff::procs::testing
