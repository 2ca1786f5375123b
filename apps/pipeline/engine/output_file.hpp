// handoff::pipeline::output_file: where a run writes, made to appear only when the run succeeds.
//
// For a path, the bytes go to a temporary file in the same folder
// (".NAME.pipeline-XXXXXX", so the final rename stays on one file system and
// is atomic); commit() renames it over the path, and the destructor of an
// output never committed removes it: a failed, stopped or crashed-into-an-
// exception run leaves the old file (or no file) behind, never half of one.
// "-" is stdout, written directly (a pipe cannot be taken back).
//
// Creating it checks what can be checked before any data moves and throws a
// usage pipeline_error with one line: the folder is missing or not writable,
// the path is a directory, the path is the input itself (same file, even by
// another name). The final file gets the old file's permission bits, or
// 0666 minus the umask for a new one.
//
// Threads: created and committed on one thread, written by the writer thread
// in between (the thread start and join order those).
#pragma once

#include "engine/input_file.hpp"

#include <string>

namespace handoff::pipeline {

class output_file {
 public:
  /// Creates the temporary file for `path` ("-": stdout). Throws pipeline_error (usage).
  output_file(const std::string& path, const input_file& input);
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  /// Removes the temporary file unless commit() succeeded.
  ~output_file();

  /// Where to write. For stdout on a pipe or terminal this is a private
  /// non-blocking descriptor for the same pipe when Linux gives one (see
  /// nonblocking()), so that a stop never waits on a reader that is not reading.
  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] bool is_regular() const noexcept { return regular_; }
  /// fd() has O_NONBLOCK set (only ever on a descriptor of our own).
  [[nodiscard]] bool nonblocking() const noexcept { return nonblocking_; }
  /// The temporary file's path; empty for stdout.
  [[nodiscard]] const std::string& temporary_path() const noexcept { return temporary_; }

  /// Makes the output final: for a path, optionally fsync, then close and
  /// rename into place. Throws pipeline_error (io) if any step fails; the
  /// temporary file is then removed by the destructor.
  void commit(bool sync);

 private:
  int fd_ = -1;
  bool owned_ = false;
  bool regular_ = false;
  bool nonblocking_ = false;
  bool committed_ = false;
  std::string path_;
  std::string temporary_;
  std::string name_;
};

}  // namespace handoff::pipeline
