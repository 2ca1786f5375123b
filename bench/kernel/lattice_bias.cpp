// kernel_lattice_bias: the exact bias of livepi's mapping, computed once.
//
// The kernel draws x and y as signed 32-bit integers (every pair equally
// likely) and counts x*x + y*y < 2^62 (kernel.hpp). The expected estimate is
// therefore 4 N / 2^64 = N / 2^62, where N is the number of integer points
// strictly inside the circle of radius R = 2^31 (no such point has a
// coordinate of -2^31, so all of them are drawable). This program counts N
// exactly, row by row: row x holds 2 isqrt(R^2 - 1 - x^2) + 1 points. About
// 10 s on one core; docs/kernel.md quotes its output.
//
//   bench_kernel_lattice_bias
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace {

// floor(sqrt(v)) for v < 2^62, exact.
std::uint64_t isqrt(std::uint64_t v) {
  auto r = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(v)));
  while (r * r > v) --r;
  while ((r + 1) * (r + 1) <= v) ++r;
  return r;
}

}  // namespace

int main() {
  constexpr std::uint64_t r = std::uint64_t{1} << 31;
  constexpr std::uint64_t r2 = std::uint64_t{1} << 62;
  std::uint64_t half = 0;  // rows x = 1 .. R-1; rows -x are the same
  for (std::uint64_t x = 1; x < r; ++x) half += 2 * isqrt(r2 - 1 - x * x) + 1;
  const std::uint64_t n = 2 * isqrt(r2 - 1) + 1 + 2 * half;  // N < pi 2^62 + 1e6 < 2^64
  const long double pi = 3.141592653589793238462643383279502884L;
  const long double expected = static_cast<long double>(n) / static_cast<long double>(r2);
  const long double relative = (expected - pi) / pi;
  std::printf(
      "{\"scenario\":\"kernel_lattice_bias\",\"inside_points\":%llu,\"expected_estimate\":%.21Lf,"
      "\"relative_bias\":%.6Le,\"log2_abs_relative_bias\":%.2Lf}\n",
      static_cast<unsigned long long>(n), expected, relative, std::log2(std::fabs(relative)));
  return 0;
}
