// Standard normal draws from the counter-based generator, by Marsaglia's polar method:
//   u, v uniform on (-1, 1), s = u^2 + v^2, accepted when 0 < s < 1,  z = u sqrt(-2 ln s / s).
// It needs only det_log and sqrt (correctly rounded on CPU and GPU), so the draws are identical
// on both backends. Each attempt uses two words; a block of four gives two attempts.
#pragma once

#include <cmath>

#include "kernels/counter_rng.hpp"
#include "kernels/det_math.hpp"

namespace aimarket {

AIMARKET_HD inline double standard_normal(std::uint64_t seed, std::uint32_t replicate,
                                          std::uint32_t step, std::uint32_t agent,
                                          DrawPurpose purpose) {
  // Acceptance probability is pi/4 per attempt: 64 attempts fail with probability < 1e-42.
  for (std::uint32_t block = 0; block < 32; ++block) {
    const DrawBlock d = draw_block(seed, replicate, step, agent, purpose, block);
    for (int first = 0; first < 4; first += 2) {  // two attempts: words (0, 1) and (2, 3)
      const double u = 2.0 * uniform_open01(d.word[first]) - 1.0;
      const double v = 2.0 * uniform_open01(d.word[first + 1]) - 1.0;
      const double s = u * u + v * v;
      if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * det_log(s) / s);
    }
  }
  return 0.0;
}

// Both normals of an accepted polar pair (u f, v f), f = sqrt(-2 ln s / s): the two are
// independent standard normals, so one Philox block (two attempts) usually serves two
// quantities, e.g. a customer's tastes for firms 2b and 2b + 1. The pair `index` numbers such
// pairs of an agent; the counter is (agent, replicate, step, purpose << 16 | index mod 2^16)
// with step = kTimelessStep - (attempt << 16 | index >> 16). Indexes beyond 2^16 and the rare
// extra attempt (probability (1 - pi/4)^2 = 0.046 that a block's two attempts both fail) thus
// move the step field down from kTimelessStep, far from any real step; the purpose keeps the
// stream apart from every other draw.
struct NormalPair {
  double first;
  double second;
};

AIMARKET_HD inline NormalPair timeless_normal_pair(std::uint64_t seed, std::uint32_t replicate,
                                                   std::uint32_t agent, DrawPurpose purpose,
                                                   std::uint32_t index) {
  for (std::uint32_t attempt = 0; attempt < 32; ++attempt) {
    const std::uint32_t step = kTimelessStep - ((attempt << 16) | (index >> 16));
    const DrawBlock d = draw_block(seed, replicate, step, agent, purpose, index & 0xffffu);
    for (int first = 0; first < 4; first += 2) {
      const double u = 2.0 * uniform_open01(d.word[first]) - 1.0;
      const double v = 2.0 * uniform_open01(d.word[first + 1]) - 1.0;
      const double s = u * u + v * v;
      if (s > 0.0 && s < 1.0) {
        const double f = std::sqrt(-2.0 * det_log(s) / s);
        return NormalPair{u * f, v * f};
      }
    }
  }
  return NormalPair{0.0, 0.0};  // 64 failed attempts: probability < 1e-42
}

}  // namespace aimarket
