// Priors of uncertain parameters: a float key given as a table instead of a number,
//   awareness_max = { distribution = "log_uniform", low = 8.25, high = 33, source = "..." }
// (docs/CONFIG.md, "Parameter uncertainty"). The key keeps a point value, `value` when given,
// else its default or base config's, used by every replicate when run.parameter_uncertainty is
// false; src/uncertainty draws each replicate's value from the prior otherwise.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "config/config_internal.hpp"

namespace aimarket {

const std::vector<std::string>& replicate_parameter_keys() {
  // Each reaches the kernels only through ValueChainParams (make_value_chain_params) or
  // DemandParams (make_demand_params), read per replicate; none is read while the starting
  // state is set up (src/population; the utility inversion's targets in src/calibration) or
  // sizes an array. Adding a key here needs exactly that to hold
  // (ParameterDraws.EachReplicateRunsAsIfItsValuesWereTheConfigs checks it).
  static const std::vector<std::string> keys = {
      "firms.data_quality_gain",
      "firms.rd_quality_gain",
      "firms.domain_data_scale",
      "firms.rd_scale",
      "firms.rd_depreciation",
      "firms.awareness_max",
      "firms.marketing_scale",
      "firms.awareness_decay",
      "firms.fixed_cost",
      "firms.raise_runway_months",
      "firms.round_success",
      "firms.revenue_trend_months",
      "compute.price_performance_doubling_months",
      "compute.depreciation",
      "compute.price_adjustment_speed",
      "compute.max_price_change",
      "compute.capacity_cost_accelerator",
      "compute.capacity_cost_hbm",
      "compute.capacity_depreciation",
      "compute.target_utilization",
      "compute.demand_smoothing",
      "compute.buyer_price_sensitivity",
      "data.flywheel_tokens_per_customer",
      "data.public_data_rate",
      "data.depreciation",
      "data.public_text_growth",
      "data.vendor_corpus",
      "models.flop_per_h100e_month",
      "models.algorithmic_doubling_months",
      "models.tokens_per_customer",
      "models.inference_flop_per_h100e_month",
      "models.max_served_parameters",
      "models.api_partner_bonus",
      "models.finetune_gain",
      "demand.taste_sd",
      "demand.price_taste_sd",
      "demand.beta_price",
      "demand.switching_cost",
      "demand.beta_network",
      "demand.awareness_installed_base",
      "demand.add_service_rate",
      "demand.drop_service_rate",
      "demand.beta_home",
      "demand.beta_language",
  };
  return keys;
}

}  // namespace aimarket

