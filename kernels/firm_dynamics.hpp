// Firms' side of a step in the dynamic value chain (MODEL.md section 4, steps 2, 4-6, 8).
//
// Plan (step 2): a firm's budget follows its operating cash flow, and a venture firm's its
//   cash too (kernels/funding_rounds.hpp, planned_budget), split into compute, data, R&D and
//   marketing budgets by its strategy (per firm and replicate; see StrategyParameter); its
//   region's subsidies top up the compute and R&D budgets by compute_subsidy and rd_subsidy.
//   Memory makers, merchant chip makers and clouds invest from expected demand, with lead
//   times (PlanCapacity below, kernels/capacity_investment.hpp): capacity (HBM, fab, reserved
//   packaging, installed compute) is ordered for expected demand / target utilisation, paid
//   when ordered (packaging: by the foundry, outside the economy), capped by the cash left
//   after the firm's other budgets, and arrives lead_time steps later; accelerator makers
//   order the HBM for what they plan to build (in-house: min(fab, packaging); merchant: last
//   step's demand + 10 %, at most that); model developers without a cloud rent
//   cloud compute with it; service firms without a cloud rent inference compute for their
//   customers (u c(N) H100e-months per real customer, kernels/model_api.hpp); a service firm
//   without its own model splits its customers' tokens between the labs' APIs and a self-hosted
//   open model by the supplier logit (kernels/model_api.hpp), buying the first in the model-API
//   market and renting compute for the second; model and service firms buy data.
// Model-API supply (after the cloud market, SetModelApiSupply): each lab offers the compute left
//   after its own customers, less the training_share it keeps, in M tokens at c(N) each.
// Produce and accumulate (steps 3-5, after the markets): in-house chip makers build
//   min(fab capacity, HBM received / HBM per unit, packaging) accelerators for themselves at
//   unit cost; installed compute K <- K (1 - depreciation) + units received lead_time_cloud
//   steps ago * performance * 2^(t_bought / T_pp) (+ in-house units at once);
//   data (accumulate_data below; kernels/data_stocks.hpp): general text G = public text held
//   P (scraped by model developers, never above the world's stock) + licensed text L, and
//   domain data D_s per segment from the firm's customers there (the flywheel) and, for a firm
//   that develops no model, its purchases split over its segments; training compute C +=
//   (own + rented compute - its customers' inference - API tokens served x c(N)) * FLOP per
//   H100e-month * 2^(t / T_algo); capability from the scaling law (kernels/scaling_law.hpp);
//   R&D stock and marketing stock accumulate and decay; awareness saturates in the marketing
//   stock (marketing_awareness below). Model and service firms receive their region's public
//   data and pay its regulation cost.
// Service offer (step 6), per segment, in Arena Elo points: quality = base + E(t) - E(start),
//   E = w_cap * capability used (own model, or the supplier logit's share-weighted capability
//   of the labs' APIs and the open frontier plus a fine-tuning gain finetune_gain *
//   (1 - exp(-D_s / scale)), kernels/model_api.hpp) + G_data * (1 - exp(-D_s / scale)) +
//   G_rd * (1 - exp(-R&D / scale)), D_s the firm's domain data in segment s, E(start) taken
//   per segment at the initial state or at entry;
//   foreign labs and open models weigh in the supplier logit by the region's
//   global_model_access (a closed stack: domestic ones only), and fine-tuning never lifts an
//   adopted model above the world's frontier (kernels/model_api.hpp). Price: unit
//   cost per user = inference compute per customer * compute price (what it paid; with its own
//   cloud, its cloud price, the opportunity cost) + API tokens per customer * their mean price. A
//   share c (paid_conversion) of the firm's users pay the paid tier's list price, the others use
//   the free tier; the list price recovers the per-user cost from the payers, list = base price +
//   (1 + markup) * u / c, so what a user pays on average is r = c * list = c * base price +
//   (1 + markup) * u; c = 0 is a free service, r = 0, whose cost the firm bears; c = 1 is
//   r = base price + (1 + markup) * u, every user paying. r is the service_price: customers
//   weigh it in the price term log(1 + r / p_ref) (a reduced form of the choice between the free
//   and the paid tier: the expected payment of a user), and revenue is users * weight * r.
// Settle (step 8): cash += customer revenue (sum over segments of users * weight * r) + other
//   income (outside businesses) + market sales
//   - market purchases - costs paid outside the economy (production, operation, capex, R&D,
//   marketing, the fixed cost of running a firm, regulation, acquisitions, less subsidies);
//   the step's operating cash flow is recorded for the next budget, and a venture firm short of
//   runway raises a round (kernels/funding_rounds.hpp); a firm whose cash falls below zero
//   exits.
// Money is int64 USD and traded units int64 fixed point: every sum and every conversion from
// a double into them is checked (kernels/checked_int.hpp); one that would leave the int64
// range is recorded per firm (OverflowRecord) instead of wrapping, and the run stops.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/capacity_investment.hpp"
#include "kernels/checked_int.hpp"
#include "kernels/data_stocks.hpp"
#include "kernels/demand_params.hpp"
#include "kernels/det_math.hpp"
#include "kernels/funding_rounds.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "kernels/model_api.hpp"
#include "kernels/scaling_law.hpp"
#include "kernels/value_chain_params.hpp"
#include "kernels/value_chain_state.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// Marketing stock M (USD M): last step's stock, decayed by awareness_decay, plus this step's
// spend (USD M).
AIMARKET_HD inline double next_marketing_stock(double stock, double spend_musd,
                                               const ValueChainParams& p) {
  return stock * (1.0 - p.awareness_decay) + spend_musd;
}

// Awareness bought with a marketing stock M: awareness_max (1 - exp(-M / marketing_scale)).
// Concave and bounded, so no budget buys more than awareness_max of attention; its elasticity
// in M, x e^-x / (1 - e^-x) with x = M / marketing_scale, falls from 1 toward 0 as the stock
// grows (diminishing returns to advertising; the scale is pinned by published elasticities,
// docs/MODEL.md).
AIMARKET_HD inline double marketing_awareness(double stock, const ValueChainParams& p) {
  return p.awareness_max * (1.0 - det_exp(-stock / p.marketing_scale));
}

