// The kernel's AVX2 path: the stream of kernel_detail.hpp, 8 lanes per ymm
// register, states A (x) and B (y) stepped side by side so that each hides the
// other's latency. Compiled with -mavx2, this file only: everything in it is
// either called after the runtime check or private to it (anonymous
// namespace, no std:: templates), so no AVX2 code reaches a caller that did
// not check.
#include "kernel_detail.hpp"

#include <immintrin.h>

namespace handoff::livepi::detail {

namespace {

// Eight xoshiro128+ generators, one per 32-bit lane.
struct lanes8 {
  __m256i s0, s1, s2, s3;
};

lanes8 load_lanes(const block_state& state, unsigned first_stream) noexcept {
  auto row = [&](unsigned w) {
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(&state.s[w][first_stream]));
  };
  return lanes8{row(0), row(1), row(2), row(3)};
}

// One xoshiro128+ step in every lane; returns s0 + s3 from before the step.
inline __m256i next(lanes8& g) noexcept {
  const __m256i out = _mm256_add_epi32(g.s0, g.s3);
  const __m256i t = _mm256_slli_epi32(g.s1, 9);
  g.s2 = _mm256_xor_si256(g.s2, g.s0);
  g.s3 = _mm256_xor_si256(g.s3, g.s1);
  g.s1 = _mm256_xor_si256(g.s1, g.s2);
  g.s0 = _mm256_xor_si256(g.s0, g.s3);
  g.s2 = _mm256_xor_si256(g.s2, t);
  g.s3 = _mm256_or_si256(_mm256_slli_epi32(g.s3, 11), _mm256_srli_epi32(g.s3, 21));
  return out;
}

// The inside test, exact, in two steps. Most points are far from the circle's
// edge, so a coarse test on the top 16 bits of each coordinate decides them;
// the few it cannot decide (about 2 in 10^4) take the exact 64-bit test.
//
// With K = 2^16, x = hx K + lx (hx = x >> 16 arithmetic, 0 <= lx < K), X = x / K
// lies in [hx, hx + 1), so X^2 - hx^2 lies in (-2|hx|, 2|hx| + 1); with
// s = hx^2 + hy^2 and |hx|, |hy| <= 2^15, X^2 + Y^2 - s lies in
// (-2^17, 2^17 + 2). The point is inside when X^2 + Y^2 < 2^30, hence
//   certainly inside  when s <  2^30 - 2^17 - 1  (d1 = s - c1 < 0),
//   certainly outside when s >= 2^30 + 2^17      (d2 = s - c2 >= 0),
// and undecided between. vpmaddwd computes s for 8 points in one instruction
// (the words hx, hy side by side in each lane). s can reach 2^31 (hx = hy =
// -2^15), which wraps to -2^31 in 32 bits; d1 and d2 still come out right,
// since s - c1 and s - c2 lie within (-2^31, 2^31) for every s in [0, 2^31].
constexpr std::int32_t c1 = (1 << 30) - (1 << 17) - 1;
constexpr std::int32_t c2 = (1 << 30) + (1 << 17);

// Bits set in each byte value: the count of a movemask without POPCNT (which
// -mavx2 does not imply).
struct bit_counts {
  std::uint8_t of[256];
};
constexpr bit_counts make_bit_counts() {
  bit_counts t{};
  for (unsigned v = 0; v < 256; ++v) {
    for (unsigned b = v; b != 0; b >>= 1) t.of[v] = static_cast<std::uint8_t>(t.of[v] + (b & 1));
  }
  return t;
}
constexpr bit_counts bits_in = make_bit_counts();

// The same test as kernel.cpp's, for the points the coarse test leaves undecided.
bool inside_scalar(std::uint32_t ux, std::uint32_t uy) noexcept {
  const auto x = static_cast<std::int64_t>(static_cast<std::int32_t>(ux));
  const auto y = static_cast<std::int64_t>(static_cast<std::int32_t>(uy));
  return static_cast<std::uint64_t>(x * x) + static_cast<std::uint64_t>(y * y) < (std::uint64_t{1} << 62);
}

// The exact test for the lanes set in `lanes`: rare, so kept out of line.
[[gnu::noinline]] unsigned exact_lanes(__m256i x, __m256i y, unsigned lanes) noexcept {
  alignas(32) std::uint32_t xs[kernel_lanes];
  alignas(32) std::uint32_t ys[kernel_lanes];
  _mm256_store_si256(reinterpret_cast<__m256i*>(xs), x);
  _mm256_store_si256(reinterpret_cast<__m256i*>(ys), y);
  unsigned count = 0;
  for (unsigned l = 0; l < kernel_lanes; ++l) {
    if ((lanes >> l) & 1) count += inside_scalar(xs[l], ys[l]) ? 1 : 0;
  }
  return count;
}

// How many of the points (x[l], y[l]) with bit l set in `lanes` are inside.
inline unsigned count_round(__m256i x, __m256i y, unsigned lanes) noexcept {
  // Each lane: hx in the low word, hy in the high word.
  const __m256i words = _mm256_blend_epi16(_mm256_srli_epi32(x, 16), y, 0xAA);
  const __m256i s = _mm256_madd_epi16(words, words);
  const __m256i d1 = _mm256_sub_epi32(s, _mm256_set1_epi32(c1));
  const __m256i d2 = _mm256_sub_epi32(s, _mm256_set1_epi32(c2));
  const auto in = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(d1))) & lanes;
  const auto not_out = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(d2))) & lanes;
  unsigned count = bits_in.of[in];
  if (not_out != in) [[unlikely]] {
    count += exact_lanes(x, y, not_out & ~in);
  }
  return count;
}

