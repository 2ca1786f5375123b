#include "handoff/tk/obj.hpp"

#include "handoff/tk/tcl_error.hpp"

#include <tcl.h>

#include <limits>
#include <utility>

namespace handoff::tk {

namespace {

int tcl_length(std::size_t size) {
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw errors::invalid_argument("handoff::tk::obj: text longer than 2 GiB");
  }
  return static_cast<int>(size);
}

Tcl_Obj* retained(Tcl_Obj* value) noexcept {
  Tcl_IncrRefCount(value);
  return value;
}

[[noreturn]] void not_a(const char* kind, const obj& value) {
  throw tcl_error("handoff::tk: expected " + std::string(kind) + " but got \"" + value.str() + "\"");
}

}  // namespace

obj::obj(Tcl_Obj* value, adopt_tag) noexcept : value_(value) {}

obj::obj(std::string_view text) : value_(retained(Tcl_NewStringObj(text.data(), tcl_length(text.size())))) {}
obj::obj(const char* text) : obj(std::string_view(text != nullptr ? text : "")) {}
obj::obj(const std::string& text) : obj(std::string_view(text)) {}
obj::obj(bool value) : value_(retained(Tcl_NewBooleanObj(value ? 1 : 0))) {}

obj obj::from_wide(long long value) {
  return obj(retained(Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(value))), adopt_tag{});
}

obj obj::from_double(double value) { return obj(retained(Tcl_NewDoubleObj(value)), adopt_tag{}); }

obj::obj(const obj& other) noexcept : value_(other.value_) {
  if (value_ != nullptr) Tcl_IncrRefCount(value_);
}

obj::obj(obj&& other) noexcept : value_(std::exchange(other.value_, nullptr)) {}

obj& obj::operator=(const obj& other) noexcept {
  if (this == &other) return *this;
  if (other.value_ != nullptr)
    Tcl_IncrRefCount(other.value_);  // first: the same value held twice stays alive
  if (value_ != nullptr) Tcl_DecrRefCount(value_);
  value_ = other.value_;
  return *this;
}

obj& obj::operator=(obj&& other) noexcept {
  if (this != &other) {
    if (value_ != nullptr) Tcl_DecrRefCount(value_);
    value_ = std::exchange(other.value_, nullptr);
  }
  return *this;
}

obj::~obj() {
  if (value_ != nullptr) Tcl_DecrRefCount(value_);
}

obj obj::share(Tcl_Obj* value) noexcept {
  return value == nullptr ? obj() : obj(retained(value), adopt_tag{});
}

obj obj::list(std::initializer_list<obj> elements) { return list(std::vector<obj>(elements)); }

obj obj::list(const std::vector<obj>& elements) {
  Tcl_Obj* result = retained(Tcl_NewListObj(0, nullptr));
  obj owner(result, adopt_tag{});
  for (const obj& element : elements) {
    Tcl_Obj* item = element.value_ != nullptr ? element.value_ : Tcl_NewObj();
    Tcl_ListObjAppendElement(nullptr, result, item);  // cannot fail: result is an unshared list
  }
  return owner;
}

std::string obj::str() const { return std::string(view()); }

std::string_view obj::view() const {
  if (value_ == nullptr) return {};
  int length = 0;
  const char* bytes = Tcl_GetStringFromObj(value_, &length);
  return {bytes, static_cast<std::size_t>(length)};
}

long long obj::as_int() const {
  Tcl_WideInt value = 0;
  if (value_ == nullptr || Tcl_GetWideIntFromObj(nullptr, value_, &value) != TCL_OK)
    not_a("an integer", *this);
  return static_cast<long long>(value);
}

double obj::as_double() const {
  double value = 0.0;
  if (value_ == nullptr || Tcl_GetDoubleFromObj(nullptr, value_, &value) != TCL_OK) not_a("a number", *this);
  return value;
}

bool obj::as_bool() const {
  int value = 0;
  if (value_ == nullptr || Tcl_GetBooleanFromObj(nullptr, value_, &value) != TCL_OK)
    not_a("a boolean", *this);
  return value != 0;
}

std::vector<obj> obj::elements() const {
  if (value_ == nullptr) return {};
  int count = 0;
  Tcl_Obj** items = nullptr;
  if (Tcl_ListObjGetElements(nullptr, value_, &count, &items) != TCL_OK) not_a("a list", *this);
  std::vector<obj> result;
  result.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) result.push_back(share(items[i]));
  return result;
}

}  // namespace handoff::tk
