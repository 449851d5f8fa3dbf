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

}  // namespace aimarket
