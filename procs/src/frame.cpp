#include "handoff/procs/frame.hpp"

#include "handoff/errors.hpp"
#include "handoff/procs/detail/crc32.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace handoff::procs {

namespace {

constexpr std::array<std::byte, 4> magic{std::byte{'H'}, std::byte{'N'}, std::byte{'D'}, std::byte{'F'}};
constexpr std::size_t version_at = 4;
constexpr std::size_t flags_at = 5;
constexpr std::size_t type_at = 6;
constexpr std::size_t length_at = 8;
constexpr std::size_t crc_at = 12;
// The CRC covers the header from the version to the length, then the payload.
constexpr std::size_t checked_header_begin = version_at;
constexpr std::size_t checked_header_end = crc_at;

// The decoder drops returned bytes from its front once they are at least this
// many and at least half of what it holds: amortised, each byte moves at most once.
constexpr std::size_t compact_threshold = 4096;

void put_le(std::byte* out, std::uint32_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) out[i] = static_cast<std::byte>((value >> (8 * i)) & 0xFFu);
}

std::uint32_t get_le(const std::byte* in, std::size_t width) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < width; ++i) value |= std::to_integer<std::uint32_t>(in[i]) << (8 * i);
  return value;
}

}  // namespace

std::string_view describe(frame_error error) noexcept {
  switch (error) {
    case frame_error::none:
      return "no error";
    case frame_error::bad_magic:
      return "bad magic";
    case frame_error::unsupported_version:
      return "unsupported version";
    case frame_error::bad_flags:
      return "bad flags";
    case frame_error::oversized:
      return "oversized payload";
    case frame_error::checksum_mismatch:
      return "checksum mismatch";
    case frame_error::truncated:
      return "truncated frame";
  }
  return "unknown frame error";
}

void append_frame(std::vector<std::byte>& out, message_type type, std::span<const std::byte> payload) {
  if (payload.size() > largest_payload) {
    throw errors::invalid_argument("frame payload of " + std::to_string(payload.size()) + " bytes");
  }
  const std::size_t start = out.size();
  out.resize(start + frame_header_size + payload.size());
  std::byte* header = out.data() + start;
  std::copy(magic.begin(), magic.end(), header);
  header[version_at] = std::byte{frame_version};
  header[flags_at] = std::byte{0};
  put_le(header + type_at, type, 2);
  put_le(header + length_at, static_cast<std::uint32_t>(payload.size()), 4);
  if (!payload.empty()) std::copy(payload.begin(), payload.end(), header + frame_header_size);
  std::uint32_t crc = detail::crc32({header + checked_header_begin, header + checked_header_end});
  crc = detail::crc32(payload, crc);
  put_le(header + crc_at, crc, 4);
}

std::vector<std::byte> encode_frame(message_type type, std::span<const std::byte> payload) {
  std::vector<std::byte> out;
  out.reserve(frame_header_size + payload.size());
  append_frame(out, type, payload);
  return out;
}

frame_decoder::frame_decoder(std::size_t max_payload) : max_payload_(max_payload) {
  if (max_payload > largest_payload) {
    throw errors::invalid_argument("frame_decoder limit above what a header can describe");
  }
}

void frame_decoder::feed(std::span<const std::byte> bytes) {
  if (failed() || bytes.empty()) return;
  compact();
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void frame_decoder::compact() {
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ >= compact_threshold && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
}

bool frame_decoder::check_header(std::span<const std::byte> available) {
  const std::size_t n = available.size();
  for (std::size_t i = 0; i < magic.size() && i < n; ++i) {
    if (available[i] != magic[i]) {
      error_ = frame_error::bad_magic;
      return false;
    }
  }
  if (n > version_at && std::to_integer<std::uint8_t>(available[version_at]) != frame_version) {
    error_ = frame_error::unsupported_version;
    return false;
  }
  if (n > flags_at && available[flags_at] != std::byte{0}) {
    error_ = frame_error::bad_flags;
    return false;
  }
  if (n >= length_at + 4 && get_le(available.data() + length_at, 4) > max_payload_) {
    error_ = frame_error::oversized;
    return false;
  }
  return true;
}

std::optional<frame> frame_decoder::next() {
  if (failed()) return std::nullopt;
  const std::span<const std::byte> available = std::span<const std::byte>(buffer_).subspan(consumed_);
  if (!check_header(available) || available.size() < frame_header_size) return std::nullopt;
  const std::size_t length = get_le(available.data() + length_at, 4);
  if (available.size() - frame_header_size < length) return std::nullopt;

  const std::span<const std::byte> payload = available.subspan(frame_header_size, length);
  std::uint32_t crc =
      detail::crc32(available.subspan(checked_header_begin, checked_header_end - checked_header_begin));
  crc = detail::crc32(payload, crc);
  if (crc != get_le(available.data() + crc_at, 4)) {
    error_ = frame_error::checksum_mismatch;
    return std::nullopt;
  }
  frame out;
  out.type = static_cast<message_type>(get_le(available.data() + type_at, 2));
  out.payload.assign(payload.begin(), payload.end());
  consumed_ += frame_header_size + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return out;
}

void frame_decoder::finish() {
  if (!failed() && buffered() > 0) error_ = frame_error::truncated;
}

void frame_decoder::reset() noexcept {
  buffer_.clear();
  consumed_ = 0;
  error_ = frame_error::none;
}

}  // namespace handoff::procs
