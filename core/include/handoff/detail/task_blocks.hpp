// A FIFO of tasks kept in fixed-size blocks, for the loop's post queue.
//
// Why blocks: appending never moves what is already queued. A vector that
// outgrows its capacity copies the whole queue, and the loop's producers do
// that while holding the queue's lock; under a flood of millions of posts one
// such copy stalled the loop thread's next pump for tens of milliseconds.
// Emptied blocks are kept (up to a bound) and reused, so a steady stream of
// posts allocates nothing.
//
// Thread contract: none; the loop guards it with its queue lock.
#pragma once

#include "handoff/task.hpp"

#include <cstddef>
#include <utility>
#include <vector>

namespace handoff::detail {

class task_blocks {
 public:
  static constexpr std::size_t block_size = 1024;  // a power of two: at() is a shift and a mask
  static constexpr std::size_t max_spare_blocks = 16;

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  template <class F>
  void emplace_back(F&& fn) {
    if (blocks_.empty() || blocks_.back().size() == block_size) add_block();
    blocks_.back().emplace_back(std::forward<F>(fn));  // within the reserved block: never reallocates
    ++size_;
  }

  /// The i-th task; every block but the last is full.
  task& at(std::size_t i) noexcept { return blocks_[i / block_size][i % block_size]; }

  /// Destroys every task and keeps the emptied blocks (up to a bound) for reuse.
  void recycle() noexcept {
    for (auto& block : blocks_) {
      block.clear();
      if (spare_.size() < max_spare_blocks) spare_.push_back(std::move(block));
    }
    blocks_.clear();
    size_ = 0;
  }

  /// Exchanges everything, spare blocks included: after a pump the consumer's
  /// emptied blocks travel to the producers' side.
  void swap(task_blocks& other) noexcept {
    blocks_.swap(other.blocks_);
    spare_.swap(other.spare_);
    std::swap(size_, other.size_);
  }

 private:
  void add_block() {
    if (!spare_.empty()) {
      blocks_.push_back(std::move(spare_.back()));
      spare_.pop_back();
      return;
    }
    std::vector<task> block;
    block.reserve(block_size);
    blocks_.push_back(std::move(block));
  }

  std::vector<std::vector<task>> blocks_;
  std::vector<std::vector<task>> spare_;
  std::size_t size_ = 0;
};

}  // namespace handoff::detail
