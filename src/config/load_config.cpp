// Reading a config: the TOML file is parsed with toml++, the command-line overrides are
// written into the parsed document (so that a value from --set goes through exactly the
// checks a value from the file does), and then every key is checked against the schema and
// stored in Config. Problems are collected, not thrown one by one, so that a user fixes a
// config in one pass; each names where the value came from (file:line:column, or the
// command-line option), the key, and what is wrong.
#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "common/months.hpp"
#include "common/text.hpp"
#include "config/config_schema.hpp"

namespace aimarket {
namespace {

using config_schema::closest_name;
using config_schema::KeyKind;
using config_schema::KeySpec;
using config_schema::NameList;
using config_schema::Range;

// Nodes parsed from an override carry this source path followed by the override's index, and
// nodes parsed from a schema default carry kDefaultSource, so that a problem found in such a
// node is reported against its origin rather than a line of the file. No file path starts
// with these control characters.
constexpr char kOverrideSource = '\x1f';
constexpr std::string_view kDefaultSource = "\036default";

constexpr double kShareSumTolerance = 1e-9;

// The [[event]] array of tables: scenario changes from a date on.
constexpr std::string_view kEventSection = "event";

// Where a problem was found, and the order problems are listed in: the file's from top to
// bottom, then the overrides' in command-line order.
struct Where {
  int group = 0;  // 0: file, 1: override, 2: built-in default
  std::int64_t first = 0;
  std::int64_t second = 0;
  std::string text;
};

bool operator<(const Where& a, const Where& b) {
  if (a.group != b.group) return a.group < b.group;
  if (a.first != b.first) return a.first < b.first;
  return a.second < b.second;
}

class Problems {
 public:
  Problems(std::string path, const std::vector<ConfigOverride>& overrides)
      : path_(std::move(path)), overrides_(overrides) {}

  Where at(const toml::source_region& region) const {
    if (region.path && !region.path->empty() && (*region.path)[0] == kOverrideSource) {
      std::size_t index = 0;
      const std::string& text = *region.path;
      std::from_chars(text.data() + 1, text.data() + text.size(), index);
      return at_override(index);
    }
    if (region.path && *region.path == kDefaultSource) return Where{2, 0, 0, "built-in default"};
    if (region.begin.line == 0) return Where{0, 0, 0, path_};  // made here, not read
    // A value may come from a base config (`base = ...`): name the file it was read from.
    const std::string& file = region.path && !region.path->empty() ? *region.path : path_;
    return Where{
        0, region.begin.line, region.begin.column,
        file + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column)};
  }
  Where whole_file() const { return Where{0, 0, 0, path_}; }
  Where at(const toml::node& node) const { return at(node.source()); }
  Where at(const toml::key& key) const { return at(key.source()); }
  Where at_override(std::size_t index) const {
    std::string origin =
        index < overrides_.size() ? overrides_[index].origin : std::string("--set");
    // A very long override is named by its start: the whole text would drown the message.
    constexpr std::size_t kMaxShown = 200;
    if (origin.size() > kMaxShown) origin = origin.substr(0, kMaxShown) + "...";
    return Where{1, static_cast<std::int64_t>(index), 0, origin};
  }

  void add(Where where, const std::string& key, const std::string& message) {
    problems_.push_back({std::move(where), key + ": " + message});
  }
  template <typename Located>
  void add(const Located& located, const std::string& key, const std::string& message) {
    add(at(located), key, message);
  }

  bool empty() const { return problems_.empty(); }

  [[noreturn]] void throw_all() {
    std::stable_sort(problems_.begin(), problems_.end(),
                     [](const Problem& a, const Problem& b) { return a.where < b.where; });
    std::string text;
    for (const Problem& problem : problems_) {
      if (!text.empty()) text += '\n';
      text += problem.where.text + ": " + problem.text;
    }
    throw ConfigError(text);
  }

 private:
  struct Problem {
    Where where;
    std::string text;
  };
  std::string path_;
  const std::vector<ConfigOverride>& overrides_;
  std::vector<Problem> problems_;
};

// ---------------------------------------------------------------------------------------------
// Reading single values. Each returns nothing, and records why, when the value is unusable.

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

std::string suggestion(std::string_view word, const std::vector<std::string>& candidates,
                       std::string_view prefix = "") {
  const std::string best = closest_name(word, candidates);
  return best.empty() ? std::string() : " (did you mean '" + std::string(prefix) + best + "'?)";
}

std::vector<std::string> names_of(const NameList& list) {
  return std::vector<std::string>(list.names, list.names + list.count);
}

class Reader {
 public:
  explicit Reader(Problems& problems) : problems_(problems) {}

  std::optional<std::int64_t> integer(const toml::node& node, const std::string& key,
                                      const Range& range) {
    const auto value = node.value_exact<std::int64_t>();
    if (!value) {
      problems_.add(node, key, "expected an integer, got " + describe(node));
      return std::nullopt;
    }
    if (*value < range.int_min || *value > range.int_max) {
      const std::string bounds =
          "[" + std::to_string(range.int_min) + ", " + std::to_string(range.int_max) + "]";
      problems_.add(
          node, key,
          *value < 0 && range.int_min >= 0
              ? "must not be negative, got " + std::to_string(*value) + " (valid range " + bounds +
                    ")"
              : "out of range: got " + std::to_string(*value) + ", valid range " + bounds);
      return std::nullopt;
    }
    return value;
  }

