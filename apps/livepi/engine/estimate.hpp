// livepi's statistics: the estimate of pi from a count, its standard error,
// and how many of its decimals are right.
#pragma once

#include <cstdint>

namespace handoff::livepi {

inline constexpr double pi_reference = 3.14159265358979323846;

struct estimate {
  double value = 0;           // 4 * inside / points
  double standard_error = 0;  // 4 * sqrt(p (1 - p) / points), p = inside / points
  int correct_decimals = 0;   // decimals of value that agree with pi (0 for "3." only)

  /// The estimate for `inside` of `points` (zeros when points is 0). Any thread.
  static estimate from_count(std::uint64_t inside, std::uint64_t points) noexcept;
};

}  // namespace handoff::livepi
