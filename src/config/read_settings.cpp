// The settings sections ([run], [population], [firms], ...): their defaults from the schema,
// each key read into Config, and the checks that involve several keys (sums of shares, the
// strategy presets).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "config/config_internal.hpp"
#include "kernels/value_chain_state.hpp"

namespace aimarket::config_internal {

// Reads one setting into Config; false (the problem recorded) when the value is unusable.
bool store_setting(const KeySpec& spec, const toml::node& node, Config& config, Reader& reader) {
  return store_value(spec, node, setting_key(spec), spec.field.setting(config), reader);
}

void apply_defaults(Config& config, Reader& reader) {
  for (const KeySpec& spec : config_schema::settings_keys()) {
    const auto parsed = parse_value(spec.default_toml, kDefaultSource);
    if (!parsed) {
      reader.problems().add(Where{2, 0, 0, "built-in default"}, setting_key(spec),
                            "default is not a TOML value (a bug in config_schema.cpp)");
      continue;
    }
    store_setting(spec, *parsed->get("v"), config, reader);
  }
}

void read_settings(const toml::table& root, Config& config, Reader& reader, SettingNodes& nodes) {
  Problems& problems = reader.problems();
  for (auto&& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    if (section == config_schema::firm_section().name) continue;  // see read_named_firms
    if (section == kEventSection) continue;                       // see read_events
    if (config_schema::is_settings_section(section)) {
      const toml::table* table = section_node.as_table();
      if (table == nullptr) {
        problems.add(section_node, section,
                     "expected a table [" + section + "], got " + describe(section_node));
        continue;
      }
      for (auto&& [name, value] : *table) {
        const KeySpec* spec = config_schema::find_setting(section, name.str());
        const std::string key = section + "." + std::string(name.str());
        if (spec == nullptr) {
          const char* retired = config_schema::retired_setting(section, name.str());
          problems.add(name, key,
                       retired != nullptr ? std::string(retired)
                                          : "unknown key " + quoted(key) +
                                                setting_suggestion(section, name.str()));
          continue;
        }
        const bool prior = spec->kind == KeyKind::kFloat && value.is_table();
        if (!prior) drop_prior(key, config);
        if (prior ? read_prior(*spec, *value.as_table(), config, reader)
                  : store_setting(*spec, value, config, reader)) {
          nodes.valid[key] = &value;
          nodes.refused.erase(key);
        } else {
          nodes.valid.erase(key);
          nodes.refused.insert(key);
        }
      }
    } else if (config_schema::is_unimplemented_section(section)) {
      problems.add(section_key, section,
                   "section [" + section + "] is not implemented in this version");
    } else if (section_node.is_table()) {
      problems.add(
          section_key, section,
          "unknown section [" + section + "]" + suggestion(section, known_section_names()));
    } else {
      problems.add(section_key, section,
                   "unknown key " + quoted(section) + setting_suggestion("", section));
    }
  }
}

// Checks a sum of float settings: at most `target` (`at_most`), or equal to it within
// kShareSumTolerance. (Config is not const only because field accessors take it so.) The problem is
// reported where the last of the keys set was set (the one that broke the sum), naming every key
// and value.
void check_sum(Config& config, const SettingNodes& nodes, Problems& problems,
               const std::vector<const char*>& keys, double target, bool at_most,
               const std::string& why) {
  double sum = 0.0;
  std::string names;
  std::string values;
  for (const char* key : keys) {
    if (nodes.refused.count(key) != 0) return;
    const std::string_view full(key);
    const auto dot = full.find('.');
    const KeySpec* spec = config_schema::find_setting(full.substr(0, dot), full.substr(dot + 1));
    const double value = *std::get<double*>(spec->field.setting(config));
    sum += value;
    names += std::string(names.empty() ? "" : " + ") + std::string(full.substr(dot + 1));
    values += std::string(values.empty() ? "" : " + ") + config_schema::number_text(value);
  }
  const bool broken = at_most ? sum > target : std::fabs(sum - target) > kShareSumTolerance;
  if (!broken) return;
  const toml::node* blamed = nullptr;
  std::string blamed_key;
  for (const char* key : keys) {
    const auto found = nodes.valid.find(key);
    if (found == nodes.valid.end()) continue;
    if (blamed == nullptr || !(problems.at(*found->second) < problems.at(*blamed))) {
      blamed = found->second;
      blamed_key = key;
    }
  }
  // The sum to 15 digits: 0.5 + 0.1 + 0.3 + 0.2 reads 1.1, not 1.0999999999999999.
  char sum_text[32];
  std::snprintf(sum_text, sizeof sum_text, "%.15g", sum);
  const std::string text =
      names + " = " + values + " = " + sum_text +
      (at_most ? " exceeds " + config_schema::number_text(target)
               : " but must be " + config_schema::number_text(target) + " (within 1e-9)") +
      ": " + why;
  if (blamed != nullptr) {
    problems.add(*blamed, blamed_key, text);
  } else {
    problems.add(Where{2, 0, 0, "built-in default"}, keys.back(), text);
  }
}

void check_settings(Config& config, const SettingNodes& nodes, Problems& problems) {
  check_sum(config, nodes, problems, {"demand.bass_p", "demand.bass_q"}, 1.0, true,
            "the adoption hazard bass_p + bass_q*F must be a probability");
  check_sum(config, nodes, problems,
            {"firms.compute_share", "firms.data_share", "firms.rd_share", "firms.marketing_share"},
            1.0, false, "the four shares split a firm's spending");
  // Each strategy preset: spend rate a fraction, the four budget shares summing to 1.
  for (int k = 0; k < kStrategies; ++k) {
    const std::string key = std::string("strategy.") + kStrategyChoiceNames[k + 1];
    const auto found = nodes.valid.find(key);
    if (found == nodes.valid.end()) continue;
    const auto& preset = config.strategy.presets[static_cast<std::size_t>(k)];
    const double shares = preset[1] + preset[2] + preset[3] + preset[4];
    if (preset[kTrainingShare] > 1.0) {
      problems.add(*found->second, key + ".training_share",
                   "a training share is a share of compute, at most 1; got " +
                       config_schema::number_text(preset[kTrainingShare]));
    }
    if (preset[0] > 1.0) {
      problems.add(*found->second, key + ".spend_rate",
                   "a spending rate is a share of the raised cash per step, at most 1; got " +
                       config_schema::number_text(preset[0]));
    }
    if (std::fabs(shares - 1.0) > kShareSumTolerance) {
      problems.add(*found->second, key,
                   "compute_share + data_share + rd_share + marketing_share must sum to 1 (the "
                   "four shares split a firm's spending); they sum to " +
                       config_schema::number_text(shares));
    }
  }
}

}  // namespace aimarket::config_internal
