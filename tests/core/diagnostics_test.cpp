// Behaviours of the thread registry, the SIGUSR1 thread dump and the stall watchdog.
#include "handoff/headless_loop.hpp"
#include "handoff/stall_watchdog.hpp"
#include "handoff/thread_registry.hpp"

#include <gtest/gtest.h>

#include <pthread.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <latch>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

std::string dump_to_string() {
  std::FILE* file = std::tmpfile();
  handoff::dump_threads(fileno(file));
  std::rewind(file);
  std::string text;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), file) != nullptr) text += buffer.data();
  std::fclose(file);
  return text;
}

TEST(thread_registry, a_registered_thread_carries_its_os_name_and_shows_in_the_dump) {
  std::latch registered(1);
  std::latch done(1);
  std::array<char, 16> os_name{};
  std::jthread worker([&] {
    const handoff::thread_registration registration("diag-worker");
    const handoff::thread_activity activity("crunching numbers", "batch 7");
    pthread_getname_np(pthread_self(), os_name.data(), os_name.size());
    registered.count_down();
    done.wait();
  });
  registered.wait();
  const std::string dump = dump_to_string();
  done.count_down();
  worker.join();
  EXPECT_STREQ(os_name.data(), "diag-worker");
  EXPECT_NE(dump.find("'diag-worker': crunching numbers [batch 7]"), std::string::npos) << dump;
  EXPECT_EQ(dump_to_string().find("diag-worker"), std::string::npos);  // gone once the thread ended
}

TEST(thread_registry, an_activity_scope_restores_the_previous_activity) {
  const handoff::thread_registration registration("diag-nested", /*set_os_name=*/false);
  {
    const handoff::thread_activity outer("outer work");
    {
      const handoff::thread_activity inner("inner work");
      EXPECT_NE(dump_to_string().find("'diag-nested': inner work"), std::string::npos);
    }
    EXPECT_NE(dump_to_string().find("'diag-nested': outer work"), std::string::npos);
  }
}

TEST(thread_registry, sigusr1_dumps_the_registered_threads_to_stderr) {
  const handoff::thread_registration registration("diag-signal", /*set_os_name=*/false);
  const handoff::thread_activity activity("waiting for a signal");
  handoff::install_thread_dump_signal(SIGUSR1);
  testing::internal::CaptureStderr();
  std::raise(SIGUSR1);  // handled synchronously on this thread before raise returns
  const std::string err = testing::internal::GetCapturedStderr();
  std::signal(SIGUSR1, SIG_DFL);
  EXPECT_NE(err.find("handoff: thread dump"), std::string::npos) << err;
  EXPECT_NE(err.find("'diag-signal': waiting for a signal"), std::string::npos) << err;
}

TEST(stall_watchdog, reports_a_pump_that_runs_past_the_threshold_once) {
  handoff::headless_loop ui;
  std::latch reported(1);
  std::atomic<int> reports{0};
  std::chrono::nanoseconds stalled_for{};
  handoff::stall_watchdog watchdog(ui, 30ms, [&](std::chrono::nanoseconds how_long) {
    stalled_for = how_long;
    if (reports.fetch_add(1) == 0) reported.count_down();
  });
  // stalls_reported() counts a report once it has returned; the latch fires inside it.
  // The task blocks until the watchdog has spoken: the stall is real and the wait is the synchronisation.
  ui.post([&] { reported.wait(); });
  ui.run_until_idle();
  EXPECT_GE(stalled_for, 30ms);
  ui.post([] {});
  ui.run_until_idle();  // a short pump afterwards is not a second stall
  EXPECT_EQ(reports.load(), 1);
  while (watchdog.stalls_reported() == 0) std::this_thread::yield();  // the report returns promptly
  EXPECT_EQ(watchdog.stalls_reported(), 1U);
}

TEST(stall_watchdog, the_default_report_names_the_stall_and_dumps_threads) {
  handoff::headless_loop ui;
  const handoff::thread_registration registration("diag-loop", /*set_os_name=*/false);
  testing::internal::CaptureStderr();
  {
    handoff::stall_watchdog watchdog(ui, 20ms);
    ui.post([&] {
      // Wait (without sleeping blindly) until the watchdog has counted the stall.
      while (watchdog.stalls_reported() == 0) std::this_thread::yield();
    });
    ui.run_until_idle();
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("the loop thread has been in one pump for"), std::string::npos) << err;
  EXPECT_NE(err.find("'diag-loop': pumping the loop"), std::string::npos) << err;
}

TEST(stall_watchdog, must_be_created_on_the_loop_thread) {
  handoff::headless_loop ui;
  std::jthread other([&] { EXPECT_THROW(handoff::stall_watchdog(ui, 10ms), handoff::errors::wrong_thread); });
}

}  // namespace
