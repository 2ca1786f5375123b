#include "engine/pipeline_run.hpp"

#include "engine/pipeline_error.hpp"

#include <handoff/errors.hpp>
#include <handoff/thread_registry.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <vector>

namespace handoff::pipeline {

namespace {

const run_settings& checked(const run_settings& settings) {
  if (settings.block_size < min_block_size || settings.block_size > max_block_size) {
    throw errors::invalid_argument("pipeline block size " + std::to_string(settings.block_size) +
                                   " is outside 64 B to 64 MiB");
  }
  if (settings.queue_depth == 0) throw errors::invalid_argument("pipeline queue depth 0");
  return settings;
}

int make_eventfd() {
  const int fd = eventfd(0, EFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot create an eventfd: " + describe_errno(errno));
  return fd;
}

}  // namespace

pipeline_run::owned_fd::~owned_fd() {
  if (fd >= 0) close(fd);
}

void pipeline_run::wake_poll::operator()() const noexcept {
  const std::uint64_t one = 1;
  // Cannot fail short of a full counter (2^64 - 1 wakes); nothing to do if it did.
  if (write(fd, &one, sizeof one) < 0) return;
}

pipeline_run::pipeline_run(const input_file& input, output_file& output, const run_settings& settings,
                           std::stop_token stop)
    : input_(input),
      output_(output),
      settings_(checked(settings)),
      started_(std::chrono::steady_clock::now()),
      wake_(make_eventfd()),
      wake_on_stop_(stop_.get_token(), wake_poll{wake_.fd}),
      caller_stop_(stop, forward_stop{&stop_}),
      upper_(settings_.mode),
      // Enough blocks that the reader waits for a free one only when both
      // channels are full and every stage holds one: never a deadlock.
      free_blocks_(2 * settings_.queue_depth + 4),
      read_blocks_(settings_.queue_depth),
      upper_blocks_(settings_.queue_depth) {
  for (std::size_t i = 0; i < free_blocks_.capacity(); ++i) {
    free_blocks_.try_send(block{});  // empty: each gets its memory on first use
  }
  try {
    reader_ = std::jthread([this] { read_stage(stop_.get_token()); });
    transformer_ = std::jthread([this] { transform_stage(stop_.get_token()); });
    writer_ = std::jthread([this] { write_stage(stop_.get_token()); });
  } catch (...) {
    stop_.request_stop();  // the threads already started leave, and the members' destructors join them
    throw;
  }
}

pipeline_run::~pipeline_run() {
  stop_.request_stop();
  if (reader_.joinable()) reader_.join();
  if (transformer_.joinable()) transformer_.join();
  if (writer_.joinable()) writer_.join();
}

bool pipeline_run::wait_for(std::chrono::milliseconds timeout) {
  // Guards running_stages_, written by each stage as it ends.
  std::unique_lock lock(mutex_);
  return ended_.wait_for(lock, timeout, [&] { return running_stages_ == 0; });
}

const run_result& pipeline_run::wait() {
  if (joined_) return result_;
  reader_.join();
  transformer_.join();
  writer_.join();
  joined_ = true;
  std::string error;
  std::chrono::steady_clock::time_point ended_at;
  {
    // Guards the first error and the end time; every stage has ended, so this is only for the rules.
    std::lock_guard lock(mutex_);
    error = error_;
    ended_at = ended_at_;
  }
  result_.totals = progress();
  result_.totals.elapsed = ended_at - started_;
  result_.blocks = blocks_done_;
  result_.lines = result_.totals.newlines + (result_.totals.output_bytes > 0 && last_byte_ != '\n' ? 1 : 0);
  result_.invalid_sequences = upper_.invalid_sequences();
  result_.invalid_bytes = upper_.invalid_bytes();
  if (!error.empty()) {
    result_.how = run_result::ending::failed;
    result_.error = error;
  } else if (stop_.stop_requested()) {
    // Only a failure (which left an error) or the caller's token requests it.
    result_.how = run_result::ending::stopped;
  } else {
    result_.how = run_result::ending::finished;
  }
  return result_;
}

run_progress pipeline_run::progress() const noexcept {
  run_progress now;
  now.input_bytes = input_done_.load(std::memory_order_relaxed);
  now.output_bytes = output_done_.load(std::memory_order_relaxed);
  now.newlines = newlines_done_.load(std::memory_order_relaxed);
  now.elapsed = std::chrono::steady_clock::now() - started_;
  return now;
}

void pipeline_run::fail(const std::string& error) {
  {
    // Guards error_: the first failure is the one reported.
    std::lock_guard lock(mutex_);
    if (error_.empty()) error_ = error;
  }
  stop_.request_stop();
}

void pipeline_run::stage_ended() {
  bool all_ended = false;
  {
    // Guards running_stages_ and ended_at_ against wait_for and wait.
    std::lock_guard lock(mutex_);
    all_ended = --running_stages_ == 0;
    if (all_ended) ended_at_ = std::chrono::steady_clock::now();
  }
  if (all_ended) ended_.notify_all();
}

bool pipeline_run::wait_until_ready(int fd, short events) {
  std::array<pollfd, 2> fds{pollfd{fd, events, 0}, pollfd{wake_.fd, POLLIN, 0}};
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return true;  // let the read or write itself report what is wrong
    }
    // An error or hang-up on fd counts as ready: the read or write reports it (or sees the end).
    return fds[1].revents == 0;
  }
}

