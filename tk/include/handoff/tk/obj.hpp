// handoff::tk::obj: one owned reference to a Tcl value (a Tcl_Obj).
//
// What it is: the unit in which data travels to and from Tcl. A command is a
// vector of objs handed to Tcl_EvalObjv (interp::call), so every word arrives
// as exactly one argument: text a user typed is never parsed as Tcl, whatever
// brackets, dollars, braces or quotes it holds. obj converts implicitly from
// strings and numbers, so a call reads like the Tcl it replaces:
//     tcl.call({"ttk::label", ".status", "-text", user_text});
//
// Ordering and threads: Tcl reference counts are not atomic and Tcl values
// belong to the thread that made them. Create, copy, read and destroy objs on
// the interpreter's thread only; hand plain C++ values (std::string, numbers)
// across threads and make the obj inside the posted task.
//
// What it does not guarantee: view() points into Tcl's string representation,
// valid only while this obj lives and nobody changes the value.
//
// Lifetime: copying adds a reference, destruction drops one; Tcl frees the
// value with its last reference. A default-constructed obj is null.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

struct Tcl_Obj;  // from tcl.h; forward-declared so this header does not need it

namespace handoff::tk {

class obj {
 public:
  /// A null obj (holds no value). Interpreter thread only.
  obj() noexcept = default;
  /// A Tcl string with exactly these bytes (UTF-8). Interpreter thread only.
  obj(std::string_view text);    // NOLINT(google-explicit-constructor): objs are made from literals
  obj(const char* text);         // NOLINT(google-explicit-constructor)
  obj(const std::string& text);  // NOLINT(google-explicit-constructor)
  /// A Tcl boolean (0 or 1). Interpreter thread only.
  obj(bool value);  // NOLINT(google-explicit-constructor)
  /// A single char is ambiguous (text or number?): say std::string(1, c) or int(c).
  obj(char) = delete;
  /// A Tcl integer. Interpreter thread only.
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) obj(T value)
      : obj(from_wide(static_cast<long long>(value))) {}  // NOLINT(google-explicit-constructor)
  /// A Tcl double. Interpreter thread only.
  template <std::floating_point T>
  obj(T value) : obj(from_double(static_cast<double>(value))) {}  // NOLINT(google-explicit-constructor)

  /// Copies share the value (one more reference); moves take it. Interpreter thread only.
  obj(const obj& other) noexcept;
  obj(obj&& other) noexcept;
  obj& operator=(const obj& other) noexcept;
  obj& operator=(obj&& other) noexcept;
  ~obj();

  /// Takes a new reference to an existing Tcl value (nullptr gives a null obj). Interpreter thread only.
  static obj share(Tcl_Obj* value) noexcept;
  /// A Tcl list of these elements. Its string form is a command whose words
  /// are exactly the elements, so it is the safe way to build a script for
  /// -command options and bindings: obj::list({command_name, row_id}). Interpreter thread only.
  static obj list(std::initializer_list<obj> elements);
  /// As list(), from a vector. Interpreter thread only.
  static obj list(const std::vector<obj>& elements);

  /// The Tcl value, or nullptr; the reference stays with this obj. Interpreter thread only.
  [[nodiscard]] Tcl_Obj* get() const noexcept { return value_; }
  [[nodiscard]] explicit operator bool() const noexcept { return value_ != nullptr; }

  /// The string form, copied (empty for a null obj). Interpreter thread only.
  [[nodiscard]] std::string str() const;
  /// The string form, not copied: valid while this obj lives unchanged. Interpreter thread only.
  [[nodiscard]] std::string_view view() const;
  /// The value as an integer; throws tcl_error if it is not one. Interpreter thread only.
  [[nodiscard]] long long as_int() const;
  /// The value as a double; throws tcl_error if it is not a number. Interpreter thread only.
  [[nodiscard]] double as_double() const;
  /// The value as a boolean (1/0, true/false, yes/no, on/off); throws tcl_error otherwise. Interpreter thread
  /// only.
  [[nodiscard]] bool as_bool() const;
  /// The elements of the value read as a Tcl list; throws tcl_error if it is not one. Interpreter thread
  /// only.
  [[nodiscard]] std::vector<obj> elements() const;

 private:
  static obj from_wide(long long value);
  static obj from_double(double value);
  struct adopt_tag {};
  obj(Tcl_Obj* value, adopt_tag) noexcept;  // takes a value whose reference count was just incremented

  Tcl_Obj* value_ = nullptr;
};

}  // namespace handoff::tk
