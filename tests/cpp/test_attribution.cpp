// Attribution of a scenario difference to the parameter draws (src/analysis/attribution.hpp):
// the linear fit's share of the spread against its closed form, the drivers' order, and the
// cases without a fit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "analysis/attribution.hpp"

namespace aimarket::analysis {
namespace {

// n replicates of three independent U(0, 1) draws, [replicate][parameter].
std::vector<double> draws(std::size_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> values(3 * n);
  for (double& v : values) v = u(rng);
  return values;
}

const std::vector<std::string> kKeys = {"a.one", "a.two", "a.three"};

TEST(Attribution, SplitsTheSpreadBetweenParametersAndNoise) {
  // d = 2 x1 + 0.5 x2 + e, x ~ U(0, 1) (variance 1/12), e ~ N(0, 0.3^2): the parameters'
  // share is (4 + 0.25) / 12 / ((4 + 0.25) / 12 + 0.09) = 0.7974. With 2,000 replicates the
  // adjusted R^2 has a sampling sd of about 2 sqrt(R^2) (1 - R^2) / sqrt(n) = 0.008: checked
  // within 4 sd.
  std::mt19937_64 rng(7);
  const std::size_t n = 2000;
  const std::vector<double> x = draws(n, rng);
  std::normal_distribution<double> noise(0.0, 0.3);
  std::vector<double> d(n);
  for (std::size_t r = 0; r < n; ++r) d[r] = 2.0 * x[3 * r] + 0.5 * x[3 * r + 1] + noise(rng);
  const Attribution a = attribute_difference(d, kKeys, x);
  EXPECT_EQ(a.n, 2000);
  const double expected = (4.25 / 12.0) / (4.25 / 12.0 + 0.09);
  EXPECT_NEAR(a.parameter_share, expected, 4.0 * 0.008);
  ASSERT_EQ(a.drivers.size(), 3u);
  EXPECT_EQ(a.drivers[0].key, "a.one");
  EXPECT_EQ(a.drivers[1].key, "a.two");
  EXPECT_GT(a.drivers[0].rho, 0.8);
  EXPECT_LT(std::fabs(a.drivers[2].rho), 0.1);  // no effect: |rho| ~ 1 / sqrt(n) = 0.02
}

TEST(Attribution, PureNoiseIsNotAttributedToParameters) {
  std::mt19937_64 rng(11);
  const std::size_t n = 400;
  const std::vector<double> x = draws(n, rng);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> d(n);
  for (double& v : d) v = noise(rng);
  // Adjusted R^2 of noise on 3 regressors: mean 0, sd about sqrt(2 k) / n = 0.006.
  EXPECT_LT(attribute_difference(d, kKeys, x).parameter_share, 0.03);
}

TEST(Attribution, LeavesOutConstantKeysAndNeedsEnoughReplicates) {
  std::mt19937_64 rng(3);
  std::vector<double> x = draws(6, rng);
  for (std::size_t r = 0; r < 6; ++r) x[3 * r + 2] = 1.5;  // a.three does not vary
  std::vector<double> d = {1, 2, 3, 4, std::nan(""), std::nan("")};
  const Attribution a = attribute_difference(d, kKeys, x);
  EXPECT_EQ(a.n, 4);
  EXPECT_EQ(a.drivers.size(), 2u);
  EXPECT_TRUE(std::isnan(a.parameter_share));  // 4 replicates < 2 varying keys + 3
  const Attribution same = attribute_difference({1, 1, 1, 1, 1, 1}, kKeys, x);
  EXPECT_TRUE(std::isnan(same.parameter_share));  // a difference that does not vary
  EXPECT_EQ(drivers_text(a, 1).rfind("a.", 0), 0u);
}

}  // namespace
}  // namespace aimarket::analysis
