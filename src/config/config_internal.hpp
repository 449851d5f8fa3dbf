// What the files that read a config share, internal to src/config: where a problem was found
// and the list of problems (Problems), typed reading of TOML values against the schema (Reader,
// store_value), and the entry points of each job, which load_config.cpp runs in order.
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/months.hpp"
#include "common/text.hpp"
#include "config/config.hpp"
#include "config/config_schema.hpp"

namespace aimarket::config_internal {

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

// True when `value` lies within `range` (its open ends excluded).
inline bool value_in_range(double value, const Range& range) {
  if (range.min_open ? !(value > range.min) : !(value >= range.min)) return false;
  return range.max_open ? value < range.max : value <= range.max;
}

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

inline bool operator<(const Where& a, const Where& b) {
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
// toml_reader.cpp: typed reading of single values and the texts of messages. Each reading
// returns nothing, and records why, when the value is unusable.

std::string describe(const toml::node& node);
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates,
                       std::string_view prefix = "");
std::vector<std::string> names_of(const NameList& list);

class Reader {
 public:
  explicit Reader(Problems& problems) : problems_(problems) {}
  std::optional<std::int64_t> integer(const toml::node& node, const std::string& key,
                                      const Range& range);
  std::optional<double> number(const toml::node& node, const std::string& key, const Range& range);
  std::optional<bool> boolean(const toml::node& node, const std::string& key);
  std::optional<std::string> string(const toml::node& node, const std::string& key);
  std::optional<std::string> month(const toml::node& node, const std::string& key);
  // Index of the name in `list`, for a string naming one of them.
  std::optional<int> choice(const toml::node& node, const std::string& key, const NameList& list);
  // A table keyed by names of `list`, each value a number in `range`. Returns the values
  // (0 where not listed) and which names were listed.
  struct NamedValues {
    std::vector<double> values;
    std::vector<bool> listed;
  };
  std::optional<NamedValues> named_values(const toml::table& table, const std::string& key,
                                          const NameList& list, const Range& range);
  // An array of distinct names of `list`: which are listed.
  std::optional<std::vector<bool>> name_set(const toml::node& node, const std::string& key,
                                            const NameList& list);
  // An array of pairs [a, b] of different names of `list`, as indices.
  std::optional<config_schema::IndexPairs> name_pairs(const toml::node& node,
                                                      const std::string& key, const NameList& list);
  Problems& problems() { return problems_; }

 private:
  static std::optional<int> index_of(std::string_view name, const NameList& list);
  static std::string unknown_name_message(std::string_view name, const NameList& list);
  Problems& problems_;
};

// The node of one TOML value given as text, parsed as `v = TEXT` so that it carries `source`
// as its origin. Nothing when the text is not a single TOML value.
std::optional<toml::table> parse_value(const std::string& text, std::string_view source);

// Reads one value of `spec` into its field (of Config or FirmSpec); false (the problem recorded)
// when the value is unusable. `key` names it in messages.
bool store_value(const KeySpec& spec, const toml::node& node, const std::string& key,
                 const config_schema::FieldRef& field, Reader& reader);

// Key and section names, for messages and "did you mean" suggestions.
std::string setting_key(const KeySpec& spec);
std::vector<std::string> all_setting_keys();
std::vector<std::string> setting_names_in(std::string_view section);
std::vector<std::string> firm_key_names();
std::vector<std::string> known_section_names();
// "did you mean" for a key `name` found in `section` (empty: at the top level): a key of that
// name in another section first (a key put under the wrong header), else a close spelling.
std::string setting_suggestion(std::string_view section, std::string_view name);

// ---------------------------------------------------------------------------------------------
// read_settings.cpp: the settings sections ([run], [population], ...).

// Nodes of the settings read, by key, for checks that involve several keys; a key whose value
// was refused is in `refused` instead, and checks involving it are skipped (its value in
// Config is still the default, which would make their message misleading).
struct SettingNodes {
  std::map<std::string, const toml::node*> valid;
  std::set<std::string> refused;
};

bool store_setting(const KeySpec& spec, const toml::node& node, Config& config, Reader& reader);
// ---------------------------------------------------------------------------------------------
// read_priors.cpp: a float key given as a table, its prior (Config::priors), and its point
// value; a number given later (an override) drops the key's prior.
bool is_replicate_parameter(const std::string& key);
bool read_prior(const KeySpec& spec, const toml::table& table, Config& config, Reader& reader);
void drop_prior(const std::string& key, Config& config);
void apply_defaults(Config& config, Reader& reader);
void read_settings(const toml::table& root, Config& config, Reader& reader, SettingNodes& nodes);
void check_settings(Config& config, const SettingNodes& nodes, Problems& problems);

// ---------------------------------------------------------------------------------------------
// read_firms.cpp: the [[firm]] tables.

const toml::node* firm_name_node(const toml::table& firm);
void read_named_firms(const toml::table& root, Config& config, Reader& reader);
void check_has_firms(const Config& config, const SettingNodes& nodes, Problems& problems);

// ---------------------------------------------------------------------------------------------
// read_events.cpp: the [[event]] tables.

void read_events(const toml::table& root, Config& config, Reader& reader);

// ---------------------------------------------------------------------------------------------
// overrides.cpp: reading config files (within their limits), `base =` merging, and --set.

toml::table load_with_bases(const std::string& path, std::vector<std::string>& chain,
                            const std::string& named_by = "");
void apply_overrides(toml::table& root, const std::vector<ConfigOverride>& overrides,
                     Problems& problems);

// ---------------------------------------------------------------------------------------------
// resolved_toml.cpp: the resolved config as TOML.

std::string resolved_toml(Config config);

}  // namespace aimarket::config_internal
