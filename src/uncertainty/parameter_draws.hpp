// Parameter uncertainty inside one ensemble (docs/MODEL.md, "Parameter uncertainty"): each
// replicate runs with its own values of the uncertain keys, drawn from their priors
// (Config::priors) or read from a design file (Config::design), so that one batched ensemble
// covers sampling and parameter uncertainty together. A replicate's draw is a pure function of
// (run.seed, replicate, key): the same in every scenario run with the same seed (comparisons
// stay paired), on any backend and thread count, and unchanged when another key gains a prior.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "calibration/rest_point.hpp"
#include "config/config.hpp"
#include "kernels/demand_params.hpp"
#include "kernels/value_chain_params.hpp"

namespace aimarket {

struct ParameterDraws {
  std::int64_t replicates = 0;
  std::vector<std::string> keys;    // "section.name": the output's parameter dimension
  std::vector<std::string> origin;  // per key: its prior, the design file, or the point value
  std::vector<double> values;       // [replicate][parameter]

  bool empty() const { return keys.empty(); }
  double at(std::int64_t replicate, std::size_t parameter) const {
    return values[static_cast<std::size_t>(replicate) * keys.size() + parameter];
  }
};

// The value replicate `replicate` draws from `prior` (a key of replicate_parameter_keys()):
//   uniform U(low, high); log_uniform exp(U(log low, log high)); triangular by its inverse
//   CDF; normal N(mean, sd), redrawn while outside the key's valid range.
double draw_from_prior(const ParameterPrior& prior, std::uint64_t seed, std::int64_t replicate);

// Every uncertain key's value in each replicate: the design's columns, then the priors of the
// other keys (drawn with run.parameter_uncertainty, else each key's point value for all).
// Empty when the config has neither.
ParameterDraws parameter_draws(const Config& config);

// The replicates that run with the same values (every one without draws) share a calibration
// class, numbered in order of first appearance.
CalibrationClasses calibration_classes(const ParameterDraws& draws, std::int64_t replicates);

// Each replicate's value-chain parameters (MarketSetup::value_chain_by_replicate).
std::vector<ValueChainParams> value_chain_by_replicate(const Config& config,
                                                       const ParameterDraws& draws);
// Each replicate's demand parameters (MarketSetup::demand_by_replicate).
std::vector<DemandParams> demand_by_replicate(const Config& config, const ParameterDraws& draws);

}  // namespace aimarket
