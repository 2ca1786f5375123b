#include "engine/transfer.hpp"

#include "engine/file_name.hpp"
#include "engine/retry_policy.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace handoff::fetch {

namespace {

std::string describe_errno(int error) { return std::error_code(error, std::generic_category()).message(); }

std::string seconds_text(std::chrono::milliseconds time) {
  if (time.count() % 1000 == 0) return std::to_string(time.count() / 1000) + " s";
  return std::to_string(time.count()) + " ms";
}

}  // namespace

transfer::transfer(std::uint64_t id, std::string url, const fetch_options& options, name_book& names)
    : id_(id), url_(std::move(url)), options_(options), names_(names), handle_(curl_easy_init()) {
  if (handle_ == nullptr) {
    reason_ = "cannot create a libcurl handle";
    return;
  }
  curl_easy_setopt(handle_, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(handle_, CURLOPT_PRIVATE, this);
  curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_);
  // No signals from libcurl in a threaded program (its DNS timeouts would use SIGALRM).
  curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle_, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle_, CURLOPT_MAXREDIRS, options_.max_redirects);
  curl_easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(handle_, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_limit);
  curl_easy_setopt(handle_, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
  curl_easy_setopt(handle_, CURLOPT_USERAGENT, "handoff-fetch/0.1");
  curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, &transfer::on_header);
  curl_easy_setopt(handle_, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &transfer::on_body);
  curl_easy_setopt(handle_, CURLOPT_WRITEDATA, this);
  // 128 kB reads instead of libcurl's default 16 kB: an eighth of the write calls (the curl command uses 100
  // kB).
  curl_easy_setopt(handle_, CURLOPT_BUFFERSIZE, 128L * 1024);

  // An earlier run's NAME.part under the URL's name: resume it with Range from
  // the first attempt. (A name that only Content-Disposition gives is known
  // too late for that: such downloads start over.)
  const std::string url_name = choose_file_name({}, url_);
  const std::filesystem::path earlier = options_.dir / (url_name + ".part");
  struct stat info {};
  if (lstat(earlier.c_str(), &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0 &&
      names_.reserve_exactly(url_name)) {
    base_name_ = name_ = url_name;
    named_by_resume_ = true;
    file_ = (options_.dir / name_).lexically_normal();
    part_ = (options_.dir / (name_ + ".part")).lexically_normal();
    offset_ = static_cast<std::uint64_t>(info.st_size);
  }
}

transfer::~transfer() {
  close_part();
  if (handle_ != nullptr) curl_easy_cleanup(handle_);
}

void transfer::begin_attempt() {
  headers_.clear();
  body_started_ = false;
  discard_ = false;
  restart_ = false;
  fatal_.clear();
  error_[0] = '\0';
  requested_from_ = part_.empty() ? 0 : offset_;
  const std::string range = std::to_string(requested_from_) + "-";
  // libcurl copies the string; nullptr asks for the whole file.
  curl_easy_setopt(handle_, CURLOPT_RANGE, requested_from_ > 0 ? range.c_str() : nullptr);
  meter.reset();
  rate = 0;
  ++attempts_;
}

std::size_t transfer::on_header(char* data, std::size_t size, std::size_t count, void* self) noexcept {
  auto* t = static_cast<transfer*>(self);
  try {
    t->headers_.feed(std::string_view(data, size * count));
  } catch (...) {
    return 0;  // out of memory: fail the attempt rather than the engine
  }
  return size * count;
}

std::size_t transfer::on_body(char* data, std::size_t size, std::size_t count, void* self) noexcept {
  auto* t = static_cast<transfer*>(self);
  const std::size_t length = size * count;
  try {
    if (!t->body_started_ && !t->begin_body()) return 0;  // 0 aborts the attempt (CURLE_WRITE_ERROR)
  } catch (...) {
    t->fatal_ = "out of memory";
    return 0;
  }
  if (t->discard_) return length;
  std::size_t written = 0;
  while (written < length) {
    const ssize_t n =
        pwrite(t->fd_, data + written, length - written, static_cast<off_t>(t->offset_ + written));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      t->fatal_ = "writing " + t->part_.string() + ": " + describe_errno(n < 0 ? errno : EIO);
      t->offset_ += written;
      return 0;
    }
    written += static_cast<std::size_t>(n);
  }
  t->offset_ += length;
  return length;
}

