// Market aggregates each customer decision reads, recomputed from the integer tallies at the
// start of every step (so every customer in a step sees the same, previous-step market):
//
//   adopters_s = sum_j n_{s,j},    F_s = adopters_s / customers_s,
//   Bass adoption hazard           h_s = p + q F_s,
//   network term                   beta_network * log(1 + n_{s,j} / adopters_s),
//   awareness (sampling) weight    pi_{s,j} = (1 - lambda) a_j [j serves s] / sum_k a_k [k serves
//   s]
//                                  (only firms alive in the replicate; a_j moves with marketing)
//                                           + lambda n_{s,j} / adopters_s,
// where n_{s,j} is firm j's customers in segment s of the replicate, a_j its marketing
// awareness and lambda = demand.awareness_installed_base. pi is turned into an alias table.
#pragma once

#include <cstdint>

#include "kernels/alias_table.hpp"
#include "kernels/demand_params.hpp"
#include "kernels/det_math.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "kernels/market_state.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// One thread per (replicate, segment).
struct UpdateSegmentAdoption {
  DemandParams demand;
  std::int32_t firms;
  const std::int64_t* customers_in_segment;  // [segment]
  SegmentMarketView market;

  // The thread's index is its [replicate][segment] offset.
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateSegment at = layout::split_replicate_segment(index);
    const std::int32_t* tally =
        market.tally + layout::replicate_segment_firm(at.replicate, at.segment, 0, firms);
    std::int64_t adopters = 0;
    for (std::int32_t j = 0; j < firms; ++j) adopters += tally[j];
    market.adopters[index] = static_cast<std::int32_t>(adopters);
    const std::int64_t market_size = customers_in_segment[at.segment];
    const double adopted_fraction =
        market_size > 0 ? static_cast<double>(adopters) / static_cast<double>(market_size) : 0.0;
    market.adoption_hazard[index] = demand.bass_p + demand.bass_q * adopted_fraction;
  }
};

// One thread per (replicate, segment, firm). Runs after UpdateSegmentAdoption.
struct UpdateNetworkTerm {
  double beta_network;
  std::int32_t firms;
  SegmentMarketView market;

  // The thread's index is its [replicate][segment][firm] offset.
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateSegmentFirm at = layout::split_replicate_segment_firm(index, firms);
    const std::int32_t adopters =
        market.adopters[layout::replicate_segment(at.replicate, at.segment)];
    double term = 0.0;
    if (beta_network != 0.0 && adopters > 0) {
      const double share = static_cast<double>(market.tally[index]) / adopters;
      term = beta_network * det_log(1.0 + share);
    }
    market.network_term[index] = term;
  }
};

// One thread per (replicate, segment): the awareness-weighted consideration sampler.
// Sequential in firms within a thread, so the table is the same on every backend.
struct BuildAwarenessSampler {
  double installed_base_weight;  // lambda
  FirmView firm;
  SegmentMarketView market;

  // The thread's index is its [replicate][segment] offset.
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateSegment at = layout::split_replicate_segment(index);
    const std::int32_t n = firm.firms;
    // Rows of the segment's firms: [replicate][segment][firm], [segment][firm], [replicate][firm].
    const std::int64_t offset = layout::replicate_segment_firm(at.replicate, at.segment, 0, n);
    const std::uint8_t* serves = firm.serves + layout::segment_firm(at.segment, 0, n);
    const std::int32_t* tally = market.tally + offset;
    double* weight = market.alias_prob + offset;

    const double* awareness = firm.awareness + layout::replicate_firm(at.replicate, 0, n);
    const std::uint8_t* alive = firm.alive + layout::replicate_firm(at.replicate, 0, n);
    double total_awareness = 0.0;
    for (std::int32_t j = 0; j < n; ++j)
      total_awareness += serves[j] && alive[j] ? awareness[j] : 0.0;
    const std::int32_t adopters = market.adopters[index];
    // Without adopters the installed-base part is undefined: awareness alone decides, and
    // vice versa when no serving firm has any marketing awareness.
    const double base_part = adopters > 0 ? installed_base_weight : 0.0;
    const double marketing_part = total_awareness > 0.0 ? 1.0 - base_part : 0.0;
    for (std::int32_t j = 0; j < n; ++j) {
      double w = 0.0;
      if (serves[j] && alive[j]) {
        if (marketing_part > 0.0) w = marketing_part * (awareness[j] / total_awareness);
        if (base_part > 0.0) w = w + base_part * (static_cast<double>(tally[j]) / adopters);
      }
      weight[j] = w;
    }
    market.segment_has_supply[index] =
        build_alias_table(n, weight, market.alias_index + offset, market.alias_scratch_a + offset,
                          market.alias_scratch_b + offset);
  }
};

}  // namespace aimarket
