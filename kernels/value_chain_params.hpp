// Value-chain parameters as the device sees them (plain values; see docs/CONFIG.md for units).
#pragma once

#include <cstdint>

namespace aimarket {

struct ValueChainParams {
  // Firms' spending and service offer.
  double compute_share, data_share, rd_share, marketing_share;
  double quality_per_capability, quality_per_log_data, quality_per_log_rd;
  double domain_data_scale;  // T tokens
  double rd_scale;           // USD M
  double rd_depreciation, marketing_awareness_per_musd, awareness_decay;
  double beta_quality;
  double customer_weight;    // real customers per agent
  // Compute layers.
  double hbm_per_accelerator, hbm_unit_cost, accelerator_unit_cost, cloud_operating_cost;
  double cloud_initial_price;
  double price_performance_doubling_months, compute_depreciation;
  double price_adjustment_speed, max_price_change;
  double capacity_cost_accelerator, capacity_cost_hbm, capacity_depreciation;
  double cloud_self_use_share, buyer_price_sensitivity;
  // Data.
  double flywheel_tokens_per_customer, public_data_rate, data_depreciation;
  // Models (Chinchilla L = E + A / N^alpha + B / D^beta).
  double chinchilla_E, chinchilla_A, chinchilla_B, chinchilla_alpha, chinchilla_beta;
  double tokens_per_parameter, flop_per_h100e_month, algorithmic_doubling_months;
  double reference_loss;     // L at reference_compute, compute-optimal
  double training_share, finetune_gain, inference_compute_per_customer;
};

// Entry of start-ups (kernels/firm_entry.hpp; docs/CONFIG.md [entry]).
struct EntryParams {
  double rate;                  // expected entrants per step per replicate
  double funding_musd;          // median funding, USD M
  double funding_log_sd;
  double quality_mean, quality_sd;    // an entrant's base quality ~ Normal
  double price_median, price_log_sd;  // an entrant's base price ~ LogNormal
  std::int32_t first_slot;      // entrants may take slots first_slot .. firms-1
};

}  // namespace aimarket