// The first body byte of the last response (or its end, for an empty body):
// every header is in, so this is where the name, the offset and the size are decided.
bool transfer::begin_body() {
  body_started_ = true;
  const long status = headers_.status();
  if (status < 200 || status >= 300) {
    discard_ = true;  // an error page is not the file
    return true;
  }
  const std::string disposition = safe_file_name(headers_.disposition_name());
  if (named_by_resume_) {
    if (!disposition.empty() && disposition != name_) {
      // The server names the file otherwise: the .part found under the URL's
      // name belongs to some other download. Leave it alone and start over.
      names_.release(name_);
      base_name_.clear();
      name_.clear();
      file_.clear();
      part_.clear();
      offset_ = 0;
      named_by_resume_ = false;
      restart_ = true;
      return false;
    }
    named_by_resume_ = false;
  }
  if (name_.empty()) {
    base_name_ = choose_file_name(disposition, url_);
    name_ = names_.reserve(base_name_);
    file_ = (options_.dir / name_).lexically_normal();
    part_ = (options_.dir / (name_ + ".part")).lexically_normal();
    offset_ = 0;
  }
  if (!open_part()) return false;

  if (status == 206) {
    const auto& range = headers_.range();
    if (!range || static_cast<std::uint64_t>(range->first) != requested_from_) {
      if (requested_from_ > 0) {
        restart_ = true;  // resumed somewhere else than asked: the .part cannot be trusted to line up
        return false;
      }
      fatal_ =
          "the server sent part of the file unasked (HTTP 206" +
          (range ? " from byte " + std::to_string(range->first) : std::string(" without Content-Range")) +
          ")";
      return false;
    }
    if (range->total >= 0) {
      total_ = range->total;
    } else if (headers_.content_length() >= 0) {
      total_ = static_cast<std::int64_t>(requested_from_) + headers_.content_length();
    }
    return true;
  }
  if (offset_ > 0) {
    // A 200 to a Range request: the server sends the whole file, so the .part starts over.
    if (ftruncate(fd_, 0) != 0) {
      fatal_ = "truncating " + part_.string() + ": " + describe_errno(errno);
      return false;
    }
    offset_ = 0;
  }
  total_ = headers_.content_length();
  return true;
}

bool transfer::open_part() {
  if (fd_ >= 0) return true;
  // O_NOFOLLOW: a symbolic link planted as NAME.part must not send the bytes elsewhere.
  fd_ = open(part_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd_ < 0) {
    fatal_ = "creating " + part_.string() + ": " + describe_errno(errno);
    return false;
  }
  return true;
}

void transfer::close_part() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void transfer::forget_empty_part() {
  if (part_.empty()) return;
  struct stat info {};
  if (lstat(part_.c_str(), &info) != 0) {
    part_.clear();  // never created: no successful response began
  } else if (S_ISREG(info.st_mode) && info.st_size == 0) {
    unlink(part_.c_str());  // an empty .part resumes nothing: no clutter
    part_.clear();
  }
}

void transfer::stop() {
  close_part();
  forget_empty_part();
}

transfer::verdict transfer::fail(std::string why) {
  reason_ = std::move(why);
  stop();
  return verdict::failed;
}

transfer::verdict transfer::retry(std::string why) {
  reason_ = std::move(why);
  return verdict::retry;
}

transfer::verdict transfer::restart_from_zero() {
  if (!part_.empty()) {
    // Also when the file is not open (a 416 body was discarded): by its path.
    if (truncate(part_.c_str(), 0) != 0 && errno != ENOENT) {
      return fail("truncating " + part_.string() + ": " + describe_errno(errno));
    }
  }
  offset_ = 0;
  return verdict::restart;
}

