// Typed reading of TOML values against the schema: each value checked for its kind and range,
// stored into its field of Config or FirmSpec, and every refusal recorded with where it was
// found and a message naming the key and what is wrong.
#include <cmath>
#include <string>
#include <vector>

#include "config/config_internal.hpp"

namespace aimarket::config_internal {

namespace {

std::string range_message(double value, const Range& range) {
  const std::string bounds = std::string(range.min_open ? "(" : "[") +
                             config_schema::number_text(range.min) + ", " +
                             config_schema::number_text(range.max) + (range.max_open ? ")" : "]");
  const std::string shown = config_schema::number_text(value);
  if (value < 0.0 && range.min >= 0.0) {
    return "must not be negative, got " + shown + " (valid range " + bounds + ")";
  }
  return "out of range: got " + shown + ", valid range " + bounds;
}

}  // namespace

std::string describe(const toml::node& node) {
  constexpr std::size_t kMaxShown = 40;
  switch (node.type()) {
    case toml::node_type::string: {
      std::string text = *node.value<std::string>();
      if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
      return "a string (" + config_schema::toml_string(text) + ")";
    }
    case toml::node_type::integer:
      return "an integer (" + std::to_string(*node.value_exact<std::int64_t>()) + ")";
    case toml::node_type::floating_point:
      return "a float (" + config_schema::toml_float(*node.value_exact<double>()) + ")";
    case toml::node_type::boolean:
      return std::string("a boolean (") + (*node.value_exact<bool>() ? "true" : "false") + ")";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string suggestion(std::string_view word, const std::vector<std::string>& candidates,
                       std::string_view prefix) {
  const std::string best = closest_name(word, candidates);
  return best.empty() ? std::string() : " (did you mean '" + std::string(prefix) + best + "'?)";
}

std::vector<std::string> names_of(const NameList& list) {
  return std::vector<std::string>(list.names, list.names + list.count);
}

std::optional<std::int64_t> Reader::integer(const toml::node& node, const std::string& key,
                                            const Range& range) {
  const auto value = node.value_exact<std::int64_t>();
  if (!value) {
    problems_.add(node, key, "expected an integer, got " + describe(node));
    return std::nullopt;
  }
  if (*value < range.int_min || *value > range.int_max) {
    const std::string bounds =
        "[" + std::to_string(range.int_min) + ", " + std::to_string(range.int_max) + "]";
    problems_.add(node, key,
                  *value < 0 && range.int_min >= 0
                      ? "must not be negative, got " + std::to_string(*value) + " (valid range " +
                            bounds + ")"
                      : "out of range: got " + std::to_string(*value) + ", valid range " + bounds);
    return std::nullopt;
  }
  return value;
}

std::optional<double> Reader::number(const toml::node& node, const std::string& key,
                                     const Range& range) {
  double value = 0.0;
  if (const auto exact_float = node.value_exact<double>()) {
    value = *exact_float;
  } else if (const auto exact_integer = node.value_exact<std::int64_t>()) {
    value = static_cast<double>(*exact_integer);
  } else {
    problems_.add(node, key, "expected a float, got " + describe(node));
    return std::nullopt;
  }
  if (!std::isfinite(value)) {
    problems_.add(node, key, "must be a finite number, got " + config_schema::number_text(value));
    return std::nullopt;
  }
  const bool below = range.min_open ? value <= range.min : value < range.min;
  const bool above = range.max_open ? value >= range.max : value > range.max;
  if (below || above) {
    problems_.add(node, key, range_message(value, range));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Reader::boolean(const toml::node& node, const std::string& key) {
  const auto value = node.value_exact<bool>();
  if (!value) problems_.add(node, key, "expected a boolean, got " + describe(node));
  return value;
}

std::optional<std::string> Reader::string(const toml::node& node, const std::string& key) {
  auto value = node.value_exact<std::string>();
  if (!value) problems_.add(node, key, "expected a string, got " + describe(node));
  return value;
}

std::optional<std::string> Reader::month(const toml::node& node, const std::string& key) {
  auto text = string(node, key);
  if (!text) return std::nullopt;
  const std::optional<std::int64_t> index = parse_month(*text);
  if (!index || *index < std::int64_t{1900} * 12 || *index > std::int64_t{2999} * 12 + 11) {
    problems_.add(node, key,
                  "expected a month \"YYYY-MM\" from 1900-01 to 2999-12, got " +
                      config_schema::toml_string(*text));
    return std::nullopt;
  }
  return text;
}

std::optional<int> Reader::choice(const toml::node& node, const std::string& key,
                                  const NameList& list) {
  const auto text = string(node, key);
  if (!text) return std::nullopt;
  const auto index = index_of(*text, list);
  if (!index) {
    problems_.add(node, key, unknown_name_message(*text, list));
  }
  return index;
}

std::optional<Reader::NamedValues> Reader::named_values(const toml::table& table,
                                                        const std::string& key,
                                                        const NameList& list, const Range& range) {
  NamedValues result{std::vector<double>(list.count, 0.0), std::vector<bool>(list.count)};
  bool valid = true;
  for (auto&& [name, value] : table) {
    const std::string entry_key = key + "." + std::string(name.str());
    const auto index = index_of(name.str(), list);
    if (!index) {
      problems_.add(name, entry_key, unknown_name_message(name.str(), list));
      valid = false;
      continue;
    }
    const auto number_value = number(value, entry_key, range);
    if (!number_value) {
      valid = false;
      continue;
    }
    result.values[*index] = *number_value;
    result.listed[*index] = true;
  }
  if (!valid) return std::nullopt;
  return result;
}

std::optional<std::vector<bool>> Reader::name_set(const toml::node& node, const std::string& key,
                                                  const NameList& list) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    problems_.add(node, key,
                  std::string("expected an array of ") + list.noun + " names, e.g. [\"" +
                      list.names[list.count - 1] + "\"], got " + describe(node));
    return std::nullopt;
  }
  std::vector<bool> listed(list.count, false);
  std::vector<const toml::node*> first(list.count, nullptr);
  bool valid = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string element_key = key + "[" + std::to_string(i) + "]";
    const auto index = choice(element, element_key, list);
    if (!index) {
      valid = false;
      continue;
    }
    if (listed[*index]) {
      problems_.add(element, element_key,
                    std::string(list.noun) + " " + quoted(list.names[*index]) +
                        " is listed twice, first at " + problems_.at(*first[*index]).text);
      valid = false;
      continue;
    }
    listed[*index] = true;
    first[*index] = &element;
  }
  if (!valid) return std::nullopt;
  return listed;
}

std::optional<config_schema::IndexPairs> Reader::name_pairs(const toml::node& node,
                                                            const std::string& key,
                                                            const NameList& list) {
  const std::string shape = std::string("[") + list.noun + ", " + list.noun + "]";
  const std::string example =
      std::string("[\"") + list.names[0] + "\", \"" + list.names[list.count - 1] + "\"]";
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    problems_.add(
        node, key,
        "expected an array of pairs " + shape + ", e.g. [" + example + "], got " + describe(node));
    return std::nullopt;
  }
  config_schema::IndexPairs pairs;
  std::map<std::pair<int, int>, const toml::node*> first;
  bool valid = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string element_key = key + "[" + std::to_string(i) + "]";
    const toml::array* pair = element.as_array();
    if (pair == nullptr || pair->size() != 2) {
      problems_.add(element, element_key,
                    "expected a pair " + shape + " such as " + example + ", got " +
                        (pair == nullptr ? describe(element)
                                         : "an array of " + std::to_string(pair->size()) +
                                               (pair->size() == 1 ? " element" : " elements")));
      valid = false;
      continue;
    }
    const auto a = choice(*pair->get(0), element_key + "[0]", list);
    const auto b = choice(*pair->get(1), element_key + "[1]", list);
    if (!a || !b) {
      valid = false;
      continue;
    }
    if (*a == *b) {
      problems_.add(element, element_key,
                    "the two " + std::string(list.noun) + "s must differ, got " +
                        quoted(list.names[*a]) + " twice");
      valid = false;
      continue;
    }
    const auto [found, inserted] = first.emplace(std::make_pair(*a, *b), &element);
    if (!inserted) {
      problems_.add(element, element_key,
                    "[" + quoted(list.names[*a]) + ", " + quoted(list.names[*b]) +
                        "] is listed twice, first at " + problems_.at(*found->second).text);
      valid = false;
      continue;
    }
    pairs.emplace_back(*a, *b);
  }
  if (!valid) return std::nullopt;
  return pairs;
}