namespace aimarket::config_internal {

bool is_replicate_parameter(const std::string& key) {
  const std::vector<std::string>& keys = replicate_parameter_keys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool read_prior(const KeySpec& spec, const toml::table& table, Config& config, Reader& reader) {
  Problems& problems = reader.problems();
  const std::string key = setting_key(spec);
  if (!is_replicate_parameter(key)) {
    problems.add(table, key,
                 "cannot be given a prior: only keys each replicate reads on its own may vary by "
                 "replicate (it sets up the starting state every replicate shares, or is not a "
                 "model parameter); give a number, and vary it across runs with --set. Keys "
                 "that may: " +
                     join(replicate_parameter_keys(), ", "));
    return false;
  }
  static const char* const kFields[] = {"value", "distribution", "low", "high",
                                        "mode",  "mean",         "sd",  "source"};
  bool ok = true;
  for (auto&& [name, node] : table) {
    bool known = false;
    for (const char* field : kFields) known = known || name.str() == field;
    if (!known) {
      std::vector<std::string> fields(std::begin(kFields), std::end(kFields));
      problems.add(name, key + "." + std::string(name.str()),
                   "unknown field of a prior" + suggestion(name.str(), fields) +
                       "; a prior has distribution, low, high, mode, mean, sd, source and value");
      ok = false;
    }
  }
  ParameterPrior prior;
  prior.key = key;
  const toml::node* distribution = table.get("distribution");
  const NameList distributions{kPriorDistributions, 4, "distribution"};
  std::optional<int> kind;
  if (distribution == nullptr) {
    problems.add(table, key + ".distribution",
                 "missing: a prior names its distribution (uniform, log_uniform, normal or "
                 "triangular)");
    ok = false;
  } else {
    kind = reader.choice(*distribution, key + ".distribution", distributions);
    ok = ok && kind.has_value();
  }
  const toml::node* source = table.get("source");
  if (source == nullptr) {
    problems.add(table, key + ".source",
                 "missing: every prior says where its range comes from, or why it is this wide");
    ok = false;
  } else if (const auto text = reader.string(*source, key + ".source")) {
    prior.source = *text;
  } else {
    ok = false;
  }
  // The numbers each distribution needs; every number must be a valid value of the key.
  const Range& range = spec.range;
  auto number = [&](const char* field, double& out, bool needed) {
    const toml::node* node = table.get(field);
    if (node == nullptr) {
      if (needed) {
        problems.add(
            table, key + "." + field,
            std::string("missing: a ") + kPriorDistributions[*kind] + " prior needs " + field);
        ok = false;
      }
      return;
    }
    if (!needed) {
      problems.add(*node, key + "." + field,
                   std::string("not a field of a ") + kPriorDistributions[*kind] + " prior");
      ok = false;
      return;
    }
    if (const auto v = reader.number(*node, key + "." + field, range)) {
      out = *v;
    } else {
      ok = false;
    }
  };
  if (kind) {
    prior.distribution = kPriorDistributions[*kind];
    const bool bounded = prior.distribution != "normal";
    number("low", prior.low, bounded);
    number("high", prior.high, bounded);
    number("mode", prior.mode, prior.distribution == "triangular");
    number("mean", prior.mean, !bounded);
    // sd is not a value of the key: any positive finite number.
    if (const toml::node* sd = table.get("sd")) {
      if (bounded) {
        problems.add(*sd, key + ".sd",
                     std::string("not a field of a ") + prior.distribution + " prior");
        ok = false;
      } else if (const auto v =
                     reader.number(*sd, key + ".sd", config_schema::OpenClosed(0.0, HUGE_VAL))) {
        prior.sd = *v;
      } else {
        ok = false;
      }
    } else if (!bounded) {
      problems.add(table, key + ".sd", "missing: a normal prior needs sd");
      ok = false;
    }
    if (ok && bounded && !(prior.low < prior.high)) {
      problems.add(table, key,
                   "low (" + config_schema::number_text(prior.low) + ") must be below high (" +
                       config_schema::number_text(prior.high) + ")");
      ok = false;
    }
    if (ok && prior.distribution == "log_uniform" && !(prior.low > 0.0)) {
      problems.add(table, key, "a log_uniform prior needs low > 0");
      ok = false;
    }
    if (ok && prior.distribution == "triangular" &&
        !(prior.mode >= prior.low && prior.mode <= prior.high)) {
      problems.add(table, key, "mode must lie within [low, high]");
      ok = false;
    }
    // Draws outside the key's range are redrawn (src/uncertainty); within 4 sd they are rare
    // (6e-5 a draw), so the prior stays the normal it says it is.
    if (ok && !bounded &&
        !(value_in_range(prior.mean - 4.0 * prior.sd, range) &&
          value_in_range(prior.mean + 4.0 * prior.sd, range))) {
      problems.add(table, key,
                   "mean +- 4 sd must lie within the key's valid range " +
                       config_schema::range_text(spec) +
                       " (use a uniform, log_uniform or triangular prior for a bounded key)");
      ok = false;
    }
  }
  // The point value: `value`, else the key's value so far (its default or base config's).
  double* field = std::get<double*>(spec.field.setting(config));
  if (const toml::node* value = table.get("value")) {
    if (const auto v = reader.number(*value, key + ".value", range)) {
      *field = *v;
    } else {
      ok = false;
    }
  }
  if (!ok) return false;
  for (ParameterPrior& existing : config.priors) {
    if (existing.key == key) {
      existing = prior;
      return true;
    }
  }
  config.priors.push_back(prior);
  return true;
}

void drop_prior(const std::string& key, Config& config) {
  for (auto it = config.priors.begin(); it != config.priors.end(); ++it) {
    if (it->key == key) {
      config.priors.erase(it);
      return;
    }
  }
}

}  // namespace aimarket::config_internal
