// Acquisition of start-ups by big tech (MODEL.md section 4, step 9, acquisition part).
//
// One thread per replicate, after finance settled (so every firm has paid this step's bills):
// each acquirer (a big-tech firm) that is alive bids with probability `rate`; a bidder looks
// at `candidates` start-up slots drawn uniformly from the entry slots (synthetic firms and
// entrants) and picks the alive one with the most customers. The price is the target's cash
// plus `revenue_multiple` times its last monthly customer revenue; the bidder buys if the
// price is at most `max_cash_share` of its own cash. Then
//   acquirer cash += target cash - price   (the price goes to the target's owners, outside
//                                          the economy, and is booked as an outside cost),
//   acquirer data: merge_data (kernels/firm_dynamics.hpp: the larger public-text scrape, the
//   sum of licensed text and of domain data per segment), acquirer capability = max(both),
//   target: dead, acquired_by = acquirer, cash 0;
// the target's customers move to the acquirer in the next customer phase (to no provider in
// a segment the acquirer does not serve), and the slot is free for entrants once they have.
// Acquirers act in index order within a replicate and every draw is keyed by (replicate,
// step, acquirer), so the outcome does not depend on the thread count or the backend.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/checked_int.hpp"
#include "kernels/counter_rng.hpp"
#include "kernels/firm_dynamics.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "kernels/value_chain_params.hpp"
#include "kernels/value_chain_state.hpp"

namespace aimarket {

struct AcquireStartups {
  FirmStepContext c;
  AcquisitionParams a;
  std::uint64_t seed;
  std::uint32_t step;
  const std::int32_t* acquirers;
  std::int32_t acquirer_count;
  std::int32_t first_target;  // entry slots: first_target .. firms-1

  AIMARKET_HD void operator()(std::int64_t replicate) const {
    const std::int32_t n = c.firm.firms;
    const std::int32_t slots = n - first_target;
    if (slots <= 0) return;
    const auto r = static_cast<std::uint32_t>(replicate);
    for (std::int32_t k = 0; k < acquirer_count; ++k) {
      const std::int32_t buyer = acquirers[k];
      const std::int64_t bi = layout::replicate_firm(replicate, buyer, n);
      if (!c.dyn.alive[bi]) continue;
      const auto agent = static_cast<std::uint32_t>(buyer);
      const DrawBlock bid = draw_block(seed, r, step, agent, DrawPurpose::kAcquisitionBid, 0);
      if (!(uniform_open01(bid.word[0]) < a.rate)) continue;
      std::int32_t target = -1;
      double most_customers = -1.0;
      DrawBlock d{};
      for (std::int32_t t = 0; t < a.candidates; ++t) {
        if (t % 4 == 0) {
          d = draw_block(seed, r, step, agent, DrawPurpose::kAcquisitionTarget,
                         static_cast<std::uint32_t>(t / 4));
        }
        auto pick = static_cast<std::int32_t>(uniform_open01(d.word[t % 4]) * slots);
        if (pick >= slots) pick = slots - 1;
        const std::int32_t j = first_target + pick;
        if (j == buyer || !c.dyn.alive[layout::replicate_firm(replicate, j, n)]) continue;
        const double customers = c.customers_of(replicate, j);
        if (customers > most_customers) {
          most_customers = customers;
          target = j;
        }
      }
      if (target < 0) continue;
      const std::int64_t ti = layout::replicate_firm(replicate, target, n);
      const double revenue = static_cast<double>(c.dyn.service_revenue[ti]);
      const double price = static_cast<double>(c.dyn.cash[ti]) + a.revenue_multiple * revenue;
      if (!(price <= a.max_cash_share * static_cast<double>(c.dyn.cash[bi]))) continue;
      // Checked (kernels/checked_int.hpp): a deal whose sums leave the int64 range is not
      // made, and the acquirer's overflow is recorded (the run stops).
      std::int64_t paid = 0;
      std::int64_t net = 0;
      std::int64_t cash = c.dyn.cash[bi];
      std::int64_t external = c.dyn.external_cost[bi];
      if (!checked_to_int64(std::floor(price + 0.5), paid) ||
          !checked_sub(c.dyn.cash[ti], paid, net) || !checked_add(cash, net, cash) ||
          !checked_add(external, paid, external)) {
        c.overflowed(bi, kOverflowAcquisition);
        continue;
      }
      c.dyn.cash[bi] = cash;
      c.dyn.external_cost[bi] = external;
      c.dyn.cash[ti] = 0;
      merge_data(c, replicate, buyer, target);
      if (c.dyn.capability[ti] > c.dyn.capability[bi]) c.dyn.capability[bi] = c.dyn.capability[ti];
      c.dyn.alive[ti] = 0;
      c.dyn.acquired_by[ti] = buyer;
    }
  }
};

}  // namespace aimarket
