// The Tk driver against raw Tcl, in one run, on one interpreter.
//
// "handoff" is tk::tk_loop: post() from another thread, one Tcl event per
// batch, budgeted pumps that wait for Tk's turn. "raw" is what a Tk program
// does without handoff: one Tcl event per post (ckalloc, Tcl_ThreadQueueEvent,
// Tcl_ThreadAlert). The main thread is the Tk thread and runs Tcl_DoOneEvent
// throughout; one producer thread posts. Three scenarios, one JSON line each
// (per variant or flood size) on stdout, a readable summary on stderr:
//   - latency: post -> run, microseconds, p50/p99/p99.9/max. "back_to_back":
//     the next post follows as soon as the last ran; "from_sleep": the
//     producer spins for a gap (50 us) first, so the Tk thread is asleep in
//     Tcl's notifier and every post pays a full wake-up. Rounds alternate.
//     The core's headless_loop (no Tk, its own thread) is measured alongside
//     as the floor: what a thread wake-up costs on this machine right now.
//   - throughput: one producer posts N empty tasks as fast as it can; posts/s
//     from the first post to the last task run. Repetitions alternate; median.
//   - timer_flood: a Tcl timer handler re-arms itself every 10 ms (as `after
//     10` does) while the producer floods N posts (1 M, then 5 M); the largest
//     gap between ticks during the flood, and how long an idle callback
//     (Tk's redraws are idle callbacks) asked for at each tick waited. Then
//     once more with tasks that each keep the Tk thread busy (--task-ns,
//     1 us by default), so that the flood lasts long enough to matter. "Tk cpu" is
//     the Tk thread's CPU time over wall time during the flood: on a shared
//     machine, a Tk thread that gets the core a fraction of the time cannot
//     keep a timer to 12 ms whatever the driver does.
//
//   bench_tk [--quick] [--iterations=N] [--sleep-iterations=N] [--rounds=N] [--gap-us=N]
//            [--posts=N] [--small=N] [--large=N] [--reps=N] [--task-ns=N] [--budget-us=N] [--turn-after-us=N]
//            [--only=latency|throughput|timer_flood] [--direct-notifier]
//
// --direct-notifier installs handoff::tk's direct notifier before Tcl starts;
// everything in the process then runs on it, the raw Tcl baseline included, so
// bench/tk/run.sh runs the program twice: on Tcl's notifier, then on this one.
#include "common/bench_common.hpp"
#include "common/latency_recorder.hpp"
#include "handoff/headless_loop.hpp"
#include "handoff/tk/direct_notifier.hpp"
#include "handoff/tk/tk_loop.hpp"

#include <tcl.h>
#include <tk.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using handoff::tk::tk_loop;

const char* notifier_name = "tcl";  // which notifier this process runs on, for every JSON line

// --- the Tk thread's side ---------------------------------------------------

// Runs Tk's event loop until `flag` is set by a task or event on this thread;
// reports a stuck run (a lost wake-up) instead of hanging.
void drive_until(const std::atomic<bool>& flag, const char* what) {
  struct guard_state {
    bool fired = false;
  } guard;
  Tcl_TimerToken token = Tcl_CreateTimerHandler(
      static_cast<int>(bench::stuck_after.count() * 1000),
      [](ClientData data) { static_cast<guard_state*>(data)->fired = true; }, &guard);
  while (!flag.load(std::memory_order_acquire)) {
    Tcl_DoOneEvent(TCL_ALL_EVENTS);
    if (guard.fired) bench::report_stuck(what);
  }
  Tcl_DeleteTimerHandler(token);
}

// Runs Tk's event loop for `ms` milliseconds (quiet ticks before a flood).
void drive_for(int ms) {
  bool over = false;
  Tcl_CreateTimerHandler(
      ms, [](ClientData data) { *static_cast<bool*>(data) = true; }, &over);
  while (!over) Tcl_DoOneEvent(TCL_ALL_EVENTS);
}

// One Tcl event per post, as a program without handoff would do it.
struct raw_event {
  Tcl_Event header;
  void (*run)(void* arg, std::int64_t value);
  void* arg;
  std::int64_t value;
};

int run_raw_event(Tcl_Event* event, int /*flags*/) {
  auto* e = reinterpret_cast<raw_event*>(event);
  e->run(e->arg, e->value);
  return 1;
}

