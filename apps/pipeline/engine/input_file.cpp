#include "engine/input_file.hpp"

#include "engine/pipeline_error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace handoff::pipeline {

input_file::input_file(const std::string& path) {
  if (path == "-") {
    fd_ = STDIN_FILENO;
    name_ = "stdin";
  } else {
    name_.reserve(path.size() + 2);
    name_ += '\'';
    name_ += path;
    name_ += '\'';  // appended: gcc 12 at -O3 warns falsely (-Wrestrict) about "'" + path
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      throw pipeline_error(pipeline_error::kind::usage,
                           "cannot open input " + name_ + ": " + describe_errno(errno));
    }
    owned_ = true;
  }
  // The destructor does not run for a constructor that throws: close here first.
  const auto refuse = [&](const std::string& why) {
    if (owned_) close(fd_);
    throw pipeline_error(pipeline_error::kind::usage, why);
  };
  struct stat info {};
  if (fstat(fd_, &info) != 0) refuse("cannot read input " + name_ + ": " + describe_errno(errno));
  if (S_ISDIR(info.st_mode)) refuse("input " + name_ + " is a directory");
  regular_ = S_ISREG(info.st_mode);
  device_ = info.st_dev;
  inode_ = info.st_ino;
  if (regular_) {
    size_ = static_cast<std::uint64_t>(info.st_size);
    // A hint only: larger read-ahead for one pass from start to end.
    (void)posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
}

input_file::~input_file() {
  if (owned_) close(fd_);
}

}  // namespace handoff::pipeline