struct FirmStepContext {
  // The value-chain parameters of each replicate (parameter uncertainty: a replicate may draw
  // its own values of the keys docs/CONFIG.md marks as uncertain), [replicate].
  const ValueChainParams* params;
  RegionLevers levers;  // the scenario's levers in force, the same in every replicate
  FirmStatic firm;
  FirmDynamic dyn;
  MarketArrays m;
  const std::int32_t* tally;  // [replicate][segment][firm]
  double step;                // t, in months since the start
  OverflowRecord overflow;    // int64 overflows of money and units

  // The parameters of `replicate`.
  AIMARKET_HD const ValueChainParams& p(std::int64_t replicate) const { return params[replicate]; }
  // The parameters of the replicate of firm cell `index` ([replicate][firm]).
  AIMARKET_HD const ValueChainParams& p_of_cell(std::int64_t index) const {
    return params[layout::split_replicate_firm(index, firm.firms).replicate];
  }
  // The sizes every replicate shares (lead times, pipeline slots and the packaging limit are
  // never drawn per replicate: they size the capacity pipelines): replicate 0's.
  AIMARKET_HD const ValueChainParams& shared() const { return params[0]; }
  AIMARKET_HD std::int64_t cell(std::int64_t replicate, int market, std::int32_t j) const {
    return layout::replicate_market_firm(replicate, market, j, firm.firms);
  }
  // Real customers of firm j in the replicate (agents times their weight).
  AIMARKET_HD double customers_of(std::int64_t replicate, std::int32_t j) const {
    std::int64_t agents = 0;
    for (int s = 0; s < kSegments; ++s) {
      agents += tally[layout::replicate_segment_firm(replicate, s, j, firm.firms)];
    }
    return static_cast<double>(agents) * p(replicate).customer_weight;
  }
  AIMARKET_HD double units(std::int64_t fixed_point) const {
    return static_cast<double>(fixed_point) / kUnitScale;
  }
  // The firm's block of capacity pipelines and demand estimates.
  AIMARKET_HD double* capacity_plan(std::int64_t index) const {
    return dyn.capacity_plan + index * CapacityPlanLayout{shared().pipeline_slots}.stride();
  }
  // Records that a quantity (OverflowQuantity) of firm cell `index` left the int64 range.
  AIMARKET_HD void overflowed(std::int64_t index, int quantity) const {
    overflow.record(index, static_cast<std::int64_t>(step), quantity);
  }
  // What firm j pays per H100e-month of compute: its own cloud's price (the opportunity cost),
  // else what it paid per unit in the cloud market's last round, else the initial price.
  AIMARKET_HD double compute_price_of(std::int64_t replicate, std::int32_t j) const {
    const std::int64_t cloud = cell(replicate, kMarketCloud, j);
    if (firm.layer_mask[j] & kLayerBitCloud) return m.price[cloud];
    if (m.bought[cloud] > 0) return static_cast<double>(m.paid[cloud]) / units(m.bought[cloud]);
    return p(replicate).cloud_initial_price;
  }
  // Fine-tuning gain of firm j on an adopted base: finetune_gain (1 - exp(-data / scale)).
  // Fine-tuning gain on the firm's general text (the supplier split of its unit cost; the
  // quality of a segment uses the domain data of that segment, UpdateServiceOffer).
  AIMARKET_HD double finetune_of(std::int64_t replicate, std::int32_t j) const {
    const std::int64_t idx = layout::replicate_firm(replicate, j, firm.firms);
    const ValueChainParams& q = p(replicate);
    return q.finetune_gain * (1.0 - det_exp(-dyn.data_stock[idx] / q.domain_data_scale));
  }
  // Firm j's supplier choice (kernels/model_api.hpp) at compute price `compute_price`.
  AIMARKET_HD ApiChoice api_choice(std::int64_t replicate, std::int32_t j,
                                   double compute_price) const {
    return choose_api_supplier(p(replicate), levers, firm, dyn, m, step, replicate, j,
                               compute_price, finetune_of(replicate, j));
  }
  // c(N) of firm j's own model, H100e-months per M tokens.
  AIMARKET_HD double own_compute_per_mtokens(std::int64_t replicate, std::int32_t j) const {
    return served_compute_per_mtokens(dyn, layout::replicate_firm(replicate, j, firm.firms), step,
                                      p(replicate));
  }
};

// Data of firm j in the step (docs/MODEL.md, "Data: finite, priced, per segment"), after the
// data market cleared; returns the general text held, G = P + L, which training uses.
//   P <- min(W(t), P (1 - delta) + public_data_rate [model developers]);
//   outside data o = licensed on the data market + the region's released data (model and
//     service firms): a model developer adds it to its general text, L <- L (1 - delta) + o;
//     a firm without a model splits it over the segments it serves in proportion to its
//     customers there (evenly when it has none), o_s;
//   D_s <- D_s (1 - delta) + flywheel_tokens_per_customer x customers in s + o_s.
// The ledgers general_acquired and domain_acquired add what came in (before depreciation), so
// L <= general_acquired and D_s <= domain_acquired hold in every step (rounding is monotone).
AIMARKET_HD inline double accumulate_data(const FirmStepContext& c, std::int64_t replicate,
                                          std::int32_t j) {
  const std::int32_t n = c.firm.firms;
  const std::int64_t index = layout::replicate_firm(replicate, j, n);
  const std::uint8_t mask = c.firm.layer_mask[j];
  const double keep = 1.0 - c.p(replicate).data_depreciation;
  const bool lab = (mask & kLayerBitModel) != 0;
  const double scraped = lab ? c.p(replicate).public_data_rate : 0.0;
  const double public_held =
      next_public_held(c.dyn.public_held[index], scraped, public_text_stock(c.p(replicate), c.step),
                       c.p(replicate).data_depreciation);
  double outside = c.units(c.m.bought[c.cell(replicate, kMarketData, j)]) * kDataUnitTokens;
  if (mask & (kLayerBitModel | kLayerBitService)) outside += c.levers.public_data[c.firm.region[j]];
  double customers[kSegments];
  double served_customers = 0.0;
  int served = 0;
  for (int s = 0; s < kSegments; ++s) {
    customers[s] =
        static_cast<double>(c.tally[layout::replicate_segment_firm(replicate, s, j, n)]) *
        c.p(replicate).customer_weight;
    if (c.firm.serves[layout::segment_firm(s, j, n)]) {
      served_customers += customers[s];
      ++served;
    }
  }
  // A lab licenses corpora to train on; a firm without a model fine-tunes on domain data.
  const bool general = lab || served == 0;
  double licensed = c.dyn.licensed_held[index] * keep;
  if (general && outside > 0.0) {
    licensed += outside;
    c.dyn.general_acquired[index] += outside;
  }
  for (int s = 0; s < kSegments; ++s) {
    double inflow = c.p(replicate).flywheel_tokens_per_customer * customers[s];
    if (!general && c.firm.serves[layout::segment_firm(s, j, n)]) {
      inflow += served_customers > 0.0 ? outside * (customers[s] / served_customers)
                                       : outside / static_cast<double>(served);
    }
    const std::int64_t row = layout::replicate_segment_firm(replicate, s, j, n);
    c.dyn.domain_data[row] = c.dyn.domain_data[row] * keep + inflow;
    c.dyn.domain_acquired[row] += inflow;
  }
  c.dyn.public_held[index] = public_held;
  c.dyn.licensed_held[index] = licensed;
  c.dyn.data_stock[index] = public_held + licensed;
  return c.dyn.data_stock[index];
}