void post_raw(Tcl_ThreadId thread, void (*run)(void*, std::int64_t), void* arg, std::int64_t value) {
  auto* e = reinterpret_cast<raw_event*>(ckalloc(sizeof(raw_event)));
  e->header.proc = &run_raw_event;
  e->header.nextPtr = nullptr;
  e->run = run;
  e->arg = arg;
  e->value = value;
  Tcl_ThreadQueueEvent(thread, &e->header, TCL_QUEUE_TAIL);
  Tcl_ThreadAlert(thread);
}

// --- latency ------------------------------------------------------------------

using bench::latency_recorder;
using bench::latency_summary;

template <class Loop>
void measure_loop(Loop& ui, latency_recorder& r, std::size_t count, std::int64_t gap_ns) {
  bench::measure_latency(
      "tk latency/handoff", [&](std::int64_t sent) { ui.post([rec = &r, sent] { rec->record(sent); }); }, r,
      count, gap_ns);
}

void measure_raw(Tcl_ThreadId thread, latency_recorder& r, std::size_t count, std::int64_t gap_ns) {
  // The raw queue's mutex publishes the recorder's reset.
  bench::measure_latency(
      "tk latency/raw",
      [&](std::int64_t sent) {
        post_raw(
            thread, [](void* rec, std::int64_t at) { static_cast<latency_recorder*>(rec)->record(at); }, &r,
            sent);
      },
      r, count, gap_ns);
}

void latency(tk_loop& ui, const char* variant, std::size_t iterations, std::size_t rounds,
             std::int64_t gap_ns) {
  const std::size_t warmup = 1'000;
  const double load_before = bench::load_average();
  const Tcl_ThreadId thread = Tcl_GetCurrentThread();
  latency_recorder h;
  latency_recorder raw;
  latency_recorder floor;
  for (latency_recorder* r : {&h, &raw, &floor}) r->samples_us.resize(warmup + iterations);
  // The floor: the core's headless loop on a thread of its own, no Tk at all.
  handoff::headless_loop headless;
  std::atomic<bool> finished{false};
  {
    bench::loop_thread<handoff::headless_loop> headless_thread(headless);
    std::thread producer([&] {
      measure_loop(ui, h, warmup, gap_ns);
      measure_raw(thread, raw, warmup, gap_ns);
      measure_loop(headless, floor, warmup, gap_ns);
      for (std::size_t round = 0; round < rounds; ++round) {
        const std::size_t chunk = iterations / rounds + (round < iterations % rounds ? 1 : 0);
        measure_loop(ui, h, chunk, gap_ns);
        measure_raw(thread, raw, chunk, gap_ns);
        measure_loop(headless, floor, chunk, gap_ns);
      }
      ui.post([&] { finished.store(true, std::memory_order_release); });
    });
    drive_until(finished, "tk latency");
    producer.join();
  }

  const latency_summary a = bench::summarise(h, warmup);
  const latency_summary b = bench::summarise(raw, warmup);
  const latency_summary c = bench::summarise(floor, warmup);
  bench::json_line line;
  line.add("scenario", "tk_latency")
      .add("notifier", notifier_name)
      .add("variant", variant)
      .add("iterations", static_cast<std::uint64_t>(iterations))
      .add("gap_us", static_cast<double>(gap_ns) / 1e3);
  bench::add_latency(line, "handoff", a);
  bench::add_latency(line, "raw", b);
  bench::add_latency(line, "headless", c);
  line.add("ratio_handoff_raw_p50", a.p50 / b.p50)
      .add("ratio_handoff_raw_p99", a.p99 / b.p99)
      .add("load_average", load_before)
      .print();
  bench::say("tk latency (%s): post on one thread -> run on the Tk thread, %zu posts each, microseconds",
             variant, iterations);
  bench::say("             p50     p99   p99.9      max     mean");
  for (const auto& [name, s] :
       {std::pair{"handoff ", a}, std::pair{"raw tcl ", b}, std::pair{"headless", c}}) {
    bench::say("  %s %7.1f %7.1f %7.1f %8.1f %8.1f", name, s.p50, s.p99, s.p999, s.max, s.mean);
  }
  bench::say("  handoff/raw: p50 %.2fx, p99 %.2fx; targets p50 <= 15 us: %s, p99 <= 60 us: %s", a.p50 / b.p50,
             a.p99 / b.p99, a.p50 <= 15.0 ? "met" : "MISSED", a.p99 <= 60.0 ? "met" : "MISSED");
}

// --- throughput -------------------------------------------------------------

// Written by the Tk thread only; the producer reads `end` after `done`.
struct counter {
  std::size_t count = 0;
  std::size_t target = 0;
  std::int64_t end = 0;
  std::int64_t work_ns = 0;  // how long each task keeps the Tk thread busy
  std::atomic<bool> done{false};