std::optional<int> Reader::index_of(std::string_view name, const NameList& list) {
  for (int i = 0; i < list.count; ++i) {
    if (name == list.names[i]) return i;
  }
  return std::nullopt;
}

std::string Reader::unknown_name_message(std::string_view name, const NameList& list) {
  std::string all;
  for (int i = 0; i < list.count; ++i) all += (i > 0 ? ", " : "") + std::string(list.names[i]);
  return "unknown " + std::string(list.noun) + " " + quoted(name) +
         suggestion(name, names_of(list)) + "; " + list.noun + "s are: " + all;
}

bool store_value(const KeySpec& spec, const toml::node& node, const std::string& key,
                 const config_schema::FieldRef& field, Reader& reader) {
  switch (spec.kind) {
    case KeyKind::kInteger:
      if (const auto value = reader.integer(node, key, spec.range)) {
        if (auto* target = std::get_if<std::int64_t*>(&field)) **target = *value;
        if (auto* target = std::get_if<std::uint64_t*>(&field)) {
          **target = static_cast<std::uint64_t>(*value);  // the range excludes negatives
        }
        return true;
      }
      return false;
    case KeyKind::kFloat:
      if (const auto value = reader.number(node, key, spec.range)) {
        if (auto* target = std::get_if<double*>(&field)) **target = *value;
        if (auto* target = std::get_if<std::optional<double>*>(&field)) **target = *value;
        return true;
      }
      return false;
    case KeyKind::kBool:
      if (const auto value = reader.boolean(node, key)) {
        *std::get<bool*>(field) = *value;
        return true;
      }
      return false;
    case KeyKind::kMonth:
      if (const auto value = reader.month(node, key)) {
        *std::get<std::string*>(field) = *value;
        return true;
      }
      return false;
    case KeyKind::kChoice:
      if (const auto index = reader.choice(node, key, spec.names)) {
        if (auto* target = std::get_if<std::string*>(&field)) **target = spec.names.names[*index];
        if (auto* target = std::get_if<std::optional<std::string>*>(&field)) {
          **target = spec.names.names[*index];
        }
        if (auto* target = std::get_if<int*>(&field)) **target = *index;
        return true;
      }
      return false;
    case KeyKind::kString:
      if (const auto value = reader.string(node, key)) {
        *std::get<std::string*>(field) = *value;
        return true;
      }
      return false;
    case KeyKind::kShares: {
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        reader.problems().add(node, key,
                              std::string("expected a table {") + spec.names.noun +
                                  " = share, ...}, got " + describe(node));
        return false;
      }
      const auto shares = reader.named_values(*table, key, spec.names, spec.range);
      if (!shares) return false;
      double sum = 0.0;
      for (double share : shares->values) sum += share;
      if (std::fabs(sum - 1.0) > kShareSumTolerance) {
        reader.problems().add(
            node, key,
            "shares must sum to 1 (within 1e-9), they sum to " + config_schema::number_text(sum));
        return false;
      }
      const auto target = std::get<config_schema::DoubleSpan>(field);
      std::copy(shares->values.begin(), shares->values.end(), target.data);
      return true;
    }
    case KeyKind::kNamePairs:
      if (auto pairs = reader.name_pairs(node, key, spec.names)) {
        *std::get<config_schema::IndexPairs*>(field) = std::move(*pairs);
        return true;
      }
      return false;
    case KeyKind::kTable: {
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        reader.problems().add(node, key,
                              std::string("expected a table {") + spec.names.noun +
                                  " = float, ...}, got " + describe(node));
        return false;
      }
      const auto values = reader.named_values(*table, key, spec.names, spec.range);
      if (!values) return false;
      const auto target = std::get<config_schema::DoubleSpan>(field);
      for (int i = 0; i < target.count; ++i) {
        if (values->listed[static_cast<std::size_t>(i)])
          target.data[i] = values->values[static_cast<std::size_t>(i)];
      }
      return true;
    }
    case KeyKind::kPerSegment:
    case KeyKind::kPerRegion:
    case KeyKind::kNameSet:
      break;  // [[firm]] kinds, read by dedicated readers (read_firm)
  }
  return false;
}

