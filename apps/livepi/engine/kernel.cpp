// The kernel's seeding, portable path and dispatch. The stream is defined in
// kernel_detail.hpp; kernel_avx2.cpp computes the same counts with AVX2.
#include "kernel.hpp"

#include "handoff/errors.hpp"
#include "kernel_detail.hpp"

#include <cstdlib>
#include <string_view>

namespace handoff::livepi {

namespace detail {

static_assert(kernel_block_size == kernel_block_points, "one block size");
static_assert(kernel_block_size % kernel_lanes == 0, "blocks are whole rounds");

namespace {

constexpr std::uint64_t splitmix_gamma = 0x9E3779B97F4A7C15u;

// The SplitMix64 output function: a bijection of 64-bit words, so distinct
// counter values always give distinct outputs.
std::uint64_t splitmix_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

// Output n (from 0) of SplitMix64 seeded with `state`: the state is a counter
// advanced by gamma before each output, so any output is one multiply away.
std::uint64_t splitmix_output(std::uint64_t state, std::uint64_t n) noexcept {
  return splitmix_mix(state + (n + 1) * splitmix_gamma);
}

// Eight xoshiro128+ generators side by side (one of the block's two states).
struct lanes8 {
  std::uint32_t s[4][kernel_lanes];
};

lanes8 lanes_of(const block_state& state, unsigned first_stream) noexcept {
  lanes8 g{};
  for (unsigned w = 0; w < 4; ++w) {
    for (unsigned l = 0; l < kernel_lanes; ++l) g.s[w][l] = state.s[w][first_stream + l];
  }
  return g;
}

// One xoshiro128+ step in every lane: out = s0 + s3, then the linear update
// (s2 and s3 below already hold s2 ^ s0 and s3 ^ s1).
void step(lanes8& g, std::uint32_t out[kernel_lanes]) noexcept {
  for (unsigned l = 0; l < kernel_lanes; ++l) {
    const std::uint32_t s0 = g.s[0][l], s1 = g.s[1][l], s2 = g.s[2][l] ^ s0, s3 = g.s[3][l] ^ s1;
    out[l] = s0 + g.s[3][l];
    g.s[0][l] = s0 ^ s3;
    g.s[1][l] = s1 ^ s2;
    g.s[2][l] = s2 ^ (s1 << 9);
    g.s[3][l] = (s3 << 11) | (s3 >> 21);
  }
}

// The exact test: x*x + y*y < 2^62 with x, y the words read as signed 32-bit
// integers. Each square is at most 2^62, so the sum (at most 2^63) cannot
// overflow 64 unsigned bits.
bool inside(std::uint32_t ux, std::uint32_t uy) noexcept {
  const auto x = static_cast<std::int64_t>(static_cast<std::int32_t>(ux));
  const auto y = static_cast<std::int64_t>(static_cast<std::int32_t>(uy));
  return static_cast<std::uint64_t>(x * x) + static_cast<std::uint64_t>(y * y) < (std::uint64_t{1} << 62);
}

}  // namespace

std::uint64_t stream_key(std::uint64_t seed) noexcept { return splitmix_output(seed, 0); }

block_state seed_block(std::uint64_t key, std::uint64_t block) noexcept {
  // Blocks up to 2^48 (every 64-bit point index) take outputs below 2^53:
  // all distinct, so no two streams of one seed ever start from the same
  // words, and since two consecutive outputs are never both zero, no state is
  // the all-zero one that xoshiro cannot leave.
  block_state state{};
  const std::uint64_t first_output = block * (2 * kernel_streams);
  for (unsigned k = 0; k < kernel_streams; ++k) {
    const std::uint64_t a = splitmix_output(key, first_output + 2 * k);
    const std::uint64_t b = splitmix_output(key, first_output + 2 * k + 1);
    state.s[0][k] = static_cast<std::uint32_t>(a);
    state.s[1][k] = static_cast<std::uint32_t>(a >> 32);
    state.s[2][k] = static_cast<std::uint32_t>(b);
    state.s[3][k] = static_cast<std::uint32_t>(b >> 32);
  }
  return state;
}

std::uint64_t count_block_portable(std::uint64_t key, std::uint64_t block, std::uint32_t lo,
                                   std::uint32_t hi) noexcept {
  const block_state state = seed_block(key, block);
  lanes8 a = lanes_of(state, 0);
  lanes8 b = lanes_of(state, kernel_lanes);
  std::uint32_t x[kernel_lanes];
  std::uint32_t y[kernel_lanes];
  std::uint64_t count = 0;
  const std::uint32_t first_round = lo / kernel_lanes;
  const std::uint32_t end_round = (hi + kernel_lanes - 1) / kernel_lanes;
  for (std::uint32_t r = 0; r < first_round; ++r) {
    step(a, x);
    step(b, y);
  }
  for (std::uint32_t r = first_round; r < end_round; ++r) {
    step(a, x);
    step(b, y);
    const std::uint32_t base = r * kernel_lanes;
    const std::uint32_t l_begin = lo > base ? lo - base : 0;
    const std::uint32_t l_end = hi - base < kernel_lanes ? hi - base : kernel_lanes;
    for (std::uint32_t l = l_begin; l < l_end; ++l) count += inside(x[l], y[l]) ? 1 : 0;
  }
  return count;
}

std::uint64_t count_pairs_portable(const std::uint32_t* x, const std::uint32_t* y, std::size_t n) noexcept {
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < n; ++i) count += inside(x[i], y[i]) ? 1 : 0;
  return count;
}

bool avx2_usable() noexcept {
#if defined(HANDOFF_LIVEPI_AVX2)
  // libgcc's check also requires the OS to save the ymm registers (XCR0).
  static const bool usable = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return usable;
#else
  return false;
#endif
}

#if !defined(HANDOFF_LIVEPI_AVX2)
// Never called (active_kernel_path never picks avx2 in such a build); defined
// so that the tests link on every architecture.
std::uint64_t count_block_avx2(std::uint64_t key, std::uint64_t block, std::uint32_t lo,
                               std::uint32_t hi) noexcept {
  return count_block_portable(key, block, lo, hi);
}
std::uint64_t count_pairs_avx2(const std::uint32_t* x, const std::uint32_t* y, std::size_t n) noexcept {
  return count_pairs_portable(x, y, n);
}
#endif

}  // namespace detail

