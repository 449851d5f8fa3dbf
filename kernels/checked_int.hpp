// Checked int64 arithmetic for money (USD) and fixed-point quantities (kUnitScale).
//
// Signed overflow and the conversion of a NaN or out-of-range double to an integer are
// undefined behaviour; in practice cash wraps to -9.2e18 and the firm "exits". These helpers
// report failure instead, and leave the result untouched. GCC's __builtin_add_overflow is a
// host function to nvcc (device code may not call it), so the checks are written out with
// comparisons, which host and device compile alike: the outcome is the same on CPU and GPU.
#pragma once

#include <cstdint>

#include "kernels/hd.hpp"

namespace aimarket {

constexpr std::int64_t kInt64Max = INT64_MAX;
constexpr std::int64_t kInt64Min = INT64_MIN;

// sum = a + b, or false (sum unchanged) when the sum is outside the int64 range.
AIMARKET_HD inline bool checked_add(std::int64_t a, std::int64_t b, std::int64_t& sum) {
  if (b > 0 ? a > kInt64Max - b : a < kInt64Min - b) return false;
  sum = a + b;
  return true;
}

// difference = a - b, or false (difference unchanged) when it is outside the int64 range.
AIMARKET_HD inline bool checked_sub(std::int64_t a, std::int64_t b, std::int64_t& difference) {
  if (b < 0 ? a > kInt64Max + b : a < kInt64Min + b) return false;
  difference = a - b;
  return true;
}

// value = x converted to int64 (x already rounded to a whole number), or false (value
// unchanged) for a NaN or an x outside [-2^63, 2^63). Both bounds are exact doubles, and
// every comparison with a NaN is false.
AIMARKET_HD inline bool checked_to_int64(double x, std::int64_t& value) {
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) return false;
  value = static_cast<std::int64_t>(x);
  return true;
}

}  // namespace aimarket