// An acquirer takes over a target's data: the public text both scraped is one web, so the
// acquirer keeps the larger scrape (never above the world's stock); licensed text and domain
// data are distinct holdings and add, and so do their ledgers.
AIMARKET_HD inline void merge_data(const FirmStepContext& c, std::int64_t replicate,
                                   std::int32_t acquirer, std::int32_t target) {
  const std::int32_t n = c.firm.firms;
  const std::int64_t a = layout::replicate_firm(replicate, acquirer, n);
  const std::int64_t t = layout::replicate_firm(replicate, target, n);
  if (c.dyn.public_held[t] > c.dyn.public_held[a]) c.dyn.public_held[a] = c.dyn.public_held[t];
  c.dyn.licensed_held[a] += c.dyn.licensed_held[t];
  c.dyn.general_acquired[a] += c.dyn.general_acquired[t];
  c.dyn.data_stock[a] = c.dyn.public_held[a] + c.dyn.licensed_held[a];
  for (int s = 0; s < kSegments; ++s) {
    const std::int64_t ra = layout::replicate_segment_firm(replicate, s, acquirer, n);
    const std::int64_t rt = layout::replicate_segment_firm(replicate, s, target, n);
    c.dyn.domain_data[ra] += c.dyn.domain_data[rt];
    c.dyn.domain_acquired[ra] += c.dyn.domain_acquired[rt];
  }
}

// An entrant's data, all zero (kernels/firm_entry.hpp).
AIMARKET_HD inline void reset_data(const FirmStepContext& c, std::int64_t replicate,
                                   std::int32_t j) {
  const std::int32_t n = c.firm.firms;
  const std::int64_t index = layout::replicate_firm(replicate, j, n);
  c.dyn.data_stock[index] = 0.0;
  c.dyn.public_held[index] = 0.0;
  c.dyn.licensed_held[index] = 0.0;
  c.dyn.general_acquired[index] = 0.0;
  c.dyn.data_licensed[index] = 0.0;
  for (int s = 0; s < kSegments; ++s) {
    const std::int64_t row = layout::replicate_segment_firm(replicate, s, j, n);
    c.dyn.domain_data[row] = 0.0;
    c.dyn.domain_acquired[row] = 0.0;
  }
}

// Demand-led capacity of one (replicate, firm) in PlanFirmStep (kernels/capacity_investment.hpp
// for the rule). Horizons: a capacity maker observes last step's demand and its order is in
// the capacity lead steps from now, h = lead + 1; a cloud's accelerators, bought now, are
// installed at the end of step t + lead and rented from t + lead + 1, h = lead + 2.
struct PlanCapacity {
  // What the firm saw in the previous step's markets.
  struct LastStep {
    double hbm_demand;          // HBM stacks asked of it
    double accelerator_demand;  // accelerator units asked of it
    double rent_demand;         // H100e-months of its cloud asked
    double accelerators_paid;   // USD it paid for accelerators
    double performance_bought;  // units x performance it received
  };
  const FirmStepContext& c;
  std::int64_t index;
  LastStep last;

  AIMARKET_HD double* block() const { return c.capacity_plan(index); }
  AIMARKET_HD CapacityPlanLayout layout() const {
    return CapacityPlanLayout{c.shared().pipeline_slots};
  }
  AIMARKET_HD std::int64_t step() const { return static_cast<std::int64_t>(c.step); }
  AIMARKET_HD std::int32_t lead(int kind) const { return c.shared().lead_time[kind]; }
  AIMARKET_HD double* ring(int kind) const { return block() + layout().ring(kind); }
  AIMARKET_HD double pipeline(int kind) const { return pipeline_total(ring(kind), lead(kind)); }

  // Records this step's observation of a demand series; returns its growth estimate.
  AIMARKET_HD double observe(int series, double demand) const {
    double& previous = block()[layout().last_demand(series)];
    double& growth = block()[layout().growth(series)];
    growth = updated_growth(growth, previous, demand, c.p_of_cell(index).demand_smoothing);
    previous = demand;
    return growth;
  }

  // Capacities depreciate, then the orders placed lead steps ago arrive.
  AIMARKET_HD void arrive_and_depreciate() const {
    const double keep = 1.0 - c.p_of_cell(index).capacity_depreciation;
    double& fab = c.dyn.fab_capacity[index];
    double& hbm = c.dyn.hbm_capacity[index];
    double& packaging = c.dyn.packaging_capacity[index];
    fab = fab * keep + take_arrival(ring(kCapacityFab), step(), lead(kCapacityFab));
    hbm = hbm * keep + take_arrival(ring(kCapacityHbm), step(), lead(kCapacityHbm));
    packaging =
        packaging * keep + take_arrival(ring(kCapacityPackaging), step(), lead(kCapacityPackaging));
  }

