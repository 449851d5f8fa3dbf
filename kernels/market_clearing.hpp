// Clearing of one upstream market (HBM, accelerators, cloud compute, model API, data), for
// all replicates at once: MODEL.md section 3 and step 3.
//
// Buyer i wants units with a fixed part U_i (what it must have: HBM for the accelerators it
// plans, inference compute for its customers, API use of its partner's model) and a budget
// part B_i (USD it spends: compute and data budgets). It splits its demand across the sellers
// it may trade with (alive, not itself, not barred by an export control) by an attraction
// model: price per unit of performance, times the seller's capacity S_j where capacity is
// limited (HBM, accelerators, cloud compute),
//   w_ij = S_j (p_j / perf_j)^(-theta),   d_ij = (U_i + B_i / p_j) w_ij / sum_k w_ik,
// so that at equal prices buyers spread their orders in proportion to what each seller can
// deliver, and market shares start at capacity shares (the calibration's lever). In the
// model-API market the weight is the supplier logit of kernels/model_api.hpp instead,
//   w_ij = a_ij exp(b K_j - sigma ln p_j + o_j + bonus [j = partner of i]),
// a_ij the buyer region's access to a foreign lab's model (1 at home; model_access), so that
// buyers split their tokens in logit shares of capability and price.
// A buyer in a region with a closed stack (scenario) trades only with sellers of its region.
// Seller j with capacity S_j faces D_j = sum_i d_ij and, when short, rations proportionally:
//   rho_j = min(1, S_j / D_j),   buyer i receives d_ij rho_j
// (the textbook rule: with one price, each buyer gets supply in proportion to its demand).
// Units are counted in fixed point (kUnitScale) and each payment is rounded to whole USD per
// (buyer, seller) pair, computed by the same function from the seller's and the buyer's side,
// so units sold equal units bought and money paid equals money received, exactly. A pair's
// units or payment, or a sum of them, that would leave the int64 range is recorded as the
// firm's overflow (OverflowRecord) and left out, and the run stops.
// Prices then adjust toward clearing: p_j <- p_j (D_j / S_j)^eta, the factor bounded to
// [1/kappa, kappa], and never below the seller's unit cost (the market's, or the seller's own
// price_floor where higher: a lab's serving cost per M tokens). Markets with unlimited capacity
// (data) keep their prices.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/checked_int.hpp"
#include "kernels/det_math.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "kernels/model_api.hpp"
#include "kernels/value_chain_state.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

struct MarketClearing {
  int market;
  std::int32_t firms;
  const std::int32_t* buyers;
  std::int32_t buyer_count;
  const std::int32_t* sellers;
  std::int32_t seller_count;
  FirmStatic firm;
  const std::uint8_t* alive;           // [replicate][firm]
  const std::uint8_t* export_blocked;  // [seller region][buyer region]
  bool apply_export_controls;
  // Model-API market: the supplier logit's terms (kernels/model_api.hpp).
  const double* capability;  // [replicate][firm]
  // Each replicate's parameters (buyers' price sensitivity theta, the supplier logit's, the
  // repricing speed), [replicate].
  const ValueChainParams* params;
  MarketArrays m;
  RegionLevers levers;      // closed stacks (every market), access to foreign models (API)
  OverflowRecord overflow;  // int64 overflows of money and units
  std::int64_t step;

