// Walker/Vose alias tables: the probability each column implies equals the weights exactly
// (up to rounding), and draws follow it (sampling check).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/alias_table.hpp"
#include "kernels/counter_rng.hpp"

namespace {

std::vector<double> implied_probabilities(const std::vector<double>& prob,
                                          const std::vector<std::int32_t>& alias) {
  const auto n = prob.size();
  std::vector<double> p(n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    p[j] += prob[j] / n;
    p[static_cast<std::size_t>(alias[j])] += (1.0 - prob[j]) / n;
  }
  return p;
}

TEST(AliasTable, ImpliedProbabilitiesEqualNormalisedWeights) {
  const std::vector<double> weights = {0.0, 3.0, 1.0, 0.5, 0.0, 7.25, 2.0, 1e-9, 4.0};
  std::vector<double> prob = weights;
  std::vector<std::int32_t> alias(weights.size()), a(weights.size()), b(weights.size());
  ASSERT_TRUE(aimarket::build_alias_table(static_cast<std::int32_t>(weights.size()), prob.data(),
                                          alias.data(), a.data(), b.data()));
  double total = 0.0;
  for (double w : weights) total += w;
  const auto p = implied_probabilities(prob, alias);
  for (std::size_t j = 0; j < weights.size(); ++j) {
    // Rounding only: a few operations of 2^-53 relative each.
    EXPECT_NEAR(p[j], weights[j] / total, 1e-14) << "firm " << j;
    if (weights[j] == 0.0) {
      EXPECT_EQ(p[j], 0.0) << "a zero-weight firm must never be drawn";
    }
  }
}

TEST(AliasTable, AllZeroWeightsReportNothingToDraw) {
  std::vector<double> prob(4, 0.0);
  std::vector<std::int32_t> alias(4), a(4), b(4);
  EXPECT_FALSE(aimarket::build_alias_table(4, prob.data(), alias.data(), a.data(), b.data()));
}

TEST(AliasTable, DrawsFollowTheWeights) {
  const std::vector<double> weights = {1.0, 2.0, 3.0, 4.0};
  std::vector<double> prob = weights;
  std::vector<std::int32_t> alias(4), a(4), b(4);
  ASSERT_TRUE(aimarket::build_alias_table(4, prob.data(), alias.data(), a.data(), b.data()));
  constexpr std::uint32_t kDraws = 400000;
  std::vector<double> count(4, 0.0);
  for (std::uint32_t i = 0; i < kDraws; ++i) {
    const auto d = aimarket::draw_block(99, 0, 0, i, aimarket::DrawPurpose::kConsiderationSet, 0);
    ++count[static_cast<std::size_t>(
        aimarket::sample_alias_table(4, prob.data(), alias.data(), d.word[0], d.word[1]))];
  }
  for (std::size_t j = 0; j < 4; ++j) {
    const double p = weights[j] / 10.0;
    const double sd = std::sqrt(p * (1 - p) / kDraws);  // binomial sampling error
    EXPECT_NEAR(count[j] / kDraws, p, 5 * sd) << "firm " << j;
  }
}

}  // namespace