  // Orders capacity of `kind` for `expected` demand, at `unit_cost` USD per unit per step of
  // capacity, within `available` USD (reduced by what it spends); returns the USD spent.
  AIMARKET_HD double order(int kind, double& capacity, double expected, double unit_cost,
                           double& available) const {
    double units =
        capacity_order(expected, c.p_of_cell(index).target_utilization, capacity + pipeline(kind));
    double cost = units * unit_cost;
    if (cost > available) {
      units = available / unit_cost;
      cost = available;
    }
    available -= cost;
    capacity += place_order(ring(kind), step(), lead(kind), units);
    return cost;
  }

  // A memory or merchant chip maker: HBM and fab capacity at their capacity costs, packaging
  // reserved at the foundry (its capex is the foundry's, outside the economy, recovered in
  // the accelerator unit cost). Returns the capex.
  AIMARKET_HD double invest_as_maker(bool merchant_chips, bool memory_maker,
                                     double available) const {
    double spent = 0.0;
    if (merchant_chips) {
      const double d = last.accelerator_demand;
      const double g = observe(kSeriesAccelerator, d);
      const double fab_expected = expected_demand(d, g, lead(kCapacityFab) + 1.0);
      spent += order(kCapacityFab, c.dyn.fab_capacity[index], fab_expected,
                     c.p_of_cell(index).capacity_cost_accelerator, available);
      if (c.shared().limit_packaging) {
        double free_of_charge = 1.0;  // the foundry pays; nothing leaves the firm's cash
        order(kCapacityPackaging, c.dyn.packaging_capacity[index],
              expected_demand(d, g, lead(kCapacityPackaging) + 1.0), 0.0, free_of_charge);
      }
    }
    if (memory_maker) {
      const double d = last.hbm_demand;
      const double g = observe(kSeriesHbm, d);
      spent += order(kCapacityHbm, c.dyn.hbm_capacity[index],
                     expected_demand(d, g, lead(kCapacityHbm) + 1.0),
                     c.p_of_cell(index).capacity_cost_hbm, available);
    }
    return spent;
  }

  // A cloud: the installed compute its expected rental demand (on the share 1 - s it rents
  // out) and its own labs' and services' demand (on the share s it keeps) need, s its
  // cloud_self_use; both parts must be met, so the target is the larger. Its own demand is
  // its labs' compute budget at its own cloud price (what a lab without a cloud would rent
  // with it) plus its services' inference compute `inference` (H100e-months). Returns the
  // USD it puts into accelerators
  // (a budget in the accelerator market): the H100e it wants at last step's price per unit
  // of performance (before it traded: the initial price), but at most at what an H100e is
  // worth to it, its rental margin over its expected life, (cloud price - operating cost) /
  // depreciation (no discounting), so above that price it buys fewer units (unit-elastic
  // demand) instead of paying any price; within `available`.
  AIMARKET_HD double invest_as_cloud(double compute_budget, double inference,
                                     double available) const {
    const std::int32_t j = layout::split_replicate_firm(index, c.firm.firms).firm;
    const std::int64_t replicate = layout::split_replicate_firm(index, c.firm.firms).replicate;
    const std::uint8_t mask = c.firm.layer_mask[j];
    const double self_use = c.firm.cloud_self_use[j];
    double own = 0.0;
    if (mask & kLayerBitModel) {
      const double own_price = c.m.price[c.cell(replicate, kMarketCloud, j)];
      own += compute_budget / own_price;
    }
    if (mask & kLayerBitService) own += inference;
    const double g_rent = observe(kSeriesCloudRent, last.rent_demand);
    const double g_own = observe(kSeriesCloudOwn, own);
    const double horizon = lead(kCapacityCloud) + 2.0;
    double target = 0.0;
    if (self_use < 1.0)
      target = expected_demand(last.rent_demand, g_rent, horizon) / (1.0 - self_use);
    if (self_use > 0.0) {
      const double for_own = expected_demand(own, g_own, horizon) / self_use;
      if (for_own > target) target = for_own;
    }
    const double position = c.dyn.installed_compute[index] + pipeline(kCapacityCloud);
    const double wanted =
        capacity_order(target, c.p_of_cell(index).target_utilization, position);  // H100e
    const double technology =
        doubling_factor(c.step, c.p_of_cell(index).price_performance_doubling_months);
    double price = last.performance_bought > 0.0 ? last.accelerators_paid / last.performance_bought
                                                 : c.p_of_cell(index).accelerator_initial_price;
    const double margin =
        c.m.price[c.cell(replicate, kMarketCloud, j)] - c.p_of_cell(index).cloud_operating_cost;
    const double worth =
        margin > 0.0 ? technology * margin / c.p_of_cell(index).compute_depreciation : 0.0;
    if (worth < price) price = worth;
    double spend = wanted / technology * price;
    if (spend > available) spend = available;
    return spend;
  }
};

// One thread per (replicate, firm).
struct PlanFirmStep {
  FirmStepContext c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateFirm at = layout::split_replicate_firm(index, c.firm.firms);
    const std::int64_t replicate = at.replicate;
    const std::int32_t j = at.firm;
    // A merchant chip maker builds for the demand it saw last step (plus 10 % headroom),
    // not blindly to capacity: unsold output would be lost. Read before the reset below.
    const double last_demand = c.m.demand_received[c.cell(replicate, kMarketAccelerator, j)];
    const double last_hbm_demand = c.m.demand_received[c.cell(replicate, kMarketHbm, j)];
    // The compute price the supplier choice sees: last round's, read before the reset.
    const double compute_price = c.compute_price_of(replicate, j);
    // Demand-led capacity (PlanCapacity) reads last step's demands and accelerator purchases.
    const PlanCapacity::LastStep last{
        last_hbm_demand, last_demand, c.m.demand_received[c.cell(replicate, kMarketCloud, j)],
        static_cast<double>(c.m.paid[c.cell(replicate, kMarketAccelerator, j)]),
        c.m.performance_bought[c.cell(replicate, kMarketAccelerator, j)]};
    for (int market = 0; market < kUpstreamMarkets; ++market) {
      const std::int64_t k = c.cell(replicate, market, j);
      c.m.unit_demand[k] = 0.0;
      c.m.budget[k] = 0.0;
      c.m.weight_total[k] = 0.0;
      c.m.capacity[k] = 0.0;
      c.m.demand_received[k] = 0.0;
      c.m.ration[k] = 1.0;
      c.m.sold[k] = 0;
      c.m.revenue[k] = 0;
      c.m.bought[k] = 0;
      c.m.paid[k] = 0;
      c.m.performance_bought[k] = 0.0;
      c.m.price_floor[k] = 0.0;
    }
    c.dyn.rd_budget[index] = 0.0;
    c.dyn.marketing_budget[index] = 0.0;
    c.dyn.capex[index] = 0.0;
    c.dyn.subsidy[index] = 0.0;
    if (!c.dyn.alive[index]) return;

