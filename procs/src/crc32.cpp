// CRC-32 by "slicing by 8": eight tables built at compile time let the loop
// take eight bytes per step, several times faster than the byte-wise loop.
#include "handoff/procs/detail/crc32.hpp"

#include <array>

namespace handoff::procs::detail {

namespace {

using table_set = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr table_set make_tables() {
  table_set tables{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) != 0 ? 0xEDB88320u : 0u);
    tables[0][i] = crc;
  }
  // tables[k][i] is the CRC of byte i followed by k zero bytes.
  for (std::size_t k = 1; k < tables.size(); ++k) {
    for (std::size_t i = 0; i < 256; ++i) {
      const std::uint32_t previous = tables[k - 1][i];
      tables[k][i] = (previous >> 8) ^ tables[0][previous & 0xFFu];
    }
  }
  return tables;
}

constexpr table_set tables = make_tables();

inline std::uint32_t byte_at(const std::byte* p, std::size_t i) {
  return std::to_integer<std::uint32_t>(p[i]);
}

}  // namespace

std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc) noexcept {
  crc = ~crc;
  const std::byte* p = bytes.data();
  std::size_t n = bytes.size();
  while (n >= 8) {
    // Assembled byte by byte (little-endian order): no alignment or host byte order assumed.
    const std::uint32_t low =
        crc ^ (byte_at(p, 0) | (byte_at(p, 1) << 8) | (byte_at(p, 2) << 16) | (byte_at(p, 3) << 24));
    crc = tables[7][low & 0xFFu] ^ tables[6][(low >> 8) & 0xFFu] ^ tables[5][(low >> 16) & 0xFFu] ^
          tables[4][low >> 24] ^ tables[3][byte_at(p, 4)] ^ tables[2][byte_at(p, 5)] ^
          tables[1][byte_at(p, 6)] ^ tables[0][byte_at(p, 7)];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = (crc >> 8) ^ tables[0][(crc ^ byte_at(p, 0)) & 0xFFu];
    ++p;
    --n;
  }
  return ~crc;
}

}  // namespace handoff::procs::detail
