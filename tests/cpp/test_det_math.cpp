// The project's exp and log against the C library in long double: a few ulps everywhere.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernels/det_math.hpp"

namespace {

// Tolerance: the polynomial truncation is < 2e-16 relative and each of the ~15 roundings adds
// at most 2^-53 (1.1e-16) with partial cancellation; 4e-15 (about 18 ulp) bounds the sum.
constexpr double kRelativeTolerance = 4e-15;

TEST(DetMath, ExpMatchesReferenceOverItsRange) {
  for (double x = -740.0; x <= 709.0; x += 0.37) {
    const long double reference = std::exp(static_cast<long double>(x));
    const double got = aimarket::det_exp(x);
    if (reference < std::numeric_limits<double>::min()) continue;  // subnormal: absolute check
    EXPECT_NEAR(got / static_cast<double>(reference), 1.0, kRelativeTolerance) << "x = " << x;
  }
  for (double x = -1.0; x <= 1.0; x += 1.0 / 1024.0) {
    EXPECT_NEAR(aimarket::det_exp(x) / std::exp(x), 1.0, kRelativeTolerance) << "x = " << x;
  }
}

TEST(DetMath, ExpSpecialValues) {
  EXPECT_EQ(aimarket::det_exp(0.0), 1.0);
  EXPECT_EQ(aimarket::det_exp(-1000.0), 0.0);
  EXPECT_TRUE(std::isinf(aimarket::det_exp(1000.0)));
  EXPECT_TRUE(std::isnan(aimarket::det_exp(std::nan(""))));
}

TEST(DetMath, LogMatchesReferenceOverItsRange) {
  for (double x = 1e-300; x < 1e300; x *= 1.7) {
    const long double reference = std::log(static_cast<long double>(x));
    const double got = aimarket::det_log(x);
    EXPECT_NEAR(got, static_cast<double>(reference),
                kRelativeTolerance * std::fabs(static_cast<double>(reference)) + 1e-300)
        << "x = " << x;
  }
  for (double x = 0.5; x <= 2.0; x += 1.0 / 4096.0) {
    // Near 1 log is small: compare against an absolute scale of the argument's ulp.
    EXPECT_NEAR(aimarket::det_log(x), std::log(x), 4e-16) << "x = " << x;
  }
}

TEST(DetMath, LogSpecialValues) {
  EXPECT_EQ(aimarket::det_log(1.0), 0.0);
  EXPECT_TRUE(std::isinf(aimarket::det_log(0.0)));
  EXPECT_LT(aimarket::det_log(0.0), 0.0);
  EXPECT_TRUE(std::isnan(aimarket::det_log(-1.0)));
  EXPECT_NEAR(aimarket::det_log(5e-324), std::log(5e-324), 1e-12);  // smallest subnormal
}

TEST(DetMath, ExpOfLogRoundTrips) {
  for (double x = 1e-6; x < 1e6; x *= 3.1) {
    EXPECT_NEAR(aimarket::det_exp(aimarket::det_log(x)) / x, 1.0, 1e-13) << "x = " << x;
  }
}

}  // namespace