  void hit() {
    if (work_ns > 0) {
      const std::int64_t until = bench::now_ns() + work_ns;
      while (bench::now_ns() < until) bench::cpu_relax();
    }
    if (++count == target) {
      end = bench::now_ns();
      done.store(true, std::memory_order_release);  // release: end is written first
    }
  }
};

// A producer thread that posts `n` tasks counting into `c`, raw Tcl events or
// handoff posts, as fast as it can; `start` gets the time of its first post.
std::thread flood(tk_loop& ui, Tcl_ThreadId thread, bool raw, counter& c, std::size_t n,
                  std::int64_t& start) {
  return std::thread([&ui, thread, raw, &c, n, &start] {
    start = bench::now_ns();
    if (raw) {
      for (std::size_t i = 0; i < n; ++i) {
        post_raw(
            thread, [](void* target, std::int64_t) { static_cast<counter*>(target)->hit(); }, &c, 0);
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) ui.post([target = &c] { target->hit(); });
    }
  });
}

double throughput_once(tk_loop& ui, bool raw, std::size_t n) {
  const Tcl_ThreadId thread = Tcl_GetCurrentThread();
  counter c;
  c.target = n;
  std::int64_t start = 0;
  std::thread producer = flood(ui, thread, raw, c, n, start);
  drive_until(c.done, raw ? "tk throughput/raw" : "tk throughput/handoff");
  producer.join();
  return static_cast<double>(n) / (static_cast<double>(c.end - start) / 1e9);
}

void throughput(tk_loop& ui, std::size_t n, std::size_t reps) {
  const double load_before = bench::load_average();
  std::vector<double> h;
  std::vector<double> raw;
  for (std::size_t r = 0; r < reps; ++r) {
    h.push_back(throughput_once(ui, false, n));
    raw.push_back(throughput_once(ui, true, n));
  }
  const double a = bench::median(h);
  const double b = bench::median(raw);
  bench::json_line()
      .add("scenario", "tk_throughput")
      .add("notifier", notifier_name)
      .add("posts", static_cast<std::uint64_t>(n))
      .add("reps", static_cast<std::uint64_t>(reps))
      .add("handoff_posts_per_s", a)
      .add("raw_posts_per_s", b)
      .add("ratio_handoff_raw", a / b)
      .add("load_average", load_before)
      .print();
  bench::say("tk throughput: one producer, %zu posts, median of %zu", n, reps);
  bench::say("  handoff %6.2f M posts/s   raw tcl %6.2f M posts/s   handoff/raw %.2fx (target >= 1: %s)",
             a / 1e6, b / 1e6, a / b, a >= b ? "met" : "MISSED");
}

// --- timer flood ------------------------------------------------------------

// A Tcl timer handler that re-arms itself every 10 ms, and at each tick asks
// for an idle callback and records how long it waited. Tk thread only.
struct ticker {
  std::vector<std::int64_t> ticks;
  std::vector<std::int64_t> idle_asked;
  std::vector<std::int64_t> idle_ran;
  Tcl_TimerToken token = nullptr;
  bool idle_pending = false;

  void start() {
    ticks.reserve(1 << 16);
    idle_asked.reserve(1 << 16);
    idle_ran.reserve(1 << 16);
    token = Tcl_CreateTimerHandler(10, &ticker::on_tick, this);
  }
  void stop() {
    Tcl_DeleteTimerHandler(token);
    if (idle_pending) Tcl_CancelIdleCall(&ticker::on_idle, this);
  }
  static void on_tick(ClientData data) {
    auto* self = static_cast<ticker*>(data);
    const std::int64_t now = bench::now_ns();
    if (self->ticks.size() < self->ticks.capacity()) self->ticks.push_back(now);  // never reallocates
    if (!self->idle_pending && self->idle_asked.size() < self->idle_asked.capacity()) {
      self->idle_pending = true;
      self->idle_asked.push_back(now);
      Tcl_DoWhenIdle(&ticker::on_idle, self);
    }
    self->token = Tcl_CreateTimerHandler(10, &ticker::on_tick, self);
  }
  static void on_idle(ClientData data) {
    auto* self = static_cast<ticker*>(data);
    self->idle_pending = false;
    self->idle_ran.push_back(bench::now_ns());
  }
};