  std::optional<double> number(const toml::node& node, const std::string& key, const Range& range) {
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

  std::optional<bool> boolean(const toml::node& node, const std::string& key) {
    const auto value = node.value_exact<bool>();
    if (!value) problems_.add(node, key, "expected a boolean, got " + describe(node));
    return value;
  }

  std::optional<std::string> string(const toml::node& node, const std::string& key) {
    auto value = node.value_exact<std::string>();
    if (!value) problems_.add(node, key, "expected a string, got " + describe(node));
    return value;
  }

  std::optional<std::string> month(const toml::node& node, const std::string& key) {
    auto text = string(node, key);
    if (!text) return std::nullopt;
    const std::optional<std::int64_t> index = parse_month(*text);
    if (!index || *index < 1900 * 12 || *index > 2999 * 12 + 11) {
      problems_.add(node, key,
                    "expected a month \"YYYY-MM\" from 1900-01 to 2999-12, got " +
                        config_schema::toml_string(*text));
      return std::nullopt;
    }
    return text;
  }

  // Index of the name in `list`, for a string naming one of them.
  std::optional<int> choice(const toml::node& node, const std::string& key, const NameList& list) {
    const auto text = string(node, key);
    if (!text) return std::nullopt;
    const auto index = index_of(*text, list);
    if (!index) {
      problems_.add(node, key, unknown_name_message(*text, list));
    }
    return index;
  }

  // A table keyed by names of `list`, each value a number in `range`. Returns the values
  // (0 where not listed) and which names were listed.
  struct NamedValues {
    std::vector<double> values;
    std::vector<bool> listed;
  };
  std::optional<NamedValues> named_values(const toml::table& table, const std::string& key,
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

  // An array of distinct names of `list`: which are listed.
  std::optional<std::vector<bool>> name_set(const toml::node& node, const std::string& key,
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

  // An array of pairs [a, b] of different names of `list`, as indices.
  std::optional<config_schema::IndexPairs> name_pairs(const toml::node& node,
                                                      const std::string& key,
                                                      const NameList& list) {
    const std::string shape = std::string("[") + list.noun + ", " + list.noun + "]";
    const std::string example =
        std::string("[\"") + list.names[0] + "\", \"" + list.names[list.count - 1] + "\"]";
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      problems_.add(node, key,
                    "expected an array of pairs " + shape + ", e.g. [" + example + "], got " +
                        describe(node));
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

  Problems& problems() { return problems_; }

 private:
  static std::optional<int> index_of(std::string_view name, const NameList& list) {
    for (int i = 0; i < list.count; ++i) {
      if (name == list.names[i]) return i;
    }
    return std::nullopt;
  }

  static std::string unknown_name_message(std::string_view name, const NameList& list) {
    std::string all;
    for (int i = 0; i < list.count; ++i) all += (i > 0 ? ", " : "") + std::string(list.names[i]);
    return "unknown " + std::string(list.noun) + " " + quoted(name) +
           suggestion(name, names_of(list)) + "; " + list.noun + "s are: " + all;
  }

  Problems& problems_;
};

// ---------------------------------------------------------------------------------------------
// Settings sections: [run], [population], [firms], [demand].

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

// "did you mean" for a key `name` found in `section` (empty: at the top level): a key of that
// name in another section first (a key put under the wrong header), else a close spelling.
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

// Reads one setting into Config; false (the problem recorded) when the value is unusable.
bool store_setting(const KeySpec& spec, const toml::node& node, Config& config, Reader& reader) {
  const std::string key = setting_key(spec);
  const config_schema::FieldRef field = spec.field(config);
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
        *std::get<double*>(field) = *value;
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
        *std::get<std::string*>(field) = spec.names.names[*index];
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
      break;  // [[firm]] kinds only
  }
  return false;
}

// The node of one TOML value given as text, parsed as `v = TEXT` so that it carries `source`
// as its origin. Nothing when the text is not a single TOML value.
std::optional<toml::table> parse_value(const std::string& text, std::string_view source) {
  try {
    toml::table table = toml::parse("v = " + text, source);
    if (table.size() == 1 && table.contains("v")) return table;
  } catch (const toml::parse_error&) {
  }
  return std::nullopt;
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

// Nodes of the settings read, by key, for checks that involve several keys; a key whose value
// was refused is in `refused` instead, and checks involving it are skipped (its value in
// Config is still the default, which would make their message misleading).
struct SettingNodes {
  std::map<std::string, const toml::node*> valid;
  std::set<std::string> refused;
};

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
          problems.add(name, key,
                       "unknown key " + quoted(key) + setting_suggestion(section, name.str()));
          continue;
        }
        if (store_setting(*spec, value, config, reader)) {
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
    const double value = *std::get<double*>(spec->field(config));
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
    if (preset[0] > 1.0) {
      problems.add(*found->second, key + ".spend_rate",
                   "a spending rate is a share of cash per step, at most 1; got " +
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

// ---------------------------------------------------------------------------------------------
// Named firms: the [[firm]] array of tables.

const toml::node* firm_name_node(const toml::table& firm) {
  const toml::node* name = firm.get("name");
  return name != nullptr && name->is_string() ? name : nullptr;
}

std::optional<toml::table> default_node(const KeySpec& spec) {
  return parse_value(spec.default_toml, kDefaultSource);
}

// quality or price of one firm: a number for every segment, or a table of some.
std::optional<Reader::NamedValues> read_per_segment(const toml::node& node, const std::string& key,
                                                    const KeySpec& spec, Reader& reader) {
  if (const toml::table* table = node.as_table()) {
    return reader.named_values(*table, key, spec.names, spec.range);
  }
  if (node.is_number()) {
    const auto value = reader.number(node, key, spec.range);
    if (!value) return std::nullopt;
    return Reader::NamedValues{std::vector<double>(kSegments, *value),
                               std::vector<bool>(kSegments, true)};
  }
  reader.problems().add(node, key,
                        "expected a float or a table {segment = float}, got " + describe(node));
  return std::nullopt;
}

// Layers as a list for messages: "accelerator, cloud", or "none".
std::string layers_text(const std::array<bool, kLayers>& layers) {
  std::string text;
  for (int layer = 0; layer < kLayers; ++layer) {
    if (layers[layer]) text += std::string(text.empty() ? "" : ", ") + kLayerNames[layer];
  }
  return text.empty() ? "none" : text;
}

// What read_named_firms needs to check a firm against the others once all are read.
struct FirmFacts {
  bool layers_known = false;            // spec.layers holds the firm's layers
  const toml::node* partner = nullptr;  // model_source naming another firm
};

FirmFacts read_firm(const toml::table& firm, std::size_t index, const Config& config,
                    Reader& reader, FirmSpec& spec) {
  Problems& problems = reader.problems();
  FirmFacts facts;
  const toml::node* name_node = firm_name_node(firm);
  const bool named = name_node != nullptr && !name_node->value<std::string>()->empty();
  const std::string label =
      named ? "firm." + *name_node->value<std::string>() : "firm[" + std::to_string(index) + "]";
  const std::string who = named ? "firm " + quoted(*name_node->value<std::string>()) : label;
  const auto key_of = [&](std::string_view name) { return label + "." + std::string(name); };

  for (auto&& [name, value] : firm) {
    if (config_schema::find_firm_key(name.str()) == nullptr) {
      problems.add(name, key_of(name.str()),
                   "unknown key " + quoted(key_of(name.str())) +
                       suggestion(name.str(), firm_key_names(), label + "."));
    }
  }
  const auto required = [&](const char* name) -> const toml::node* {
    const toml::node* node = firm.get(name);
    if (node == nullptr) {
      problems.add(firm, key_of(name), std::string("missing: every [[firm]] needs a ") + name);
    }
    return node;
  };

  if (const toml::node* node = required("name")) {
    if (const auto name = reader.string(*node, key_of("name"))) {
      if (name->empty()) problems.add(*node, key_of("name"), "a firm name must not be empty");
      for (const auto& [prefix, generated] :
           {std::pair{kSyntheticFirmPrefix, "synthetic firms (population.synthetic_firms)"},
            std::pair{kFreeSlotPrefix, "free firm slots (entry.free_slots)"}}) {
        if (name->rfind(prefix, 0) == 0) {
          problems.add(*node, key_of("name"),
                       "names starting with " + quoted(prefix) + " are reserved for " + generated +
                           ", so that no two firms share a name; choose another name");
        }
      }
      spec.name = *name;
    }
  }
  std::optional<int> archetype;
  if (const toml::node* node = required("archetype")) {
    const KeySpec& key_spec = *config_schema::find_firm_key("archetype");
    archetype = reader.choice(*node, key_of("archetype"), key_spec.names);
    if (archetype) spec.archetype = kArchetypeNames[*archetype];
  }
  bool region_known = false;
  if (const toml::node* node = required("region")) {
    const KeySpec& key_spec = *config_schema::find_firm_key("region");
    if (const auto region = reader.choice(*node, key_of("region"), key_spec.names)) {
      spec.region = *region;
      region_known = true;
    }
  }

  // A key absent from the table takes the schema's default, read like a value from the file.
  const auto value_or_default = [&](const char* name, std::optional<toml::table>& holder,
                                    const KeySpec& key_spec) -> const toml::node* {
    if (const toml::node* node = firm.get(name)) return node;
    holder = default_node(key_spec);
    return holder ? holder->get("v") : nullptr;
  };

  // Layers: listed, or the archetype's. Rules that depend on them apply only once they are
  // known, so that a misspelt archetype or layer gives one error, not a cascade.
  const KeySpec& layers_spec = *config_schema::find_firm_key("layers");
  if (const toml::node* node = firm.get("layers")) {
    if (const auto layers = reader.name_set(*node, key_of("layers"), layers_spec.names)) {
      for (int layer = 0; layer < kLayers; ++layer) spec.layers[layer] = (*layers)[layer];
      facts.layers_known = true;
    }
  } else if (archetype) {
    spec.layers = config_schema::default_layers(*archetype);
    facts.layers_known = true;
  }
  const auto lacks = [&](int layer) { return facts.layers_known && !spec.layers[layer]; };
  const auto no_layer = [&](int layer) {
    return who + " has no " + kLayerNames[layer] +
           " layer (its layers: " + layers_text(spec.layers) + ")";
  };

  spec.sells_data = archetype && std::string_view(kArchetypeNames[*archetype]) == "data_vendor";
  if (const toml::node* node = firm.get("sells_data")) {
    if (const auto sells = reader.boolean(*node, key_of("sells_data"))) spec.sells_data = *sells;
  }

  if (lacks(config_schema::kLayerService)) {
    // No service: no customer segment, and canonical quality and price (never used).
    for (const char* name : {"quality", "price"}) {
      if (const toml::node* node = firm.get(name)) {
        problems.add(*node, key_of(name),
                     no_layer(config_schema::kLayerService) +
                         ", so it sells to no segment and "
                         "takes no " +
                         name + "; list \"service\" in its layers to give it one");
      }
    }
    spec.serves.fill(false);
    spec.quality.fill(0.0);
    spec.price.fill(1.0);
  } else {
    const KeySpec& quality_spec = *config_schema::find_firm_key("quality");
    std::optional<toml::table> quality_default;
    const toml::node* quality_node = value_or_default("quality", quality_default, quality_spec);
    bool serves_known = false;
    if (quality_node != nullptr) {
      if (const auto quality =
              read_per_segment(*quality_node, key_of("quality"), quality_spec, reader)) {
        for (int s = 0; s < kSegments; ++s) {
          spec.serves[s] = quality->listed[s];
          // Quality in a segment the firm does not serve is never used; 0 keeps it canonical.
          spec.quality[s] = quality->listed[s] ? quality->values[s] : 0.0;
        }
        serves_known = true;
        if (std::none_of(spec.serves.begin(), spec.serves.end(), [](bool b) { return b; })) {
          problems.add(*quality_node, key_of("quality"),
                       "the firm serves no segment: list at least one segment");
        }
      }
    }

    const KeySpec& price_spec = *config_schema::find_firm_key("price");
    std::optional<toml::table> price_default;
    const toml::node* price_node = value_or_default("price", price_default, price_spec);
    if (price_node != nullptr) {
      if (const auto price = read_per_segment(*price_node, key_of("price"), price_spec, reader)) {
        const bool per_segment = price_node->is_table();
        for (int s = 0; s < kSegments; ++s) {
          // A segment the firm does not serve gets 1.0 whatever was given: it is never used,
          // and a canonical value lets the resolved TOML (which prices only served segments)
          // read back to the same Config.
          const bool served = serves_known ? spec.serves[s] : true;
          spec.price[s] = served && price->listed[s] ? price->values[s] : 1.0;
          if (per_segment && price->listed[s] && serves_known && !spec.serves[s]) {
            const std::string entry_key = key_of("price") + "." + kSegmentNames[s];
            const toml::node* entry = price_node->as_table()->get(kSegmentNames[s]);
            problems.add(*entry, entry_key,
                         std::string("prices segment '") + kSegmentNames[s] +
                             "', which the firm does not serve (its quality table does not list "
                             "it)");
          }
        }
      }
    }
  }

  const KeySpec& awareness_spec = *config_schema::find_firm_key("awareness");
  std::optional<toml::table> awareness_default;
  if (const toml::node* node = value_or_default("awareness", awareness_default, awareness_spec)) {
    if (const auto awareness = reader.number(*node, key_of("awareness"), awareness_spec.range)) {
      spec.awareness = *awareness;
    }
  }

  const KeySpec& fit_spec = *config_schema::find_firm_key("language_fit");
  for (int r = 0; r < kRegions; ++r) {
    spec.language_fit[r] =
        region_known && r == spec.region ? 1.0 : config.firms.foreign_language_fit;
  }
  if (const toml::node* node = firm.get("language_fit")) {
    if (const toml::table* table = node->as_table()) {
      if (const auto fit =
              reader.named_values(*table, key_of("language_fit"), fit_spec.names, fit_spec.range)) {
        for (int r = 0; r < kRegions; ++r) {
          if (fit->listed[r]) spec.language_fit[r] = fit->values[r];
        }
      }
    } else {
      problems.add(*node, key_of("language_fit"),
                   "expected a table {region = float}, got " + describe(*node));
    }
  }

  // Value-chain state at step 0. A capacity needs the layer that uses it.
  struct Quantity {
    const char* name;
    double* target;
    int needs_layer;  // -1: none
  };
  const Quantity quantities[] = {
      {"cash", &spec.cash, -1},
      {"fab_capacity", &spec.fab_capacity, config_schema::kLayerAccelerator},
      {"hbm_capacity", &spec.hbm_capacity, config_schema::kLayerHbm},
      {"installed_compute", &spec.installed_compute, -1},
      {"data_stock", &spec.data_stock, -1},
      {"other_income", &spec.other_income, -1},
      {"training_compute", &spec.training_compute, config_schema::kLayerModel},
      {"chip_performance", &spec.chip_performance, -1},
  };
  for (const Quantity& quantity : quantities) {
    const KeySpec& key_spec = *config_schema::find_firm_key(quantity.name);
    std::optional<toml::table> holder;
    const toml::node* node = value_or_default(quantity.name, holder, key_spec);
    if (node == nullptr) continue;
    const auto value = reader.number(*node, key_of(quantity.name), key_spec.range);
    if (!value) continue;
    *quantity.target = *value;
    if (*value > 0.0 && quantity.needs_layer >= 0 && lacks(quantity.needs_layer)) {
      problems.add(*node, key_of(quantity.name),
                   no_layer(quantity.needs_layer) + ", so its " + quantity.name +
                       " must be 0; list \"" + kLayerNames[quantity.needs_layer] +
                       "\" in its layers to give it one");
    }
  }

  const KeySpec& open_spec = *config_schema::find_firm_key("open_weights");
  std::optional<toml::table> open_default;
  if (const toml::node* node = value_or_default("open_weights", open_default, open_spec)) {
    if (const auto open = reader.boolean(*node, key_of("open_weights"))) {
      spec.open_weights = *open;
      if (*open && lacks(config_schema::kLayerModel)) {
        problems.add(*node, key_of("open_weights"),
                     no_layer(config_schema::kLayerModel) +
                         ", so it has no model to release: open_weights must be false");
      }
    }
  }

  // model_source: "own", "open", or a partner, which read_named_firms checks.
  spec.model_source = lacks(config_schema::kLayerModel) ? "open" : "own";
  if (const toml::node* node = firm.get("model_source")) {
    if (const auto source = reader.string(*node, key_of("model_source"))) {
      spec.model_source = *source;
      if (source->empty()) {
        problems.add(*node, key_of("model_source"),
                     "must not be empty: use \"own\", \"open\" or the name of a partner firm");
      } else if (*source == "own") {
        if (lacks(config_schema::kLayerModel)) {
          problems.add(*node, key_of("model_source"),
                       no_layer(config_schema::kLayerModel) +
                           ", so it has no own model: model_source must be \"open\" or the "
                           "name of a partner firm with layer model");
        }
      } else if (*source != "open") {
        facts.partner = node;
      }
    }
  }

  // Absent: -1, meaning the strategy's value (or the [firms] setting of the same name).
  for (const auto& [name, target] : {std::pair<const char*, double*>{"markup", &spec.markup},
                                     {"spend_rate", &spec.spend_rate},
                                     {"compute_share", &spec.compute_share},
                                     {"data_share", &spec.data_share},
                                     {"rd_share", &spec.rd_share},
                                     {"marketing_share", &spec.marketing_share},
                                     {"cloud_self_use", &spec.cloud_self_use}}) {
    const KeySpec& key_spec = *config_schema::find_firm_key(name);
    if (const toml::node* node = firm.get(name)) {
      if (const auto value = reader.number(*node, key_of(name), key_spec.range)) *target = *value;
    }
  }
  // Budget shares come as a set: all four, summing to 1, or none.
  int shares_given = 0;
  const toml::node* first_share = nullptr;
  for (const char* name : {"compute_share", "data_share", "rd_share", "marketing_share"}) {
    if (const toml::node* node = firm.get(name)) {
      ++shares_given;
      if (first_share == nullptr) first_share = node;
    }
  }
  if (shares_given > 0) {
    const toml::node& where = *first_share;
    const double sum = spec.compute_share + spec.data_share + spec.rd_share + spec.marketing_share;
    if (shares_given < 4) {
      problems.add(where, key_of("compute_share"),
                   "give all four budget shares (compute_share, data_share, rd_share, "
                   "marketing_share) or none (then its strategy's apply)");
    } else if (std::fabs(sum - 1.0) > kShareSumTolerance) {
      problems.add(
          where, key_of("compute_share"),
          "the four budget shares must sum to 1; they sum to " + config_schema::number_text(sum));
    }
  }
  if (const toml::node* node = firm.get("strategy")) {
    const KeySpec& key_spec = *config_schema::find_firm_key("strategy");
    if (const auto choice = reader.choice(*node, key_of("strategy"), key_spec.names)) {
      spec.strategy = kStrategyChoiceNames[*choice];
    }
  }
  if (const toml::node* node = firm.get("initial_share")) {
    const KeySpec& key_spec = *config_schema::find_firm_key("initial_share");
    if (lacks(config_schema::kLayerService)) {
      problems.add(
          *node, key_of("initial_share"),
          no_layer(config_schema::kLayerService) + ", so it has no customers to start with");
    } else if (const auto shares =
                   read_per_segment(*node, key_of("initial_share"), key_spec, reader)) {
      for (int s = 0; s < kSegments; ++s) {
        if (!shares->listed[static_cast<std::size_t>(s)] || !spec.serves[s]) continue;
        spec.initial_share[s] = shares->values[static_cast<std::size_t>(s)];
      }
    }
  }
  return facts;
}

// A firm's model partner must be another named firm with layer model.
void check_partners(const std::vector<FirmSpec>& firms, const std::vector<FirmFacts>& facts,
                    Problems& problems) {
  std::map<std::string, std::size_t> index_of;
  std::vector<std::string> candidates = {"open", "own"};
  for (std::size_t i = 0; i < firms.size(); ++i) {
    if (firms[i].name.empty()) continue;
    if (index_of.emplace(firms[i].name, i).second) candidates.push_back(firms[i].name);
  }
  for (std::size_t i = 0; i < firms.size(); ++i) {
    if (facts[i].partner == nullptr) continue;
    const FirmSpec& firm = firms[i];
    const std::string key =
        (firm.name.empty() ? "firm[" + std::to_string(i) + "]" : "firm." + firm.name) +
        ".model_source";
    const toml::node& node = *facts[i].partner;
    const std::string& partner = firm.model_source;
    const auto found = index_of.find(partner);
    if (partner == firm.name) {
      problems.add(node, key,
                   "a firm cannot be its own model partner: use \"own\" for its own model");
    } else if (found == index_of.end()) {
      problems.add(node, key,
                   "unknown firm " + quoted(partner) + suggestion(partner, candidates) +
                       "; model_source is \"own\", \"open\" or the name of another [[firm]]");
    } else if (facts[found->second].layers_known &&
               !firms[found->second].layers[config_schema::kLayerModel]) {
      problems.add(node, key,
                   "partner firm " + quoted(partner) + " has no model layer (its layers: " +
                       layers_text(firms[found->second].layers) +
                       "), so it has no model to "
                       "license");
    }
  }
}

void read_named_firms(const toml::table& root, Config& config, Reader& reader) {
  const toml::node* node = root.get(config_schema::firm_section().name);
  if (node == nullptr) return;
  Problems& problems = reader.problems();
  const toml::array* firms = node->as_array();
  if (firms == nullptr) {
    problems.add(*node, "firm",
                 "expected [[firm]] tables (an array of tables), got " + describe(*node));
    return;
  }
  std::map<std::string, const toml::node*> first_with_name;
  std::vector<FirmFacts> facts;
  for (std::size_t i = 0; i < firms->size(); ++i) {
    const toml::table* firm = firms->get(i)->as_table();
    if (firm == nullptr) {
      problems.add(*firms->get(i), "firm[" + std::to_string(i) + "]",
                   "expected a table, got " + describe(*firms->get(i)));
      continue;
    }
    FirmSpec spec;
    facts.push_back(read_firm(*firm, i, config, reader, spec));
    if (const toml::node* name_node = firm_name_node(*firm)) {
      const std::string name = *name_node->value<std::string>();
      const auto [first, inserted] = first_with_name.emplace(name, name_node);
      if (!inserted) {
        problems.add(*name_node, "firm." + name + ".name",
                     "duplicate firm name " + quoted(name) + ", first defined at " +
                         problems.at(*first->second).text);
      }
    }
    config.named_firms.push_back(spec);
  }
  check_partners(config.named_firms, facts, problems);
  // The named firms' starting shares of a segment's adopters leave at most all of them.
  for (int s = 0; s < kSegments; ++s) {
    double sum = 0.0;
    for (const FirmSpec& firm : config.named_firms) sum += firm.initial_share[s];
    if (sum > 1.0 + kShareSumTolerance) {
      problems.add(*node, std::string("firm.*.initial_share.") + kSegmentNames[s],
                   std::string("the named firms' initial_share in segment '") + kSegmentNames[s] +
                       "' sum to " + config_schema::number_text(sum) + ", more than 1");
    }
  }
}

// A market needs firms: named ones, synthetic ones, or free slots for entrants. Without any the
// run has an empty firm table and fails after it started; refuse it here instead.
void check_has_firms(const Config& config, const SettingNodes& nodes, Problems& problems) {
  if (!config.named_firms.empty() || config.population.synthetic_firms > 0 ||
      config.entry.free_slots > 0) {
    return;
  }
  const std::string text =
      "the config has no firms: it names no [[firm]], and population.synthetic_firms and "
      "entry.free_slots are 0; add a [[firm]] table or set population.synthetic_firms above 0";
  // Where the count was set to 0, if it was; else the config as a whole.
  const auto found = nodes.valid.find("population.synthetic_firms");
  if (found != nodes.valid.end()) {
    problems.add(*found->second, "population.synthetic_firms", text);
  } else {
    problems.add(problems.whole_file(), "firm", text);
  }
}

// [[event]] tables: `date = "YYYY-MM"`, an optional `note`, and a `scenario` table of
// [scenario] keys that take new values from that month on. Events apply in date order (the
// file's order among equal dates), each on top of the levers before it.
void read_events(const toml::table& root, Config& config, Reader& reader) {
  const toml::node* node = root.get(kEventSection);
  if (node == nullptr) return;
  Problems& problems = reader.problems();
  const toml::array* events = node->as_array();
  if (events == nullptr || !events->is_array_of_tables()) {
    problems.add(*node, "event",
                 "expected [[event]] tables (an array of tables), got " + describe(*node));
    return;
  }
  const std::int64_t start = month_index(config.run.start);
  struct Parsed {
    std::int64_t month;
    std::size_t order;
    const toml::table* table;
  };
  std::vector<Parsed> parsed;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const toml::table& event = *events->get(i)->as_table();
    const std::string label = "event[" + std::to_string(i) + "]";
    for (auto&& [name, value] : event) {
      if (name.str() != "date" && name.str() != "note" && name.str() != "scenario") {
        problems.add(name, label + "." + std::string(name.str()),
                     "unknown key: an [[event]] has date, note and a scenario table");
      }
    }
    const toml::node* date = event.get("date");
    if (date == nullptr) {
      problems.add(event, label + ".date", "missing: every [[event]] needs a date \"YYYY-MM\"");
      continue;
    }
    const auto month = reader.month(*date, label + ".date");
    if (!month) continue;
    parsed.push_back({month_index(*month), i, &event});
  }
  std::stable_sort(parsed.begin(), parsed.end(),
                   [](const Parsed& a, const Parsed& b) { return a.month < b.month; });
  ScenarioSettings levers = config.scenario;
  for (const Parsed& p : parsed) {
    const std::string label = "event[" + std::to_string(p.order) + "]";
    ScenarioEvent event;
    event.date = *p.table->get("date")->value<std::string>();
    event.step = std::max<std::int64_t>(0, p.month - start);
    if (const toml::node* note = p.table->get("note")) {
      if (const auto text = reader.string(*note, label + ".note")) event.note = *text;
    }
    const toml::node* changes = p.table->get("scenario");
    const toml::table* table = changes != nullptr ? changes->as_table() : nullptr;
    if (table == nullptr) {
      problems.add(
          changes != nullptr ? *changes : static_cast<const toml::node&>(*p.table),
          label + ".scenario",
          "expected a table of [scenario] keys, e.g. scenario = { rd_subsidy = { KR = 0.5 } }");
      continue;
    }
    Config scratch;
    scratch.scenario = levers;
    for (auto&& [name, value] : *table) {
      const KeySpec* spec = config_schema::find_setting("scenario", name.str());
      const std::string key = label + ".scenario." + std::string(name.str());
      if (spec == nullptr) {
        problems.add(name, key,
                     "unknown [scenario] key " + quoted(name.str()) +
                         suggestion(name.str(), setting_names_in("scenario")));
        continue;
      }
      if (store_setting(*spec, value, scratch, reader)) event.changed.emplace_back(name.str());
    }
    levers = scratch.scenario;
    event.scenario = levers;
    config.events.push_back(std::move(event));
  }
}

// ---------------------------------------------------------------------------------------------
// Limits of config input, checked before toml++ sees the text.

// toml++ reads dotted keys and table headers recursively, one stack frame per part, so a key
// of tens of thousands of parts overflows the stack (a crash, not an error); and a file is read
// whole into memory, so an endless one (/dev/zero) would exhaust it. The shipped baseline is 15 KB
// and nests 6 levels
// ([[event]] scenario = { export_controls = [["US", "CN"]] }); the limits are far above any
// real config and far below what would harm the reader.
constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;  // 1 MiB, per file and per --set
constexpr int kMaxNesting = 16;

std::string size_limit_text() { return "1 MiB (" + std::to_string(kMaxConfigBytes) + " bytes)"; }

// Where a TOML text nests deeper than kMaxNesting levels. Each part of a dotted key or table
// header counts one level, and so does an array of tables ([[...]]) and each array a value
// is in; an inline table counts through the keys inside it. The scan follows TOML's lexical
// rules (strings, quoted keys, comments) without recursing, and only as far as needed to
// count: a malformed text is left for the parser to report.
class NestingScan {
 public:
  struct Excess {
    std::size_t line;
    std::size_t column;
  };

  explicit NestingScan(std::string_view text) : text_(text) {}

  std::optional<Excess> first_excess() {
    int table_depth = 0;  // levels of the last [header]
    while (pos_ < text_.size() && !excess_) {
      const std::size_t before = pos_;
      skip_space_and_comments();
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_];
      if (frames_.empty()) {
        const Excess start = here();
        if (c == '[') {  // [table] or [[array.of.tables]]
          const bool array = peek(1) == '[';
          advance(array ? 2 : 1);
          table_depth = key_parts("]\n") + (array ? 1 : 0);
          check(table_depth, start);
          while (peek(0) == ']') advance(1);
        } else {
          const int depth = table_depth + key_parts("=\n");
          check(depth, start);
          if (peek(0) == '=') advance(1);
          value(depth);
        }
      } else if (c == ']' || c == '}') {
        frames_.pop_back();
        advance(1);
      } else if (c == ',') {
        advance(1);
      } else if (frames_.back().array) {
        value(frames_.back().depth + 1);
      } else {
        const Excess start = here();
        const int depth = frames_.back().depth + key_parts("=,}\n");
        check(depth, start);
        if (peek(0) == '=') advance(1);
        value(depth);
      }
      if (pos_ == before) advance(1);  // a stray character: step over it
    }
    return excess_;
  }

 private:
  struct Frame {
    bool array;  // else an inline table
    int depth;   // levels of the key that holds it
  };

  char peek(std::size_t ahead) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void advance(std::size_t count) {
    for (std::size_t i = 0; i < count && pos_ < text_.size(); ++i, ++pos_) {
      if (text_[pos_] == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      }
    }
  }
  Excess here() const { return Excess{line_, pos_ - line_start_ + 1}; }
  void check(int depth, const Excess& where) {
    if (depth > kMaxNesting && !excess_) excess_ = where;
  }

  void skip_space_and_comments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        advance(1);
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') advance(1);
      } else {
        break;
      }
    }
  }

  // A string at pos_ (basic, literal, or either multi-line), up to its closing quote.
  void skip_string() {
    const char quote = text_[pos_];
    const bool multi_line = peek(1) == quote && peek(2) == quote;
    advance(multi_line ? 3 : 1);
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\\' && quote == '"') {
        advance(2);
      } else if (c == '\n' && !multi_line) {
        return;  // unterminated: the parser reports it
      } else if (c == quote && (!multi_line || (peek(1) == quote && peek(2) == quote))) {
        advance(multi_line ? 3 : 1);
        // A multi-line string may end with one or two quotes of its own before the closing three.
        for (int extra = 0; multi_line && extra < 2 && peek(0) == quote; ++extra) advance(1);
        return;
      } else {
        advance(1);
      }
    }
  }

