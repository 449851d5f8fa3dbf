// Demand-led capacity with lead times (docs/MODEL.md, "Capacity: demand-led, with lead
// times").
//
// A firm that holds a capacity (memory maker: HBM stacks per step; merchant chip maker: fab
// units per step and reserved packaging units per step; cloud: installed compute, H100e)
// observes each step the demand D it received in the previous step and keeps an adaptive
// estimate of its monthly growth,
//   g <- (1 - lambda) g + lambda (D_t / D_{t-1} - 1)   (when both are > 0),
// g bounded to [kMinGrowth, kMaxGrowth]. It expects the demand at the step its order arrives,
// h steps after the observation, to be E = D (1 + g)^h, and orders the capacity that brings
// its position (capacity in place plus orders in the pipeline) to E / u*, u* the target
// utilisation:
//   order = max(0, E / u* - (K + sum of the pipeline)).
// An order placed at step t is in the capacity at step t + L (L the lead time; L = 0: at
// once), so with constant growth and g equal to it the capacity at t + L is D_{t+L} / u*
// (tests/cpp/test_capacity.cpp). With idle capacity (position above E / u*) nothing is
// ordered. The pipeline is a ring of L slots per firm and kind: the slot of step t holds the
// order placed at t - L, which arrives at t and is replaced by the order of t.
#pragma once

#include <cstdint>

#include "kernels/det_math.hpp"
#include "kernels/hd.hpp"

namespace aimarket {

// Capacities with a pipeline of orders.
enum CapacityKind : int {
  kCapacityHbm = 0,
  kCapacityFab = 1,
  kCapacityPackaging = 2,
  kCapacityCloud = 3,
};
constexpr int kCapacityKinds = 4;

// Demand series a firm keeps an estimate of: HBM demand received, accelerator demand received
// (for both fab and packaging), cloud rental demand received, its own labs' and services'
// compute demand.
enum DemandSeries : int {
  kSeriesHbm = 0,
  kSeriesAccelerator = 1,
  kSeriesCloudRent = 2,
  kSeriesCloudOwn = 3,
};
constexpr int kDemandSeries = 4;

// Bounds of a month's growth estimate: beyond doubling or halving in a month a firm does not
// extrapolate (a jump from a tiny base is not a trend).
constexpr double kMinGrowth = -0.5;
constexpr double kMaxGrowth = 1.0;

// Per firm and replicate, one block of doubles: kCapacityKinds rings of `slots` orders, then
// the last observed demand and the growth estimate of each series.
struct CapacityPlanLayout {
  std::int32_t slots;  // the longest lead time (at least 1)
  AIMARKET_HD std::int64_t stride() const {
    return static_cast<std::int64_t>(kCapacityKinds) * slots + std::int64_t{2} * kDemandSeries;
  }
  AIMARKET_HD std::int64_t ring(int kind) const { return static_cast<std::int64_t>(kind) * slots; }
  AIMARKET_HD std::int64_t last_demand(int series) const {
    return static_cast<std::int64_t>(kCapacityKinds) * slots + series;
  }
  AIMARKET_HD std::int64_t growth(int series) const { return last_demand(series) + kDemandSeries; }
};

// The adaptive growth estimate after observing `demand` (previous observation `previous`).
AIMARKET_HD inline double updated_growth(double growth, double previous, double demand,
                                         double smoothing) {
  if (!(previous > 0.0) || !(demand > 0.0)) return growth;
  double g = (1.0 - smoothing) * growth + smoothing * (demand / previous - 1.0);
  if (g < kMinGrowth) g = kMinGrowth;
  if (g > kMaxGrowth) g = kMaxGrowth;
  return g;
}

// Expected demand h steps after an observation D: D (1 + g)^h.
AIMARKET_HD inline double expected_demand(double demand, double growth, double horizon) {
  if (growth == 0.0 || horizon == 0.0) return demand;
  return demand * det_exp(horizon * det_log(1.0 + growth));
}

// Capacity to order: what brings the position up to expected demand / target utilisation.
AIMARKET_HD inline double capacity_order(double expected, double target_utilization,
                                         double position) {
  const double gap = expected / target_utilization - position;
  return gap > 0.0 ? gap : 0.0;
}

// Orders in a ring of `lead` slots not yet arrived.
AIMARKET_HD inline double pipeline_total(const double* ring, std::int32_t lead) {
  double total = 0.0;
  for (std::int32_t k = 0; k < lead; ++k) total += ring[k];
  return total;
}

// The ring slot of step t (lead >= 1).
AIMARKET_HD inline std::int32_t pipeline_slot(std::int64_t step, std::int32_t lead) {
  return static_cast<std::int32_t>(step % lead);
}

// What arrives at step t (ordered at t - lead); the slot is emptied for step t's order.
AIMARKET_HD inline double take_arrival(double* ring, std::int64_t step, std::int32_t lead) {
  if (lead <= 0) return 0.0;
  double& slot = ring[pipeline_slot(step, lead)];
  const double arrived = slot;
  slot = 0.0;
  return arrived;
}

// Places step t's order: returns what enters the capacity now (lead 0), else 0.
AIMARKET_HD inline double place_order(double* ring, std::int64_t step, std::int32_t lead,
                                      double order) {
  if (lead <= 0) return order;
  ring[pipeline_slot(step, lead)] += order;
  return 0.0;
}

}  // namespace aimarket
