// The utility inversion's measurement (docs/MODEL.md, "Utilities calibrated from shares"):
// one thread per (replicate, customer). Every adopter chooses once, exactly as in the
// customer market (CustomerChoiceStep::choose: its consideration set, its utility, its
// current provider kept), and the firm j it picks is counted in `chosen`
// [replicate][segment][firm], and in `kept` as well when j is in the same calibration group
// as its current provider (`group`, [segment][firm]); nobody moves. From these the host
// (src/calibration/rest_point.cpp) has each group's one-step flows out of the starting
// allocation s*: inflow = chosen - kept into the group, outflow = its starting customers -
// kept. The starting shares are a rest point of the model's own choice when every group's
// expected inflow equals its expected outflow,
//
//   s*_g = sum_i P(g | customer i, current provider k(i), xi)   (i over the adopters),
//
// which the host reaches by xi_g <- xi_g + log(outflow_g) - log(inflow_g): with plain logit
// and every customer choosing, log(inflow / outflow) = logit(P_g) - logit(s*_g), whose
// derivative in xi_g is 1, so the step is Newton's and the contraction of Berry (1994) in
// the flows. Each round uses its own step value
// (rest_calibration_step) for the consideration draws and DrawPurpose::kRestCalibration for
// the logit uniform, so rounds are independent samples and never reuse a step's draws.
// Counting by integer atomics keeps the counts independent of thread order (and equal on
// CPU and GPU). Cost: one choice per adopter per round.
#pragma once

#include <cstdint>

#include "kernels/counter_rng.hpp"
#include "kernels/customer_choice.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"

namespace aimarket {

struct CountRestChoices {
  CustomerChoiceStep chooser;  // its `step` is the round's rest_calibration_step
  const std::int32_t* group;   // [segment][firm] calibration group, -1 none
  std::int32_t* chosen;        // [replicate][segment][firm], zeroed before the launch
  std::int32_t* kept;          // [replicate][segment][firm], zeroed before the launch

  AIMARKET_HD void operator()(std::int64_t index) const {
    const std::int64_t customers = chooser.customer.customers;
    const layout::ReplicateEntry at = layout::split_replicate_entry(index, customers);
    const std::int32_t current =
        chooser.customer.provider[layout::replicate_customer(at.replicate, at.entry, customers)];
    if (current < 0) return;  // the rest condition is about the stock of customers
    const int segment = chooser.customer.segment[at.entry];
    const DrawBlock d =
        draw_block(chooser.seed, static_cast<std::uint32_t>(at.replicate), chooser.step,
                   static_cast<std::uint32_t>(at.entry), DrawPurpose::kRestCalibration, 0);
    std::int32_t pick =
        chooser.choose(at.replicate, at.entry, current, segment, uniform_open01(d.word[0]));
    if (pick < 0) pick = current;  // unreachable: the current provider is always a candidate
    const std::int32_t n = chooser.firm.firms;
    const std::int64_t cell = layout::replicate_segment_firm(at.replicate, segment, pick, n);
    atomic_add_tally(chosen + cell, 1);
    const std::int32_t from = group[layout::segment_firm(segment, current, n)];
    if (from >= 0 && from == group[layout::segment_firm(segment, pick, n)])
      atomic_add_tally(kept + cell, 1);
  }
};

}  // namespace aimarket
