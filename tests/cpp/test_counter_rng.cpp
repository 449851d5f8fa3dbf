// The counter-based generator: a pure function of its key and counter, uniform, and with
// independent streams per purpose.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "kernels/counter_rng.hpp"
#include "kernels/normal_draw.hpp"

namespace {

using aimarket::draw_block;
using aimarket::DrawPurpose;

TEST(CounterRng, SameCounterSameDraws) {
  const auto a = draw_block(42, 3, 7, 123456, DrawPurpose::kConsiderationSet, 2);
  const auto b = draw_block(42, 3, 7, 123456, DrawPurpose::kConsiderationSet, 2);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(a.word[k], b.word[k]);
}

TEST(CounterRng, EachKeyFieldChangesTheDraw) {
  const auto base = draw_block(42, 3, 7, 123456, DrawPurpose::kConsiderationSet, 2);
  const aimarket::DrawBlock changed[] = {
      draw_block(43, 3, 7, 123456, DrawPurpose::kConsiderationSet, 2),
      draw_block(42, 4, 7, 123456, DrawPurpose::kConsiderationSet, 2),
      draw_block(42, 3, 8, 123456, DrawPurpose::kConsiderationSet, 2),
      draw_block(42, 3, 7, 123457, DrawPurpose::kConsiderationSet, 2),
      draw_block(42, 3, 7, 123456, DrawPurpose::kAdoptOrReconsider, 2),
      draw_block(42, 3, 7, 123456, DrawPurpose::kConsiderationSet, 3),
      draw_block(42ull | (1ull << 40), 3, 7, 123456, DrawPurpose::kConsiderationSet, 2)};
  for (const auto& c : changed) EXPECT_NE(c.word[0], base.word[0]);
}

TEST(CounterRng, UniformsHaveTheRightMeanAndStayInsideTheOpenInterval) {
  constexpr int kN = 200000;
  double sum = 0.0;
  for (int i = 0; i < kN; ++i) {
    const double u = aimarket::uniform_open01(
        draw_block(1, 0, 0, static_cast<std::uint32_t>(i), DrawPurpose::kAdoptOrReconsider, 0)
            .word[0]);
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  // Mean of U(0,1) has sd sqrt(1/12 / N); 5 sd.
  EXPECT_NEAR(sum / kN, 0.5, 5 * std::sqrt(1.0 / 12.0 / kN));
  EXPECT_EQ(aimarket::uniform_open01(0u), 0.5 / 4294967296.0);
  EXPECT_LT(aimarket::uniform_open01(0xffffffffu), 1.0);
}

TEST(CounterRng, NormalDrawsHaveUnitVariance) {
  constexpr int kN = 200000;
  double sum = 0.0, sum_sq = 0.0;
  for (int i = 0; i < kN; ++i) {
    const double z =
        aimarket::standard_normal(5, 0, 0, static_cast<std::uint32_t>(i), DrawPurpose::kPriceTaste);
    sum += z;
    sum_sq += z * z;
  }
  const double mean = sum / kN;
  const double variance = sum_sq / kN - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5 / std::sqrt(static_cast<double>(kN)));  // sd of mean 1/sqrt(N)
  EXPECT_NEAR(variance, 1.0, 5 * std::sqrt(2.0 / kN));             // sd of var sqrt(2/N)
}

TEST(CounterRng, NormalPairsAreTwoIndependentUnitNormalsAtEveryIndex) {
  // Pair indexes on both sides of 2^16 (where the index's high bits move into the step field).
  for (const std::uint32_t base : {0u, 70000u}) {
    constexpr int kN = 200000;
    double sum[2] = {0.0, 0.0}, sum_sq[2] = {0.0, 0.0}, cross = 0.0;
    for (int i = 0; i < kN; ++i) {
      const auto z = aimarket::timeless_normal_pair(9, 1, static_cast<std::uint32_t>(i / 4),
                                                    DrawPurpose::kFirmTaste,
                                                    base + static_cast<std::uint32_t>(i % 4));
      const double v[2] = {z.first, z.second};
      for (int k = 0; k < 2; ++k) {
        sum[k] += v[k];
        sum_sq[k] += v[k] * v[k];
      }
      cross += z.first * z.second;
    }
    for (int k = 0; k < 2; ++k) {
      EXPECT_NEAR(sum[k] / kN, 0.0, 5 / std::sqrt(double{kN})) << base;   // sd 1/sqrt(N)
      EXPECT_NEAR(sum_sq[k] / kN, 1.0, 5 * std::sqrt(2.0 / kN)) << base;  // sd sqrt(2/N)
    }
    // E[z1 z2] = 0 with sd 1/sqrt(N) for independent unit normals.
    EXPECT_NEAR(cross / kN, 0.0, 5 / std::sqrt(double{kN})) << base;
  }
  // Neighbouring indexes, and an index and the one 2^16 above it, are different draws.
  const auto a = aimarket::timeless_normal_pair(9, 1, 3, DrawPurpose::kFirmTaste, 5);
  const auto b = aimarket::timeless_normal_pair(9, 1, 3, DrawPurpose::kFirmTaste, 6);
  const auto c = aimarket::timeless_normal_pair(9, 1, 3, DrawPurpose::kFirmTaste, 5 + 65536);
  EXPECT_NE(a.first, b.first);
  EXPECT_NE(a.first, c.first);
}

}  // namespace
