#include "estimate.hpp"

#include <cmath>
#include <cstdio>

namespace handoff::livepi {

namespace {
// Decimal digits after the point that equal pi's, compared as printed text so
// that 3.1399 is "1 correct" (3.1), as a person reading the two would say.
int matching_decimals(double value) noexcept {
  char mine[32];
  char truth[32];
  std::snprintf(mine, sizeof mine, "%.15f", value);
  std::snprintf(truth, sizeof truth, "%.15f", pi_reference);
  if (mine[0] != truth[0] || mine[1] != '.') return -1;
  int decimals = 0;
  for (int i = 2; mine[i] != '\0' && mine[i] == truth[i]; ++i) ++decimals;
  return decimals;
}
}  // namespace

estimate estimate::from_count(std::uint64_t inside, std::uint64_t points) noexcept {
  estimate result;
  if (points == 0) return result;
  const double n = static_cast<double>(points);
  const double p = static_cast<double>(inside) / n;
  result.value = 4.0 * p;
  result.standard_error = 4.0 * std::sqrt(p * (1.0 - p) / n);
  const int decimals = matching_decimals(result.value);
  result.correct_decimals = decimals < 0 ? 0 : decimals;
  return result;
}

}  // namespace handoff::livepi
