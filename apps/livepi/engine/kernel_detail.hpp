// Private to the kernel (kernel.cpp, kernel_avx2.cpp) and its tests.
//
// The stream, defined once here and in docs/kernel.md:
//  - key = first output of SplitMix64 seeded with the run's seed;
//  - block b takes outputs 32b .. 32b+31 of SplitMix64 seeded with key (a
//    SplitMix64 state is a counter, so this is a jump, not a walk); outputs
//    32b+2k and 32b+2k+1 seed lane-stream k (k = 0..15) of the block as
//    xoshiro128+ words (lo, hi of the first; lo, hi of the second);
//  - streams 0..7 are the 8 lanes of state A, streams 8..15 those of state B;
//  - point j of the block (j = 0 .. kernel_block_points-1), round r = j / 8,
//    lane l = j % 8: x = output r of stream l, y = output r of stream 8 + l,
//    each as a signed 32-bit integer; output 0 is the first after seeding;
//  - the point is inside when x*x + y*y < 2^62, computed exactly.
//
// This header declares functions only, never inline code: kernel_avx2.cpp is
// compiled with -mavx2, and an inline function instantiated there could be
// the copy the linker keeps for every caller, AVX2 instructions and all.
#pragma once

#include "kernel.hpp"

#include <cstddef>
#include <cstdint>

namespace handoff::livepi::detail {

inline constexpr unsigned kernel_lanes = 8;                   // lanes per state (8 x u32 in a ymm register)
inline constexpr unsigned kernel_streams = 2 * kernel_lanes;  // states A (x) and B (y)
inline constexpr std::uint32_t kernel_block_size = 1u << 16;  // == kernel_block_points

/// The xoshiro128+ states of one block's 16 streams: word w of stream k is s[w][k].
struct block_state {
  alignas(32) std::uint32_t s[4][kernel_streams];
};

/// The key of a seed: first output of SplitMix64 seeded with `seed`. Any thread.
std::uint64_t stream_key(std::uint64_t seed) noexcept;

/// The starting states of block `block` of the stream with key `key`. Any thread.
block_state seed_block(std::uint64_t key, std::uint64_t block) noexcept;

/// Points [lo, hi) of block `block` (0 <= lo <= hi <= kernel_block_size) that
/// are inside, portable code. Any thread.
std::uint64_t count_block_portable(std::uint64_t key, std::uint64_t block, std::uint32_t lo,
                                   std::uint32_t hi) noexcept;

/// As count_block_portable, with AVX2; call only when the CPU supports AVX2. Any thread.
std::uint64_t count_block_avx2(std::uint64_t key, std::uint64_t block, std::uint32_t lo,
                               std::uint32_t hi) noexcept;

/// How many of the n points (x[i], y[i]), each coordinate's bits read as a
/// signed 32-bit integer, are inside: the portable inside test on explicit
/// inputs, so tests can aim at the circle's edge. Any thread.
std::uint64_t count_pairs_portable(const std::uint32_t* x, const std::uint32_t* y, std::size_t n) noexcept;

/// As count_pairs_portable, through the AVX2 inside test that count_block_avx2
/// uses (groups of 8; a tail of fewer goes through the scalar test); call only
/// when the CPU supports AVX2. Any thread.
std::uint64_t count_pairs_avx2(const std::uint32_t* x, const std::uint32_t* y, std::size_t n) noexcept;

/// Whether this build contains the AVX2 path (x86-64 builds do) and this CPU
/// (and OS) can run it; ignores HANDOFF_LIVEPI_KERNEL. Any thread.
bool avx2_usable() noexcept;

/// count_inside on the given path, whatever the active one is. Throws
/// errors::invalid_argument for kernel_path::avx2 when !avx2_usable(), and as
/// count_inside does. Any thread.
std::uint64_t count_inside_on(kernel_path path, std::uint64_t seed, std::uint64_t first_point,
                              std::uint64_t points);

}  // namespace handoff::livepi::detail
