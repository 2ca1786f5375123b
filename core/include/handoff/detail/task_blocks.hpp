// A FIFO of tasks kept in fixed-size blocks, for the loop's post queue.
//
// Why blocks: appending never moves what is already queued. A vector that
// outgrows its capacity copies the whole queue, and the loop's producers do
// that while holding the queue's lock; under a flood of millions of posts one
// such copy stalled the loop thread's next pump for tens of milliseconds.
//
// How blocks travel: producers append to the loop's incoming queue; a pump
// takes the queued blocks in one swap; as soon as the pump has run the last
// task of a block it releases the block (destroys what it held, while the
// block is still in cache) and hands it back to the incoming queue's spares,
// where the next append reuses it. So a flood recycles its own blocks instead
// of allocating new ones while a long batch runs, and no block outlives the
// tasks it held. Spares are kept while the load is heavy; once the loop has
// caught up, the loop frees those beyond spare_budget_bytes (loop.cpp).
//
// Thread contract: none; the loop guards its incoming queue with its queue
// lock, and its batch is the loop thread's alone.
#pragma once

#include "handoff/task.hpp"

#include <cstddef>
#include <utility>
#include <vector>

namespace handoff::detail {

class task_blocks {
 public:
  using block = std::vector<task>;
  static constexpr std::size_t block_size = 1024;  // a power of two: at() is a shift and a mask
  static constexpr std::size_t block_bytes = block_size * sizeof(task);
  /// Emptied blocks kept for reuse once the load is light: 4 MiB, 64 blocks.
  static constexpr std::size_t spare_budget_bytes = std::size_t{4} << 20;
  static constexpr std::size_t spare_budget_blocks = spare_budget_bytes / block_bytes;

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t spare_count() const noexcept { return spare_.size(); }

  template <class F>
  void emplace_back(F&& fn) {
    if (blocks_.empty() || blocks_.back().size() == block_size) add_block();
    blocks_.back().emplace_back(std::forward<F>(fn));  // within the reserved block: never reallocates
    ++size_;
  }

  /// The i-th task; every block but the last is full. Precondition: its block was not released.
  task& at(std::size_t i) noexcept { return blocks_[i / block_size][i % block_size]; }

  /// Destroys what block k still holds and moves its storage out, leaving the
  /// slot empty, so that at() of every later task is unchanged. A block
  /// released twice comes out the second time without storage.
  [[nodiscard]] block release_block(std::size_t k) noexcept {
    block emptied = std::move(blocks_[k]);
    emptied.clear();  // keeps the capacity
    return emptied;
  }

  /// Keeps an emptied block for a later append. False, leaving it to the
  /// caller to free, when it has no storage or the list of spares cannot grow.
  bool keep_spare(block& emptied) noexcept {
    if (emptied.capacity() < block_size) return false;
    try {
      spare_.push_back(std::move(emptied));  // strong guarantee: on failure `emptied` is intact
    } catch (...) {
      return false;
    }
    return true;
  }

  /// Moves the spares beyond the first `keep` out, for the caller to free
  /// outside its lock (freeing hundreds of blocks takes a while).
  [[nodiscard]] std::vector<block> take_spares_beyond(std::size_t keep) {
    std::vector<block> excess;
    if (spare_.size() <= keep) return excess;
    excess.reserve(spare_.size() - keep);  // the only step that may throw: nothing moved yet
    for (std::size_t i = keep; i < spare_.size(); ++i) excess.push_back(std::move(spare_[i]));
    spare_.erase(spare_.begin() + static_cast<std::ptrdiff_t>(keep), spare_.end());
    return excess;
  }

  /// Destroys every task still held and frees the blocks (released ones have
  /// no storage left); the spares stay.
  void clear() noexcept {
    blocks_.clear();  // keeps the capacity of the list of blocks, which a swap hands on
    size_ = 0;
  }

  /// Destroys every task still held but keeps the blocks' storage alive (a
  /// task may still be running from it); the queue is empty afterwards.
  void destroy_tasks() noexcept {
    for (auto& b : blocks_) b.clear();
    size_ = 0;
  }

  /// Moves the blocks (with whatever they hold) to the end of `out`; the queue is empty afterwards.
  void move_blocks_to(std::vector<block>& out) {
    out.reserve(out.size() + blocks_.size());  // the only step that may throw: nothing moved yet
    for (auto& b : blocks_) out.push_back(std::move(b));
    clear();
  }

  /// Exchanges the queued tasks; the spares stay where they are, with the
  /// producers' queue.
  void swap_queued(task_blocks& other) noexcept {
    blocks_.swap(other.blocks_);
    std::swap(size_, other.size_);
  }

  /// Exchanges everything, spares included.
  void swap(task_blocks& other) noexcept {
    swap_queued(other);
    spare_.swap(other.spare_);
  }

 private:
  void add_block() {
    if (!spare_.empty()) {
      blocks_.push_back(std::move(spare_.back()));
      spare_.pop_back();
      return;
    }
    block fresh;
    fresh.reserve(block_size);
    blocks_.push_back(std::move(fresh));
  }

  std::vector<block> blocks_;
  std::vector<block> spare_;
  std::size_t size_ = 0;
};

}  // namespace handoff::detail