struct flood_samples {
  std::vector<double> cpu_share;  // the Tk thread's CPU time over wall time, per flood
  std::vector<double> gaps_ms;
  std::vector<double> idle_waits_ms;
  std::vector<double> rep_max_ms;
  std::vector<double> flood_ms;
};

struct flood_figures {
  double gap_max_ms, gap_p99_ms, median_rep_max_ms, idle_wait_max_ms, flood_ms, cpu_share;
  std::size_t gaps;
};

flood_figures summarise(flood_samples s) {
  flood_figures f{};
  f.gaps = s.gaps_ms.size();
  f.gap_p99_ms = bench::percentile(s.gaps_ms, 99.0);
  f.gap_max_ms = bench::percentile(s.gaps_ms, 100.0);
  f.median_rep_max_ms = bench::median(s.rep_max_ms);
  f.idle_wait_max_ms = bench::percentile(s.idle_waits_ms, 100.0);
  f.flood_ms = bench::median(s.flood_ms);
  f.cpu_share = bench::median(s.cpu_share);
  return f;
}

void flood_once(tk_loop& ui, bool raw, std::size_t n, std::int64_t work_ns, flood_samples& out) {
  const Tcl_ThreadId thread = Tcl_GetCurrentThread();
  ticker t;
  t.start();
  drive_for(60);  // a few quiet ticks first
  counter c;
  c.target = n;
  c.work_ns = work_ns;
  std::int64_t start = 0;
  const double cpu_before = bench::thread_cpu_ns();
  const std::int64_t wall_before = bench::now_ns();
  std::thread producer = flood(ui, thread, raw, c, n, start);
  drive_until(c.done, raw ? "tk timer_flood/raw" : "tk timer_flood/handoff");
  out.cpu_share.push_back((bench::thread_cpu_ns() - cpu_before) /
                          static_cast<double>(bench::now_ns() - wall_before));
  producer.join();
  const std::int64_t end = c.end;
  drive_for(30);  // the tick that closes the last gap
  t.stop();

  out.flood_ms.push_back(static_cast<double>(end - start) / 1e6);
  double rep_max = 0.0;
  for (std::size_t k = 0; k + 1 < t.ticks.size(); ++k) {
    if (t.ticks[k + 1] > start && t.ticks[k] < end) {
      const double gap = static_cast<double>(t.ticks[k + 1] - t.ticks[k]) / 1e6;
      out.gaps_ms.push_back(gap);
      rep_max = std::max(rep_max, gap);
    }
  }
  out.rep_max_ms.push_back(rep_max);
  for (std::size_t k = 0; k < t.idle_ran.size(); ++k) {
    if (t.idle_ran[k] > start && t.idle_asked[k] < end) {
      out.idle_waits_ms.push_back(static_cast<double>(t.idle_ran[k] - t.idle_asked[k]) / 1e6);
    }
  }
}

