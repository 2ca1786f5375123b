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
#include <cstring>
#include <functional>
#include <memory>
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
      relocate_from(other);
      other.ops_ = nullptr;
    }
  }

  task& operator=(task&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_ != nullptr) {
        ops_ = other.ops_;
        relocate_from(other);
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

  /// Runs the callable and destroys it (even if it throws), leaving the task
  /// empty: one indirect call where running then reset() would take two.
  /// Precondition: not empty.
  void run_once() {
    const operations* ops = std::exchange(ops_, nullptr);
    ops->invoke_then_destroy(storage_);
  }

  /// Destroys the callable now (releasing its captures), leaving the task empty.
  void reset() noexcept {
    if (ops_ != nullptr) {
      if (ops_->destroy != nullptr) ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

 private:
  struct operations {
    void (*invoke)(void* storage);
    void (*invoke_then_destroy)(void* storage);
    void (*relocate)(void* to,
                     void* from) noexcept;  // move-construct into `to`, destroy `from`; null: copy the bytes
    void (*destroy)(void* storage) noexcept;  // null: nothing to destroy
  };

  // Lambdas that capture plain values and pointers are trivially copyable:
  // moving them is copying bytes, and destroying them is nothing, so the hot
  // path of a post makes no indirect call for either.
  template <class F>
  static constexpr bool trivially_relocatable =
      std::is_trivially_copyable_v<F>&& std::is_trivially_destructible_v<F>;

  void relocate_from(task& other) noexcept {
    if (ops_->relocate == nullptr) {
      std::memcpy(storage_, other.storage_, inline_size);
    } else {
      ops_->relocate(storage_, other.storage_);
    }
  }

  template <class F>
  static void invoke_then_destroy_inline(void* s) {
    F* fn = std::launder(static_cast<F*>(s));
    if constexpr (std::is_trivially_destructible_v<F>) {
      std::invoke(*fn);
    } else {
      struct destroy_on_exit {
        F* fn;
        ~destroy_on_exit() { fn->~F(); }
      } guard{fn};
      std::invoke(*fn);
    }
  }

  template <class F>
  static constexpr bool fits_inline =
      sizeof(F) <= inline_size &&
      alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

  template <class F>
  static constexpr operations inline_ops{
      [](void* s) { std::invoke(*std::launder(static_cast<F*>(s))); },
      &invoke_then_destroy_inline<F>,
      trivially_relocatable<F> ? nullptr
                               : +[](void* to, void* from) noexcept {
                                   F* source = std::launder(static_cast<F*>(from));
                                   ::new (to) F(std::move(*source));
                                   source->~F();
                                 },
      std::is_trivially_destructible_v<F> ? nullptr
                                          : +[](void* s) noexcept { std::launder(static_cast<F*>(s))->~F(); },
  };

  template <class F>
  static constexpr operations heap_ops{
      [](void* s) { std::invoke(**static_cast<F**>(s)); },
      [](void* s) {
        const std::unique_ptr<F> owned(*static_cast<F**>(s));  // deleted however the call ends
        std::invoke(*owned);
      },
      nullptr,  // the pointer's bytes are the whole state
      [](void* s) noexcept { delete *static_cast<F**>(s); },
  };

  alignas(std::max_align_t) std::byte storage_[inline_size];
  const operations* ops_ = nullptr;
};

}  // namespace handoff
