#include "handoff/tk/interp.hpp"

#include "handoff/tk/tcl_error.hpp"

#include <tcl.h>
#include <tk.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <typeinfo>

namespace handoff::tk {

namespace {

constexpr const char* state_key = "handoff::tk";

// What handoff keeps per interpreter, as Tcl assoc data so that it lives
// exactly as long as the interpreter, whoever owns the views.
struct interp_state {
  bool dialog_open = false;  // interpreter thread only
};

interp_state& state_of(Tcl_Interp* raw) {
  auto* state = static_cast<interp_state*>(Tcl_GetAssocData(raw, state_key, nullptr));
  if (state == nullptr) {
    state = new interp_state();
    Tcl_SetAssocData(
        raw, state_key, [](ClientData data, Tcl_Interp*) { delete static_cast<interp_state*>(data); }, state);
  }
  return *state;
}

// A registered command: Tcl frees it through Tcl_EventuallyFree, so a command
// deleted while it runs (a close handler replacing itself) dies after the call.
struct command_state {
  interp::callback body;
  std::string name;
};

std::atomic<unsigned long long> generated_names{0};  // relaxed: only uniqueness matters

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

std::string error_info(Tcl_Interp* raw) {
  const char* info = Tcl_GetVar2(raw, "errorInfo", nullptr, TCL_GLOBAL_ONLY);
  return info != nullptr ? info : "";
}

int run_command(ClientData data, Tcl_Interp* raw, int objc, Tcl_Obj* const objv[]) {
  auto* state = static_cast<command_state*>(data);
  Tcl_Preserve(state);
  Tcl_Preserve(raw);
  {
    const interp view(raw);
    interp::arguments args(view, objc, objv);
    try {
      state->body(args);
    } catch (...) {
      // The exception stops here: C++ must not unwind through Tcl's C frames.
      Tcl_ResetResult(raw);
      view.report_exception("the command " + state->name, std::current_exception());
    }
  }
  Tcl_Release(raw);
  Tcl_Release(state);
  return TCL_OK;
}

void free_command(char* data) { delete reinterpret_cast<command_state*>(data); }

void delete_command_state(ClientData data) { Tcl_EventuallyFree(data, &free_command); }

}  // namespace

obj interp::arguments::operator[](std::size_t index) const {
  if (index >= size()) throw std::out_of_range("handoff::tk: command argument out of range");
  return obj::share(objv_[index + 1]);
}

obj interp::arguments::name() const { return objc_ > 0 ? obj::share(objv_[0]) : obj(); }

void interp::arguments::set_result(const obj& value) const {
  Tcl_SetObjResult(owner_.raw(), value ? value.get() : Tcl_NewObj());
}

interp::interp(Tcl_Interp* raw)
    : raw_(raw), owner_(reinterpret_cast<Tcl_ThreadId_*>(Tcl_GetCurrentThread())) {
  if (raw_ == nullptr) throw errors::invalid_argument("handoff::tk::interp: the interpreter is null");
}

obj interp::call(std::initializer_list<obj> words) const {
  std::array<Tcl_Obj*, 24> small{};
  if (words.size() > small.size()) return call(std::vector<obj>(words));
  std::size_t n = 0;
  for (const obj& word : words) small[n++] = word.get();
  return call_words(small.data(), n);
}

obj interp::call(const std::vector<obj>& words) const {
  std::vector<Tcl_Obj*> raw_words;
  raw_words.reserve(words.size());
  for (const obj& word : words) raw_words.push_back(word.get());
  return call_words(raw_words.data(), raw_words.size());
}

obj interp::call_words(Tcl_Obj* const* words, std::size_t count) const {
  assert_owner_thread("handoff::tk::interp::call");
  if (count == 0) throw errors::invalid_argument("handoff::tk::interp::call: no words");
  if (count > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw errors::invalid_argument("handoff::tk::interp::call: too many words");
  }
  // A null word becomes an empty string; the empty object is held for the call.
  std::vector<obj> fillers;
  std::vector<Tcl_Obj*> patched;
  for (std::size_t i = 0; i < count; ++i) {
    if (words[i] != nullptr) continue;
    if (patched.empty()) patched.assign(words, words + count);
    fillers.emplace_back("");
    patched[i] = fillers.back().get();
  }
  Tcl_Obj* const* objv = patched.empty() ? words : patched.data();
  // Every word is one argument: Tcl_EvalObjv never parses them as script.
  const int code = Tcl_EvalObjv(raw_, static_cast<int>(count), const_cast<Tcl_Obj**>(objv), TCL_EVAL_GLOBAL);
  if (code == TCL_ERROR) {
    std::string message = Tcl_GetStringResult(raw_);
    std::string info = error_info(raw_);
    Tcl_ResetResult(raw_);
    throw tcl_error(message, std::move(info));
  }
  obj result = obj::share(Tcl_GetObjResult(raw_));
  Tcl_ResetResult(raw_);
  return result;
}

obj interp::command(std::string_view name, callback fn) const {
  assert_owner_thread("handoff::tk::interp::command");
  if (!fn) throw errors::invalid_argument("handoff::tk::interp::command: empty callback");
  if (name.empty()) throw errors::invalid_argument("handoff::tk::interp::command: empty name");
  auto* state = new command_state{std::move(fn), std::string(name)};
  if (Tcl_CreateObjCommand(raw_, state->name.c_str(), &run_command, state, &delete_command_state) ==
      nullptr) {
    delete state;
    throw tcl_error("handoff::tk: cannot create the command " + std::string(name));
  }
  return obj(state->name);
}

obj interp::command(callback fn) const {
  return command(
      "::handoff::callback" + std::to_string(generated_names.fetch_add(1, std::memory_order_relaxed)),
      std::move(fn));
}

void interp::delete_command(const obj& name) const {
  assert_owner_thread("handoff::tk::interp::delete_command");
  if (name) Tcl_DeleteCommand(raw_, name.str().c_str());
}

void interp::report_exception(std::string_view where, const std::exception_ptr& error) const noexcept {
  try {
    const std::string message = describe(error);
    interp_state& state = state_of(raw_);
    const bool has_window = Tk_MainWindow(raw_) != nullptr;
    const char* note = state.dialog_open ? " (an error dialog is already open)"
                       : !has_window     ? " (no window left for a dialog)"
                                         : "";
    std::fprintf(stderr, "handoff::tk: %.*s threw: %s%s\n", static_cast<int>(where.size()), where.data(),
                 message.c_str(), note);
    std::fflush(stderr);
    if (state.dialog_open || !has_window) return;
    state.dialog_open = true;
    Tcl_Preserve(raw_);  // the dialog runs an event loop: the interpreter must outlive it
    try {
      call({"tk_messageBox", "-parent", ".", "-icon", "error", "-type", "ok", "-title", "Error", "-message",
            message, "-detail", "in " + std::string(where)});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "handoff::tk: the error dialog failed too: %s\n", e.what());
    }
    state.dialog_open = false;
    Tcl_Release(raw_);
  } catch (...) {
    std::fprintf(stderr, "handoff::tk: an exception escaped a callback and could not be reported\n");
  }
}

bool interp::is_owner_thread() const noexcept {
  return reinterpret_cast<Tcl_ThreadId_*>(Tcl_GetCurrentThread()) == owner_;
}

void interp::assert_owner_thread([[maybe_unused]] const char* what) const noexcept {
#ifndef NDEBUG
  if (!is_owner_thread()) {
    std::fprintf(stderr,
                 "handoff::tk: %s called off the Tk thread; only the interpreter's thread may touch Tk "
                 "(post the work to the tk_loop)\n",
                 what);
    std::abort();
  }
#endif
}

}  // namespace handoff::tk
