// Value-chain parameters as the device sees them (plain values; see docs/CONFIG.md for units).
#pragma once

#include <cstdint>

#include "kernels/capacity_investment.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// Policy levers per region of the firm (docs/CONFIG.md [scenario]); a scenario's timeline
// changes them between steps.
static_assert(kRegions == 5, "RegionLevers' default access lists every region");
struct RegionLevers {
  double compute_subsidy[kRegions];  // top-up of the compute budget, fraction
  double rd_subsidy[kRegions];       // top-up of the R&D budget, fraction
  double public_data[kRegions];      // T tokens per step to each model/service firm
  double regulation_cost[kRegions];  // USD per step per model or service firm
  // Weight of foreign models (labs' APIs, open weights) in the region's supplier choice: 1 full
  // access (the default everywhere), 0 none (kernels/model_api.hpp).
  double global_model_access[kRegions] = {1.0, 1.0, 1.0, 1.0, 1.0};
  std::uint8_t closed_stack[kRegions];  // 1: the region's buyers trade only at home
};

struct ValueChainParams {
  // Firms' service offer (spending follows each firm's strategy parameters).
  double quality_per_capability;              // Elo per capability unit
  double data_quality_gain, rd_quality_gain;  // Elo, bounds of the saturating gains
  double domain_data_scale;                   // T tokens
  double rd_scale;                            // USD M
  double rd_depreciation, awareness_decay;
  double awareness_max;    // awareness a saturating marketing stock adds
  double marketing_scale;  // USD M of marketing stock per e-fold of the remaining gap
  double fixed_cost;       // USD per step per live firm (staff, offices), paid outside
  double beta_quality;     // utility per Elo point, kappa ln(10) / 400
  double reference_price;  // p_ref of the price term, USD per customer-month
  double customer_weight;  // real customers per agent
  // Budgets and funding rounds (kernels/funding_rounds.hpp).
  double raise_runway_months;   // a venture firm raises below this many months of net burn
  double round_success;         // chance per step that a typical firm's raise closes
  double revenue_trend_months;  // time constant of the revenue trend
  // Compute layers.
  double hbm_per_accelerator, hbm_unit_cost, accelerator_unit_cost, cloud_operating_cost;
  double cloud_initial_price;
  double price_performance_doubling_months, compute_depreciation;
  double price_adjustment_speed, max_price_change;
  double capacity_cost_accelerator, capacity_cost_hbm, capacity_depreciation;
  // Demand-led capacity (kernels/capacity_investment.hpp).
  double target_utilization;               // u*: capacity is ordered for expected demand / u*
  double demand_smoothing;                 // lambda of the growth estimate
  std::int32_t lead_time[kCapacityKinds];  // steps from order to capacity (CapacityKind)
  std::int32_t pipeline_slots;             // longest lead time, at least 1
  std::uint8_t limit_packaging;            // 1: accelerator output limited by packaging
  double accelerator_initial_price;        // USD per unit: a cloud's price guess before trading
  double buyer_price_sensitivity;
  // Data.
  double flywheel_tokens_per_customer, public_data_rate, data_depreciation;
  double public_text_stock;       // T tokens of public human text at step 0
  double public_text_log_growth;  // log(1 + annual growth) / 12, per month
  double vendor_corpus;           // T tokens a data vendor may license, at step 0
  double data_unit_cost;          // USD per T tokens a vendor pays to license and deliver
  // Models (Chinchilla L = E + A / N^alpha + B / D^beta).
  double chinchilla_E, chinchilla_A, chinchilla_B, chinchilla_alpha, chinchilla_beta;
  double tokens_per_parameter, flop_per_h100e_month, algorithmic_doubling_months;
  double reference_loss;  // L at reference_compute, compute-optimal
  // Inference and the model-API market (kernels/model_api.hpp).
  double tokens_per_customer;             // M tokens per real customer-month
  double inference_flop_per_h100e_month;  // FLOP per H100e-month when serving
  double max_served_parameters;           // cap on a served model's active parameters
  double api_price_sensitivity;           // sigma of the supplier logit
  double api_partner_bonus;               // utility of the model_source partner's API
  double finetune_gain;  // capability, bound of the fine-tuning gain on an open base
};

