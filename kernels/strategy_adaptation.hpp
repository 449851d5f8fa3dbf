// Strategy adaptation (MODEL.md section 4, step 10): Nelson-Winter style search and imitation.
//
// Every `every` steps (after finance), in two passes of one thread per (replicate, firm).
// ReviewGrowth: the firm's performance since its last review is its relative cash growth
//   g_j = (cash_j - cash_at_review_j) / (|cash_at_review_j| + 1 USD M),
// and the review baseline moves to the current cash. AdaptStrategies: the firm draws up to 4 peers
// uniformly among all firms and takes the first alive one with the same layers; if that peer grew
// faster, the firm copies the peer's strategy parameters with probability imitation_probability.
// Otherwise it mutates: each parameter is multiplied by exp(mutation_sd * z) (z standard normal),
// the four budget shares are renormalised to sum to 1, and the spending rate and the training
// share are capped at 1. Reads come from the current parameters and writes go to a second
// buffer, so no thread sees another's update; the engine swaps them.
#pragma once

#include <cstdint>

#include "kernels/counter_rng.hpp"
#include "kernels/det_math.hpp"
#include "kernels/firm_dynamics.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "kernels/normal_draw.hpp"
#include "kernels/value_chain_params.hpp"
#include "kernels/value_chain_state.hpp"

namespace aimarket {

struct ReviewGrowth {
  FirmDynamic dyn;
  double* growth;  // [replicate][firm]
  AIMARKET_HD void operator()(std::int64_t index) const {
    const double before = static_cast<double>(dyn.cash_at_review[index]);
    const double scale = (before < 0.0 ? -before : before) + 1e6;
    growth[index] = (static_cast<double>(dyn.cash[index]) - before) / scale;
    dyn.cash_at_review[index] = dyn.cash[index];
  }
};

struct AdaptStrategies {
  FirmStepContext c;
  AdaptationParams a;
  std::uint64_t seed;
  std::uint32_t step;
  double* strategy_next;  // [replicate][parameter][firm]
  const double* growth;   // [replicate][firm] from ReviewGrowth

  AIMARKET_HD void operator()(std::int64_t index) const {
    const std::int32_t n = c.firm.firms;
    const layout::ReplicateFirm at = layout::split_replicate_firm(index, n);
    const std::int64_t replicate = at.replicate;
    const std::int32_t j = at.firm;
    const auto r = static_cast<std::uint32_t>(replicate);
    const auto agent = static_cast<std::uint32_t>(j);
    const auto next = [&](int parameter) -> double& {
      return strategy_next[layout::replicate_parameter_firm(replicate, parameter, j, n)];
    };
    for (int p = 0; p < kStrategyParameters; ++p) {
      next(p) = c.dyn.strategy_of(replicate, p, n, j);
    }
    if (!c.dyn.alive[index]) return;
    const double own = growth[index];

    const DrawBlock d = draw_block(seed, r, step, agent, DrawPurpose::kAdaptation, 0);
    std::int32_t peer = -1;
    for (int t = 0; t < 3 && peer < 0; ++t) {
      auto k = static_cast<std::int32_t>(uniform_open01(d.word[t]) * n);
      if (k >= n) k = n - 1;
      if (k != j && c.dyn.alive[layout::replicate_firm(replicate, k, n)] &&
          c.firm.layer_mask[k] == c.firm.layer_mask[j]) {
        peer = k;
      }
    }
    if (peer >= 0 && growth[layout::replicate_firm(replicate, peer, n)] > own &&
        uniform_open01(d.word[3]) < a.imitation_probability) {
      for (int p = 0; p < kStrategyParameters; ++p) {
        next(p) = c.dyn.strategy_of(replicate, p, n, peer);
      }
      return;
    }
    if (!(a.mutation_sd > 0.0)) return;
    for (int p = 0; p < kStrategyParameters; ++p) {
      // One counter per (firm, parameter).
      const auto counter = static_cast<std::uint32_t>(layout::firm_parameter(j, p));
      const double z = standard_normal(seed, r, step, counter, DrawPurpose::kMutation);
      next(p) = next(p) * det_exp(a.mutation_sd * z);
    }
    const double shares =
        next(kComputeShare) + next(kDataShare) + next(kRdShare) + next(kMarketingShare);
    if (shares > 0.0) {
      for (int p = kComputeShare; p <= kMarketingShare; ++p) next(p) = next(p) / shares;
    }
    if (next(kSpendRate) > 1.0) next(kSpendRate) = 1.0;
    if (next(kTrainingShare) > 1.0) next(kTrainingShare) = 1.0;  // a share of compute
  }
};

}  // namespace aimarket
