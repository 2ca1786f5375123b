// Scenario 1: throughput of post() from one producer thread to a loop running
// on another, as fast as both can go.
//
// The producer posts N small callables (a pointer and two ints captured) and
// waits until the last one ran; posts executed per second is N over that span.
// Each loop keeps running across the repetitions (as a UI loop would); the
// loops take turns within each repetition so that background noise spreads
// over all of them, and the median over the repetitions is reported, along
// with the heap allocations per post counted over every measured repetition,
// and the CPU time per post of the producer (its posting loop only) and of
// the loop thread: wall-clock rates on a shared 2-core machine swing by 2x or
// more from one run to the next, CPU costs much less.
//
// A second line ("throughput_single_thread") gives the cost of the two code
// paths without a second thread: one thread posts N tasks into a loop that is
// not running, then runs them (headless_loop::run_until_idle, the baselines'
// drain()); nanoseconds per post and per task run, the best of the
// repetitions. No wake-ups, no contention, little noise: the instructions
// each design spends.
//
//   bench_throughput [--quick] [--posts=N] [--reps=N]
#include "baselines/batched_loop.hpp"
#include "baselines/naive_loop.hpp"
#include "common/bench_common.hpp"
#include "handoff/headless_loop.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace {

// Written by the loop thread only, read by the producer after `done`.
struct sink {
  std::uint64_t sum = 0;
  std::size_t count = 0;
  std::size_t target = 0;
  std::atomic<bool> done{false};
};

struct figures {
  std::vector<double> posts_per_s;
  std::vector<double> producer_ns_per_post;  // CPU time
  std::vector<double> consumer_ns_per_post;  // CPU time
  std::uint64_t allocations = 0;
  std::uint64_t wakeups = 0;  // times the loop thread woke from sleep
  std::uint64_t posts = 0;
  std::uint64_t checksum = 0;
};

template <class Loop>
void one_repetition(const char* label, Loop& loop, const bench::loop_thread<Loop>& thread, std::size_t n,
                    figures* out) {
  sink s;
  s.target = n;
  const std::uint64_t wakeups_before = loop.wakeups();
  const std::uint64_t allocations_before = bench::allocations();
  const double consumer_before = thread.cpu_ns();
  const double producer_before = bench::thread_cpu_ns();
  const std::int64_t start = bench::now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    const int a = static_cast<int>(i);
    const int b = 3;
    loop.post([target = &s, a, b] {
      target->sum += static_cast<std::uint64_t>(a + b);
      // release: the producer reads sum and count after it sees done.
      if (++target->count == target->target) target->done.store(true, std::memory_order_release);
    });
  }
  const double producer_after = bench::thread_cpu_ns();
  bench::spin_until(s.done, label);
  const std::int64_t end = bench::now_ns();
  const double consumer_after = thread.cpu_ns();
  if (out != nullptr) {
    out->allocations += bench::allocations() - allocations_before;
    out->wakeups += loop.wakeups() - wakeups_before;
    out->posts += n;
    out->producer_ns_per_post.push_back((producer_after - producer_before) / static_cast<double>(n));
    out->consumer_ns_per_post.push_back((consumer_after - consumer_before) / static_cast<double>(n));
    out->posts_per_s.push_back(static_cast<double>(n) * 1e9 / static_cast<double>(end - start));
    out->checksum += s.sum;
  }
}

struct single_thread_cost {
  double post_ns = 0.0;
  double run_ns = 0.0;
};

