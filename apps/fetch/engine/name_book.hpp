// fetch's name book: the names the transfers of one download manager hold in its directory.
//
// Why: two URLs of one batch may well end in the same name ("download",
// "index.html"), and a file may already exist under it. A transfer reserves
// its name here before it writes a byte, so no two transfers ever write the
// same NAME.part or rename onto the same NAME, and an existing NAME is never
// overwritten without force: the next free "NAME.1.ext", "NAME.2.ext"... is
// taken instead. Reserving a name reserves its ".part" file with it.
//
// Names stay reserved for the manager's lifetime, even after a failure: the
// failed transfer's NAME.part stays on disk for a later run to resume, and no
// other transfer of the batch may start it over.
//
// What it does not guarantee: that no other program creates NAME meanwhile;
// the rename into place checks that again (RENAME_NOREPLACE).
//
// Threads: not synchronized; the engine thread owns it.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>

namespace handoff::fetch {

class name_book {
 public:
  name_book(std::filesystem::path dir, bool force);

  /// The first of `name`, numbered_name(name, 1), ... that no transfer holds
  /// (nor its .part) and that does not exist in the directory (with force:
  /// that is not a directory); reserves it (and its .part) and returns it.
  std::string reserve(std::string_view name);

  /// Reserves exactly `name` and its .part if no transfer holds either,
  /// whether or not they exist on disk (a resume). True if reserved.
  bool reserve_exactly(std::string_view name);

  /// Gives a name (and its .part) back.
  void release(std::string_view name);

  [[nodiscard]] bool held(std::string_view name) const;

 private:
  bool free_on_disk(const std::string& name) const;

  std::filesystem::path dir_;
  bool force_;
  std::set<std::string, std::less<>> held_;
};

}  // namespace handoff::fetch