    const std::uint8_t mask = c.firm.layer_mask[j];
    const int region = c.firm.region[j];
    const auto strategy = [&](int parameter) {
      return c.dyn.strategy_of(replicate, parameter, c.firm.firms, j);
    };
    const double budget =
        planned_budget(c.firm.cash_flow_funded[j] != 0, c.firm.reinvestment_rate[j],
                       c.dyn.operating_income[index], static_cast<double>(c.dyn.cash[index]),
                       static_cast<double>(c.dyn.cash_at_round[index]), strategy(kSpendRate));
    // Scenario subsidies top up the compute and R&D budgets (money from outside the economy,
    // netted against the firm's outside costs when it settles). The compute top-up is paid on
    // what the budget is committed to below (compute_spent), so a firm that has no use for a
    // compute budget (a pure service firm rents inference by need) or leaves it unspent (idle
    // capacity) gets none.
    const double compute_subsidy = c.levers.compute_subsidy[region];
    // The strategy's split, re-allocated away from items the firm has no use for.
    const BudgetShares share =
        usable_budget_shares(mask, BudgetShares{strategy(kComputeShare), strategy(kDataShare),
                                                strategy(kRdShare), strategy(kMarketingShare)});
    const double own_rd = budget * share.rd;
    double compute_budget = budget * share.compute * (1.0 + compute_subsidy);
    double compute_spent = 0.0;
    c.dyn.rd_budget[index] = own_rd * (1.0 + c.levers.rd_subsidy[region]);
    c.dyn.marketing_budget[index] = budget * share.marketing;

    const bool merchant_chips = (mask & kLayerBitAccelerator) && !c.firm.in_house_chips[j];
    const bool memory_maker = (mask & kLayerBitHbm) != 0;
    const double customers = c.customers_of(replicate, j);
    // What the firm may put into capacity this step: its spending for the step (spend_rate x
    // cash) less its other budgets, topped up by the compute subsidy. Demand sets how much
    // it orders; this only caps it, so a firm that cannot pay invests less and a large order
    // is paid over several steps' orders instead of emptying the till at once.
    const double data_budget = budget * share.data;
    double available = budget - own_rd - c.dyn.marketing_budget[index] - data_budget;
    available = available > 0.0 ? available * (1.0 + compute_subsidy) : 0.0;
    const PlanCapacity capacity{c, index, last};
    capacity.arrive_and_depreciate();
    if (merchant_chips || memory_maker) {
      // Capacity makers' investment follows demand, not the compute budget.
      const double spent = capacity.invest_as_maker(merchant_chips, memory_maker, available);
      c.dyn.capex[index] = spent;
      compute_spent = spent;
      compute_budget = 0.0;
    }

    if (mask & kLayerBitAccelerator) {
      double planned = c.dyn.fab_capacity[index];
      if (c.shared().limit_packaging && c.dyn.packaging_capacity[index] < planned)
        planned = c.dyn.packaging_capacity[index];
      // With no demand seen last step (the first step, or one in which no cloud ordered) it
      // offers its whole capacity: buyers split their orders by what sellers offer, so a
      // maker offering nothing would never see demand again.
      if (merchant_chips && c.step > 0.0 && last_demand > 0.0 && 1.1 * last_demand < planned)
        planned = 1.1 * last_demand;
      c.m.unit_demand[c.cell(replicate, kMarketHbm, j)] =
          planned * c.p(replicate).hbm_per_accelerator;
    }
    // Inference for its customers (a cloud counts it in its own demand below): its own
    // model's, or the supplier logit's split between the labs' APIs and a self-hosted open
    // model (kernels/model_api.hpp).
    double inference = 0.0;
    if (mask & kLayerBitService) {
      const double tokens = customers * c.p(replicate).tokens_per_customer;
      if (c.firm.model_source[j] == kOwnModel) {
        inference = tokens * c.own_compute_per_mtokens(replicate, j);
      } else {
        const ApiChoice choice = c.api_choice(replicate, j, compute_price);
        const double self = choice.self_share();
        inference = tokens * self * choice.self_compute;
        if (choice.api_weight > 0.0) {
          c.m.unit_demand[c.cell(replicate, kMarketModel, j)] = tokens * (1.0 - self);
        }
      }
      if (!(mask & kLayerBitCloud)) c.m.unit_demand[c.cell(replicate, kMarketCloud, j)] = inference;
    }
    if (mask & kLayerBitCloud) {
      // A cloud buys the accelerators its renters' and its own labs' expected demand needs;
      // the compute budget only measures its labs' demand.
      const double spend = capacity.invest_as_cloud(compute_budget, inference, available);
      c.m.budget[c.cell(replicate, kMarketAccelerator, j)] = spend;
      compute_spent += spend;
    } else {
      if (mask & kLayerBitModel) {
        c.m.budget[c.cell(replicate, kMarketCloud, j)] = compute_budget;
        compute_spent += compute_budget;
      }
    }
    if (mask & (kLayerBitModel | kLayerBitService)) {
      c.m.budget[c.cell(replicate, kMarketData, j)] = data_budget;
    }
    c.dyn.subsidy[index] = compute_spent * compute_subsidy / (1.0 + compute_subsidy) +
                           own_rd * c.levers.rd_subsidy[region];

    // What the firm offers as a seller (accelerators: set after the HBM market clears).
    c.m.capacity[c.cell(replicate, kMarketHbm, j)] = c.dyn.hbm_capacity[index];
    if (mask & kLayerBitCloud) {
      const double rentable = 1.0 - c.firm.cloud_self_use[j];
      c.m.capacity[c.cell(replicate, kMarketCloud, j)] = c.dyn.installed_compute[index] * rentable;
    }
    // Model API: set after the cloud market (SetModelApiSupply).
    // A data vendor licenses what is left of its corpus (kernels/data_stocks.hpp).
    c.m.capacity[c.cell(replicate, kMarketData, j)] =
        licensable_corpus_left(c.p(replicate), c.step, c.dyn.data_licensed[index]) /
        kDataUnitTokens;
  }
};