namespace {

using block_counter = std::uint64_t (*)(std::uint64_t, std::uint64_t, std::uint32_t, std::uint32_t) noexcept;

kernel_path choose_path() noexcept {
  const char* forced = std::getenv("HANDOFF_LIVEPI_KERNEL");
  if (forced != nullptr && std::string_view(forced) == "portable") return kernel_path::portable;
  return detail::avx2_usable() ? kernel_path::avx2 : kernel_path::portable;
}

// Splits [first_point, first_point + points) at block boundaries and counts
// each piece with `count_block`.
std::uint64_t count_range(block_counter count_block, std::uint64_t seed, std::uint64_t first_point,
                          std::uint64_t points) {
  // The last index is 2^64 - 1, so the range may end at 2^64 but not beyond.
  if (first_point != 0 && points > 0 - first_point) {
    throw errors::invalid_argument("livepi kernel: first_point + points exceeds 2^64");
  }
  const std::uint64_t key = detail::stream_key(seed);
  std::uint64_t count = 0;
  std::uint64_t left = points;
  std::uint64_t block = first_point / kernel_block_points;
  auto lo = static_cast<std::uint32_t>(first_point % kernel_block_points);
  while (left > 0) {
    const std::uint64_t room = kernel_block_points - lo;
    const auto hi = static_cast<std::uint32_t>(lo + (left < room ? left : room));
    count += count_block(key, block, lo, hi);
    left -= hi - lo;
    ++block;
    lo = 0;
  }
  return count;
}

}  // namespace

kernel_path active_kernel_path() noexcept {
  static const kernel_path path = choose_path();
  return path;
}

std::uint64_t count_inside(std::uint64_t seed, std::uint64_t first_point, std::uint64_t points) {
  return detail::count_inside_on(active_kernel_path(), seed, first_point, points);
}

std::uint64_t count_inside_portable(std::uint64_t seed, std::uint64_t first_point, std::uint64_t points) {
  return count_range(detail::count_block_portable, seed, first_point, points);
}

std::uint64_t detail::count_inside_on(kernel_path path, std::uint64_t seed, std::uint64_t first_point,
                                      std::uint64_t points) {
  if (path == kernel_path::portable)
    return count_range(detail::count_block_portable, seed, first_point, points);
  if (!detail::avx2_usable())
    throw errors::invalid_argument("livepi kernel: AVX2 path asked for, not usable here");
  return count_range(detail::count_block_avx2, seed, first_point, points);
}

}  // namespace handoff::livepi
