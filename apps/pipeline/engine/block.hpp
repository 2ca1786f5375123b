// handoff::pipeline::block: a run of whole lines travelling from one stage to the next.
//
// What it is: a byte buffer that owns its memory, plus what the stages learn
// about it on the way (how much input it came from, how many newlines it
// holds). A block is whole lines, except when one line is longer than a block:
// then the line is cut at a code point boundary and travels in several blocks,
// in order. Blocks are recycled (the writer hands them back to the reader), so
// the buffer keeps its capacity when cleared and never zero-fills.
//
// Threads: a block belongs to one stage at a time; nothing in it is shared.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace handoff::pipeline {

class block {
 public:
  block() = default;
  block(block&&) noexcept = default;
  block& operator=(block&&) noexcept = default;
  block(const block&) = delete;
  block& operator=(const block&) = delete;

  [[nodiscard]] char* data() noexcept { return bytes_.get(); }
  [[nodiscard]] const char* data() const noexcept { return bytes_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::string_view view() const noexcept { return {bytes_.get(), size_}; }

  /// Makes room for at least `wanted` bytes, keeping the contents.
  void reserve(std::size_t wanted) {
    if (wanted <= capacity_) return;
    // new char[] leaves the bytes uninitialised: a block is always filled before it is read.
    std::unique_ptr<char[]> bigger(new char[wanted]);
    if (size_ > 0) std::memcpy(bigger.get(), bytes_.get(), size_);
    bytes_ = std::move(bigger);
    capacity_ = wanted;
  }

  /// Sets the size after bytes were written into data(); `size` must not exceed capacity().
  void set_size(std::size_t size) noexcept { size_ = std::min(size, capacity_); }

  /// Appends `n` bytes, growing if needed.
  void append(const char* from, std::size_t n) {
    reserve(size_ + n);
    if (n > 0) std::memcpy(bytes_.get() + size_, from, n);
    size_ += n;
  }

  /// Exchanges the bytes (not the counts) with `other`: the transformer's way
  /// to hand over a rebuilt block without copying it.
  void swap_bytes(block& other) noexcept {
    std::swap(bytes_, other.bytes_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  /// Empties the block and its counts; the capacity stays.
  void clear() noexcept {
    size_ = 0;
    input_bytes = 0;
    newlines = 0;
  }

  std::uint64_t input_bytes = 0;  // bytes of input this block holds (before uppercasing); set by the reader
  std::uint64_t newlines = 0;     // '\n' bytes in it; set by the transformer

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace handoff::pipeline
