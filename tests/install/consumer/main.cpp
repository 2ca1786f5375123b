// A program outside the source tree that uses the installed handoff.
#include <handoff/headless_loop.hpp>

#include <cstdio>
#include <thread>

int main() {
  handoff::headless_loop ui;
  int answer = 0;
  std::jthread worker([&] {
    answer = ui.invoke([] { return 42; });
    ui.stop();
  });
  ui.run();
  worker.join();
  std::printf("consumer: invoke returned %d\n", answer);
  return answer == 42 ? 0 : 1;
}
