// The loop contract, run against headless_loop.
#include "contract/loop_contract.hpp"
#include "handoff/headless_loop.hpp"

namespace {

class headless_fixture {
 public:
  handoff::loop& get() { return loop_; }

  bool run_until(std::function<bool()> done, std::chrono::milliseconds timeout) {
    // An observer checks the condition after every pump and stops run(); a
    // timer stops it when the patience runs out.
    struct until_observer final : handoff::loop_observer {
      handoff::headless_loop* loop;
      std::function<bool()>* done;
      bool met = false;
      void on_pump_begin() noexcept override {}
      void on_pump_end() noexcept override {
        if (!met && (*done)()) {
          met = true;
          loop->stop();
        }
      }
    } observer;
    observer.loop = &loop_;
    observer.done = &done;
    if (done()) return true;
    loop_.set_observer(&observer);
    auto give_up = loop_.post_after(timeout, [this] { loop_.stop(); });
    loop_.run();
    loop_.set_observer(nullptr);
    give_up.cancel();
    return observer.met || done();
  }

 private:
  handoff::headless_loop loop_;
};

}  // namespace

namespace handoff::contract {
INSTANTIATE_TYPED_TEST_SUITE_P(headless, loop_contract, headless_fixture);
}
