// The utility inversion's measurement (docs/MODEL.md, "Utilities calibrated from shares"):
// one thread per (replicate, customer). Every customer chooses once, exactly as in the
// customer market (CustomerChoiceStep::choose: its consideration set, its utility, its
// current provider kept), and the firm j it picks is counted in `chosen`
// [replicate][segment][region][firm] (the chooser's market), and in `kept` as well when j is
// in the same calibration group as its current provider (`group`, [segment][region][firm]);
// nobody moves; a non-adopter chooses as a newcomer would (no current provider) and its pick
// is counted in `adopted`. From these the host
// (src/calibration/rest_point.cpp) has each group's expected one-step flows out of the
// starting allocation s* of its market: adopters choose again at rate rho
// (demand.reconsider_rate) and non-adopters adopt at the market's Bass hazard h, so
//
//   inflow_g  = rho (chosen_g - kept_g) + h adopted_g,
//   outflow_g = rho (start_g - kept_g) + s*_g h adopted_market,
//
// the last term being what keeps the group's share as the market's adopters grow. The
// starting shares are a rest point of the model's own choice when every group's expected
// inflow equals its expected outflow (with h = 0, when s*_g = sum_i P(g | customer i, its
// current provider, xi) over the adopters), which the host reaches by xi_g <- xi_g +
// (log(outflow_g) - log(inflow_g)) / slope: with plain logit and every customer choosing,
// log(inflow / outflow) = logit(P_g) - logit(s*_g), whose derivative in xi_g is 1, so the
// step is Newton's and the contraction of Berry (1994) in the flows. Each round uses its own
// step value (rest_calibration_step) for the consideration draws and
// DrawPurpose::kRestCalibration for the logit uniform, so rounds are independent samples and
// never reuse a step's draws. Counting by integer atomics keeps the counts independent of
// thread order (and equal on CPU and GPU). Cost: one choice per customer per round.
#pragma once

#include <cstdint>

#include "kernels/counter_rng.hpp"
#include "kernels/customer_choice.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"

namespace aimarket {

struct CountRestChoices {
  CustomerChoiceStep chooser;  // its `step` is the round's rest_calibration_step
  const std::int32_t* group;   // [segment][region][firm] calibration group, -1 none
  std::int32_t* chosen;        // [replicate][segment][region][firm], zeroed before the launch
  std::int32_t* kept;          // [replicate][segment][region][firm], zeroed before the launch
  std::int32_t* adopted;       // [replicate][segment][region][firm], zeroed before the launch

  AIMARKET_HD void operator()(std::int64_t index) const {
    const std::int64_t customers = chooser.customer.customers;
    const layout::ReplicateEntry at = layout::split_replicate_entry(index, customers);
    const std::int32_t current =
        chooser.customer.provider[layout::replicate_customer(at.replicate, at.entry, customers)];
    const int segment = chooser.customer.segment[at.entry];
    const int region = chooser.customer.region[at.entry];
    const DrawBlock d =
        draw_block(chooser.seed, static_cast<std::uint32_t>(at.replicate), chooser.step,
                   static_cast<std::uint32_t>(at.entry), DrawPurpose::kRestCalibration, 0);
    const std::int32_t pick =
        chooser.choose(at.replicate, at.entry, current, segment, uniform_open01(d.word[0]));
    const std::int32_t n = chooser.firm.firms;
    if (current < 0) {
      // A non-adopter, as if it adopted now: the newcomers' choice (none without supply).
      if (pick >= 0) {
        atomic_add_tally(
            adopted + layout::replicate_segment_region_firm(at.replicate, segment, region, pick, n),
            1);
      }
      return;
    }
    // An adopter: its current provider is always a candidate, so pick >= 0.
    const std::int64_t cell =
        layout::replicate_segment_region_firm(at.replicate, segment, region, pick, n);
    atomic_add_tally(chosen + cell, 1);
    const std::int32_t from = group[layout::segment_region_firm(segment, region, current, n)];
    if (from >= 0 && from == group[layout::segment_region_firm(segment, region, pick, n)])
      atomic_add_tally(kept + cell, 1);
  }
};

}  // namespace aimarket
