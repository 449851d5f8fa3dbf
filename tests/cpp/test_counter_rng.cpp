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

}  // namespace