template <class Loop, class Drain>
single_thread_cost measure_single_thread(Loop& loop, Drain drain, std::size_t n, std::size_t reps) {
  single_thread_cost best{1e300, 1e300};
  for (std::size_t r = 0; r <= reps; ++r) {  // the first one grows the queues and is not counted
    sink s;
    s.target = n;
    const std::int64_t start = bench::now_ns();
    for (std::size_t i = 0; i < n; ++i) {
      const int a = static_cast<int>(i);
      const int b = 3;
      loop.post([target = &s, a, b] {
        target->sum += static_cast<std::uint64_t>(a + b);
        if (++target->count == target->target) target->done.store(true, std::memory_order_release);
      });
    }
    const std::int64_t posted = bench::now_ns();
    drain(loop);
    const std::int64_t ran = bench::now_ns();
    if (!s.done.load(std::memory_order_acquire)) bench::report_stuck("throughput_single_thread");
    if (r == 0) continue;
    best.post_ns = std::min(best.post_ns, static_cast<double>(posted - start) / static_cast<double>(n));
    best.run_ns = std::min(best.run_ns, static_cast<double>(ran - posted) / static_cast<double>(n));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::options opts(argc, argv);
  const bool quick = opts.flag("--quick");
  const std::size_t n = opts.count("--posts", quick ? 200'000 : 2'000'000);
  const std::size_t reps = opts.count("--reps", quick ? 3 : 9);
  const double load_before = bench::load_average();

  handoff::headless_loop handoff_loop;
  bench::batched_loop floor_loop;
  bench::naive_loop naive_loop;
  figures handoff_figures;
  figures floor_figures;
  figures naive_figures;
  {
    bench::loop_thread<handoff::headless_loop> t1(handoff_loop);
    bench::loop_thread<bench::batched_loop> t2(floor_loop);
    bench::loop_thread<bench::naive_loop> t3(naive_loop);

    // One unmeasured repetition each: the queues grow to their working size.
    one_repetition("throughput/handoff", handoff_loop, t1, n, nullptr);
    one_repetition("throughput/floor", floor_loop, t2, n, nullptr);
    one_repetition("throughput/naive", naive_loop, t3, n, nullptr);
    for (std::size_t r = 0; r < reps; ++r) {
      one_repetition("throughput/handoff", handoff_loop, t1, n, &handoff_figures);
      one_repetition("throughput/floor", floor_loop, t2, n, &floor_figures);
      one_repetition("throughput/naive", naive_loop, t3, n, &naive_figures);
    }
  }

  // CPU time per post, producer plus loop thread, medians taken separately.
  const auto cpu_cost = [](const figures& f) {
    return bench::median(f.producer_ns_per_post) + bench::median(f.consumer_ns_per_post);
  };
  const auto posts_per_wake = [](const figures& f) {
    return static_cast<double>(f.posts) / static_cast<double>(std::max<std::uint64_t>(f.wakeups, 1));
  };
  const auto per_post = [](const figures& f) {
    return static_cast<double>(f.allocations) / static_cast<double>(f.posts);
  };
  const double handoff_rate = bench::median(handoff_figures.posts_per_s);
  const double floor_rate = bench::median(floor_figures.posts_per_s);
  const double naive_rate = bench::median(naive_figures.posts_per_s);
  const auto lowest = [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); };
  const auto highest = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };

  bench::json_line()
      .add("scenario", "throughput")
      .add("posts", static_cast<std::uint64_t>(n))
      .add("reps", static_cast<std::uint64_t>(reps))
      .add("handoff_posts_per_s", handoff_rate)
      .add("floor_posts_per_s", floor_rate)
      .add("naive_posts_per_s", naive_rate)
      .add("ratio_handoff_floor", handoff_rate / floor_rate)
      .add("ratio_naive_floor", naive_rate / floor_rate)
      .add("handoff_min_posts_per_s", lowest(handoff_figures.posts_per_s))
      .add("handoff_max_posts_per_s", highest(handoff_figures.posts_per_s))
      .add("floor_min_posts_per_s", lowest(floor_figures.posts_per_s))
      .add("floor_max_posts_per_s", highest(floor_figures.posts_per_s))
      .add("naive_min_posts_per_s", lowest(naive_figures.posts_per_s))
      .add("naive_max_posts_per_s", highest(naive_figures.posts_per_s))
      .add("handoff_producer_cpu_ns_per_post", bench::median(handoff_figures.producer_ns_per_post))
      .add("handoff_loop_cpu_ns_per_post", bench::median(handoff_figures.consumer_ns_per_post))
      .add("floor_producer_cpu_ns_per_post", bench::median(floor_figures.producer_ns_per_post))
      .add("floor_loop_cpu_ns_per_post", bench::median(floor_figures.consumer_ns_per_post))
      .add("naive_producer_cpu_ns_per_post", bench::median(naive_figures.producer_ns_per_post))
      .add("naive_loop_cpu_ns_per_post", bench::median(naive_figures.consumer_ns_per_post))
      .add("ratio_cpu_floor_handoff", cpu_cost(floor_figures) / cpu_cost(handoff_figures))
      .add("handoff_posts_per_wake", posts_per_wake(handoff_figures))
      .add("floor_posts_per_wake", posts_per_wake(floor_figures))
      .add("naive_posts_per_wake", posts_per_wake(naive_figures))
      .add("handoff_allocs_per_post", per_post(handoff_figures))
      .add("floor_allocs_per_post", per_post(floor_figures))
      .add("naive_allocs_per_post", per_post(naive_figures))
      .add("load_average", load_before)
      .print();

  bench::say(
      "throughput: %zu posts x %zu reps; median posts/s (min..max); CPU ns per post: producer + loop thread",
      n, reps);
  const auto row = [&](const char* name, const figures& f) {
    bench::say("  %s %8.2f M/s (%6.2f..%6.2f)  cpu %5.1f + %5.1f ns/post  %7.0f posts/wake  %.6f allocs/post",
               name, bench::median(f.posts_per_s) / 1e6, lowest(f.posts_per_s) / 1e6,
               highest(f.posts_per_s) / 1e6, bench::median(f.producer_ns_per_post),
               bench::median(f.consumer_ns_per_post), posts_per_wake(f), per_post(f));
  };
  row("handoff", handoff_figures);
  row("floor  ", floor_figures);
  row("naive  ", naive_figures);
  const double cpu_ratio = cpu_cost(floor_figures) / cpu_cost(handoff_figures);
  bench::say("  handoff/floor: %.2fx posts/s, %.2fx by CPU cost; naive/floor %.2fx posts/s",
             handoff_rate / floor_rate, cpu_ratio, naive_rate / floor_rate);
  bench::say("  targets: >= 0.8x the floor: %s; no heap allocation per post: %s",
             handoff_rate / floor_rate >= 0.8 ? "met" : "MISSED",
             per_post(handoff_figures) < 0.001 ? "met" : "MISSED");
  single_thread_cost handoff_cost;
  single_thread_cost floor_cost;
  single_thread_cost naive_cost;
  {
    const std::size_t single_n = std::min<std::size_t>(n, 1'000'000);
    const std::size_t single_reps = quick ? 3 : 7;
    handoff::headless_loop handoff_single;  // this thread is its loop thread; it never runs
    bench::batched_loop floor_single;
    bench::naive_loop naive_single;
    handoff_cost = measure_single_thread(
        handoff_single, [](handoff::headless_loop& l) { l.run_until_idle(); }, single_n, single_reps);
    floor_cost = measure_single_thread(
        floor_single, [](bench::batched_loop& l) { l.drain(); }, single_n, single_reps);
    naive_cost = measure_single_thread(
        naive_single, [](bench::naive_loop& l) { l.drain(); }, single_n, single_reps);
  }
  bench::json_line()
      .add("scenario", "throughput_single_thread")
      .add("posts", static_cast<std::uint64_t>(std::min<std::size_t>(n, 1'000'000)))
      .add("handoff_post_ns", handoff_cost.post_ns)
      .add("handoff_run_ns", handoff_cost.run_ns)
      .add("floor_post_ns", floor_cost.post_ns)
      .add("floor_run_ns", floor_cost.run_ns)
      .add("naive_post_ns", naive_cost.post_ns)
      .add("naive_run_ns", naive_cost.run_ns)
      .add("ratio_floor_handoff_post", floor_cost.post_ns / handoff_cost.post_ns)
      .add("ratio_floor_handoff_total",
           (floor_cost.post_ns + floor_cost.run_ns) / (handoff_cost.post_ns + handoff_cost.run_ns))
      .add("load_average", bench::load_average())
      .print();
  bench::say(
      "  single thread (post N into a stopped loop, then run them; best of reps): ns per post + per run");
  bench::say("  handoff %5.1f + %5.1f   floor %5.1f + %5.1f   naive %5.1f + %5.1f   floor/handoff %.2fx",
             handoff_cost.post_ns, handoff_cost.run_ns, floor_cost.post_ns, floor_cost.run_ns,
             naive_cost.post_ns, naive_cost.run_ns,
             (floor_cost.post_ns + floor_cost.run_ns) / (handoff_cost.post_ns + handoff_cost.run_ns));

  // The checksums keep the tasks' work observable; they are equal by construction.
  return handoff_figures.checksum == floor_figures.checksum &&
                 floor_figures.checksum == naive_figures.checksum
             ? 0
             : 1;
}
