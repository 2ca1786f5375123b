#include "engine/name_book.hpp"

#include "engine/file_name.hpp"

#include <sys/stat.h>

namespace handoff::fetch {

name_book::name_book(std::filesystem::path dir, bool force) : dir_(std::move(dir)), force_(force) {}

bool name_book::free_on_disk(const std::string& name) const {
  struct stat info {};
  // lstat: a dangling symbolic link counts as existing, it is not ours to replace.
  if (lstat((dir_ / name).c_str(), &info) != 0) return true;
  return force_ && !S_ISDIR(info.st_mode);
}

std::string name_book::reserve(std::string_view name) {
  for (unsigned number = 0;; ++number) {
    std::string candidate = number == 0 ? std::string(name) : numbered_name(name, number);
    if (held(candidate) || held(candidate + ".part") || !free_on_disk(candidate)) continue;
    held_.insert(candidate + ".part");
    held_.insert(candidate);
    return candidate;
  }
}

bool name_book::reserve_exactly(std::string_view name) {
  const std::string part = std::string(name) + ".part";
  if (held(name) || held(part)) return false;
  held_.insert(part);
  held_.emplace(name);
  return true;
}

void name_book::release(std::string_view name) {
  if (const auto it = held_.find(name); it != held_.end()) held_.erase(it);
  if (const auto it = held_.find(std::string(name) + ".part"); it != held_.end()) held_.erase(it);
}

bool name_book::held(std::string_view name) const { return held_.find(name) != held_.end(); }

}  // namespace handoff::fetch