std::optional<toml::table> parse_value(const std::string& text, std::string_view source) {
  try {
    toml::table table = toml::parse("v = " + text, source);
    if (table.size() == 1 && table.contains("v")) return table;
  } catch (const toml::parse_error&) {
  }
  return std::nullopt;
}

std::string setting_key(const KeySpec& spec) { return std::string(spec.section) + "." + spec.name; }

std::vector<std::string> all_setting_keys() {
  std::vector<std::string> keys;
  for (const KeySpec& spec : config_schema::settings_keys()) keys.push_back(setting_key(spec));
  return keys;
}

std::vector<std::string> setting_names_in(std::string_view section) {
  std::vector<std::string> names;
  for (const KeySpec& spec : config_schema::settings_keys()) {
    if (section == spec.section) names.push_back(spec.name);
  }
  return names;
}

std::vector<std::string> firm_key_names() {
  std::vector<std::string> names;
  for (const KeySpec& spec : config_schema::firm_keys()) names.push_back(spec.name);
  return names;
}

std::vector<std::string> known_section_names() {
  std::vector<std::string> names;
  for (const auto& section : config_schema::settings_sections()) names.push_back(section.name);
  names.push_back(config_schema::firm_section().name);
  return names;
}

std::string setting_suggestion(std::string_view section, std::string_view name) {
  for (const KeySpec& spec : config_schema::settings_keys()) {
    if (name == spec.name && section != spec.section) {
      return " (did you mean '" + setting_key(spec) + "'?)";
    }
  }
  if (config_schema::find_firm_key(name) != nullptr) {
    return " ('" + std::string(name) + "' is a [[firm]] key: set it in a firm's table)";
  }
  if (section.empty()) return suggestion(name, known_section_names());
  return suggestion(name, setting_names_in(section), std::string(section) + ".");
}

}  // namespace aimarket::config_internal
