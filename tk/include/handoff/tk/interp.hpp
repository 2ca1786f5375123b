// handoff::tk::interp: the safe way for C++ to drive a Tcl/Tk interpreter.
//
// What it is: a small view of a Tcl_Interp with three verbs.
//   - call({...}) runs one Tcl command given as a vector of words
//     (Tcl_EvalObjv). Every word is one argument, never parsed: text containing
//     [exec ...], $var, unbalanced braces or quotes is shown as text and runs
//     nothing. There is deliberately no "eval this script string".
//   - command(fn) registers a C++ callback as a Tcl command (for -command
//     options, bindings, protocols) and returns its name; Tcl owns the
//     callback and destroys it when the command or the interpreter is deleted.
//   - report_exception(...) is what happens when a callback throws: one line
//     on stderr and an error dialog (tk_messageBox, itself called with
//     Tcl_EvalObjv). An exception never crosses into Tcl, never crashes the
//     program and is never silent.
//
// Ordering and threads: Tk belongs to the thread that created the
// interpreter. Every member must be called there; debug builds abort with a
// message when one is called from another thread (assert_owner_thread). Other
// threads reach the widgets by posting to the tk_loop.
//
// What it does not guarantee: a callback that throws is reported, not
// retried; the Tcl caller sees a normal (empty) result. While one error dialog
// is open, further errors go to stderr only, so a repeating failure cannot
// stack dialogs. The dialog is modal: Tk keeps serving events (and the
// tk_loop its tasks, unless the error came from inside a task) until it is
// dismissed.
//
// Lifetime: interp does not own the interpreter; copies are cheap views. The
// interpreter must outlive every call made through them.
#pragma once

#include "handoff/tk/obj.hpp"

#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

struct Tcl_Interp;
struct Tcl_ThreadId_;

namespace handoff::tk {

class interp {
 public:
  /// What a C++ command receives: its arguments (the words after the command
  /// name) and a way to set its result. Valid only during the call.
  class arguments {
   public:
    /// Made by the command layer for each call. Interpreter thread only.
    arguments(const interp& owner, int objc, Tcl_Obj* const* objv) noexcept
        : owner_(owner), objc_(objc), objv_(objv) {}

    /// How many arguments follow the command name. Interpreter thread only.
    [[nodiscard]] std::size_t size() const noexcept {
      return objc_ > 0 ? static_cast<std::size_t>(objc_ - 1) : 0;
    }
    /// Argument `index` (0 is the first after the name); throws std::out_of_range. Interpreter thread only.
    [[nodiscard]] obj operator[](std::size_t index) const;
    /// The command's own name as Tcl called it. Interpreter thread only.
    [[nodiscard]] obj name() const;
    /// Sets the command's result, as seen by the Tcl code that called it. Interpreter thread only.
    void set_result(const obj& value) const;
    /// The interpreter the command runs in. Interpreter thread only.
    [[nodiscard]] const interp& tcl() const noexcept { return owner_; }

   private:
    const interp& owner_;
    int objc_;
    Tcl_Obj* const* objv_;
  };

  using callback = std::function<void(arguments&)>;

  /// A view of `raw`, bound to the calling thread, which must be the
  /// interpreter's. Interpreter thread only.
  explicit interp(Tcl_Interp* raw);

  /// The interpreter, for the Tcl C API. Any thread (using it is not).
  [[nodiscard]] Tcl_Interp* raw() const noexcept { return raw_; }

  /// Runs one command whose words are `words`, at global level, and returns
  /// its result; throws tcl_error on a Tcl error. Interpreter thread only.
  obj call(std::initializer_list<obj> words) const;
  /// As above, with the words in a vector. Interpreter thread only.
  obj call(const std::vector<obj>& words) const;

  /// Registers `fn` as the Tcl command `name` (replacing any command of that
  /// name) and returns the name. Interpreter thread only.
  obj command(std::string_view name, callback fn) const;
  /// As above, under a fresh name (::handoff::callbackN). Interpreter thread only.
  obj command(callback fn) const;
  /// As above, for a callback that takes no arguments. Interpreter thread only.
  template <class F>
  requires(std::invocable<F&> && !std::invocable<F&, arguments&>) obj command(F fn)
  const {
    return command(callback([body = std::move(fn)](arguments&) mutable { body(); }));
  }

  /// Deletes a command made by command(); its callback is destroyed. Interpreter thread only.
  void delete_command(const obj& name) const;

  /// Reports an exception that escaped C++ code run by Tk: one line on stderr
  /// ("handoff::tk: <where> threw: <message>"), then a modal error dialog
  /// unless one is already open or the main window is gone. Never throws.
  /// Interpreter thread only.
  void report_exception(std::string_view where, const std::exception_ptr& error) const noexcept;

  /// True on the interpreter's thread. Any thread.
  [[nodiscard]] bool is_owner_thread() const noexcept;

  /// Debug builds: prints "<what> called off the Tk thread" and aborts unless
  /// called on the interpreter's thread. Release builds (NDEBUG): nothing. Any thread.
  void assert_owner_thread(const char* what) const noexcept;

 private:
  obj call_words(Tcl_Obj* const* words, std::size_t count) const;

  Tcl_Interp* raw_;
  Tcl_ThreadId_* owner_;
};

}  // namespace handoff::tk
