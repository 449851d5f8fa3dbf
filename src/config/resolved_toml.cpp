// The resolved config: every key with its effective value, as TOML text that load_config reads
// back to the same Config. Written from the schema: each key's value from its field, in
// schema order.
#include <array>
#include <string>

#include "config/config_internal.hpp"

namespace aimarket::config_internal {

namespace {

std::string values_table(const double* values, const NameList& names,
                         const std::array<bool, kSegments>* only = nullptr) {
  std::string text = "{ ";
  bool first = true;
  for (int i = 0; i < names.count; ++i) {
    if (only != nullptr && !(*only)[i]) continue;
    text += (first ? "" : ", ") + std::string(names.names[i]) + " = " +
            config_schema::toml_float(values[i]);
    first = false;
  }
  return text + " }";
}

// The value of `field` (of a key of kind `spec`) as TOML text; a table lists only the names
// `only` marks, when given. An absent optional has no text.
std::string value_text(const KeySpec& spec, const config_schema::FieldRef& field,
                       const std::array<bool, kSegments>* only = nullptr) {
  std::string value;
  if (const auto* integer = std::get_if<std::int64_t*>(&field)) {
    value = std::to_string(**integer);
  } else if (const auto* unsigned_integer = std::get_if<std::uint64_t*>(&field)) {
    value = std::to_string(**unsigned_integer);
  } else if (const auto* number = std::get_if<double*>(&field)) {
    value = config_schema::toml_float(**number);
  } else if (const auto* flag = std::get_if<bool*>(&field)) {
    value = **flag ? "true" : "false";
  } else if (const auto* string = std::get_if<std::string*>(&field)) {
    value = config_schema::toml_string(**string);
  } else if (const auto* span = std::get_if<config_schema::DoubleSpan>(&field)) {
    if (span->listed == nullptr) {
      value = values_table(span->data, spec.names, only);
    } else {
      // Only the entries given (and, where `only` is, among those it marks); none: absent.
      std::array<bool, kSegments> given{};
      bool any = false;
      for (int i = 0; i < span->count && i < kSegments; ++i) {
        given[static_cast<std::size_t>(i)] =
            span->listed[i] && (only == nullptr || (*only)[static_cast<std::size_t>(i)]);
        any = any || given[static_cast<std::size_t>(i)];
      }
      if (any) value = values_table(span->data, spec.names, &given);
    }
  } else if (const auto* optional = std::get_if<std::optional<double>*>(&field)) {
    if (**optional) value = config_schema::toml_float(***optional);
  } else if (const auto* optional_string = std::get_if<std::optional<std::string>*>(&field)) {
    if (**optional_string) value = config_schema::toml_string(***optional_string);
  } else if (const auto* index = std::get_if<int*>(&field)) {
    value = config_schema::toml_string(spec.names.names[**index]);
  } else if (const auto* set = std::get_if<config_schema::BoolSpan>(&field)) {
    for (int i = 0; i < set->count; ++i) {
      if (!set->data[i]) continue;
      value += (value.empty() ? "" : ", ") + config_schema::toml_string(spec.names.names[i]);
    }
    value = "[" + value + "]";
  } else if (const auto* pairs = std::get_if<config_schema::IndexPairs*>(&field)) {
    value = "[";
    for (std::size_t i = 0; i < (*pairs)->size(); ++i) {
      const auto [a, b] = (**pairs)[i];
      value += std::string(i > 0 ? ", " : "") + "[" +
               config_schema::toml_string(spec.names.names[a]) + ", " +
               config_schema::toml_string(spec.names.names[b]) + "]";
    }
    value += "]";
  }
  return value;
}

// A setting's value in `config` as TOML text.
std::string setting_value_text(const KeySpec& spec, Config& config) {
  return value_text(spec, spec.field.setting(config));
}

// A named firm's keys, in schema order. Per-segment keys belong to layer service: a firm
// without it states none (setting them is an error), and one with it states only the segments
// it serves. An absent optional key is left out, or noted in a comment: the [firms] setting it
// falls back to must still reach it when an override changes that setting.
std::string firm_toml(FirmSpec firm) {
  std::string text = "\n[[firm]]\n";
  for (const KeySpec& spec : config_schema::firm_keys()) {
    const bool per_segment = spec.kind == KeyKind::kPerSegment;
    if (per_segment && !firm.layers[config_schema::kLayerService]) continue;
    const std::string value =
        value_text(spec, spec.field.firm(firm), per_segment ? &firm.serves : nullptr);
    if (!value.empty()) {
      text += std::string(spec.name) + " = " + value + "\n";
    } else if (spec.field.absent_note != nullptr) {
      text += std::string("# ") + spec.name + ": " + spec.field.absent_note + "\n";
    }
  }
  return text;
}

// A key with a prior: its table, point value first.
std::string prior_text(const ParameterPrior& prior, double value) {
  using config_schema::toml_float;
  std::string text = "{ value = " + toml_float(value) +
                     ", distribution = " + config_schema::toml_string(prior.distribution);
  if (prior.distribution == "normal") {
    text += ", mean = " + toml_float(prior.mean) + ", sd = " + toml_float(prior.sd);
  } else {
    text += ", low = " + toml_float(prior.low) + ", high = " + toml_float(prior.high);
    if (prior.distribution == "triangular") text += ", mode = " + toml_float(prior.mode);
  }
  return text + ", source = " + config_schema::toml_string(prior.source) + " }";
}

const ParameterPrior* prior_of(const Config& config, const std::string& key) {
  for (const ParameterPrior& prior : config.priors) {
    if (prior.key == key) return &prior;
  }
  return nullptr;
}

}  // namespace

std::string resolved_toml(Config config) {
  std::string text =
      "# Effective configuration: every key with its value after defaults and overrides.\n";
  if (!config.design.path.empty()) {
    text += "# Each replicate's values of " + join(config.design.keys, ", ") +
            " come from the parameter file " + config.design.path + " (" +
            std::to_string(config.design.rows) +
            " rows; the output's parameter_value holds them).\n";
  }
  for (const auto& section : config_schema::settings_sections()) {
    text += "\n[" + std::string(section.name) + "]\n";
    for (const KeySpec& spec : config_schema::settings_keys()) {
      if (std::string_view(spec.section) != section.name) continue;
      const ParameterPrior* prior = prior_of(config, setting_key(spec));
      text += std::string(spec.name) + " = " +
              (prior != nullptr ? prior_text(*prior, *std::get<double*>(spec.field.setting(config)))
                                : setting_value_text(spec, config)) +
              "\n";
    }
  }
  for (const ScenarioEvent& event : config.events) {
    text += "\n[[event]]\ndate = " + config_schema::toml_string(event.date) + "\n";
    if (!event.note.empty()) text += "note = " + config_schema::toml_string(event.note) + "\n";
    Config scratch;
    scratch.scenario = event.scenario;
    text += "scenario = {";
    for (std::size_t i = 0; i < event.changed.size(); ++i) {
      const KeySpec& spec = *config_schema::find_setting("scenario", event.changed[i]);
      text +=
          std::string(i > 0 ? ", " : " ") + spec.name + " = " + setting_value_text(spec, scratch);
    }
    text += " }\n";
  }
  for (const FirmSpec& firm : config.named_firms) text += firm_toml(firm);
  return text;
}

}  // namespace aimarket::config_internal
