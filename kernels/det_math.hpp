// Deterministic elementary functions for the deciding arithmetic.
//
// exp and log are computed here, in project code, instead of by the C library on the CPU and
// by CUDA's libdevice on the GPU: the two libraries round differently in the last bit, and a
// last-bit difference in a choice probability can flip a customer's decision. Both functions
// use only +, -, *, / and IEEE conversions, which round identically under g++ (SSE2, with
// -ffp-contract=off) and nvcc (--fmad=false), so CPU and GPU results agree bit for bit.
//
//   exp(x) = 2^k * e^r,  k = round(x / ln 2),  r = x - k ln 2 (Cody-Waite split of ln 2),
//            e^r by its Taylor series to r^13/13!, |r| <= ln2/2 (truncation < 2e-16 relative);
//   log(x) = e ln 2 + log(m),  x = m 2^e with m in [sqrt(1/2), sqrt(2)),
//            log(m) = 2 atanh(s) = 2 (s + s^3/3 + ... + s^23/23),  s = (m-1)/(m+1), |s| < 0.172.
// Relative error is a few units in the last place (tests/cpp/test_det_math.cpp checks 4e-15).
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/hd.hpp"

namespace aimarket {

namespace det_detail {
AIMARKET_HD inline double from_bits(std::uint64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}
AIMARKET_HD inline std::uint64_t to_bits(double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}
// 2^k for k in [-1022, 1023], built from its bit pattern (exact).
AIMARKET_HD inline double pow2(int k) {
  return from_bits(static_cast<std::uint64_t>(k + 1023) << 52);
}
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2, upper bits (k * hi is exact)
constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
constexpr double kInvLn2 = 1.44269504088896338700e+00;
}  // namespace det_detail

AIMARKET_HD inline double det_exp(double x) {
  using namespace det_detail;
  const double infinity = from_bits(0x7ff0000000000000ULL);
  if (x != x) return x;  // NaN
  if (x > 709.782712893384) return infinity;
  if (x < -745.1332191019412) return 0.0;
  // k = nearest integer to x / ln 2, by truncation of a shifted value (no libm rounding call).
  const double scaled = x * kInvLn2;
  int k = static_cast<int>(scaled >= 0.0 ? scaled + 0.5 : scaled - 0.5);
  const double kd = static_cast<double>(k);
  const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  // Horner form of sum_{n=0}^{13} r^n / n!.
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = 1.0 / 479001600.0 + r * p;  // 1/12!
  p = 1.0 / 39916800.0 + r * p;   // 1/11!
  p = 1.0 / 3628800.0 + r * p;    // 1/10!
  p = 1.0 / 362880.0 + r * p;     // 1/9!
  p = 1.0 / 40320.0 + r * p;      // 1/8!
  p = 1.0 / 5040.0 + r * p;       // 1/7!
  p = 1.0 / 720.0 + r * p;        // 1/6!
  p = 1.0 / 120.0 + r * p;        // 1/5!
  p = 1.0 / 24.0 + r * p;         // 1/4!
  p = 1.0 / 6.0 + r * p;          // 1/3!
  p = 0.5 + r * p;                // 1/2!
  p = 1.0 + r * p;                // 1/1!
  p = 1.0 + r * p;                // 1/0!
  // Scale by 2^k in two exact halves so that results near the subnormal range stay finite.
  const int k_half = k / 2;
  return p * pow2(k_half) * pow2(k - k_half);
}

AIMARKET_HD inline double det_log(double x) {
  using namespace det_detail;
  const double infinity = from_bits(0x7ff0000000000000ULL);
  if (x != x) return x;                                  // NaN
  if (x < 0.0) return from_bits(0x7ff8000000000000ULL);  // NaN: log of a negative
  if (x == 0.0) return -infinity;
  if (x >= infinity) return x;
  int exponent_bias = 0;
  if (x < 2.2250738585072014e-308) {  // subnormal: scale into the normal range first
    x *= 18014398509481984.0;         // 2^54
    exponent_bias = -54;
  }
  const std::uint64_t bits = to_bits(x);
  int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023 + exponent_bias;
  double m = from_bits((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  // Horner form of sum_{n=0}^{11} s2^n / (2n+1).
  double p = 1.0 / 23.0;
  p = 1.0 / 21.0 + s2 * p;
  p = 1.0 / 19.0 + s2 * p;
  p = 1.0 / 17.0 + s2 * p;
  p = 1.0 / 15.0 + s2 * p;
  p = 1.0 / 13.0 + s2 * p;
  p = 1.0 / 11.0 + s2 * p;
  p = 1.0 / 9.0 + s2 * p;
  p = 1.0 / 7.0 + s2 * p;
  p = 1.0 / 5.0 + s2 * p;
  p = 1.0 / 3.0 + s2 * p;
  p = 1.0 + s2 * p;
  const double log_m = 2.0 * s * p;
  const double ed = static_cast<double>(e);
  return ed * kLn2Hi + (log_m + ed * kLn2Lo);
}

// 2^(months / doubling_months): growth by a doubling time (hardware price-performance,
// algorithmic progress), through det_exp so that it is the same on CPU and GPU.
AIMARKET_HD inline double doubling_factor(double months, double doubling_months) {
  return det_exp(months / doubling_months * 0.6931471805599453);
}

}  // namespace aimarket
