// handoff::procs frames: the bytes a worker process and its pool exchange.
//
// What it is: a frame is a fixed 16-byte header followed by a payload. The
// header holds, little-endian: magic "HNDF" (4 bytes), version (1), flags (1,
// zero for now), message type (2), payload length (4), and a CRC-32 (IEEE)
// over the version, flags, type, length and payload (4). encode_frame() builds
// one; frame_decoder takes a byte stream cut at arbitrary places and gives
// back whole frames, or a protocol error.
//
// Ordering and threads: frames come out of a decoder in the order their bytes
// went in. The free functions may be called on any thread; a frame_decoder is
// a plain value, used by one thread at a time.
//
// What it does not guarantee: a checksum finds accidents (a torn write, a
// stray byte, a bug), not an attacker. The decoder checks the header as soon
// as its bytes arrive (a wrong magic fails on its first byte, an oversized
// length before any payload is buffered), so it holds at most one header plus
// max_payload bytes beyond the chunk being fed. A decoder that failed stays
// failed: after a protocol error nothing in the stream can be trusted.
//
// Lifetime: frames own their payload; a decoder owns the bytes it buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace handoff::procs {

/// What a frame carries; the pool's own messages use the reserved range.
using message_type = std::uint16_t;

/// Types from here up belong to the procs protocol; applications use the rest.
inline constexpr message_type first_reserved_type = 0xFF00;
/// Worker to pool: "still alive". Never shown to a pool's handler.
inline constexpr message_type heartbeat_type = 0xFF00;
/// Pool to worker: "finish and exit".
inline constexpr message_type shutdown_type = 0xFF01;

/// True for types an application may not send.
[[nodiscard]] constexpr bool is_reserved(message_type type) noexcept { return type >= first_reserved_type; }

inline constexpr std::uint8_t frame_version = 1;
inline constexpr std::size_t frame_header_size = 16;
/// The largest payload a decoder accepts unless told otherwise: 1 MiB.
inline constexpr std::size_t default_max_payload = std::size_t{1} << 20;
/// The largest payload the header can describe.
inline constexpr std::size_t largest_payload = 0xFFFFFFFFu;

/// One decoded message.
struct frame {
  message_type type = 0;
  std::vector<std::byte> payload;

  /// The payload seen as characters (valid while the frame lives). Any thread.
  [[nodiscard]] std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }

  friend bool operator==(const frame&, const frame&) = default;
};

/// Why a byte stream is not a valid sequence of frames.
enum class frame_error : std::uint8_t {
  none,
  bad_magic,            // the stream does not start a frame here
  unsupported_version,  // a version this code does not speak
  bad_flags,            // flag bits that must be zero are not
  oversized,            // a payload longer than the decoder's limit
  checksum_mismatch,    // the CRC does not match the header and payload
  truncated,            // the stream ended inside a frame
};

/// A short English description ("checksum mismatch"). Any thread.
[[nodiscard]] std::string_view describe(frame_error error) noexcept;

/// Views text as payload bytes, without copying. Any thread.
[[nodiscard]] inline std::span<const std::byte> as_payload(std::string_view text) noexcept {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

/// Views payload bytes as text, without copying. Any thread.
[[nodiscard]] inline std::string_view as_text(std::span<const std::byte> payload) noexcept {
  return {reinterpret_cast<const char*>(payload.data()), payload.size()};
}

/// Appends one frame to `out`. Throws errors::invalid_argument for a payload
/// longer than largest_payload. Any thread.
void append_frame(std::vector<std::byte>& out, message_type type, std::span<const std::byte> payload);

/// One frame as bytes. Throws errors::invalid_argument for a payload longer
/// than largest_payload. Any thread.
[[nodiscard]] std::vector<std::byte> encode_frame(message_type type, std::span<const std::byte> payload);

/// Turns a byte stream, fed in chunks of any size, back into frames.
class frame_decoder {
 public:
  /// A decoder that refuses payloads longer than `max_payload` (at most
  /// largest_payload; throws errors::invalid_argument beyond). Any thread.
  explicit frame_decoder(std::size_t max_payload = default_max_payload);

  /// Appends the next bytes of the stream; ignored once failed. Any thread (one at a time).
  void feed(std::span<const std::byte> bytes);

  /// The next whole frame, or nullopt when more bytes are needed or the
  /// stream failed (see error()). Any thread (one at a time).
  [[nodiscard]] std::optional<frame> next();

  /// Marks the end of the stream: bytes left over from an unfinished frame
  /// make it fail as truncated. Call after next() returned nullopt. Any thread (one at a time).
  void finish();

  /// Forgets the stream, its bytes and its error: ready for a new stream. Any thread (one at a time).
  void reset() noexcept;

  /// Why the stream failed; frame_error::none while it has not. Any thread (one at a time).
  [[nodiscard]] frame_error error() const noexcept { return error_; }

  /// True once the stream failed. Any thread (one at a time).
  [[nodiscard]] bool failed() const noexcept { return error_ != frame_error::none; }

  /// Bytes received but not yet returned as a frame. Any thread (one at a time).
  [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size() - consumed_; }

  /// The longest payload this decoder accepts. Any thread.
  [[nodiscard]] std::size_t max_payload() const noexcept { return max_payload_; }

 private:
  // Checks what there is of the header at the read position; false (and
  // error_ set) as soon as something is wrong.
  bool check_header(std::span<const std::byte> available);
  void compact();

  std::size_t max_payload_;
  std::vector<std::byte> buffer_;
  std::size_t consumed_ = 0;  // bytes at the front of buffer_ already returned as frames
  frame_error error_ = frame_error::none;
};

}  // namespace handoff::procs
