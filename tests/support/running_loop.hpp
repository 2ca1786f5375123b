// A headless_loop running on its own thread for the length of a test.
//
// The loop thread of a headless_loop is the thread that runs it, and run()
// claims it only once it starts; a test that hands the loop to other threads
// must wait for that, or their invokes would run inline on the test thread.
#pragma once

#include "handoff/headless_loop.hpp"

#include <latch>
#include <thread>

namespace handoff::testing {

class running_loop {
 public:
  explicit running_loop(loop_options options = {}) : loop_(options) {
    std::latch started(1);
    runner_ = std::jthread([&] {
      loop_.post([&] { started.count_down(); });
      loop_.run();
    });
    started.wait();
  }
  running_loop(const running_loop&) = delete;
  running_loop& operator=(const running_loop&) = delete;
  ~running_loop() {
    loop_.stop();
    runner_.join();
  }

  headless_loop& operator*() noexcept { return loop_; }
  headless_loop* operator->() noexcept { return &loop_; }
  [[nodiscard]] std::thread::id thread_id() const noexcept { return runner_.get_id(); }

 private:
  headless_loop loop_;
  std::jthread runner_;
};

}  // namespace handoff::testing
