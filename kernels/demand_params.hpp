// Demand-side parameters as the device sees them (plain values, no host types).
#pragma once

#include <cstdint>

#include "kernels/det_math.hpp"
#include "kernels/hd.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

struct DemandParams {
  double bass_p;                    // Bass innovation coefficient, per step
  double bass_q;                    // Bass imitation coefficient, per step
  double reconsider_rate;           // probability an adopter chooses again in a step
  std::int32_t max_services;        // services a customer uses at once (1: single-homing)
  double add_service_rate;          // per step: an adopter below max_services adds one
  double drop_service_rate;         // per step: a multi-homer drops a non-primary service
  std::int32_t consideration_set;   // candidates drawn per chooser; 0 = every firm
  double awareness_installed_base;  // lambda: weight of installed base in awareness
  double beta_price;
  double reference_price;  // p_ref of the price term, USD per customer-month
  double beta_network;
  double switching_cost;
  double price_taste_sd;  // log-sd of a customer's persistent price sensitivity
  double taste_sd;        // sd of a customer's persistent taste for each firm (utility)
  double beta_home;       // utility of a firm of the customer's own region
  double beta_language;   // utility per unit of the firm's language fit to the region
};

// The scenario's levers that enter the customers' utility at once (docs/CONFIG.md
// [scenario]); the host changes them between steps, the same in every replicate.
struct UtilityLevers {
  double home_procurement[kRegions];    // utility for home firms, per customer region
  std::uint8_t closed_stack[kRegions];  // 1: the region's firms are a closed stack
  double closed_stack_penalty;          // utility a closed-stack firm loses abroad
};

// The price term of utility, log(1 + p / p_ref): log p less log p_ref well above p_ref, so
// relative prices matter as under log p, and finite at p = 0, so a free tier can be chosen.
// det_log and an IEEE division keep it bitwise the same on CPU and GPU.
AIMARKET_HD inline double price_term(double price, double reference_price) {
  return det_log(1.0 + price / reference_price);
}

// What a user of a freemium service pays on average, r (USD per customer-month), when a share
// c (paid_conversion) of its users pay the paid tier's list price and the others use the free
// tier. The list price recovers the per-user cost from the payers: list = base + pass_through /
// c, pass_through = (1 + markup) x unit cost, so r = c x list = c x base + pass_through. With
// c = 0 the service is free (r = 0) and the firm bears its cost. With c = 1 this is the price
// every user pays, base + pass_through, in the same arithmetic as before conversion existed
// (1.0 x base is base exactly), so a config without conversions runs bit for bit as before.
AIMARKET_HD inline double revenue_per_user(double base_price, double pass_through,
                                           double conversion) {
  if (conversion <= 0.0) return 0.0;
  if (conversion == 1.0) return base_price + pass_through;
  return conversion * base_price + pass_through;
}

}  // namespace aimarket

// The conversion from the config, beside the struct: a demand parameter is one schema line,
// one field above, one line here and the kernel that uses it. Host code only; nvcc's
// translation units see the struct alone.
#ifndef __CUDACC__
#include "config/config.hpp"

namespace aimarket {

inline DemandParams make_demand_params(const DemandSettings& d) {
  DemandParams p{};
  p.bass_p = d.bass_p;
  p.bass_q = d.bass_q;
  p.reconsider_rate = d.reconsider_rate;
  p.max_services = static_cast<std::int32_t>(d.max_services);
  p.add_service_rate = d.add_service_rate;
  p.drop_service_rate = d.drop_service_rate;
  p.consideration_set = static_cast<std::int32_t>(d.consideration_set);
  p.awareness_installed_base = d.awareness_installed_base;
  p.beta_price = d.beta_price;
  p.reference_price = d.reference_price;
  p.beta_network = d.beta_network;
  p.switching_cost = d.switching_cost;
  p.price_taste_sd = d.price_taste_sd;
  p.taste_sd = d.taste_sd;
  p.beta_home = d.beta_home;
  p.beta_language = d.beta_language;
  return p;
}

}  // namespace aimarket
#endif  // __CUDACC__
