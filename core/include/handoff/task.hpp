// handoff::task: a move-only, type-erased `void()` callable with inline storage.
//
// Why not std::function: it demands copyable callables (so no unique_ptr
// captures) and allocates for captures larger than two pointers. A post must
// cost no heap allocation for the small lambdas UI code hands over, so a task
// keeps callables of up to `inline_size` bytes inside itself and only larger
// ones (or ones whose move may throw) on the heap.
//
// Thread contract: a task is a plain value; it is not synchronised. Moving it
// between threads is the owner's business (the loop does it under a lock).
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace handoff {

class task {
 public:
  /// Callables up to this size (and alignment of max_align_t) are stored inline.
  static constexpr std::size_t inline_size = 48;

  task() noexcept = default;

  // Implicit on purpose (tasks are made from lambdas); the constraint keeps it from taking a task.
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, task> && std::invocable<std::decay_t<F>&>)
      task(F&& fn) {  // NOLINT(google-explicit-constructor,bugprone-forwarding-reference-overload)
    using stored = std::decay_t<F>;
    if constexpr (fits_inline<stored>) {
      ::new (static_cast<void*>(storage_)) stored(std::forward<F>(fn));
      ops_ = &inline_ops<stored>;
    } else {
      *reinterpret_cast<stored**>(storage_) = new stored(std::forward<F>(fn));
      ops_ = &heap_ops<stored>;
    }
  }

  task(task&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) {
      ops_->relocate(storage_, other.storage_);
      other.ops_ = nullptr;
    }
  }

  task& operator=(task&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_ != nullptr) {
        other.ops_->relocate(storage_, other.storage_);
        ops_ = other.ops_;
        other.ops_ = nullptr;
      }
    }
    return *this;
  }

  task(const task&) = delete;
  task& operator=(const task&) = delete;

  ~task() { reset(); }

  /// Runs the callable. Precondition: not empty.
  void operator()() { ops_->invoke(storage_); }

  /// Destroys the callable now (releasing its captures), leaving the task empty.
  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

 private:
  struct operations {
    void (*invoke)(void* storage);
    void (*relocate)(void* to, void* from) noexcept;  // move-construct into `to`, destroy `from`
    void (*destroy)(void* storage) noexcept;
  };

  template <class F>
  static constexpr bool fits_inline =
      sizeof(F) <= inline_size &&
      alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

  template <class F>
  static constexpr operations inline_ops{
      [](void* s) { std::invoke(*std::launder(static_cast<F*>(s))); },
      [](void* to, void* from) noexcept {
        F* source = std::launder(static_cast<F*>(from));
        ::new (to) F(std::move(*source));
        source->~F();
      },
      [](void* s) noexcept { std::launder(static_cast<F*>(s))->~F(); },
  };

  template <class F>
  static constexpr operations heap_ops{
      [](void* s) { std::invoke(**static_cast<F**>(s)); },
      [](void* to, void* from) noexcept { *static_cast<F**>(to) = *static_cast<F**>(from); },
      [](void* s) noexcept { delete *static_cast<F**>(s); },
  };

  alignas(std::max_align_t) std::byte storage_[inline_size];
  const operations* ops_ = nullptr;
};

}  // namespace handoff
