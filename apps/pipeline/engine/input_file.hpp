// handoff::pipeline::input_file: the file a run reads, or stdin for "-".
//
// Opening checks what can be checked before any data moves and throws a
// usage pipeline_error with one line naming the path: missing, unreadable, a
// directory. A regular file's size is known (the progress display's ETA).
//
// Threads: opened on one thread, then read by the reader thread alone.
// Lifetime: closes its descriptor on destruction (stdin is left open).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace handoff::pipeline {

class input_file {
 public:
  /// Opens `path` for reading; "-" is stdin. Throws pipeline_error (usage).
  explicit input_file(const std::string& path);
  input_file(const input_file&) = delete;
  input_file& operator=(const input_file&) = delete;
  ~input_file();

  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// "stdin" or the path, quoted: for messages.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// A regular file: reads never block for long and its size is known.
  [[nodiscard]] bool is_regular() const noexcept { return regular_; }
  /// The size of a regular file when opened; nullopt for pipes, terminals, devices.
  [[nodiscard]] std::optional<std::uint64_t> size() const noexcept { return size_; }
  [[nodiscard]] dev_t device() const noexcept { return device_; }
  [[nodiscard]] ino_t inode() const noexcept { return inode_; }

 private:
  int fd_ = -1;
  bool owned_ = false;
  bool regular_ = false;
  std::optional<std::uint64_t> size_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  std::string name_;
};

}  // namespace handoff::pipeline