bool timer_flood(tk_loop& ui, std::size_t n, std::size_t reps, std::int64_t work_ns) {
  const double load_before = bench::load_average();
  flood_samples hs;
  flood_samples rs;
  for (std::size_t r = 0; r < reps; ++r) {
    flood_once(ui, false, n, work_ns, hs);
    flood_once(ui, true, n, work_ns, rs);
  }
  const flood_figures h = summarise(hs);
  const flood_figures v = summarise(rs);
  bench::json_line()
      .add("scenario", "tk_timer_flood")
      .add("notifier", notifier_name)
      .add("posts", static_cast<std::uint64_t>(n))
      .add("task_ns", static_cast<std::uint64_t>(work_ns))
      .add("reps", static_cast<std::uint64_t>(reps))
      .add("handoff_gap_max_ms", h.gap_max_ms)
      .add("handoff_gap_p99_ms", h.gap_p99_ms)
      .add("handoff_median_rep_max_ms", h.median_rep_max_ms)
      .add("handoff_idle_wait_max_ms", h.idle_wait_max_ms)
      .add("handoff_gaps", static_cast<std::uint64_t>(h.gaps))
      .add("handoff_flood_ms", h.flood_ms)
      .add("handoff_tk_cpu_share", h.cpu_share)
      .add("raw_gap_max_ms", v.gap_max_ms)
      .add("raw_gap_p99_ms", v.gap_p99_ms)
      .add("raw_median_rep_max_ms", v.median_rep_max_ms)
      .add("raw_idle_wait_max_ms", v.idle_wait_max_ms)
      .add("raw_gaps", static_cast<std::uint64_t>(v.gaps))
      .add("raw_flood_ms", v.flood_ms)
      .add("raw_tk_cpu_share", v.cpu_share)
      .add("ratio_handoff_raw_gap_max", h.gap_max_ms / v.gap_max_ms)
      .add("ratio_handoff_raw_flood_ms", h.flood_ms / v.flood_ms)
      .add("load_average", load_before)
      .print();
  const bool met = h.gap_max_ms <= 12.0;
  bench::say("  %5zu k  handoff %8.1f %8.1f %8.1f %9.1f %5zu %8.0f ms %5.0f%%   target gap <= 12 ms: %s",
             n / 1000, h.gap_max_ms, h.gap_p99_ms, h.median_rep_max_ms, h.idle_wait_max_ms, h.gaps,
             h.flood_ms, 100.0 * h.cpu_share, met ? "met" : "MISSED");
  bench::say("  %5zu k  raw tcl %8.1f %8.1f %8.1f %9.1f %5zu %8.0f ms %5.0f%%", n / 1000, v.gap_max_ms,
             v.gap_p99_ms, v.median_rep_max_ms, v.idle_wait_max_ms, v.gaps, v.flood_ms, 100.0 * v.cpu_share);
  return met;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::options opts(argc, argv);
  // Before anything touches Tcl: the whole process then runs on it, raw Tcl included.
  const bool direct = opts.flag("--direct-notifier");
  if (direct) {
    handoff::tk::install_direct_notifier();
    notifier_name = "direct";
  }
  const bool quick = opts.flag("--quick");
  const std::size_t iterations = opts.count("--iterations", quick ? 10'000 : 100'000);
  const std::size_t sleep_iterations = opts.count("--sleep-iterations", quick ? 5'000 : 50'000);
  const std::size_t rounds = std::max<std::size_t>(1, opts.count("--rounds", 10));
  const auto gap_ns = static_cast<std::int64_t>(opts.value("--gap-us", 50.0) * 1e3);
  const std::size_t posts = opts.count("--posts", quick ? 500'000 : 2'000'000);
  const std::size_t sizes[] = {opts.count("--small", quick ? 100'000 : 1'000'000),
                               opts.count("--large", quick ? 500'000 : 5'000'000)};
  const std::size_t reps = std::max<std::size_t>(1, opts.count("--reps", quick ? 1 : 3));
  const double budget_us = opts.value("--budget-us", 1000.0);
  const double turn_after_us = opts.value("--turn-after-us", 250.0);
  const auto task_ns = static_cast<std::int64_t>(opts.value("--task-ns", quick ? 0.0 : 1000.0));
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--only=", 0) == 0) only = a.substr(7);
  }

  handoff::tk::tk_loop_options options;
  options.pump_budget = std::chrono::nanoseconds(static_cast<std::int64_t>(budget_us * 1e3));
  options.turn_after = std::chrono::nanoseconds(static_cast<std::int64_t>(turn_after_us * 1e3));
  options.program_name = argv[0];
  try {
    tk_loop ui(options);
    bench::json_line()
        .add("scenario", "tk_run")
        .add("notifier", direct ? "direct" : "tcl")
        .add("pump_budget_us", budget_us)
        .add("turn_after_us", turn_after_us)
        .add("tcl_patchlevel", ui.tcl().call({"info", "patchlevel"}).str())
        .add("load_average", bench::load_average())
        .print();
    bench::say(
        "== bench_tk: handoff::tk::tk_loop (pump budget %.0f us) vs raw Tcl_ThreadQueueEvent, on %s ==",
        budget_us, direct ? "handoff's direct notifier (raw tcl too)" : "Tcl's notifier");
    if (only.empty() || only == "latency") {
      latency(ui, "back_to_back", iterations, rounds, 0);
      latency(ui, "from_sleep", sleep_iterations, rounds, gap_ns);
    }
    if (only.empty() || only == "throughput") throughput(ui, posts, reps);
    if (only.empty() || only == "timer_flood") {
      bench::say(
          "tk timer_flood: 10 ms Tcl timer while one producer floods N posts; %zu repetitions, gaps pooled",
          reps);
      bench::say("  posts    loop     gap max  gap p99  rep max  idle wait  gaps  flood took  Tk cpu");
      for (const std::size_t n : sizes) timer_flood(ui, n, reps, 0);
      if (task_ns > 0) {
        bench::say("  ... and with tasks that each keep the Tk thread busy for %lld ns:",
                   static_cast<long long>(task_ns));
        timer_flood(ui, sizes[0], reps, task_ns);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_tk: %s\n", e.what());
    return 2;
  }
  return 0;
}
