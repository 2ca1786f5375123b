// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320): the checksum of frames.
//
// The same function as zlib's crc32(), written here so that procs needs no
// library beyond the C++ and POSIX ones. Incremental: pass the previous result
// as `crc` to continue (0 to start). Any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace handoff::procs::detail {

/// The CRC of `bytes` continued from `crc` (0 for a fresh start). Any thread.
[[nodiscard]] std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc = 0) noexcept;

}  // namespace handoff::procs::detail
