// livepi's kernel: how many Monte Carlo points fall inside the circle.
//
// Point i of a run with seed s is a pair of signed 32-bit coordinates (x, y)
// drawn from a counter-based stream: points are grouped in blocks of
// kernel_block_points, and the generator of each block is derived from
// (s, block index) alone, so any range can be counted without generating the
// ranges before it. A point is inside when x*x + y*y < 2^62, tested exactly in
// integers (docs/kernel.md gives the generator, the mapping and their bias).
//
// Guarantees: count_inside is a pure function of (seed, first_point, points),
// and additive: counting [a, b) and [b, c) gives the same total as [a, c), bit
// for bit, for any cut, on either path (AVX2 or portable), with any compiler
// flags. Ranges that start or end inside a block are exact too; whole blocks
// are merely the fast case (no skipping inside a block).
//
// Not guaranteed: that the stream stays the same across versions of this file
// (a change to it is caught by the known-answer test, and must be deliberate).
//
// Lifetime: no state except the path chosen once, at the first call.
#pragma once

#include <cstdint>

namespace handoff::livepi {

/// Points per block: each block's generator starts from (seed, block index).
/// Coordinators lease whole blocks so that no worker skips inside one.
inline constexpr std::uint64_t kernel_block_points = std::uint64_t{1} << 16;

/// The implementation behind count_inside.
enum class kernel_path { portable, avx2 };

/// The path count_inside takes in this process: avx2 when the CPU (and the OS)
/// support it, unless the environment variable HANDOFF_LIVEPI_KERNEL is
/// "portable" when it is first asked. Decided once, at the first call. Any thread.
kernel_path active_kernel_path() noexcept;

/// The number of points among [first_point, first_point + points) inside the
/// circle, for the stream of `seed`, on the active path. Throws
/// errors::invalid_argument if first_point + points exceeds 2^64. Any thread.
std::uint64_t count_inside(std::uint64_t seed, std::uint64_t first_point, std::uint64_t points);

/// As count_inside, always on the portable path (same result, slower): for
/// tests and for machines whose AVX2 path is suspect. Any thread.
std::uint64_t count_inside_portable(std::uint64_t seed, std::uint64_t first_point, std::uint64_t points);

}  // namespace handoff::livepi
