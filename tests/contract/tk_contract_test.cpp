// The loop contract, run against tk::tk_loop: run_until runs Tk's event loop
// on the test thread until the condition holds.
//
// tests/CMakeLists.txt globs this folder and builds this file as a core-only
// test too; tests/tk/CMakeLists.txt links handoff::tk into that target and
// registers the run under Xvfb. Without handoff::tk (HANDOFF_WITH_TK=OFF) the
// file compiles to nothing.
#if __has_include("handoff/tk/tk_loop.hpp")

#include "contract/loop_contract.hpp"
#include "handoff/tk/tk_loop.hpp"
#include "tk/tk_test_support.hpp"

#include <tcl.h>

namespace {

class tk_fixture {
 public:
  handoff::loop& get() { return loop_; }

  bool run_until(std::function<bool()> done, std::chrono::milliseconds timeout) {
    // Some conditions are set by another thread without a post (the invoke
    // test's caller stores the answer after it woke up, when the loop may be
    // asleep again): a 5 ms Tcl timer re-checks them, rather than the patience
    // running out first.
    struct recheck {
      static void tick(ClientData token) {
        *static_cast<Tcl_TimerToken*>(token) = Tcl_CreateTimerHandler(5, &recheck::tick, token);
      }
    };
    Tcl_TimerToken token = Tcl_CreateTimerHandler(5, &recheck::tick, &token);
    const bool met = loop_.run_until(done, timeout);
    Tcl_DeleteTimerHandler(token);
    return met;
  }

 private:
  handoff::tk::tk_loop loop_;
};

}  // namespace

namespace handoff::contract {
INSTANTIATE_TYPED_TEST_SUITE_P(tk, loop_contract, tk_fixture);
}

#endif
