// Each replicate's values of the uncertain keys (parameter_draws.hpp).
#include "uncertainty/parameter_draws.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/counter_rng.hpp"
#include "kernels/normal_draw.hpp"

namespace aimarket {

namespace {

// The key's stream: FNV-1a of its name, so a key's draws depend on nothing but the seed, the
// replicate and the key itself (not on which other keys have priors, nor their order).
std::uint32_t key_stream(const std::string& key) {
  std::uint32_t hash = 2166136261u;
  for (const char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return hash;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string describe_prior(const ParameterPrior& prior) {
  std::string text = prior.distribution + "(";
  if (prior.distribution == "normal") {
    text += "mean " + number(prior.mean) + ", sd " + number(prior.sd);
  } else {
    text += number(prior.low) + ", " + number(prior.high);
    if (prior.distribution == "triangular") text += ", mode " + number(prior.mode);
  }
  return text + "): " + prior.source;
}

}  // namespace

double draw_from_prior(const ParameterPrior& prior, std::uint64_t seed, std::int64_t replicate) {
  const auto r = static_cast<std::uint32_t>(replicate);
  const std::uint32_t stream = key_stream(prior.key);
  if (prior.distribution == "normal") {
    // Redrawn while outside the key's range: the config requires mean +- 4 sd inside it, so a
    // redraw is needed once in ~16,000 draws and 16 in a row never happen in practice; should
    // they, the mean (inside the range) is returned.
    for (std::uint32_t attempt = 0; attempt < 16; ++attempt) {
      const double z =
          standard_normal(seed, r, kTimelessStep - attempt, stream, DrawPurpose::kParameterDraw);
      const double value = prior.mean + prior.sd * z;
      if (parameter_in_range(prior.key, value)) return value;
    }
    return prior.mean;
  }
  const double u = uniform_open01(
      draw_block(seed, r, kTimelessStep, stream, DrawPurpose::kParameterDraw, 0).word[0]);
  if (prior.distribution == "uniform") return prior.low + u * (prior.high - prior.low);
  if (prior.distribution == "log_uniform") {
    return std::exp(std::log(prior.low) + u * (std::log(prior.high) - std::log(prior.low)));
  }
  if (prior.distribution == "triangular") {
    // Inverse CDF: F(mode) = (mode - low) / (high - low) splits the two sides.
    const double width = prior.high - prior.low;
    const double split = (prior.mode - prior.low) / width;
    if (u < split) return prior.low + std::sqrt(u * width * (prior.mode - prior.low));
    return prior.high - std::sqrt((1.0 - u) * width * (prior.high - prior.mode));
  }
  throw std::invalid_argument("unknown prior distribution " + prior.distribution);
}

ParameterDraws parameter_draws(const Config& config) {
  ParameterDraws draws;
  draws.replicates = config.run.replicates;
  const ParameterDesign& design = config.design;
  const auto columns = design.keys.size();
  for (const std::string& key : design.keys) {
    draws.keys.push_back(key);
    draws.origin.push_back("parameter file " + design.path);
  }
  std::vector<const ParameterPrior*> priors;
  for (const ParameterPrior& prior : config.priors) {
    bool in_design = false;
    for (const std::string& key : design.keys) in_design = in_design || key == prior.key;
    if (in_design) continue;
    priors.push_back(&prior);
    draws.keys.push_back(prior.key);
    draws.origin.push_back(config.run.parameter_uncertainty
                               ? describe_prior(prior)
                               : "point value (run.parameter_uncertainty = false)");
  }
  if (draws.keys.empty()) return draws;
  for (std::int64_t r = 0; r < draws.replicates; ++r) {
    for (std::size_t c = 0; c < columns; ++c) {
      draws.values.push_back(design.values[static_cast<std::size_t>(r) * columns + c]);
    }
    for (const ParameterPrior* prior : priors) {
      if (config.run.parameter_uncertainty) {
        draws.values.push_back(draw_from_prior(*prior, config.run.seed, r));
      } else {
        draws.values.push_back(parameter_value(config, prior->key));
      }
    }
  }
  return draws;
}

CalibrationClasses calibration_classes(const ParameterDraws& draws, std::int64_t replicates) {
  CalibrationClasses classes;
  classes.count = 0;
  classes.of_replicate.assign(static_cast<std::size_t>(replicates), 0);
  const auto width = static_cast<std::ptrdiff_t>(draws.keys.size());
  std::map<std::vector<double>, std::int32_t> class_of_row;  // a row of values -> its class
  for (std::int64_t r = 0; r < replicates; ++r) {
    const auto row = draws.values.begin() + static_cast<std::ptrdiff_t>(r) * width;
    const auto [at, added] =
        class_of_row.try_emplace(std::vector<double>(row, row + width), classes.count);
    if (added) ++classes.count;
    classes.of_replicate[static_cast<std::size_t>(r)] = at->second;
  }
  if (classes.count == 0) classes.count = 1;
  return classes;
}

namespace {

// `make(config)` of each replicate's config: one copy of `config`, every uncertain key
// overwritten for each replicate in turn.
template <typename Make>
auto per_replicate(const Config& config, const ParameterDraws& draws, Make make) {
  std::vector<decltype(make(config))> out;
  out.reserve(static_cast<std::size_t>(config.run.replicates));
  Config scratch = config;
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (std::size_t k = 0; k < draws.keys.size(); ++k) {
      set_parameter(scratch, draws.keys[k], draws.at(r, k));
    }
    out.push_back(make(scratch));
  }
  return out;
}

}  // namespace

std::vector<ValueChainParams> value_chain_by_replicate(const Config& config,
                                                       const ParameterDraws& draws) {
  return per_replicate(config, draws, [](const Config& c) { return make_value_chain_params(c); });
}

std::vector<DemandParams> demand_by_replicate(const Config& config, const ParameterDraws& draws) {
  return per_replicate(config, draws, [](const Config& c) { return make_demand_params(c.demand); });
}

}  // namespace aimarket
