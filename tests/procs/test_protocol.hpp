// The commands tests/procs/test_worker.cpp obeys: one message type per command.
//
// The test worker also takes flags on its command line:
//   --manual-heartbeats  beat from the receive loop instead of a thread (so `hang` really goes silent)
//   --ignore-term        ignore SIGTERM
//   --ignore-shutdown    keep running after the pool asks it to finish
//   --exit-at-once N     exit with code N before attaching to the pool
#pragma once

#include "handoff/procs/frame.hpp"

namespace handoff::procs::testing {

enum command : message_type {
  echo = 1,        // replies with the same type and payload
  exit_with = 2,   // payload: a decimal exit code; exits with it at once
  abort_now = 3,   // std::abort()
  segfault = 4,    // dies of SIGSEGV
  hang = 5,        // stops beating and blocks forever (needs --manual-heartbeats)
  flood = 6,       // payload "count size": sends `count` flood_data messages of `size` bytes,
  flood_data = 7,  //   then flood_done, then returns from main (exit 0), ignoring shutdown meanwhile
  flood_done = 8,
  corrupt = 9,      // payload: magic|version|flags|crc|oversize|reserved: writes such a frame on fd 3
  report_fds = 10,  // replies with the descriptors open when main() began: "fd target" lines
  last_words = 11,  // payload "count code": sends `count` last_word messages (index), exits with code
  last_word = 12,
  report_ids = 13,       // replies "pid parent_pid worker_id"
  half_frame_exit = 14,  // writes the first half of a frame on fd 3, then exits 0 (use --manual-heartbeats)
  report_env = 15,       // payload: a variable name; replies with its value ("(unset)" if unset)
};

}  // namespace handoff::procs::testing
