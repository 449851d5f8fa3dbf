// Value-chain parameters as the device sees them (plain values; see docs/CONFIG.md for units).
#pragma once

#include <cstdint>

#include "model/dimensions.hpp"

namespace aimarket {

// Policy levers per region of the firm (docs/CONFIG.md [scenario]); a scenario's timeline
// changes them between steps.
struct RegionLevers {
  double compute_subsidy[kRegions];      // top-up of the compute budget, fraction
  double rd_subsidy[kRegions];           // top-up of the R&D budget, fraction
  double public_data[kRegions];          // T tokens per step to each model/service firm
  double regulation_cost[kRegions];      // USD per step per model or service firm
  double global_model_access[kRegions];  // share of the global frontier a firm may build on
  std::uint8_t closed_stack[kRegions];   // 1: the region's buyers trade only at home
};

struct ValueChainParams {
  // Firms' service offer (spending follows each firm's strategy parameters).
  double quality_per_capability, quality_per_log_data, quality_per_log_rd;
  double domain_data_scale;  // T tokens
  double rd_scale;           // USD M
  double rd_depreciation, marketing_awareness_per_musd, awareness_decay;
  double fixed_cost;  // USD per step per live firm (staff, offices), paid outside
  double beta_quality;
  double customer_weight;  // real customers per agent
  // Compute layers.
  double hbm_per_accelerator, hbm_unit_cost, accelerator_unit_cost, cloud_operating_cost;
  double cloud_initial_price;
  double price_performance_doubling_months, compute_depreciation;
  double price_adjustment_speed, max_price_change;
  double capacity_cost_accelerator, capacity_cost_hbm, capacity_depreciation;
  double invest_utilization;  // capacity is added only when demand fills this share of it
  double buyer_price_sensitivity;
  // Data.
  double flywheel_tokens_per_customer, public_data_rate, data_depreciation;
  // Models (Chinchilla L = E + A / N^alpha + B / D^beta).
  double chinchilla_E, chinchilla_A, chinchilla_B, chinchilla_alpha, chinchilla_beta;
  double tokens_per_parameter, flop_per_h100e_month, algorithmic_doubling_months;
  double reference_loss;  // L at reference_compute, compute-optimal
  double training_share, finetune_gain, inference_compute_per_customer;
  RegionLevers region;
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
};

}  // namespace aimarket
