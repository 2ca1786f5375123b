// Stress: many producers and consumers on one channel, with close() and a stop
// request landing at random moments, round after round.
//
// Invariants checked every round:
//   - every value whose send returned true is received exactly once;
//   - no value whose send returned false is received, and the sender still holds it;
//   - one consumer sees each producer's values in the order they were sent;
//   - the channel never holds more than its capacity;
//   - every thread ends: a watchdog aborts the round if it does not.
#include "handoff/cancellation.hpp"
#include "handoff/channel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr int rounds = 300;
constexpr std::uint32_t per_producer = 300;
#else
constexpr int rounds = 100;
constexpr std::uint32_t per_producer = 1000;
#endif
constexpr std::uint32_t producers = 4;
constexpr std::uint32_t consumers = 4;

using value = std::unique_ptr<std::uint32_t>;

enum class outcome : std::uint8_t { untried, sent, refused };

struct round_result {
  std::vector<std::vector<outcome>> sent;       // [producer][sequence]
  std::vector<std::vector<std::uint32_t>> got;  // [consumer] ids in the order received
  std::atomic<bool> lost_value{false};          // a refused send did not leave the value intact
  std::atomic<bool> over_capacity{false};       // size() was ever above capacity()
};

void produce(handoff::channel<value>& ch, std::uint32_t p, std::uint64_t seed, std::stop_token stop,
             std::atomic<std::uint64_t>& sent_count, round_result& r) {
  std::mt19937_64 rng(seed);
  auto& sent = r.sent[p];
  for (std::uint32_t seq = 0; seq < per_producer; ++seq) {
    const std::uint32_t id = p * per_producer + seq;
    value v = std::make_unique<std::uint32_t>(id);
    for (;;) {
      const bool use_stop = rng() % 2 == 0;
      const std::stop_token token = use_stop ? stop : std::stop_token{};
      bool ok = false;
      switch (rng() % 3) {
        case 0:
          ok = ch.send(std::move(v), token);
          break;
        case 1:
          ok = ch.send_for(std::move(v), std::chrono::microseconds(rng() % 200), token);
          break;
        default:
          ok = ch.try_send(std::move(v));
          break;
      }
      if (ok) {
        sent[seq] = outcome::sent;
        sent_count.fetch_add(1);
        break;
      }
      if (v == nullptr || *v != id) r.lost_value.store(true);
      if (ch.closed() || stop.stop_requested()) {
        sent[seq] = outcome::refused;
        return;
      }
      std::this_thread::yield();  // full: let a consumer run before trying again
    }
  }
}

void consume(handoff::channel<value>& ch, std::uint32_t c, std::uint64_t seed, std::stop_token stop,
             round_result& r) {
  std::mt19937_64 rng(seed);
  auto& got = r.got[c];
  for (;;) {
    const bool use_stop = rng() % 2 == 0;
    const std::stop_token token = use_stop ? stop : std::stop_token{};
    std::size_t before = got.size();
    auto take = [&](std::optional<value> v) {
      if (v) got.push_back(**v);
    };
    switch (rng() % 5) {
      case 0:
        take(ch.receive(token));
        break;
      case 1:
        take(ch.receive_for(std::chrono::microseconds(rng() % 200), token));
        break;
      case 2:
        take(ch.try_receive());
        break;
      case 3:
        for (auto& v : ch.drain(1 + rng() % 8, token)) got.push_back(*v);
        break;
      default:
        for (auto& v : ch.try_drain(1 + rng() % 8)) got.push_back(*v);
        break;
    }
    if (ch.size() > ch.capacity()) r.over_capacity.store(true);
    if (got.size() != before) continue;
    // Closed is checked first: once it is true no send can succeed, so an empty channel stays empty.
    if (ch.closed() && ch.size() == 0) return;
    if (stop.stop_requested()) return;
    std::this_thread::yield();
  }
}