transfer::verdict transfer::end_attempt(CURLcode result) {
  if (result == CURLE_OK && !body_started_) begin_body();  // an empty body: still a file
  if (restart_) return restart_from_zero();
  if (!fatal_.empty()) return fail(fatal_);
  const long status = headers_.status();
  if (result == CURLE_OK) {
    if (status >= 200 && status < 300) {
      if (total_ >= 0 && offset_ != static_cast<std::uint64_t>(total_)) {
        return retry("cut short: " + std::to_string(offset_) + " of " + std::to_string(total_) + " bytes");
      }
      return finish_file();
    }
    if (status == 416 && requested_from_ > 0) return restart_from_zero();
    if (is_transient_status(status)) return retry(headers_.status_text());
    return fail(headers_.status_text());
  }
  std::string why = describe(result);
  return is_transient_curl_error(result) ? retry(std::move(why)) : fail(std::move(why));
}

transfer::verdict transfer::finish_file() {
  if (fd_ >= 0 && close(fd_) != 0) {
    fd_ = -1;
    return fail("writing " + part_.string() + ": " + describe_errno(errno));
  }
  fd_ = -1;
  for (;;) {
    // Never clobber without force: RENAME_NOREPLACE fails if NAME appeared
    // meanwhile (another program), and then the next free number is taken.
    const int renamed = options_.force
                            ? rename(part_.c_str(), file_.c_str())
                            : renameat2(AT_FDCWD, part_.c_str(), AT_FDCWD, file_.c_str(), RENAME_NOREPLACE);
    if (renamed == 0) break;
    if (errno == EINVAL && !options_.force) {
      // A file system without RENAME_NOREPLACE: link() refuses an existing name just the same.
      if (link(part_.c_str(), file_.c_str()) == 0) {
        unlink(part_.c_str());
        break;
      }
    }
    if (errno != EEXIST) {
      return fail("renaming " + part_.string() + " to " + file_.string() + ": " + describe_errno(errno));
    }
    name_ = names_.reserve(base_name_);
    file_ = (options_.dir / name_).lexically_normal();
  }
  part_.clear();
  reason_.clear();
  return verdict::done;
}

std::string transfer::describe(CURLcode result) const {
  const std::string message =
      error_[0] != '\0' ? std::string(error_) : std::string(curl_easy_strerror(result));
  switch (result) {
    case CURLE_COULDNT_CONNECT: {
      long os_error = 0;
      curl_easy_getinfo(handle_, CURLINFO_OS_ERRNO, &os_error);
      if (os_error == ECONNREFUSED) return "connection refused";
      return "cannot connect: " + message;
    }
    case CURLE_OPERATION_TIMEDOUT: {
      if (message.starts_with("Operation too slow")) {
        return "timed out: less than " + std::to_string(options_.low_speed_limit) + " byte" +
               (options_.low_speed_limit == 1 ? "" : "s") + "/s for " + seconds_text(options_.low_speed_time);
      }
      curl_off_t connected = 0;
      curl_easy_getinfo(handle_, CURLINFO_CONNECT_TIME_T, &connected);
      if (connected == 0) return "timed out connecting after " + seconds_text(options_.connect_timeout);
      return "timed out: " + message;
    }
    case CURLE_PARTIAL_FILE:
      if (total_ >= 0)
        return "cut short: " + std::to_string(offset_) + " of " + std::to_string(total_) + " bytes";
      return "cut short: " + message;
    case CURLE_TOO_MANY_REDIRECTS:
      return "too many redirects (more than " + std::to_string(options_.max_redirects) + ")";
    case CURLE_GOT_NOTHING:
      return "the server closed the connection without a reply";
    default:
      return message;
  }
}

void transfer::fill(transfer_status& status) const {
  status.file = file_;
  status.part = part_;
  status.bytes = offset_;
  status.total = total_;
  status.attempts = attempts_;
  status.rate = rate;
  status.state = state;
  status.reason =
      state == transfer_state::failed || state == transfer_state::retrying ? reason_ : std::string();
}

}  // namespace handoff::fetch