// Steps both states one round and counts the lanes set in `lanes`.
unsigned partial_round(lanes8& a, lanes8& b, unsigned lanes) noexcept {
  const __m256i x = next(a);
  const __m256i y = next(b);
  return count_round(x, y, lanes);
}

// Lanes [begin, end) as a mask.
unsigned lane_mask(std::uint32_t begin, std::uint32_t end) noexcept {
  return ((1u << end) - 1) & ~((1u << begin) - 1);
}

}  // namespace

std::uint64_t count_block_avx2(std::uint64_t key, std::uint64_t block, std::uint32_t lo,
                               std::uint32_t hi) noexcept {
  const block_state state = seed_block(key, block);
  lanes8 a = load_lanes(state, 0);
  lanes8 b = load_lanes(state, kernel_lanes);

  // Skip the rounds before `lo` (only a range that starts mid-block has any).
  std::uint32_t pos = lo / kernel_lanes * kernel_lanes;
  for (std::uint32_t r = 0; r < lo / kernel_lanes; ++r) {
    next(a);
    next(b);
  }

  std::uint64_t count = 0;
  if (lo > pos) {
    count += partial_round(a, b, lane_mask(lo - pos, hi - pos < kernel_lanes ? hi - pos : kernel_lanes));
    pos += kernel_lanes;
  }
  const std::uint32_t full_end = hi / kernel_lanes * kernel_lanes;
  for (; pos < full_end; pos += kernel_lanes) {
    const __m256i x = next(a);
    const __m256i y = next(b);
    count += count_round(x, y, 0xFF);
  }
  if (pos < hi) count += partial_round(a, b, lane_mask(0, hi - pos));
  return count;
}

std::uint64_t count_pairs_avx2(const std::uint32_t* x, const std::uint32_t* y, std::size_t n) noexcept {
  std::uint64_t count = 0;
  std::size_t i = 0;
  for (; i + kernel_lanes <= n; i += kernel_lanes) {
    count += count_round(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)),
                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y + i)), 0xFF);
  }
  for (; i < n; ++i) count += inside_scalar(x[i], y[i]) ? 1 : 0;
  return count;
}

}  // namespace handoff::livepi::detail
