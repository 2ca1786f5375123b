// tk_loop: the Tk driver's own behaviours, beyond the loop contract
// (tests/contract/tk_contract_test.cpp): one Tcl event per batch, no polling,
// Tk's timers, idle callbacks and window events served through a flood, no
// nested pumps, shutdown with the main window, attaching, the thread check.
#include "handoff/tk/tk_loop.hpp"
#include "handoff/tk/direct_notifier.hpp"
#include "handoff/tk/interp.hpp"
#include "handoff/tk/tcl_error.hpp"
#include "tk/tk_test_support.hpp"

#include <tcl.h>
#include <tk.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using handoff::tk::obj;
using handoff::tk::tk_loop;
using handoff::tk::testing::run_until;
using steady = std::chrono::steady_clock;

// A producer that floods the loop with small tasks from its own thread until
// told to stop: the loop always has work waiting. It keeps at most `backlog`
// tasks queued, so that the test's memory stays small (the core's post queue
// itself is unbounded).
class flood {
 public:
  explicit flood(tk_loop& ui, std::uint64_t backlog = 200'000) {
    thread_ = std::jthread([this, &ui, backlog](const std::stop_token& stop) {
      while (!stop.stop_requested()) {
        if (posted_.load(std::memory_order_relaxed) - ran_.load(std::memory_order_relaxed) > backlog) {
          std::this_thread::yield();
          continue;
        }
        if (!ui.post([this] { ran_.fetch_add(1, std::memory_order_relaxed); })) break;
        posted_.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  void finish() {
    thread_.request_stop();
    thread_.join();
  }
  [[nodiscard]] std::uint64_t posted() const { return posted_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t ran() const { return ran_.load(std::memory_order_relaxed); }

 private:
  // relaxed: counters; the backlog check tolerates stale values.
  std::atomic<std::uint64_t> posted_{0};
  std::atomic<std::uint64_t> ran_{0};
  std::jthread thread_;
};

// A Tcl timer handler that re-arms itself every 10 ms and records each tick,
// and at each tick an idle callback (Tk's redraws are idle callbacks) that
// records how long it waited.
struct tk_ticker {
  std::vector<steady::time_point> ticks;
  std::vector<steady::duration> idle_delays;
  steady::time_point idle_asked;
  Tcl_TimerToken token = nullptr;

  void start() { token = Tcl_CreateTimerHandler(10, &tk_ticker::on_tick, this); }
  void stop() {
    if (token != nullptr) Tcl_DeleteTimerHandler(token);
    token = nullptr;
    Tcl_CancelIdleCall(&tk_ticker::on_idle, this);
  }
  static void on_tick(ClientData data) {
    auto* self = static_cast<tk_ticker*>(data);
    self->ticks.push_back(steady::now());
    self->idle_asked = steady::now();
    Tcl_CancelIdleCall(&tk_ticker::on_idle, self);
    Tcl_DoWhenIdle(&tk_ticker::on_idle, self);
    self->token = Tcl_CreateTimerHandler(10, &tk_ticker::on_tick, self);
  }
  static void on_idle(ClientData data) {
    auto* self = static_cast<tk_ticker*>(data);
    self->idle_delays.push_back(steady::now() - self->idle_asked);
  }
  [[nodiscard]] steady::duration max_gap() const {
    steady::duration gap{};
    for (std::size_t i = 1; i < ticks.size(); ++i) gap = std::max(gap, ticks[i] - ticks[i - 1]);
    return gap;
  }
};

double ms(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

TEST(tk_loop, runs_on_the_notifier_this_binary_was_built_for) {
  tk_loop ui;
  EXPECT_EQ(handoff::tk::direct_notifier_installed(), handoff::tk::testing::expects_direct_notifier);
}

TEST(tk_loop, tcl_file_events_are_served) {
  // Tcl channels wait through the notifier's file handlers, as Tk's X
  // connection does: a pipe's readable event reaches its handler.
  tk_loop ui;
  std::string received;
  const obj on_readable = ui.tcl().command([&](handoff::tk::interp::arguments& args) {
    received += ui.tcl().call({"gets", args[0]}).str();
  });
  const std::vector<obj> ends = ui.tcl().call({"chan", "pipe"}).elements();
  ASSERT_EQ(ends.size(), 2U);
  ui.tcl().call({"chan", "configure", ends[0], "-blocking", 0});
  ui.tcl().call({"chan", "event", ends[0], "readable", obj::list({on_readable, ends[0]})});
  ui.tcl().call({"puts", ends[1], "[exec touch /tmp/never] hello"});
  ui.tcl().call({"flush", ends[1]});
  ASSERT_TRUE(run_until(ui, [&] { return !received.empty(); }));
  EXPECT_EQ(received, "[exec touch /tmp/never] hello");
  ui.tcl().call({"close", ends[1]});
  ui.tcl().call({"close", ends[0]});
}

TEST(tk_loop, a_flood_of_posts_queues_one_tcl_event_per_batch) {
  tk_loop ui;
  std::atomic<int> ran{0};
  std::jthread producer([&] {
    for (int i = 0; i < 100'000; ++i) ui.post([&] { ran.fetch_add(1, std::memory_order_relaxed); });
  });
  producer.join();
  // Nothing ran yet, so the whole flood is one batch: one Tcl event.
  EXPECT_EQ(ui.wake_events(), 1U);
  EXPECT_EQ(ran.load(), 0);
  ASSERT_TRUE(run_until(ui, [&] { return ran.load() == 100'000; }));
  // Running it took pumps that gave Tk its turn in between; each turn's end
  // queues the event again, and nothing else does.
  EXPECT_LE(ui.wake_events(), 1U + ui.turns());
}

TEST(tk_loop, an_idle_loop_is_never_woken) {
  tk_loop ui;
  ui.tcl().call({"update"});  // let Tk settle its own start-up events
  const auto pumps = ui.pumps();
  const auto wakes = ui.wake_events();
  bool never = false;
  EXPECT_FALSE(ui.run_until([&] { return never; }, 200ms));
  EXPECT_EQ(ui.pumps(), pumps);
  EXPECT_EQ(ui.wake_events(), wakes);
}

TEST(tk_loop, tk_timers_and_idle_callbacks_keep_running_through_an_endless_flood) {
  // Raw Tcl_ThreadQueueEvent starves both for as long as the flood lasts; here
  // the flood only ends once the timer has ticked and the idle callbacks ran.
  tk_loop ui;
  tk_ticker ticker;
  ticker.start();
  int script_ticks = 0;  // an `after 10` script timer, re-armed by itself
  ui.tcl().command("::handoff::script_tick", [&](handoff::tk::interp::arguments&) {
    ++script_ticks;
    ui.tcl().call({"after", 10, "::handoff::script_tick"});
  });
  ui.tcl().call({"after", 10, "::handoff::script_tick"});

  flood producer(ui);
  ASSERT_TRUE(run_until(ui, [&] { return producer.ran() > 1000; }));
  const std::size_t ticks_before = ticker.ticks.size();
  const std::size_t idles_before = ticker.idle_delays.size();
  const int script_before = script_ticks;
  ASSERT_TRUE(run_until(ui, [&] {
    return ticker.ticks.size() >= ticks_before + 10 && ticker.idle_delays.size() >= idles_before + 10 &&
           script_ticks >= script_before + 10;
  }));
  producer.finish();
  ticker.stop();
  for (const obj& id : ui.tcl().call({"after", "info"}).elements()) ui.tcl().call({"after", "cancel", id});

  // Raw Tcl events starve both for the whole flood. Generous bounds: the
  // machine is shared and preempts the Tk thread at times; bench/tk measures
  // the real figures.
  EXPECT_LT(ms(ticker.max_gap()), 250.0);
  EXPECT_LT(ms(*std::max_element(ticker.idle_delays.begin(), ticker.idle_delays.end())), 250.0);
  EXPECT_GT(ui.turns(), 0U);
  std::printf("flood: %llu posts ran, %zu ticks, max gap %.1f ms, %llu pumps, %llu turns, %llu wake events\n",
              static_cast<unsigned long long>(producer.ran()), ticker.ticks.size(), ms(ticker.max_gap()),
              static_cast<unsigned long long>(ui.pumps()), static_cast<unsigned long long>(ui.turns()),
              static_cast<unsigned long long>(ui.wake_events()));
}

TEST(tk_loop, a_window_manager_close_is_served_during_an_endless_flood) {
  // An X event from the server (the close button's client message) reaches
  // Tk while the flood goes on; the flood stops only once it has.
  tk_loop ui;
  const Window frame = handoff::tk::testing::map_main_window(ui);
  bool close_seen = false;
  ui.on_close([&] { close_seen = true; });
  flood producer(ui);
  ASSERT_TRUE(run_until(ui, [&] { return producer.ran() > 1000; }));
  ASSERT_TRUE(handoff::tk::testing::send_wm_delete_window(ui, frame));
  ASSERT_TRUE(run_until(ui, [&] { return close_seen; }));
  producer.finish();
  EXPECT_TRUE(ui.has_main_window());  // the handler chose to keep it
}

TEST(tk_loop, update_idletasks_from_a_tk_callback_returns_during_an_endless_flood) {
  // Tk's own dialogs call `update idletasks`; it must not run the flood.
  tk_loop ui;
  bool returned = false;
  ui.tcl().command("::handoff::settle", [&](handoff::tk::interp::arguments&) {
    ui.tcl().call({"update", "idletasks"});
    returned = true;
  });
  flood producer(ui);
  ASSERT_TRUE(run_until(ui, [&] { return producer.ran() > 1000; }));
  ui.tcl().call({"after", 5, "::handoff::settle"});
  ASSERT_TRUE(run_until(ui, [&] { return returned; }));
  producer.finish();
}

TEST(tk_loop, a_task_that_runs_update_never_pumps_inside_itself) {
  tk_loop ui;
  bool inner_ran = false;
  bool inner_ran_during_update = true;
  bool outer_done = false;
  ui.post([&] {
    ui.post([&] { inner_ran = true; });
    ui.tcl().call({"update"});  // serves Tcl events, our wake event included
    inner_ran_during_update = inner_ran;
    outer_done = true;
  });
  ASSERT_TRUE(run_until(ui, [&] { return inner_ran; }));
  EXPECT_TRUE(outer_done);
  EXPECT_FALSE(inner_ran_during_update);
}

TEST(tk_loop, run_returns_when_the_main_window_is_destroyed) {
  tk_loop ui;
  ui.post([&] { ui.destroy_main_window(); });
  ui.run();
  EXPECT_FALSE(ui.has_main_window());
  EXPECT_TRUE(ui.closed());
}

TEST(tk_loop, stop_from_another_thread_ends_run) {
  tk_loop ui;
  std::latch running(1);
  ui.post([&] { running.count_down(); });
  std::jthread stopper([&] {
    running.wait();
    ui.stop();
  });
  ui.run();  // returns only through stop(): the window stays
  EXPECT_TRUE(ui.has_main_window());
  EXPECT_FALSE(ui.closed());
}

TEST(tk_loop, posts_after_the_main_window_is_gone_are_refused_and_pending_ones_never_run) {
  tk_loop ui;
  bool pending_ran = false;
  std::jthread([&] { ui.post([&] { pending_ran = true; }); }).join();
  ui.tcl().call({"update", "idletasks"});  // Tk's start-up idle work, which needs the window
  ui.tcl().call({"destroy", "."});         // as the user's close would
  EXPECT_TRUE(ui.closed());
  EXPECT_FALSE(ui.has_main_window());
  bool refused = false;
  std::jthread([&] { refused = !ui.post([] {}); }).join();
  EXPECT_TRUE(refused);
  EXPECT_GE(ui.refused_posts(), 1U);
  Tcl_DoOneEvent(TCL_ALL_EVENTS | TCL_DONT_WAIT);  // serve the queued wake: it finds a closed loop
  while (Tcl_DoOneEvent(TCL_ALL_EVENTS | TCL_DONT_WAIT) != 0) {
  }
  EXPECT_FALSE(pending_ran);
}

TEST(tk_loop, a_throwing_task_is_reported_in_a_dialog_and_on_stderr) {
  tk_loop ui;
  std::vector<std::string> dialog;
  ui.tcl().command("::tk_messageBox", [&](handoff::tk::interp::arguments& args) {
    for (std::size_t i = 0; i < args.size(); ++i) dialog.push_back(args[i].str());
    args.set_result("ok");
  });
  ::testing::internal::CaptureStderr();
  ui.post([] { throw std::runtime_error("the disk is full"); });
  const bool shown = run_until(ui, [&] { return !dialog.empty(); });
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(shown);
  EXPECT_NE(std::find(dialog.begin(), dialog.end(), "the disk is full"), dialog.end());
  EXPECT_NE(err.find("handoff::tk: a posted task threw: the disk is full"), std::string::npos) << err;
}

TEST(tk_loop, attaches_to_an_existing_interpreter_and_leaves_it_alive) {
  Tcl_Interp* raw = Tcl_CreateInterp();
  ASSERT_EQ(Tcl_Init(raw), TCL_OK);
  ASSERT_EQ(Tk_Init(raw), TCL_OK) << Tcl_GetStringResult(raw);
  {
    tk_loop ui(raw);
    bool ran = false;
    std::jthread([&] { ui.post([&] { ran = true; }); }).join();
    ASSERT_TRUE(run_until(ui, [&] { return ran; }));
  }
  handoff::tk::interp still(raw);
  EXPECT_EQ(still.call({"winfo", "exists", "."}).as_int(), 1);
  still.call({"destroy", "."});
  Tcl_DeleteInterp(raw);
}

TEST(tk_loop, tk_calls_from_another_thread_abort_in_debug_builds) {
#ifdef NDEBUG
  GTEST_SKIP() << "the thread assertion is compiled in debug builds only";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  tk_loop ui;
  EXPECT_DEATH(std::thread([&] {
                 ui.tcl().call({"winfo", "exists", "."});
               }).join(),
               "called off the Tk thread");
  EXPECT_DEATH(std::thread([&] { ui.assert_tk_thread("my widget update"); }).join(),
               "my widget update called off the Tk thread");
#endif
}

}  // namespace