  AIMARKET_HD std::int64_t cell(std::int64_t replicate, std::int32_t j) const {
    return layout::replicate_market_firm(replicate, market, j, firms);
  }
  AIMARKET_HD double performance(std::int32_t j) const {
    return market == kMarketAccelerator ? firm.chip_performance[j] : 1.0;
  }
  AIMARKET_HD bool can_trade(std::int64_t replicate, std::int32_t i, std::int32_t j) const {
    if (i == j || !alive[layout::replicate_firm(replicate, j, firms)]) return false;
    if (apply_export_controls &&
        export_blocked[layout::seller_buyer_region(firm.region[j], firm.region[i])]) {
      return false;
    }
    if (levers.closed_stack[firm.region[i]] && firm.region[j] != firm.region[i]) return false;
    return true;
  }
  // The seller's attraction, the same for every buyer: computed once per seller and step
  // (SellerAttraction) so that the buyer-seller loops cost a multiply, not an exp and a log.
  AIMARKET_HD double attraction_of(std::int64_t replicate, std::int32_t j) const {
    const std::int64_t sj = cell(replicate, j);
    if (market == kMarketModel) {
      return api_attraction(capability[layout::replicate_firm(replicate, j, firms)], m.price[sj],
                            params[replicate], firm.api_offset[j]);
    }
    const double theta = params[replicate].buyer_price_sensitivity;
    const double attraction = det_exp(-theta * det_log(m.price[sj] / performance(j)));
    return m.capacity[sj] >= 0.0 ? m.capacity[sj] * attraction : attraction;
  }
  AIMARKET_HD double weight(std::int64_t replicate, std::int32_t i, std::int32_t j) const {
    if (!can_trade(replicate, i, j)) return 0.0;
    double w = m.attraction[cell(replicate, j)];
    if (market != kMarketModel) return w;
    if (firm.model_source[i] == j) w *= det_exp(params[replicate].api_partner_bonus);
    // The same access weight as the buyer's own supplier choice (1 leaves w bit for bit).
    const double access = model_access(levers, firm.region[i], firm.region[j]);
    if (access < 1.0) w *= access;
    return w;
  }
  // Units buyer i asks of seller j (w = weight(replicate, i, j), > 0).
  AIMARKET_HD double pair_demand(std::int64_t replicate, std::int32_t i, std::int32_t j,
                                 double w) const {
    const std::int64_t bi = cell(replicate, i);
    const double wanted = m.unit_demand[bi] + m.budget[bi] / m.price[cell(replicate, j)];
    return wanted * (w / m.weight_total[bi]);
  }
  // Fixed-point units of a pair, or false when they do not fit an int64.
  AIMARKET_HD static bool pair_units(double demand, double ration, std::int64_t& units) {
    return checked_to_int64(std::floor(demand * ration * kUnitScale), units);
  }
  // Whole USD paid for `units`, or false when they do not fit an int64.
  AIMARKET_HD static bool pair_payment(std::int64_t units, double price, std::int64_t& payment) {
    return checked_to_int64(std::floor(static_cast<double>(units) / kUnitScale * price + 0.5),
                            payment);
  }
  // Records an overflow of `what` (MarketOverflow) in this market for firm j.
  AIMARKET_HD void overflowed(std::int64_t replicate, std::int32_t j, int what) const {
    overflow.record(replicate * firms + j, step,
                    kOverflowMarket + kOverflowPerMarket * market + what);
  }
};

// Phase (0), one thread per (replicate, seller): the seller's attraction.
struct SellerAttraction {
  MarketClearing c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateEntry at = layout::split_replicate_entry(index, c.seller_count);
    const std::int64_t replicate = at.replicate;
    const std::int32_t j = c.sellers[at.entry];
    c.m.attraction[c.cell(replicate, j)] = c.attraction_of(replicate, j);
  }
};

// Phase (a), one thread per (replicate, buyer): the buyer's sum of weights.
struct SumBuyerWeights {
  MarketClearing c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateEntry at = layout::split_replicate_entry(index, c.buyer_count);
    const std::int64_t replicate = at.replicate;
    const std::int32_t i = c.buyers[at.entry];
    double total = 0.0;
    if (c.alive[layout::replicate_firm(replicate, i, c.firms)]) {
      for (std::int32_t k = 0; k < c.seller_count; ++k)
        total += c.weight(replicate, i, c.sellers[k]);
    }
    c.m.weight_total[c.cell(replicate, i)] = total;
  }
};