// Strategy adaptation (docs/CONFIG.md [strategy]): every `every` steps each firm may imitate a
// better-performing peer or mutate its strategy parameters.
struct AdaptationParams {
  std::int64_t every;  // steps between reviews; 0: off
  double imitation_probability;
  double mutation_sd;  // log-sd of the multiplicative mutation
};

// Acquisition of start-ups by big tech (docs/CONFIG.md [entry] acquisition_*).
struct AcquisitionParams {
  double rate;              // probability per acquirer per step of a bid
  double max_cash_share;    // an acquirer pays at most this share of its cash
  double revenue_multiple;  // price = target cash + multiple * monthly revenue
  std::int32_t candidates;  // start-ups an acquirer looks at per bid
};

// Entry of start-ups (kernels/firm_entry.hpp; docs/CONFIG.md [entry]).
struct EntryParams {
  double rate;          // expected entrants per step per replicate
  double funding_musd;  // median funding, USD M
  double funding_log_sd;
  double quality_mean, quality_sd;    // an entrant's base quality ~ Normal
  double price_median, price_log_sd;  // an entrant's base price ~ LogNormal
  std::int32_t first_slot;            // entrants may take slots first_slot .. firms-1
  double region_boost[kRegions];      // extra entrants per step into free slots of each region
  std::uint8_t boost_archetype[kArchetypes];  // 1: boosted entrants may take such a slot
};

}  // namespace aimarket

// The conversions from the config, beside the structs: a parameter is one schema line, one
// field above, one line here and the kernel that uses it. Host code only; nvcc's translation
// units see the structs alone. The scenario's region levers and entry boosts come from
// make_scenario_update (src/population/population.hpp), which events reuse.
#ifndef __CUDACC__
#include <cmath>

#include "config/config.hpp"
#include "kernels/scaling_law.hpp"

