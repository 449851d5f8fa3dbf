// Market aggregates each customer decision reads, recomputed from the integer tallies at the
// start of every step (so every customer in a step sees the same, previous-step market). A
// market is a (segment s, region r) pair: the customers of segment s living in region r.
//
//   adopters_s = sum_j n_{s,j},    F_{s,r} = sum_j n_{s,r,j} / customers_{s,r},
//   Bass adoption hazard           h_{s,r} = p + q F_{s,r},
//   network term                   beta_network * log(1 + n_{s,j} / adopters_s),
//   awareness (sampling) weight    pi_{s,r,j} = (1 - lambda) a_j [j serves s] / sum_k a_k [k
//                                  serves s] (only firms alive in the replicate; a_j moves with
//                                  marketing) + lambda n_{s,r,j} / adopters_{s,r},
// where n_{s,j} is firm j's customers in segment s of the replicate, n_{s,r,j} those living in
// region r, a_j its marketing awareness and lambda = demand.awareness_installed_base. pi is
// turned into an alias table per market.
//
// Imitation and word of mouth are local: the Bass model's imitation term counts adopters in
// the adopter's own social system (Bass 1969), and customers hear of a service from users
// near them, so both read the region's adopters, not the world's; a service used at home but
// not abroad (a Korean-language one) is then seen by its home customers in proportion to its
// home use. Marketing awareness and the network effect (scale of use, data) stay worldwide.
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

// One thread per (replicate, segment): the segment's adopters and each of its markets' Bass
// hazard.
struct UpdateSegmentAdoption {
  DemandParams demand;
  std::int32_t firms;
  const std::int64_t* customers_in_market;  // [segment][region]
  SegmentMarketView market;

  // The thread's index is its [replicate][segment] offset.
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateSegment at = layout::split_replicate_segment(index);
    std::int64_t adopters = 0;
    for (int r = 0; r < kRegions; ++r) {
      const std::int32_t* tally = market.market_tally + layout::replicate_segment_region_firm(
                                                            at.replicate, at.segment, r, 0, firms);
      std::int64_t in_market = 0;
      for (std::int32_t j = 0; j < firms; ++j) in_market += tally[j];
      adopters += in_market;
      const std::int64_t market_size = customers_in_market[layout::segment_region(at.segment, r)];
      const double adopted_fraction =
          market_size > 0 ? static_cast<double>(in_market) / static_cast<double>(market_size) : 0.0;
      market.adoption_hazard[layout::replicate_segment_region(at.replicate, at.segment, r)] =
          demand.bass_p + demand.bass_q * adopted_fraction;
    }
    market.adopters[index] = static_cast<std::int32_t>(adopters);
  }
};

// One thread per (replicate, segment, firm). Runs after UpdateSegmentAdoption.
struct UpdateNetworkTerm {
  const DemandParams* demand;  // [replicate]: beta_network
  std::int32_t firms;
  SegmentMarketView market;

  // The thread's index is its [replicate][segment][firm] offset.
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateSegmentFirm at = layout::split_replicate_segment_firm(index, firms);
    const std::int32_t adopters =
        market.adopters[layout::replicate_segment(at.replicate, at.segment)];
    const double beta_network = demand[at.replicate].beta_network;
    double term = 0.0;
    if (beta_network != 0.0 && adopters > 0) {
      const double share = static_cast<double>(market.tally[index]) / adopters;
      term = beta_network * det_log(1.0 + share);
    }
    market.network_term[index] = term;
  }
};

// One thread per (replicate, segment, region): the market's awareness-weighted consideration
// sampler. Sequential in firms within a thread, so the table is the same on every backend.
struct BuildAwarenessSampler {
  const DemandParams* demand;  // [replicate]: lambda, awareness_installed_base
  FirmView firm;
  SegmentMarketView market;

  // The thread's index is its [replicate][segment][region] offset.
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateSegmentRegion at = layout::split_replicate_segment_region(index);
    const double installed_base_weight = demand[at.replicate].awareness_installed_base;
    const std::int32_t n = firm.firms;
    // Rows of the market's firms: [replicate][segment][region][firm], [segment][firm],
    // [replicate][firm].
    const std::int64_t offset =
        layout::replicate_segment_region_firm(at.replicate, at.segment, at.region, 0, n);
    const std::uint8_t* serves = firm.serves + layout::segment_firm(at.segment, 0, n);
    const std::int32_t* tally = market.market_tally + offset;
    double* weight = market.alias_prob + offset;

    const double* awareness = firm.awareness + layout::replicate_firm(at.replicate, 0, n);
    const std::uint8_t* alive = firm.alive + layout::replicate_firm(at.replicate, 0, n);
    double total_awareness = 0.0;
    std::int64_t adopters = 0;
    for (std::int32_t j = 0; j < n; ++j) {
      total_awareness += serves[j] && alive[j] ? awareness[j] : 0.0;
      adopters += tally[j];
    }
    // Without adopters in the market the installed-base part is undefined: awareness alone
    // decides, and vice versa when no serving firm has any marketing awareness.
    const double base_part = adopters > 0 ? installed_base_weight : 0.0;
    const double marketing_part = total_awareness > 0.0 ? 1.0 - base_part : 0.0;
    for (std::int32_t j = 0; j < n; ++j) {
      double w = 0.0;
      if (serves[j] && alive[j]) {
        if (marketing_part > 0.0) w = marketing_part * (awareness[j] / total_awareness);
        if (base_part > 0.0)
          w = w + base_part * (static_cast<double>(tally[j]) / static_cast<double>(adopters));
      }
      weight[j] = w;
    }
    market.segment_has_supply[index] =
        build_alias_table(n, weight, market.alias_index + offset, market.alias_scratch_a + offset,
                          market.alias_scratch_b + offset);
  }
};

}  // namespace aimarket
