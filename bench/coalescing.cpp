// Floods that must not grow memory: two producers publishing into a latest<T>
// as fast as they can, and one producer sending into a bounded channel that
// the loop drains. Reports publishes (sends) per second, the most values the
// consumer saw in one pump (latest: must be 1), whether the last value
// published arrived last, and how much the resident memory grew.
#include "common/bench_common.hpp"

#include <handoff/channel.hpp>
#include <handoff/headless_loop.hpp>
#include <handoff/latest.hpp>

#include <fstream>

namespace {

using namespace std::chrono_literals;

long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

struct pump_counter final : handoff::loop_observer {
  std::uint64_t pumps = 0;
  std::uint64_t in_this_pump = 0;
  std::uint64_t most_in_one_pump = 0;
  void on_pump_begin() noexcept override {
    ++pumps;
    in_this_pump = 0;
  }
  void on_pump_end() noexcept override {}
  void saw_one() noexcept { most_in_one_pump = std::max(most_in_one_pump, ++in_this_pump); }
};

void latest_flood(std::chrono::milliseconds length) {
  handoff::headless_loop ui;
  pump_counter counter;
  ui.set_observer(&counter);
  std::uint64_t delivered = 0;
  std::uint64_t last_seen = 0;
  handoff::latest<std::uint64_t> mailbox(ui, [&](std::uint64_t value) {
    ++delivered;
    last_seen = value;
    counter.saw_one();
  });
  std::atomic<bool> go{false};
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> published{0};
  const long rss_before = resident_kib();
  std::vector<std::jthread> producers;
  for (std::uint64_t p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      while (!go.load()) bench::cpu_relax();
      std::uint64_t n = 0;
      while (!done.load(std::memory_order_relaxed)) {
        mailbox.publish((p << 60) | ++n);
      }
      published.fetch_add(n);
    });
  }
  constexpr std::uint64_t final_value = ~std::uint64_t{0};
  std::jthread finisher([&] {
    go = true;
    std::this_thread::sleep_for(length);  // the flood's length; nothing waits on it for synchronisation
    done = true;
    for (auto& p : producers) p.join();
    mailbox.publish(final_value);  // published after every other value: it must arrive last
    ui.post([&] { ui.stop(); });
  });
  const auto start = bench::steady::now();
  ui.run();
  finisher.join();
  ui.run_until_idle();
  const double seconds = std::chrono::duration<double>(bench::steady::now() - start).count();
  const long rss_growth = resident_kib() - rss_before;
  ui.set_observer(nullptr);
  std::printf(
      "{\"scenario\":\"latest_flood\",\"producers\":2,\"publishes_per_s\":%.4g,\"deliveries\":%llu,\"pumps\":"
      "%llu,"
      "\"most_values_in_one_pump\":%llu,\"last_value_arrived_last\":%s,\"rss_growth_kib\":%ld,\"load_"
      "average\":%.2f}\n",
      static_cast<double>(published.load()) / seconds, static_cast<unsigned long long>(delivered),
      static_cast<unsigned long long>(counter.pumps),
      static_cast<unsigned long long>(counter.most_in_one_pump), last_seen == final_value ? "true" : "false",
      rss_growth, bench::load_average());
  bench::say(
      "latest: %.3g publishes/s from 2 producers, %llu deliveries, at most %llu per pump, last arrived last: "
      "%s, "
      "RSS grew %ld KiB\n",
      static_cast<double>(published.load()) / seconds, static_cast<unsigned long long>(delivered),
      static_cast<unsigned long long>(counter.most_in_one_pump), last_seen == final_value ? "yes" : "NO",
      rss_growth);
}

void channel_flood(std::uint64_t items) {
  handoff::headless_loop ui;
  handoff::channel<std::uint64_t> pipe(4096);
  std::uint64_t received = 0;
  std::uint64_t sum = 0;
  const long rss_before = resident_kib();
  // The loop drains what is there on each turn; a timer re-arms the turn, as a UI would on its frame clock.
  std::function<void()> drain_turn = [&] {
    for (const auto value : pipe.try_drain(4096)) {
      sum += value;
      ++received;
    }
    if (received == items) {
      ui.stop();
    } else {
      ui.post_after(100us, drain_turn);
    }
  };
  ui.post(drain_turn);
  std::jthread producer([&] {
    for (std::uint64_t i = 1; i <= items; ++i) pipe.send(std::uint64_t{i});
  });
  const auto start = bench::steady::now();
  ui.run();
  producer.join();
  const double seconds = std::chrono::duration<double>(bench::steady::now() - start).count();
  const long rss_growth = resident_kib() - rss_before;
  const bool all_there = sum == items * (items + 1) / 2;
  std::printf(
      "{\"scenario\":\"channel_flood\",\"items\":%llu,\"capacity\":4096,\"items_per_s\":%.4g,\"all_"
      "received\":%s,"
      "\"rss_growth_kib\":%ld,\"load_average\":%.2f}\n",
      static_cast<unsigned long long>(items), static_cast<double>(items) / seconds,
      all_there ? "true" : "false", rss_growth, bench::load_average());
  bench::say(
      "channel: %llu items through a 4096-slot channel at %.3g items/s, all received: %s, RSS grew %ld KiB\n",
      static_cast<unsigned long long>(items), static_cast<double>(items) / seconds, all_there ? "yes" : "NO",
      rss_growth);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string_view(argv[1]) == "--quick";
  latest_flood(quick ? 200ms : 2000ms);
  channel_flood(quick ? 1'000'000 : 20'000'000);
  return 0;
}
