// handoff::detail::callback_gate<C>: the user's callbacks of a job (or job
// group), guarded so that its owner can promise "no callback after I am gone".
//
// Every call into the callbacks happens inside a pass obtained from enter().
// close() refuses every later pass; with `wait_for_running` it also blocks
// until the passes under way are left (the owner destroyed on another thread
// waits for a callback running on the loop thread). The callbacks themselves
// are destroyed as soon as the gate is closed and no pass is held: by close()
// if none is, else by the last pass to leave, so a callback that destroys its
// own owner keeps running on live captures. Passes nest (a progress callback
// delivered from inside an ending).
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

namespace handoff::detail {

template <class C>
class callback_gate {
 public:
  explicit callback_gate(C callbacks) : callbacks_(std::move(callbacks)) {}
  callback_gate(const callback_gate&) = delete;
  callback_gate& operator=(const callback_gate&) = delete;

  /// Access to the callbacks while held; empty if the gate was closed.
  class pass {
   public:
    pass(const pass&) = delete;
    pass& operator=(const pass&) = delete;
    ~pass() {
      if (gate_ != nullptr) gate_->leave();
    }
    explicit operator bool() const noexcept { return gate_ != nullptr; }
    C* operator->() const noexcept { return callbacks_; }
    C& operator*() const noexcept { return *callbacks_; }

   private:
    friend class callback_gate;
    pass(callback_gate* gate, C* callbacks) noexcept : gate_(gate), callbacks_(callbacks) {}
    callback_gate* gate_;
    C* callbacks_;
  };

  /// A pass while the gate is open, else an empty one. The thread that runs callbacks.
  pass enter() {
    std::lock_guard lock(mutex_);  // ordered with close(): a pass is either counted or refused
    if (!open_) return pass(nullptr, nullptr);
    ++active_;
    return pass(this, &*callbacks_);
  }

  /// Refuses later passes; waits for passes under way if asked; destroys the
  /// callbacks now if no pass is held. Idempotent. Any thread.
  void close(bool wait_for_running) {
    std::optional<C> doomed;
    {
      std::unique_lock lock(mutex_);  // the flag, the count and the callbacks change together
      open_ = false;
      if (wait_for_running) idle_.wait(lock, [&] { return active_ == 0; });
      if (active_ == 0) doomed.swap(callbacks_);
    }
    // `doomed` is destroyed here, unlocked: the user's captures may do anything.
  }

  /// False once close() began. Any thread.
  [[nodiscard]] bool is_open() const {
    std::lock_guard lock(mutex_);  // open_ is written under the lock
    return open_;
  }

 private:
  void leave() noexcept {
    std::optional<C> doomed;
    {
      std::lock_guard lock(mutex_);  // pairs with close(): whoever comes last destroys the callbacks
      if (--active_ != 0) return;
      if (!open_) doomed.swap(callbacks_);
    }
    idle_.notify_all();
  }

  mutable std::mutex mutex_;  // guards every field below
  std::condition_variable idle_;
  bool open_ = true;
  int active_ = 0;
  std::optional<C> callbacks_;
};

}  // namespace handoff::detail