namespace aimarket {

inline ValueChainParams make_value_chain_params(const Config& config) {
  const FirmsSettings& f = config.firms;
  const ComputeSettings& k = config.compute;
  const DataSettings& data = config.data;
  const ModelsSettings& m = config.models;
  ValueChainParams v{};
  v.quality_per_capability = f.quality_per_capability;
  v.data_quality_gain = f.data_quality_gain;
  v.rd_quality_gain = f.rd_quality_gain;
  v.domain_data_scale = f.domain_data_scale;
  v.rd_scale = f.rd_scale;
  v.rd_depreciation = f.rd_depreciation;
  v.awareness_max = f.awareness_max;
  v.marketing_scale = f.marketing_scale;
  v.awareness_decay = f.awareness_decay;
  v.fixed_cost = f.fixed_cost * 1e6;  // USD M -> USD
  v.beta_quality = config.demand.beta_quality();
  v.reference_price = config.demand.reference_price;
  v.customer_weight = config.population.customer_weight();
  v.raise_runway_months = f.raise_runway_months;
  v.round_success = f.round_success;
  v.revenue_trend_months = f.revenue_trend_months;
  v.hbm_per_accelerator = k.hbm_per_accelerator;
  v.hbm_unit_cost = k.hbm_unit_cost;
  v.accelerator_unit_cost = k.accelerator_unit_cost;
  v.cloud_operating_cost = k.cloud_operating_cost;
  v.cloud_initial_price = k.cloud_initial_price;
  v.price_performance_doubling_months = k.price_performance_doubling_months;
  v.compute_depreciation = k.depreciation;
  v.price_adjustment_speed = k.price_adjustment_speed;
  v.max_price_change = k.max_price_change;
  v.capacity_cost_accelerator = k.capacity_cost_accelerator;
  v.capacity_cost_hbm = k.capacity_cost_hbm;
  v.capacity_depreciation = k.capacity_depreciation;
  v.target_utilization = k.target_utilization;
  v.demand_smoothing = k.demand_smoothing;
  v.lead_time[kCapacityHbm] = static_cast<std::int32_t>(k.lead_time_hbm);
  v.lead_time[kCapacityFab] = static_cast<std::int32_t>(k.lead_time_fab);
  v.lead_time[kCapacityPackaging] = static_cast<std::int32_t>(k.lead_time_packaging);
  v.lead_time[kCapacityCloud] = static_cast<std::int32_t>(k.lead_time_cloud);
  v.pipeline_slots = 1;
  for (const std::int32_t lead : v.lead_time) {
    if (lead > v.pipeline_slots) v.pipeline_slots = lead;
  }
  v.limit_packaging = k.packaging_capacity > 0.0 ? 1 : 0;
  v.accelerator_initial_price = k.accelerator_initial_price;
  v.buyer_price_sensitivity = k.buyer_price_sensitivity;
  v.flywheel_tokens_per_customer = data.flywheel_tokens_per_customer;
  v.public_data_rate = data.public_data_rate;
  v.data_depreciation = data.depreciation;
  v.public_text_stock = data.public_text_stock;
  v.public_text_log_growth = std::log1p(data.public_text_growth) / 12.0;
  v.vendor_corpus = data.vendor_corpus;
  v.data_unit_cost = data.data_unit_cost;
  v.chinchilla_E = m.chinchilla_E;
  v.chinchilla_A = m.chinchilla_A;
  v.chinchilla_B = m.chinchilla_B;
  v.chinchilla_alpha = m.chinchilla_alpha;
  v.chinchilla_beta = m.chinchilla_beta;
  v.tokens_per_parameter = m.tokens_per_parameter;
  v.flop_per_h100e_month = m.flop_per_h100e_month;
  v.algorithmic_doubling_months = m.algorithmic_doubling_months;
  v.finetune_gain = m.finetune_gain;
  v.tokens_per_customer = m.tokens_per_customer;
  v.inference_flop_per_h100e_month = m.inference_flop_per_h100e_month;
  v.max_served_parameters = m.max_served_parameters;
  v.api_price_sensitivity = m.api_price_sensitivity;
  v.api_partner_bonus = m.api_partner_bonus;
  v.reference_loss =
      chinchilla_loss(m.reference_compute, 1e300, m.chinchilla_E, m.chinchilla_A, m.chinchilla_B,
                      m.chinchilla_alpha, m.chinchilla_beta, m.tokens_per_parameter);
  return v;
}

// Doubles per (replicate, firm) of the capacity pipelines and demand estimates.
inline std::int64_t capacity_plan_stride(const Config& config) {
  return CapacityPlanLayout{make_value_chain_params(config).pipeline_slots}.stride();
}

inline AdaptationParams make_adaptation_params(const StrategySettings& s) {
  AdaptationParams p{};
  p.every = s.adapt_every;
  p.imitation_probability = s.imitation_probability;
  p.mutation_sd = s.mutation_sd;
  return p;
}

inline AcquisitionParams make_acquisition_params(const EntrySettings& e) {
  AcquisitionParams p{};
  p.rate = e.acquisition_rate;
  p.max_cash_share = e.acquisition_max_cash_share;
  p.revenue_multiple = e.acquisition_revenue_multiple;
  p.candidates = static_cast<std::int32_t>(e.acquisition_candidates);
  return p;
}

inline EntryParams make_entry_params(const Config& config) {
  const FirmsSettings& f = config.firms;
  EntryParams p{};
  p.rate = config.entry.rate;
  p.funding_musd = config.entry.funding;
  p.funding_log_sd = config.entry.funding_log_sd;
  p.quality_mean = f.synthetic_quality_mean;
  p.quality_sd = f.synthetic_quality_sd;
  p.price_median = f.synthetic_price_median;
  p.price_log_sd = f.synthetic_price_log_sd;
  // Entrants reuse the slots of synthetic firms and the free slots: those are service firms
  // with an open base model, as an entrant is. A named firm's slot keeps its identity (its
  // layers, markets, partner and name are static), so it is never reused.
  p.first_slot = static_cast<std::int32_t>(config.named_firms.size());
  return p;
}

}  // namespace aimarket
#endif  // __CUDACC__