void run_round(int round, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::size_t capacity = 1 + rng() % 8;
  handoff::channel<value> ch(capacity);
  std::stop_source stop;
  round_result r;
  r.sent.assign(producers, std::vector<outcome>(per_producer, outcome::untried));
  r.got.resize(consumers + 1);  // the last list is what the test itself drains at the end
  std::atomic<std::uint64_t> sent_count{0};
  std::atomic<std::uint32_t> producers_done{0};
  std::atomic<std::uint32_t> consumers_done{0};

  // Ends a hung round loudly instead of letting the whole binary run into the ctest timeout.
  std::jthread watchdog([round, seed](std::stop_token finished) {
    if (handoff::sleep_for(finished, 60s)) {
      std::fprintf(stderr, "channel stress round %d (seed %llu) hung\n", round,
                   static_cast<unsigned long long>(seed));
      std::abort();
    }
  });

  {
    std::vector<std::jthread> threads;
    for (std::uint32_t p = 0; p < producers; ++p) {
      threads.emplace_back([&, p, s = rng()] {
        produce(ch, p, s, stop.get_token(), sent_count, r);
        producers_done.fetch_add(1);
      });
    }
    for (std::uint32_t c = 0; c < consumers; ++c) {
      threads.emplace_back([&, c, s = rng()] {
        consume(ch, c, s, stop.get_token(), r);
        consumers_done.fetch_add(1);
      });
    }

    const std::uint64_t total = std::uint64_t{producers} * per_producer;
    // Thresholds past `total` mean "after every producer finished": a clean close.
    const std::uint64_t close_at = rng() % (total + total / 2);
    const bool use_stop = rng() % 2 == 0;
    const std::uint64_t stop_at = rng() % (total + total / 2);
    // Also ends when no more sends can succeed: every producer is done, or (after a
    // stop) every consumer is, so that the channel may stay full until close().
    auto wait_for_sends = [&](std::uint64_t n) {
      while (sent_count.load() < n && producers_done.load() < producers &&
             consumers_done.load() < consumers) {
        std::this_thread::yield();
      }
    };
    if (use_stop && stop_at < close_at) {
      wait_for_sends(stop_at);
      stop.request_stop();
    }
    wait_for_sends(close_at);
    ch.close();
    if (use_stop && stop_at >= close_at) stop.request_stop();
  }  // joins every producer and consumer

  for (auto& v : ch.try_drain(capacity)) r.got[consumers].push_back(*v);
  ASSERT_EQ(ch.size(), 0U) << "seed " << seed;

  EXPECT_FALSE(r.lost_value.load()) << "a refused send lost its value; seed " << seed;
  EXPECT_FALSE(r.over_capacity.load()) << "seed " << seed;
  std::vector<int> times_received(std::size_t{producers} * per_producer, 0);
  for (const auto& list : r.got) {
    std::vector<std::int64_t> last_seq(producers, -1);
    for (std::uint32_t id : list) {
      ASSERT_LT(id, times_received.size());
      ++times_received[id];
      const std::uint32_t p = id / per_producer;
      const std::int64_t seq = id % per_producer;
      ASSERT_GT(seq, last_seq[p]) << "values of producer " << p << " out of order; seed " << seed;
      last_seq[p] = seq;
    }
  }
  for (std::uint32_t p = 0; p < producers; ++p) {
    for (std::uint32_t seq = 0; seq < per_producer; ++seq) {
      const int expected = r.sent[p][seq] == outcome::sent ? 1 : 0;
      ASSERT_EQ(times_received[p * per_producer + seq], expected)
          << "producer " << p << " value " << seq << "; seed " << seed;
    }
  }
}

TEST(channel_stress, every_sent_value_is_received_exactly_once_under_random_close_and_stop) {
  const std::uint64_t base = std::random_device{}();
  std::printf("channel stress base seed %llu\n", static_cast<unsigned long long>(base));
  for (int round = 0; round < rounds; ++round) {
    run_round(round, base + static_cast<std::uint64_t>(round));
    if (testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
