// Demand-side parameters as the device sees them (plain values, no host types).
#pragma once

#include <cstdint>

namespace aimarket {

struct DemandParams {
  double bass_p;                    // Bass innovation coefficient, per step
  double bass_q;                    // Bass imitation coefficient, per step
  double reconsider_rate;           // probability an adopter chooses again in a step
  std::int32_t consideration_set;   // candidates drawn per chooser; 0 = every firm
  double awareness_installed_base;  // lambda: weight of installed base in awareness
  double beta_price;
  double beta_network;
  double switching_cost;
  double price_taste_sd;  // log-sd of a customer's persistent price sensitivity
};

}  // namespace aimarket