// One thread per (replicate, firm), after the HBM market: merchant accelerator supply is
// limited by fab capacity, by the HBM received and by the packaging capacity reserved,
// min(fab, HBM / HBM per unit, packaging) (packaging only with compute.packaging_capacity).
struct SetAcceleratorSupply {
  FirmStepContext c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateFirm at = layout::split_replicate_firm(index, c.firm.firms);
    const std::int64_t replicate = at.replicate;
    const std::int32_t j = at.firm;
    const double hbm_units = c.units(c.m.bought[c.cell(replicate, kMarketHbm, j)]);
    const double by_hbm = hbm_units / c.p(replicate).hbm_per_accelerator;
    double supply = c.dyn.fab_capacity[index];
    if (by_hbm < supply) supply = by_hbm;
    if (c.shared().limit_packaging && c.dyn.packaging_capacity[index] < supply)
      supply = c.dyn.packaging_capacity[index];
    c.m.capacity[c.cell(replicate, kMarketAccelerator, j)] = supply;
  }
};

// Compute a lab holds this step after serving its own customers (kernels/model_api.hpp): own
// compute kept plus compute rented, less u c(N) per own customer; at least 0.
AIMARKET_HD inline double lab_spare_compute(const FirmStepContext& c, std::int64_t replicate,
                                            std::int32_t j, double installed) {
  const std::uint8_t mask = c.firm.layer_mask[j];
  const double own = (mask & kLayerBitCloud) ? installed * c.firm.cloud_self_use[j] : 0.0;
  const double rented = c.m.performance_bought[c.cell(replicate, kMarketCloud, j)];
  double serving = 0.0;
  if ((mask & kLayerBitService) && c.firm.model_source[j] == kOwnModel) {
    serving = c.customers_of(replicate, j) * c.p(replicate).tokens_per_customer *
              c.own_compute_per_mtokens(replicate, j);
  }
  const double spare = own + rented - serving;
  return spare > 0.0 ? spare : 0.0;
}

// One thread per (replicate, firm), after the cloud market: a lab offers (1 - its strategy's
// training_share) of its spare compute in the model-API market, in M tokens, at no less than its
// serving cost.
struct SetModelApiSupply {
  FirmStepContext c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateFirm at = layout::split_replicate_firm(index, c.firm.firms);
    const std::int64_t replicate = at.replicate;
    const std::int32_t j = at.firm;
    if (!c.dyn.alive[index] || !(c.firm.layer_mask[j] & kLayerBitModel)) return;
    const std::int64_t k = c.cell(replicate, kMarketModel, j);
    const double per_mtokens = c.own_compute_per_mtokens(replicate, j);
    const double spare = lab_spare_compute(c, replicate, j, c.dyn.installed_compute[index]);
    const double training_share = c.dyn.strategy_of(replicate, kTrainingShare, c.firm.firms, j);
    c.m.capacity[k] = per_mtokens > 0.0 ? (1.0 - training_share) * spare / per_mtokens : 0.0;
    c.m.price_floor[k] = per_mtokens * c.compute_price_of(replicate, j);
  }
};

// One thread per (replicate, firm), after all markets.
struct ProduceAndAccumulate {
  FirmStepContext c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateFirm at = layout::split_replicate_firm(index, c.firm.firms);
    const std::int64_t replicate = at.replicate;
    const std::int32_t j = at.firm;
    if (!c.dyn.alive[index]) {
      c.dyn.external_cost[index] = 0;
      return;
    }
    const std::uint8_t mask = c.firm.layer_mask[j];
    const double technology =
        doubling_factor(c.step, c.p(replicate).price_performance_doubling_months);
    double external = 0.0;
    external += c.units(c.m.sold[c.cell(replicate, kMarketHbm, j)]) * c.p(replicate).hbm_unit_cost;
    external += c.units(c.m.sold[c.cell(replicate, kMarketAccelerator, j)]) *
                c.p(replicate).accelerator_unit_cost;
    external +=
        c.units(c.m.sold[c.cell(replicate, kMarketCloud, j)]) * c.p(replicate).cloud_operating_cost;

    double installed = c.dyn.installed_compute[index] * (1.0 - c.p(replicate).compute_depreciation);
    // Accelerators bought now are installed lead_time_cloud steps later (data-centre build
    // and installation), with the technology of the month they were bought; what was bought
    // that long ago arrives now.
    {
      const CapacityPlanLayout plan{c.shared().pipeline_slots};
      double* ring = c.capacity_plan(index) + plan.ring(kCapacityCloud);
      const std::int32_t lead = c.shared().lead_time[kCapacityCloud];
      const std::int64_t t = static_cast<std::int64_t>(c.step);
      installed += take_arrival(ring, t, lead);
      installed += place_order(
          ring, t, lead,
          c.m.performance_bought[c.cell(replicate, kMarketAccelerator, j)] * technology);
    }
    if ((mask & kLayerBitAccelerator) && c.firm.in_house_chips[j]) {
      const double by_hbm = c.units(c.m.bought[c.cell(replicate, kMarketHbm, j)]) /
                            c.p(replicate).hbm_per_accelerator;
      double built = c.dyn.fab_capacity[index];
      if (by_hbm < built) built = by_hbm;
      if (c.shared().limit_packaging && c.dyn.packaging_capacity[index] < built)
        built = c.dyn.packaging_capacity[index];
      installed += built * c.firm.chip_performance[j] * technology;
      external += built * c.p(replicate).accelerator_unit_cost;
    }
    c.dyn.installed_compute[index] = installed;

    const int region = c.firm.region[j];
    if (mask & (kLayerBitModel | kLayerBitService)) {
      external += c.levers.regulation_cost[region];  // compliance with the region's rules
    }
    if (mask & kSellsDataBit) {
      const double licensed =
          c.units(c.m.sold[c.cell(replicate, kMarketData, j)]) * kDataUnitTokens;
      c.dyn.data_licensed[index] += licensed;
      external += licensed * c.p(replicate).data_unit_cost;
    }
    const double data = accumulate_data(c, replicate, j);

