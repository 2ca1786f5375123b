// handoff::pipeline::pipeline_run: one run of the three-stage uppercasing pipeline.
//
//   reader thread --channel--> transformer thread --channel--> writer thread
//        ^                                                          |
//        +----------------- free blocks (recycled) -----------------+
//
// What it is: the reader cuts the input into blocks of whole lines, the
// transformer uppercases each block, the writer writes them. The channels
// are bounded (queue_depth blocks each), so a slow writer slows the reader
// down instead of filling memory: there are 2 * queue_depth + 4 blocks in
// all, each at most three times block_size (uppercasing can grow text), plus
// the transformer's scratch block, whatever the input's size. The end of the
// input closes the first channel, which closes the second: no sentinels.
//
// Ordering: one thread per stage and first-in-first-out channels, so the
// output is the input's blocks in order; a block is whole lines, or a piece
// of a line longer than a block, cut at a code point boundary.
//
// Stopping: a stop request on the token given to the constructor, or a
// failure in any stage, stops all three promptly: channel waits end at once,
// a read from a pipe or terminal and a write to one wait in poll() together
// with an eventfd that the stop makes readable, and a read or write of a
// regular file is at most one block. The run never commits the output:
// the caller does that after a finished run (output_file::commit).
//
// What it does not guarantee: that a stopped or failed run wrote nothing to
// stdout (a pipe cannot be taken back); promptness for a stdout that is a
// socket, whose writes may block once poll() has said it can take some.
//
// Threads: construct, wait and destroy on one thread; progress() from any.
// Lifetime: the destructor stops the run if it is still going and joins its
// threads; the input and output must outlive it.
#pragma once

#include "engine/block.hpp"
#include "engine/input_file.hpp"
#include "engine/output_file.hpp"
#include "engine/uppercaser.hpp"

#include <handoff/channel.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

namespace handoff::pipeline {

struct run_settings {
  case_mode mode = case_mode::unicode;
  std::size_t block_size = std::size_t{1} << 20;  // bytes read per block; min_block_size to max_block_size
  std::size_t queue_depth = 4;                    // blocks each channel holds; at least 1
};

inline constexpr std::size_t min_block_size = 64;
inline constexpr std::size_t max_block_size = std::size_t{64} << 20;  // keeps ICU's int32_t lengths safe

/// How far a run has got: what the writer has written so far.
struct run_progress {
  std::uint64_t input_bytes = 0;   // input whose uppercased form is written
  std::uint64_t output_bytes = 0;  // bytes written (more than input_bytes when ß became SS)
  std::uint64_t newlines = 0;
  std::chrono::steady_clock::duration elapsed{};
};

struct run_result {
  enum class ending { finished, stopped, failed };
  ending how = ending::finished;
  std::string error;  // for failed: one line, such as "writing 'out' failed: No space left on device"
  run_progress totals;
  std::uint64_t lines = 0;  // newlines, plus one for a last line without one
  std::uint64_t blocks = 0;
  std::uint64_t invalid_sequences = 0;  // ill-formed UTF-8, passed through unchanged
  std::uint64_t invalid_bytes = 0;
};

class pipeline_run {
 public:
  /// Starts the three threads. Throws errors::invalid_argument for settings out
  /// of range, std::runtime_error if ICU or a thread cannot start. The constructing thread.
  pipeline_run(const input_file& input, output_file& output, const run_settings& settings,
               std::stop_token stop = {});
  pipeline_run(const pipeline_run&) = delete;
  pipeline_run& operator=(const pipeline_run&) = delete;
  /// Stops the run if it still goes, and joins its threads. The constructing thread.
  ~pipeline_run();

  /// Waits up to `timeout` for the three threads to end; true once they have. The constructing thread.
  [[nodiscard]] bool wait_for(std::chrono::milliseconds timeout);

  /// Waits for the end, joins the threads and says how it went. The constructing thread.
  const run_result& wait();

  /// A snapshot of the counts, for a progress display. Any thread.
  [[nodiscard]] run_progress progress() const noexcept;

 private:
  struct owned_fd {
    explicit owned_fd(int descriptor) noexcept : fd(descriptor) {}
    owned_fd(const owned_fd&) = delete;
    owned_fd& operator=(const owned_fd&) = delete;
    ~owned_fd();
    int fd;
  };
  struct wake_poll {
    int fd;
    void operator()() const noexcept;
  };
  struct forward_stop {
    std::stop_source* to;
    void operator()() const noexcept { to->request_stop(); }
  };

  void read_stage(const std::stop_token& stop);
  void transform_stage(const std::stop_token& stop);
  void write_stage(const std::stop_token& stop);
  bool write_all(const block& b);
  bool wait_until_ready(int fd, short events);
  void fail(const std::string& error);
  void stage_ended();

  const input_file& input_;
  output_file& output_;
  const run_settings settings_;
  const std::chrono::steady_clock::time_point started_;

  std::stop_source stop_;  // ours: a failing stage or the caller's token stops all three stages
  owned_fd wake_;          // an eventfd, readable once stop_ is requested: ends the stages' poll()
  std::stop_callback<wake_poll> wake_on_stop_;
  std::stop_callback<forward_stop> caller_stop_;

  uppercaser upper_;             // the transformer thread's alone
  channel<block> free_blocks_;   // writer -> reader: blocks to reuse
  channel<block> read_blocks_;   // reader -> transformer
  channel<block> upper_blocks_;  // transformer -> writer

  // Written by the writer, read by progress(): display only, so relaxed.
  std::atomic<std::uint64_t> input_done_{0};
  std::atomic<std::uint64_t> output_done_{0};
  std::atomic<std::uint64_t> newlines_done_{0};
  std::uint64_t blocks_done_ = 0;  // the writer's; read after the join
  char last_byte_ = '\n';          // the writer's; read after the join

  mutable std::mutex mutex_;  // guards the three below
  std::condition_variable ended_;
  int running_stages_ = 3;
  std::string error_;  // the first failure
  std::chrono::steady_clock::time_point ended_at_{};

  run_result result_;
  bool joined_ = false;

  // Last: they start once everything above exists and are joined before it goes.
  std::jthread reader_;
  std::jthread transformer_;
  std::jthread writer_;
};

}  // namespace handoff::pipeline