// Phase (b), one thread per (replicate, seller): demand, rationing, units sold and revenue.
struct ClearSeller {
  MarketClearing c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateEntry at = layout::split_replicate_entry(index, c.seller_count);
    const std::int64_t replicate = at.replicate;
    const std::int32_t j = c.sellers[at.entry];
    const std::int64_t sj = c.cell(replicate, j);
    double demand = 0.0;
    for (std::int32_t k = 0; k < c.buyer_count; ++k) {
      const std::int32_t i = c.buyers[k];
      if (!(c.m.weight_total[c.cell(replicate, i)] > 0.0)) continue;
      const double w = c.weight(replicate, i, j);
      if (w > 0.0) demand += c.pair_demand(replicate, i, j, w);
    }
    const double capacity = c.m.capacity[sj];
    const double ration = capacity >= 0.0 && demand > capacity ? capacity / demand : 1.0;
    std::int64_t sold = 0;
    std::int64_t revenue = 0;
    for (std::int32_t k = 0; k < c.buyer_count; ++k) {
      const std::int32_t i = c.buyers[k];
      if (!(c.m.weight_total[c.cell(replicate, i)] > 0.0)) continue;
      const double w = c.weight(replicate, i, j);
      if (!(w > 0.0)) continue;
      std::int64_t units = 0;
      std::int64_t payment = 0;
      if (!MarketClearing::pair_units(c.pair_demand(replicate, i, j, w), ration, units) ||
          !checked_add(sold, units, sold)) {
        c.overflowed(replicate, j, kOverflowUnitsSold);
        break;
      }
      if (!MarketClearing::pair_payment(units, c.m.price[sj], payment) ||
          !checked_add(revenue, payment, revenue)) {
        c.overflowed(replicate, j, kOverflowSalesRevenue);
        break;
      }
    }
    c.m.demand_received[sj] = demand;
    c.m.ration[sj] = ration;
    c.m.sold[sj] = sold;
    c.m.revenue[sj] = revenue;
  }
};

// Phase (c), one thread per (replicate, buyer): units received and payments, the same pairs.
struct ReceiveBuyer {
  MarketClearing c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateEntry at = layout::split_replicate_entry(index, c.buyer_count);
    const std::int64_t replicate = at.replicate;
    const std::int32_t i = c.buyers[at.entry];
    const std::int64_t bi = c.cell(replicate, i);
    std::int64_t bought = 0;
    std::int64_t paid = 0;
    double performance = 0.0;
    if (c.m.weight_total[bi] > 0.0) {
      for (std::int32_t k = 0; k < c.seller_count; ++k) {
        const std::int32_t j = c.sellers[k];
        const double w = c.weight(replicate, i, j);
        if (!(w > 0.0)) continue;
        const std::int64_t sj = c.cell(replicate, j);
        std::int64_t units = 0;
        std::int64_t payment = 0;
        if (!MarketClearing::pair_units(c.pair_demand(replicate, i, j, w), c.m.ration[sj], units) ||
            !checked_add(bought, units, bought)) {
          c.overflowed(replicate, i, kOverflowUnitsBought);
          break;
        }
        if (!MarketClearing::pair_payment(units, c.m.price[sj], payment) ||
            !checked_add(paid, payment, paid)) {
          c.overflowed(replicate, i, kOverflowPayments);
          break;
        }
        performance += static_cast<double>(units) / kUnitScale * c.performance(j);
      }
    }
    c.m.bought[bi] = bought;
    c.m.paid[bi] = paid;
    c.m.performance_bought[bi] = performance;
  }
};

// Phase (d), one thread per (replicate, seller), after (c): the price moves toward clearing.
struct RepriceSeller {
  MarketClearing c;
  double price_floor;  // unit cost
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateEntry at = layout::split_replicate_entry(index, c.seller_count);
    const std::int64_t replicate = at.replicate;
    const double speed = c.params[replicate].price_adjustment_speed;  // eta
    const double max_change = c.params[replicate].max_price_change;   // kappa
    const std::int32_t j = c.sellers[at.entry];
    const std::int64_t sj = c.cell(replicate, j);
    const double capacity = c.m.capacity[sj];
    if (capacity < 0.0 || speed == 0.0) return;  // unlimited supply: price stays
    const double demand = c.m.demand_received[sj];
    double factor;
    if (capacity == 0.0) {
      factor = demand > 0.0 ? max_change : 1.0;
    } else if (demand == 0.0) {
      factor = 1.0 / max_change;
    } else {
      factor = det_exp(speed * det_log(demand / capacity));
    }
    if (factor > max_change) factor = max_change;
    if (factor < 1.0 / max_change) factor = 1.0 / max_change;
    double price = c.m.price[sj] * factor;
    if (price < price_floor) price = price_floor;
    if (price < c.m.price_floor[sj]) price = c.m.price_floor[sj];
    c.m.price[sj] = price;
  }
};

}  // namespace aimarket
