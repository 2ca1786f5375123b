// A producer and a worker joined by a bounded channel; results reach the UI through post().
//
// The channel's capacity is the backpressure: the producer can run at most 8
// numbers ahead of the worker. close() ends the stream (no sentinel): the worker
// still receives every number sent before it, then its loop ends.
#include "handoff/channel.hpp"
#include "handoff/headless_loop.hpp"

#include <cstdio>
#include <thread>

int main() {
  constexpr long count = 1000;
  handoff::headless_loop ui;
  handoff::channel<long> numbers(8);
  long ui_total = 0;  // touched on the UI thread only
  long ui_results = 0;

  std::jthread producer([&] {
    for (long n = 1; n <= count; ++n) {
      if (!numbers.send(long{n})) break;  // only a close could refuse it
    }
    numbers.close();
  });

  std::jthread worker([&] {
    // Takes whatever is waiting, up to 16 at a time; an empty batch means closed and drained.
    for (auto batch = numbers.drain(16); !batch.empty(); batch = numbers.drain(16)) {
      long sum_of_squares = 0;
      for (long n : batch) sum_of_squares += n * n;
      ui.post([&, sum_of_squares, size = static_cast<long>(batch.size())] {
        ui_total += sum_of_squares;
        ui_results += size;
      });
    }
    // Posted after every result by the same thread, so it runs after them all.
    ui.post([&] { ui.stop(); });
  });

  ui.run();  // this thread is the UI thread until the worker's last post stops it
  const long expected = count * (count + 1) * (2 * count + 1) / 6;
  std::printf("%ld numbers, sum of squares %ld (expected %ld)\n", ui_results, ui_total, expected);
  return ui_results == count && ui_total == expected ? 0 : 1;
}