void pipeline_run::read_stage(const std::stop_token& stop) {
  const thread_registration registration("pipeline-read");
  const std::size_t size = settings_.block_size;
  try {
    std::optional<block> current = free_blocks_.receive(stop);
    if (current) current->reserve(size);
    while (current) {
      if (!input_.is_regular()) {
        // A pipe or terminal may make read() wait for ever: wait in poll() instead, where a stop reaches us.
        const thread_activity activity("waiting for input");
        if (!wait_until_ready(input_.fd(), POLLIN)) break;
      }
      ssize_t n = 0;
      {
        const thread_activity activity("reading");
        n = read(input_.fd(), current->data() + current->size(), size - current->size());
      }
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        fail("reading " + input_.name() + " failed: " + describe_errno(errno));
        break;
      }
      if (n == 0) {
        if (current->size() > 0) {
          current->input_bytes = current->size();
          read_blocks_.send(std::move(*current), stop);
        }
        break;
      }
      current->set_size(current->size() + static_cast<std::size_t>(n));
      std::size_t cut = 0;
      if (current->size() == size) {
        cut = cut_point(
            current->view());  // full: after the last line end, or a long line's code point boundary
      } else if (const void* newline = memrchr(current->data(), '\n', current->size()); newline != nullptr) {
        // A short read: a pipe or terminal had no more for now; pass the whole lines on at once.
        cut = static_cast<std::size_t>(static_cast<const char*>(newline) - current->data()) + 1;
      }
      if (cut == 0) continue;  // no line end yet, and room left: read more into the same block
      std::optional<block> next;
      {
        const thread_activity activity("waiting for a free block");
        next = free_blocks_.receive(stop);
      }
      if (!next) break;
      next->clear();
      next->reserve(size);
      next->append(current->data() + cut, current->size() - cut);  // the start of the next line
      current->set_size(cut);
      current->input_bytes = cut;
      {
        const thread_activity activity("waiting for the transformer");
        if (!read_blocks_.send(std::move(*current), stop)) break;
      }
      current = std::move(next);
      if (stop.stop_requested()) break;
    }
  } catch (const std::exception& error) {
    fail("reading " + input_.name() + " failed: " + error.what());
  }
  read_blocks_.close();
  stage_ended();
}

void pipeline_run::transform_stage(const std::stop_token& stop) {
  const thread_registration registration("pipeline-upper");
  try {
    bool going = true;
    while (going) {
      std::vector<block> batch;
      {
        const thread_activity activity("waiting for a block");
        batch = read_blocks_.drain(settings_.queue_depth, stop);
      }
      if (batch.empty()) break;  // the reader closed its channel and it is empty, or a stop
      for (block& b : batch) {
        {
          const thread_activity activity("uppercasing");
          upper_.uppercase(b);
        }
        const thread_activity activity("waiting for the writer");
        if (!upper_blocks_.send(std::move(b), stop)) {
          going = false;
          break;
        }
      }
    }
  } catch (const std::exception& error) {
    fail(std::string("uppercasing failed: ") + error.what());
  }
  upper_blocks_.close();
  stage_ended();
}

void pipeline_run::write_stage(const std::stop_token& stop) {
  const thread_registration registration("pipeline-write");
  try {
    bool going = true;
    while (going) {
      std::vector<block> batch;
      {
        const thread_activity activity("waiting for a block");
        batch = upper_blocks_.drain(settings_.queue_depth, stop);
      }
      if (batch.empty()) break;  // the transformer closed its channel and it is empty, or a stop
      for (block& b : batch) {
        if (stop.stop_requested() || !write_all(b)) {
          going = false;
          break;
        }
        input_done_.fetch_add(b.input_bytes, std::memory_order_relaxed);
        output_done_.fetch_add(b.size(), std::memory_order_relaxed);
        newlines_done_.fetch_add(b.newlines, std::memory_order_relaxed);
        ++blocks_done_;
        if (b.size() > 0) last_byte_ = b.data()[b.size() - 1];
        b.clear();
        // Never full: it holds every block there is. A block it refused would just be freed.
        free_blocks_.try_send(std::move(b));
      }
    }
  } catch (const std::exception& error) {
    fail("writing " + output_.name() + " failed: " + error.what());
  }
  stage_ended();
}

bool pipeline_run::write_all(const block& b) {
  const thread_activity activity("writing");
  const char* at = b.data();
  std::size_t left = b.size();
  // A blocking pipe, terminal or socket: ask poll() first (where a stop reaches
  // us), then write no more than a pipe promises to take without waiting.
  const bool poll_first = !output_.is_regular() && !output_.nonblocking();
  while (left > 0) {
    std::size_t chunk = left;
    if (poll_first) {
      if (!wait_until_ready(output_.fd(), POLLOUT)) return false;
      chunk = std::min<std::size_t>(left, PIPE_BUF);
    }
    const ssize_t n = write(output_.fd(), at, chunk);
    if (n > 0) {
      at += n;
      left -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_until_ready(output_.fd(), POLLOUT)) return false;
      continue;
    }
    fail("writing " + output_.name() + " failed: " + describe_errno(n < 0 ? errno : EIO));
    return false;
  }
  return true;
}

}  // namespace handoff::pipeline