  // The parts of a (possibly dotted, possibly quoted) key, read up to one of `stops`.
  int key_parts(std::string_view stops) {
    int parts = 1;
    while (pos_ < text_.size() && stops.find(text_[pos_]) == std::string_view::npos) {
      const char c = text_[pos_];
      if (c == '"' || c == '\'') {
        skip_string();
      } else {
        if (c == '.') ++parts;
        advance(1);
      }
    }
    return parts;
  }

  // One value whose key is `depth` levels deep: an array or inline table opens a frame; a
  // string or a bare value (number, boolean, date) is stepped over.
  void value(int depth) {
    while (peek(0) == ' ' || peek(0) == '\t') advance(1);
    const char c = peek(0);
    if (c == '[' || c == '{') {
      frames_.push_back(Frame{c == '[', depth});
      if (c == '[') check(depth + 1, here());
      advance(1);
    } else if (c == '"' || c == '\'') {
      skip_string();
    } else {
      while (pos_ < text_.size() &&
             std::string_view(",]}[{#\n\"'").find(text_[pos_]) == std::string_view::npos) {
        advance(1);
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
  std::vector<Frame> frames_;
  std::optional<Excess> excess_;
};

std::string nesting_message() {
  return "nests deeper than " + std::to_string(kMaxNesting) +
         " levels (each part of a dotted key or table header, and each array, counts one); "
         "the keys of a valid config nest at most 6";
}

// ---------------------------------------------------------------------------------------------
// Overrides: each `section.key=value` or `firm.NAME.key=value` replaces the value in the
// parsed document before anything is read from it.

// The override's value as a node: TOML syntax if the text is one TOML value, else the text
// itself as a string (so that `run.start=2025-03` needs no quotes).
std::optional<toml::table> parse_override_value(const std::string& text, std::size_t index) {
  const std::string source = std::string(1, kOverrideSource) + std::to_string(index);
  if (auto value = parse_value(text, source)) return value;
  return parse_value(config_schema::toml_string(text), source);
}

toml::table* find_firm_table(toml::table& root, std::string_view name) {
  toml::array* firms = root[config_schema::firm_section().name].as_array();
  if (firms == nullptr) return nullptr;
  for (toml::node& element : *firms) {
    toml::table* firm = element.as_table();
    if (firm == nullptr) continue;
    const toml::node* name_node = firm_name_node(*firm);
    if (name_node != nullptr && *name_node->value<std::string>() == name) return firm;
  }
  return nullptr;
}

std::vector<std::string> firm_names(toml::table& root) {
  std::vector<std::string> names;
  if (toml::array* firms = root[config_schema::firm_section().name].as_array()) {
    for (toml::node& element : *firms) {
      if (toml::table* firm = element.as_table()) {
        if (const toml::node* name_node = firm_name_node(*firm)) {
          names.push_back(*name_node->value<std::string>());
        }
      }
    }
  }
  return names;
}

bool is_table_kind(KeyKind kind) {
  return kind == KeyKind::kShares || kind == KeyKind::kPerSegment || kind == KeyKind::kPerRegion ||
         kind == KeyKind::kTable;
}

std::string whole_table_message(const std::string& key) {
  return quoted(key) + " is a table: set it whole, e.g. " + key + "={name = value, ...}";
}

void apply_firm_override(toml::table& root, const std::string& key_path, toml::node&& value,
                         const Where& where, Problems& problems) {
  const std::string rest = key_path.substr(std::string("firm.").size());
  const auto dot = rest.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == rest.size()) {
    problems.add(where, key_path, "expected firm.NAME.key=value");
    return;
  }
  std::string name = rest.substr(0, dot);
  const std::string key = rest.substr(dot + 1);
  // firm."Naver Cloud".quality: TOML-style quotes around the name are allowed, not needed.
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  if (config_schema::find_firm_key(key) == nullptr) {
    // firm.NAME.quality.finance: one entry of a table-valued key.
    const auto inner_dot = name.rfind('.');
    const KeySpec* table_spec = inner_dot == std::string::npos
                                    ? nullptr
                                    : config_schema::find_firm_key(name.substr(inner_dot + 1));
    if (table_spec != nullptr && is_table_kind(table_spec->kind)) {
      problems.add(
          where, key_path,
          whole_table_message("firm." + name.substr(0, inner_dot) + "." + table_spec->name));
    } else {
      problems.add(where, key_path,
                   "unknown key " + quoted(key_path) +
                       suggestion(key, firm_key_names(), "firm." + name + "."));
    }
    return;
  }
  toml::table* firm = find_firm_table(root, name);
  if (firm == nullptr) {
    const std::vector<std::string> names = firm_names(root);
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    problems.add(
        where, key_path,
        "unknown firm " + quoted(name) + suggestion(name, names) +
            (names.empty() ? "; the config names no [[firm]]" : "; the config names: " + known));
    return;
  }
  firm->insert_or_assign(key, std::move(value));
}

void apply_overrides(toml::table& root, const std::vector<ConfigOverride>& overrides,
                     Problems& problems) {
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    const Where where = problems.at_override(i);
    const std::string& assignment = overrides[i].assignment;
    if (assignment.size() > kMaxConfigBytes) {
      problems.add(where,
                   trim(std::string_view(assignment).substr(0, assignment.find('='))).substr(0, 60),
                   "the override is longer than " + size_limit_text() + ", the limit for a value");
      continue;
    }
    const auto equals = assignment.find('=');
    if (equals == std::string::npos) {
      problems.add(where, trim(assignment), "missing '=': expected section.key=value");
      continue;
    }
    const std::string key_path = trim(std::string_view(assignment).substr(0, equals));
    const std::string value_text = trim(std::string_view(assignment).substr(equals + 1));
    if (key_path.empty()) {
      problems.add(where, "(no key)", "expected section.key=value");
      continue;
    }
    if (NestingScan("v = " + value_text).first_excess()) {
      problems.add(where, key_path, "the value " + nesting_message());
      continue;
    }
    auto holder = parse_override_value(value_text, i);
    if (!holder) {
      problems.add(where, key_path, "the value is neither TOML nor valid UTF-8 text");
      continue;
    }
    toml::node& value = *holder->get("v");

    if (key_path.rfind("firm.", 0) == 0) {
      apply_firm_override(root, key_path, std::move(value), where, problems);
      continue;
    }
    const auto dot = key_path.find('.');
    const std::string section = key_path.substr(0, dot);
    if (dot == std::string::npos) {
      const bool is_section = config_schema::is_settings_section(section) ||
                              section == config_schema::firm_section().name;
      problems.add(where, key_path,
                   is_section
                       ? "a whole section cannot be set: use section.key=value"
                       : "unknown key " + quoted(key_path) + setting_suggestion("", section));
      continue;
    }
    const std::string name = key_path.substr(dot + 1);
    if (config_schema::is_unimplemented_section(section)) {
      problems.add(where, key_path, "section [" + section + "] is not implemented in this version");
      continue;
    }
    if (!config_schema::is_settings_section(section)) {
      problems.add(where, key_path,
                   "unknown key " + quoted(key_path) + suggestion(key_path, all_setting_keys()));
      continue;
    }
    const KeySpec* spec = config_schema::find_setting(section, name);
    if (spec == nullptr) {
      const auto inner_dot = name.find('.');
      const KeySpec* table_spec =
          inner_dot == std::string::npos
              ? nullptr
              : config_schema::find_setting(section, name.substr(0, inner_dot));
      if (table_spec != nullptr && table_spec->kind == KeyKind::kTable) {
        // section.table.entry=value: one entry of a table whose other entries keep their value.
        if (!root.contains(section)) root.insert(section, toml::table{});
        toml::table* settings = root[section].as_table();
        const std::string table_name = name.substr(0, inner_dot);
        if (settings != nullptr && !settings->contains(table_name)) {
          settings->insert(table_name, toml::table{});
        }
        toml::table* entries = settings != nullptr ? (*settings)[table_name].as_table() : nullptr;
        if (entries == nullptr) {
          problems.add(where, key_path,
                       "cannot be set: " + section + "." + table_name +
                           " in the config file is not a table");
        } else {
          entries->insert_or_assign(name.substr(inner_dot + 1), std::move(value));
        }
      } else if (table_spec != nullptr && is_table_kind(table_spec->kind)) {
        problems.add(where, key_path, whole_table_message(setting_key(*table_spec)));
      } else {
        problems.add(where, key_path,
                     "unknown key " + quoted(key_path) + setting_suggestion(section, name));
      }
      continue;
    }
    if (!root.contains(section)) root.insert(section, toml::table{});
    toml::table* table = root[section].as_table();
    if (table == nullptr) {
      problems.add(where, key_path,
                   "cannot be set: " + section + " in the config file is not a table");
      continue;
    }
    // A table of kind kTable changes only the entries it lists (like a table in the file).
    toml::node* existing = table->get(name);
    if (spec->kind == KeyKind::kTable && existing != nullptr && existing->is_table() &&
        value.is_table()) {
      for (auto&& [entry, entry_value] : *value.as_table()) {
        existing->as_table()->insert_or_assign(entry, std::move(entry_value));
      }
      continue;
    }
    table->insert_or_assign(name, std::move(value));
  }
}

// ---------------------------------------------------------------------------------------------
// The resolved config, as TOML that load_config reads back to the same Config.

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

// A setting's value in `config` as TOML text.
std::string setting_value_text(const KeySpec& spec, Config& config) {
  const config_schema::FieldRef field = spec.field(config);
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
    value = values_table(span->data, spec.names);
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

std::string resolved_toml(Config config) {
  std::string text =
      "# Effective configuration: every key with its value after defaults and overrides.\n";
  for (const auto& section : config_schema::settings_sections()) {
    text += "\n[" + std::string(section.name) + "]\n";
    for (const KeySpec& spec : config_schema::settings_keys()) {
      if (std::string_view(spec.section) != section.name) continue;
      text += std::string(spec.name) + " = " + setting_value_text(spec, config) + "\n";
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
  for (const FirmSpec& firm : config.named_firms) {
    text += "\n[[firm]]\n";
    text += "name = " + config_schema::toml_string(firm.name) + "\n";
    text += "archetype = " + config_schema::toml_string(firm.archetype) + "\n";
    text += "region = " + config_schema::toml_string(kRegionNames[firm.region]) + "\n";
    std::string layers;
    for (int layer = 0; layer < kLayers; ++layer) {
      if (!firm.layers[layer]) continue;
      layers += (layers.empty() ? "" : ", ") + config_schema::toml_string(kLayerNames[layer]);
    }
    text += "layers = [" + layers + "]\n";
    text += std::string("sells_data = ") + (firm.sells_data ? "true" : "false") + "\n";
    // A firm without layer service has no quality or price to state (setting them is an error).
    if (firm.layers[config_schema::kLayerService]) {
      text += "quality = " +
              values_table(firm.quality.data(), config_schema::kSegmentList, &firm.serves) + "\n";
      text +=
          "price = " + values_table(firm.price.data(), config_schema::kSegmentList, &firm.serves) +
          "\n";
    }
    text += "awareness = " + config_schema::toml_float(firm.awareness) + "\n";
    text += "language_fit = " + values_table(firm.language_fit.data(), config_schema::kRegionList) +
            "\n";
    text += "cash = " + config_schema::toml_float(firm.cash) + "\n";
    text += "fab_capacity = " + config_schema::toml_float(firm.fab_capacity) + "\n";
    text += "hbm_capacity = " + config_schema::toml_float(firm.hbm_capacity) + "\n";
    text += "installed_compute = " + config_schema::toml_float(firm.installed_compute) + "\n";
    text += "data_stock = " + config_schema::toml_float(firm.data_stock) + "\n";
    text += "other_income = " + config_schema::toml_float(firm.other_income) + "\n";
    text += "training_compute = " + config_schema::toml_float(firm.training_compute) + "\n";
    text += "chip_performance = " + config_schema::toml_float(firm.chip_performance) + "\n";
    text += std::string("open_weights = ") + (firm.open_weights ? "true" : "false") + "\n";
    text += "model_source = " + config_schema::toml_string(firm.model_source) + "\n";
    // Absent (-1) means the [firms] setting, which a later override of it must still reach.
    if (firm.markup >= 0.0) {
      text += "markup = " + config_schema::toml_float(firm.markup) + "\n";
    } else {
      text += "# markup: firms.markup\n";
    }
    if (firm.spend_rate >= 0.0) {
      text += "spend_rate = " + config_schema::toml_float(firm.spend_rate) + "\n";
    } else {
      text += "# spend_rate: its strategy's or firms.spend_rate\n";
    }
    if (firm.compute_share >= 0.0) {
      text += "compute_share = " + config_schema::toml_float(firm.compute_share) + "\n";
      text += "data_share = " + config_schema::toml_float(firm.data_share) + "\n";
      text += "rd_share = " + config_schema::toml_float(firm.rd_share) + "\n";
      text += "marketing_share = " + config_schema::toml_float(firm.marketing_share) + "\n";
    }
    if (firm.cloud_self_use >= 0.0) {
      text += "cloud_self_use = " + config_schema::toml_float(firm.cloud_self_use) + "\n";
    }
    if (!firm.strategy.empty())
      text += "strategy = " + config_schema::toml_string(firm.strategy) + "\n";
    if (firm.layers[config_schema::kLayerService]) {
      text += "initial_share = " +
              values_table(firm.initial_share.data(), config_schema::kSegmentList, &firm.serves) +
              "\n";
    }
  }
  return text;
}

// The whole file as text, at most kMaxConfigBytes; nothing (and `reason` set) when it cannot
// be read. Only a regular file is read: a device or a pipe could be endless or block forever.
// The file is opened without blocking (a FIFO without a writer would otherwise hang the open)
// and checked on the open descriptor, so that what is checked is what is read.
std::optional<std::string> read_file(const std::string& path, std::string& reason) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    reason = std::strerror(errno);
    ::close(fd);
    return std::nullopt;
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    reason = S_ISDIR(info.st_mode)
                 ? std::strerror(EISDIR)
                 : "not a regular file (a device, pipe or socket); give the path of a TOML file";
    return std::nullopt;
  }
  std::string text;
  char buffer[65536];
  // A regular file may still grow while it is read: read one byte past the limit to tell.
  while (text.size() <= kMaxConfigBytes) {
    const std::size_t want = std::min(sizeof buffer, kMaxConfigBytes + 1 - text.size());
    const ssize_t count = ::read(fd, buffer, want);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      reason = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (count == 0) break;
    text.append(buffer, static_cast<std::size_t>(count));
  }
  ::close(fd);
  if (text.size() > kMaxConfigBytes) {
    reason = "larger than " + size_limit_text() + ", the limit for a config file";
    return std::nullopt;
  }
  return text;
}

// Reads and parses one config file; errors name the file (and line for malformed TOML). A
// file that cannot be read is also located at `named_by` (the `base` key naming it), if given.
toml::table parse_config_file(const std::string& path, const std::string& named_by = "") {
  std::string reason;
  const auto text = read_file(path, reason);
  if (!text) {
    throw ConfigError(named_by.empty() ? path + ": cannot read the config file: " + reason
                                       : named_by + ": base: cannot read the config file " +
                                             quoted(path) + ": " + reason);
  }
  if (const auto excess = NestingScan(*text).first_excess()) {
    throw ConfigError(path + ":" + std::to_string(excess->line) + ":" +
                      std::to_string(excess->column) + ": the TOML " + nesting_message());
  }
  try {
    return toml::parse(*text, path);
  } catch (const toml::parse_error& error) {
    std::string description(error.description());
    if (!description.empty() && description[0] >= 'A' && description[0] <= 'Z') {
      description[0] = static_cast<char>(description[0] - 'A' + 'a');
    }
    throw ConfigError(path + ":" + std::to_string(error.source().begin.line) + ":" +
                      std::to_string(error.source().begin.column) +
                      ": malformed TOML: " + description);
  }
}

// Lays `over` onto `base`: tables merge key by key, recursively; any other value replaces the
// base's. [[firm]] tables are matched by name: one naming a firm of the base changes only the
// keys it sets, one with a new name adds a firm. Nodes are moved, not copied, because toml++
// keeps a node's source location (file, line) only when it is moved: every value then still
// names the file it was read from in error messages.
void merge_config_onto(toml::table& base, toml::table& over) {
  for (auto&& [key, node] : over) {
    toml::node* existing = base.get(key.str());
    if (key.str() == kEventSection && existing != nullptr && existing->is_array_of_tables() &&
        node.is_array_of_tables()) {
      // A scenario's events join the base's timeline.
      for (toml::node& entry : *node.as_array()) existing->as_array()->push_back(std::move(entry));
      continue;
    }
    if (key.str() == "firm" && existing != nullptr && existing->is_array_of_tables() &&
        node.is_array_of_tables()) {
      toml::array& firms = *existing->as_array();
      for (toml::node& entry : *node.as_array()) {
        toml::table& firm = *entry.as_table();
        toml::table* match = nullptr;
        if (const auto name = firm["name"].value<std::string>()) {
          for (toml::node& candidate : firms) {
            if (candidate.as_table() &&
                (*candidate.as_table())["name"].value<std::string>() == name) {
              match = candidate.as_table();
            }
          }
        }
        if (match != nullptr) {
          merge_config_onto(*match, firm);
        } else {
          firms.push_back(std::move(firm));
        }
      }
    } else if (existing != nullptr && existing->is_table() && node.is_table()) {
      merge_config_onto(*existing->as_table(), *node.as_table());
    } else {
      base.insert_or_assign(key, std::move(node));
    }
  }
}

// A config whose top level says `base = "other.toml"` (a path relative to the config's own
// folder) is that config with its own settings laid on top: a scenario as a set of changes to
// the baseline. Bases may chain, up to kMaxBaseDepth; a cycle is an error.
constexpr int kMaxBaseDepth = 8;

// `named_by` locates the `base` key that names `path` (empty for the config itself), so that a
// base which cannot be read is reported at the line that names it as well.
toml::table load_with_bases(const std::string& path, std::vector<std::string>& chain,
                            const std::string& named_by = "") {
  toml::table root = parse_config_file(path, named_by);
  const auto base_entry = root.find("base");
  if (base_entry == root.end()) return root;
  const toml::node* base_node = &base_entry->second;
  // Problems with the base are located at its key: FILE:LINE:COLUMN of `base =`.
  const toml::source_region& key_source = base_entry->first.source();
  const std::string base_key_at = path + ":" + std::to_string(key_source.begin.line) + ":" +
                                  std::to_string(key_source.begin.column);
  const auto base_name = base_node->value<std::string>();
  if (!base_node->is_string() || !base_name || base_name->empty()) {
    throw ConfigError(base_key_at + ": base: expected the path of a config file (a string)");
  }
  // Relative to the folder of the config that names it (std::filesystem is avoided here: its
  // std::quoted would collide with this file's quoted() by argument-dependent lookup).
  const std::size_t slash = path.find_last_of('/');
  const std::string base_text = (*base_name)[0] == '/' || slash == std::string::npos
                                    ? *base_name
                                    : path.substr(0, slash + 1) + *base_name;
  if (std::find(chain.begin(), chain.end(), base_text) != chain.end() ||
      static_cast<int>(chain.size()) >= kMaxBaseDepth) {
    throw ConfigError(base_key_at + ": base: '" + *base_name +
                      "' leads back to itself or nests deeper than " +
                      std::to_string(kMaxBaseDepth) + " configs");
  }
  chain.push_back(base_text);
  toml::table merged = load_with_bases(base_text, chain, base_key_at);
  root.erase("base");
  merged.erase("base");
  merge_config_onto(merged, root);
  return merged;
}

}  // namespace

Config load_config(const std::string& path, const std::vector<ConfigOverride>& overrides) {
  if (path.empty()) throw ConfigError("cannot read the config file: no path given");
  std::vector<std::string> chain{path};
  toml::table root = load_with_bases(path, chain);

  Problems problems(path, overrides);
  apply_overrides(root, overrides, problems);

  Config config;
  Reader reader(problems);
  SettingNodes nodes;
  apply_defaults(config, reader);
  read_settings(root, config, reader, nodes);
  check_settings(config, nodes, problems);
  read_named_firms(root, config, reader);
  read_events(root, config, reader);
  // Only a config valid in every other way is judged as a whole: with other problems, the
  // counts it checks may not be what the user meant.
  if (problems.empty()) check_has_firms(config, nodes, problems);
  if (!problems.empty()) problems.throw_all();

  config.source_path = path;
  config.source_files = chain;
  config.resolved_toml = resolved_toml(config);
  return config;
}

}  // namespace aimarket