    if (mask & kLayerBitModel) {
      // It trains on what its own customers and the API tokens it sold leave of its compute.
      const double served = c.units(c.m.sold[c.cell(replicate, kMarketModel, j)]) *
                            c.own_compute_per_mtokens(replicate, j);
      double trained = lab_spare_compute(c, replicate, j, installed) - served;
      if (trained < 0.0) trained = 0.0;
      const double algorithmic = algorithmic_progress(c.step, c.p(replicate));
      const double training = trained * c.p(replicate).flop_per_h100e_month * algorithmic;
      c.dyn.training_compute[index] += training;
      const double flop = c.dyn.training_compute[index];
      if (flop > 0.0 && data > 0.0) {
        const double capability = model_capability(flop, data * 1e12, c.p(replicate));
        c.dyn.capability[index] = capability > 0.0 ? capability : 0.0;
      }
    }
    c.dyn.rd_stock[index] = c.dyn.rd_stock[index] * (1.0 - c.p(replicate).rd_depreciation) +
                            c.dyn.rd_budget[index] / 1e6;
    c.dyn.marketing_stock[index] = next_marketing_stock(
        c.dyn.marketing_stock[index], c.dyn.marketing_budget[index] / 1e6, c.p(replicate));
    c.dyn.awareness[index] = c.firm.base_awareness[j] +
                             marketing_awareness(c.dyn.marketing_stock[index], c.p(replicate));

    external += c.dyn.rd_budget[index] + c.dyn.marketing_budget[index] + c.dyn.capex[index];
    external += c.p(replicate).fixed_cost;
    external -= c.dyn.subsidy[index];
    std::int64_t external_cost = 0;
    if (!checked_to_int64(std::floor(external + 0.5), external_cost)) {
      c.overflowed(index, kOverflowExternalCost);
    }
    c.dyn.external_cost[index] = external_cost;
  }
};

// One thread per (replicate, segment, firm), after ProduceAndAccumulate.
struct UpdateServiceOffer {
  FirmStepContext c;
  // Endogenous quality of firm j in segment s, in Elo: the capability term plus the
  // saturating data and R&D gains, the data gain from the firm's domain data in s only.
  // Quality moves by its change since the start (or the firm's entry), so the configured Elo
  // is the quality at the start whatever the firm's stocks are.
  AIMARKET_HD double endogenous_quality(std::int64_t replicate, std::int32_t j, int segment) const {
    const std::int32_t n = c.firm.firms;
    const std::int64_t idx = layout::replicate_firm(replicate, j, n);
    const double domain =
        c.dyn.domain_data[layout::replicate_segment_firm(replicate, segment, j, n)];
    // Each gain saturates at its bound: 1 - exp(-x / scale) runs from 0 to 1.
    const double data_fill = 1.0 - det_exp(-domain / c.p(replicate).domain_data_scale);
    const double rd_fill = 1.0 - det_exp(-c.dyn.rd_stock[idx] / c.p(replicate).rd_scale);
    const double finetune = c.p(replicate).finetune_gain * data_fill;
    // Its own model's capability, or the supplier logit's share-weighted one (the labs' APIs
    // and the self-hosted open frontier plus fine-tuning; kernels/model_api.hpp).
    double capability;
    if (c.firm.model_source[j] == kOwnModel) {
      capability = c.dyn.capability[idx];
    } else {
      // Fine-tuned on its domain data in this segment.
      capability = choose_api_supplier(c.p(replicate), c.levers, c.firm, c.dyn, c.m, c.step,
                                       replicate, j, c.compute_price_of(replicate, j), finetune)
                       .capability();
    }
    return c.p(replicate).quality_per_capability * capability +
           c.p(replicate).data_quality_gain * data_fill + c.p(replicate).rd_quality_gain * rd_fill;
  }
  AIMARKET_HD void operator()(std::int64_t index) const {
    const std::int32_t n = c.firm.firms;
    // The thread's index is its [replicate][segment][firm] offset.
    const layout::ReplicateSegmentFirm at = layout::split_replicate_segment_firm(index, n);
    const std::int64_t replicate = at.replicate;
    const std::int32_t j = at.firm;
    const double quality =
        c.dyn.base_quality[index] +
        (endogenous_quality(replicate, j, at.segment) - c.dyn.quality_start[index]);
    c.dyn.service_quality[index] = quality;
    c.dyn.quality_term[index] = c.p(replicate).beta_quality * quality;

    // Its own compute is priced at what it could rent it for (its cloud price): the
    // opportunity cost, not the operating cost; else at what it paid per unit.
    const double compute_price = c.compute_price_of(replicate, j);
    // Per user: the tokens it uses, served by its own model, or split by the supplier logit
    // between self-hosting (compute) and the labs' APIs (their mean price).
    double unit_cost;
    if (c.firm.model_source[j] == kOwnModel) {
      unit_cost = c.p(replicate).tokens_per_customer * c.own_compute_per_mtokens(replicate, j) *
                  compute_price;
    } else {
      const ApiChoice choice = c.api_choice(replicate, j, compute_price);
      const double self = choice.self_share();
      unit_cost = c.p(replicate).tokens_per_customer *
                  (self * choice.self_compute * compute_price + (1.0 - self) * choice.api_price());
    }
    const double markup = c.dyn.strategy_of(replicate, kMarkup, n, j);
    // What a user pays on average (revenue per user): conversion x the list price that passes
    // the cost on to the payers.
    const double conversion = c.firm.paid_conversion[layout::segment_firm(at.segment, j, n)];
    const double price =
        revenue_per_user(c.dyn.base_price[index], (1.0 + markup) * unit_cost, conversion);
    c.dyn.service_price[index] = price;
    c.dyn.price_term[index] = aimarket::price_term(price, c.p(replicate).reference_price);
  }
};

// One thread per (replicate, segment, firm), once before the first step: each firm's
// endogenous quality in each segment at the initial state, the level its quality moves from
// (an entrant's is set when it enters, kernels/firm_entry.hpp).
struct SetQualityStart {
  FirmStepContext c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateSegmentFirm at =
        layout::split_replicate_segment_firm(index, c.firm.firms);
    c.dyn.quality_start[index] =
        UpdateServiceOffer{c}.endogenous_quality(at.replicate, at.firm, at.segment);
  }
};

// One thread per (replicate, firm), after the customers chose.
struct SettleFinance {
  FirmStepContext c;
  std::uint64_t seed;  // the run's seed: a funding round's draw

