// Raw-pointer views of the customer market's arrays, as the step functors see them.
// Structure of arrays; the replicate is always the outermost index, so all replicates of an
// ensemble live in one allocation and advance in the same launches.
#pragma once

#include <cstdint>

#include "kernels/demand_params.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// Per-customer state. Only the services used are per replicate; a customer's segment and
// region are the same in every replicate (the population is stratified, see docs/MODEL.md),
// so the device state is 4 bytes per service slot and customer-replicate plus 2 bytes per
// customer.
struct CustomerView {
  std::int32_t* provider;        // [replicate][customer]: firm index, or -1 = not an adopter
  std::int32_t* secondary;       // [replicate][customer][slot]: its other services, -1 = empty
  std::int32_t secondary_slots;  // demand.max_services - 1 (0: single-homing)
  const std::uint8_t* segment;   // [customer]
  const std::uint8_t* region;    // [customer]
  std::int64_t customers;        // per replicate
};

// Firm attributes that enter the customers' choice. Quality, price, awareness and alive are
// per replicate: the value chain moves them (they stay at their config values when frozen).
struct FirmView {
  std::int32_t firms;
  const double* quality_term;  // [replicate][segment][firm]  beta_quality * quality
  const double* price_term;    // [replicate][segment][firm]  log(1 + price / p_ref)
  const std::uint8_t* serves;  // [segment][firm]  1 if the firm sells to the segment
  const double* language_fit;  // [firm][region] fit of the firm's language to the region
  const std::uint8_t* home;    // [firm] the firm's home region
  UtilityLevers levers;        // the scenario's levers that act on utility at once
  // Calibrated xi (0 without calibration), [class][segment][region][firm]: replicates that run
  // with the same parameters share a calibration class (src/uncertainty).
  const double* utility_offset;
  const std::int32_t* calibration_class;  // [replicate]
  const double* awareness;                // [replicate][firm] awareness weight
  const std::uint8_t* alive;              // [replicate][firm]
  const std::int32_t* acquired_by;        // [replicate][firm] acquirer of a dead firm, or -1

  // Firm j's region term for customers of region g, for a replicate with home bias beta_home
  // and language weight beta_language (docs/MODEL.md, the utility): beta_language x fit,
  // + beta_home + home_procurement_g at home, - closed_stack_penalty abroad for a firm of a
  // closed stack.
  AIMARKET_HD double region_term(std::int32_t j, int g, double beta_home,
                                 double beta_language) const {
    double term = beta_language * language_fit[layout::firm_region(j, g)];
    const int h = home[j];
    if (h == g) term += beta_home + levers.home_procurement[g];
    if (h != g && levers.closed_stack[h] != 0) term -= levers.closed_stack_penalty;
    return term;
  }

  // Firm j's calibrated offset in the (segment, region) market of the replicate.
  AIMARKET_HD double offset(std::int64_t replicate, int segment, int region, std::int32_t j) const {
    const std::int64_t calibration = calibration_class[replicate];
    return utility_offset[calibration * kMarkets * firms +
                          layout::segment_region_firm(segment, region, j, firms)];
  }
};

// Market aggregates recomputed at the start of each step from the tallies, per replicate.
struct SegmentMarketView {
  std::int32_t* tally;               // [replicate][segment][firm] customers per provider
  std::int32_t* market_tally;        // [replicate][segment][region][firm] the same, by the
                                     //   customer's region: a (segment, region) market
  std::int32_t* adopters;            // [replicate][segment]
  double* adoption_hazard;           // [replicate][segment][region] Bass hazard p + q F_{s,r}
  double* network_term;              // [replicate][segment][firm] beta_network log(1 + share)
  double* alias_prob;                // [replicate][segment][region][firm] consideration sampler
  std::int32_t* alias_index;         // [replicate][segment][region][firm]
  std::int32_t* alias_scratch_a;     // [replicate][segment][region][firm]
  std::int32_t* alias_scratch_b;     // [replicate][segment][region][firm]
  std::uint8_t* segment_has_supply;  // [replicate][segment][region] 1 if any firm can be drawn
};

}  // namespace aimarket
