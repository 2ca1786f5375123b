#include "engine/output_file.hpp"

#include "engine/pipeline_error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

namespace handoff::pipeline {

namespace {

[[noreturn]] void refuse(const std::string& why) { throw pipeline_error(pipeline_error::kind::usage, why); }

bool same_file(const struct stat& info, const input_file& input) {
  return info.st_dev == input.device() && info.st_ino == input.inode();
}

// The umask can only be read by setting it. Done while the run's own threads
// do not exist yet, so none of them can create a file in between.
// Built by appending: gcc 12 at -O3 warns falsely (-Wrestrict) about "'" + path.
std::string quoted(const std::string& path) {
  std::string text;
  text.reserve(path.size() + 2);
  text += '\'';
  text += path;
  text += '\'';
  return text;
}

mode_t current_umask() {
  const mode_t mask = umask(077);
  umask(mask);
  return mask;
}

}  // namespace

output_file::output_file(const std::string& path, const input_file& input) : path_(path) {
  if (path == "-") {
    name_ = "stdout";
    struct stat info {};
    if (fstat(STDOUT_FILENO, &info) != 0) refuse("cannot write to stdout: " + describe_errno(errno));
    if (S_ISREG(info.st_mode) && same_file(info, input)) {
      refuse("input " + input.name() + " and stdout are the same file");
    }
    fd_ = STDOUT_FILENO;
    regular_ = S_ISREG(info.st_mode);
    if (!regular_) {
      // A descriptor of our own for the same pipe or terminal, so that
      // O_NONBLOCK never reaches the processes sharing our stdout. Linux
      // gives one through /proc for pipes, FIFOs and terminals, not sockets.
      const int own = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (own >= 0) {
        fd_ = own;
        owned_ = true;
        nonblocking_ = true;
      }
    }
    return;
  }

  name_ = quoted(path);
  struct stat existing {};
  const bool exists = stat(path.c_str(), &existing) == 0;
  if (exists && S_ISDIR(existing.st_mode)) refuse("output " + name_ + " is a directory");
  if (exists && same_file(existing, input))
    refuse("input " + input.name() + " and output " + name_ + " are the same file");
  if (exists && !S_ISREG(existing.st_mode)) {
    // A device or FIFO (/dev/null, say) is written in place: renaming over it would replace it.
    fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) refuse("cannot open output " + name_ + ": " + describe_errno(errno));
    owned_ = true;
    return;
  }

  const std::filesystem::path target(path);
  std::string folder = target.parent_path().string();
  if (folder.empty()) folder = ".";
  temporary_ = folder;
  temporary_ += "/.";
  temporary_ += target.filename().string();
  temporary_ += ".pipeline-XXXXXX";
  fd_ = mkostemp(temporary_.data(), O_CLOEXEC);
  if (fd_ < 0) {
    const int error = errno;
    temporary_.clear();
    refuse("cannot create output " + name_ + " (in folder '" + folder + "'): " + describe_errno(error));
  }
  owned_ = true;
  regular_ = true;
  // mkostemp makes the file 0600; the final file gets what a plain create (or the old file) would give.
  const mode_t mode = exists ? (existing.st_mode & 07777) : (0666 & ~current_umask());
  (void)fchmod(fd_, mode);
}

output_file::~output_file() {
  if (owned_ && fd_ >= 0) close(fd_);
  if (!committed_ && !temporary_.empty()) unlink(temporary_.c_str());
}

void output_file::commit(bool sync) {
  if (committed_) return;
  const auto fail = [&](const std::string& what) {
    throw pipeline_error(pipeline_error::kind::io, what + " " + name_ + ": " + describe_errno(errno));
  };
  if (sync && regular_ && fsync(fd_) != 0) fail("cannot flush to disk");
  if (owned_) {
    const int fd = fd_;
    fd_ = -1;
    // Some file systems (NFS) report a failed write only here.
    if (close(fd) != 0) fail("writing failed for");
  }
  if (!temporary_.empty() && rename(temporary_.c_str(), path_.c_str()) != 0) {
    fail("cannot rename the finished output into place as");
  }
  committed_ = true;
}

}  // namespace handoff::pipeline