  // The step's operating cash flow (kernels/funding_rounds.hpp): revenue and outside income,
  // less production and operating costs (the outside costs that are not discretionary
  // spending) and the inputs bought whatever the budget.
  AIMARKET_HD double operating_cash_flow(std::int64_t replicate, std::int32_t j, std::int64_t index,
                                         double sales) const {
    const std::uint8_t mask = c.firm.layer_mask[j];
    const double discretionary = c.dyn.rd_budget[index] + c.dyn.marketing_budget[index] +
                                 c.dyn.capex[index] - c.dyn.subsidy[index];
    double inputs = static_cast<double>(c.m.paid[c.cell(replicate, kMarketHbm, j)]) +
                    static_cast<double>(c.m.paid[c.cell(replicate, kMarketModel, j)]);
    if (!(mask & (kLayerBitModel | kLayerBitCloud)))  // inference compute, bought by need
      inputs += static_cast<double>(c.m.paid[c.cell(replicate, kMarketCloud, j)]);
    return static_cast<double>(c.dyn.service_revenue[index]) +
           static_cast<double>(c.firm.other_income[j]) + sales -
           (static_cast<double>(c.dyn.external_cost[index]) - discretionary) - inputs;
  }

  AIMARKET_HD void operator()(std::int64_t index) const {
    const layout::ReplicateFirm at = layout::split_replicate_firm(index, c.firm.firms);
    const std::int64_t replicate = at.replicate;
    const std::int32_t j = at.firm;
    c.dyn.funding[index] = 0;
    c.dyn.leaving[index] = 0;
    if (!c.dyn.alive[index]) {
      c.dyn.service_revenue[index] = 0;
      return;
    }
    double revenue = 0.0;
    for (int s = 0; s < kSegments; ++s) {
      const std::int64_t row = layout::replicate_segment_firm(replicate, s, j, c.firm.firms);
      revenue += static_cast<double>(c.tally[row]) * c.p(replicate).customer_weight *
                 c.dyn.service_price[row];
    }
    std::int64_t service_revenue = 0;
    if (!checked_to_int64(std::floor(revenue + 0.5), service_revenue)) {
      c.overflowed(index, kOverflowServiceRevenue);
    }
    c.dyn.service_revenue[index] = service_revenue;
    // Checked, in the order the terms were always summed: a sum outside the int64 range
    // leaves the cash as it was and the driver stops the run.
    std::int64_t cash = c.dyn.cash[index];
    bool fits = checked_add(cash, service_revenue, cash) &&
                checked_add(cash, c.firm.other_income[j], cash) &&
                checked_sub(cash, c.dyn.external_cost[index], cash);
    for (int market = 0; market < kUpstreamMarkets && fits; ++market) {
      const std::int64_t k = c.cell(replicate, market, j);
      std::int64_t net = 0;
      fits = checked_sub(c.m.revenue[k], c.m.paid[k], net) && checked_add(cash, net, cash);
    }
    if (!fits) {
      c.overflowed(index, kOverflowCash);
      return;
    }
    double sales = 0.0;
    for (int market = 0; market < kUpstreamMarkets; ++market)
      sales += static_cast<double>(c.m.revenue[c.cell(replicate, market, j)]);
    const double earned = static_cast<double>(service_revenue) + sales;
    const double trend = c.dyn.revenue_trend[index];
    const double income = operating_cash_flow(replicate, j, index, sales);
    // The burn a raise is sized for (kernels/funding_rounds.hpp): reinvested earnings are not
    // a draw on raised money.
    const double burn = round_burn(static_cast<double>(c.dyn.cash[index] - cash),
                                   c.dyn.operating_income[index], income);
    c.dyn.operating_income[index] = income;
    if (c.firm.cash_flow_funded[j] && income > 0.0 && c.firm.reinvestment_rate[j] < 1.0) {
      // What a cash-flow firm does not reinvest goes to its shareholders (dividends and
      // buybacks), outside the economy: its cash pile follows its income, not the sum of it.
      std::int64_t payout = 0;
      std::int64_t external = c.dyn.external_cost[index];
      if (!checked_to_int64(std::floor((1.0 - c.firm.reinvestment_rate[j]) * income + 0.5),
                            payout) ||
          !checked_sub(cash, payout, cash) || !checked_add(external, payout, external)) {
        c.overflowed(index, kOverflowCash);
        return;
      }
      c.dyn.external_cost[index] = external;
    }
    c.dyn.revenue_trend[index] = trend + (earned - trend) / c.p(replicate).revenue_trend_months;
    bool close_down = false;
    if (!c.firm.cash_flow_funded[j] && seeks_round(c.p(replicate), static_cast<double>(cash),
                                                   burn)) {  // the edge scans every firm
      const RoundOutcome round =
          venture_round(c.p(replicate), static_cast<double>(cash), burn, earned, trend,
                        quality_edge_over_typical(c.firm, c.dyn, replicate, j),
                        c.dyn.strategy_of(replicate, kSpendRate, c.firm.firms, j), seed,
                        static_cast<std::uint32_t>(replicate), static_cast<std::uint32_t>(c.step),
                        static_cast<std::uint32_t>(j));
      std::int64_t raised = 0;
      if (round.raised > 0.0) {
        if (!checked_to_int64(std::floor(round.raised + 0.5), raised) ||
            !checked_add(cash, raised, cash)) {
          c.overflowed(index, kOverflowCash);
          return;
        }
      }
      c.dyn.funding[index] = raised;
      if (raised > 0) c.dyn.cash_at_round[index] = cash;  // the burn it plans from now on
      close_down = round.close_down;
    }
    c.dyn.cash[index] = cash;
    // Exit is applied after every firm has settled (ApplyExits): the round odds of other firms
    // read which firms are alive.
    if (cash < 0 || close_down) c.dyn.leaving[index] = 1;
  }
};

// One thread per (replicate, firm), after SettleFinance: a firm whose cash fell below zero, or
// that closed down after a failed raise, exits.
struct ApplyExits {
  FirmStepContext c;
  AIMARKET_HD void operator()(std::int64_t index) const {
    if (c.dyn.leaving[index]) c.dyn.alive[index] = 0;
  }
};

}  // namespace aimarket
