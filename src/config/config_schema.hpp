// The config schema: every key a config may set, with its type, default, unit, valid range and
// meaning. This one table drives parsing, validation, the resolved TOML written into every
// output file, and the reference in docs/CONFIG.md, so that none of them can drift from the
// others. Internal to src/config: the rest of the program sees only config.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace aimarket::config_schema {

enum class KeyKind {
  kInteger,     // TOML integer within [int_min, int_max]; a float is refused
  kFloat,       // finite number within the range; an integer is accepted
  kBool,        // true or false
  kMonth,       // string "YYYY-MM"
  kChoice,      // string, one of `names`
  kString,      // non-empty string
  kShares,      // table keyed by `names`: fractions in the range, missing names 0, sum 1
  kPerSegment,  // one number for every segment, or a table keyed by segment name
  kPerRegion,   // table keyed by region name
  kNameSet,     // array of distinct names from `names` (a firm's layers)
  kNamePairs,   // array of two-element arrays of different names (export controls: regions)
  kTable,       // table keyed by `names`, numbers in the range; names not listed keep their value
};

// The most replicates a run may have (run.replicates' range; a parameter file's rows).
constexpr std::int64_t kMaxReplicates = 100000;

// Valid values of a number, or of each number in a table. Open ends exclude the bound.
struct Range {
  double min;
  double max;
  bool min_open;
  bool max_open;
  std::int64_t int_min;  // integer keys use these, so that 2^63-1 stays exact
  std::int64_t int_max;
};

constexpr Range Closed(double lo, double hi) { return Range{lo, hi, false, false, 0, 0}; }
constexpr Range OpenClosed(double lo, double hi) { return Range{lo, hi, true, false, 0, 0}; }
constexpr Range Integers(std::int64_t lo, std::int64_t hi) {
  return Range{0.0, 0.0, false, false, lo, hi};
}
constexpr Range NoRange() { return Range{0.0, 0.0, false, false, 0, 0}; }

// The names a value or a table key may take, and what one of them is called in messages.
struct NameList {
  const char* const* names;
  int count;
  const char* noun;  // "segment", "region", "archetype"
};

constexpr NameList kNoNames{nullptr, 0, ""};
constexpr NameList kSegmentList{kSegmentNames, kSegments, "segment"};
constexpr NameList kRegionList{kRegionNames, kRegions, "region"};
constexpr NameList kArchetypeList{kArchetypeNames, kArchetypes, "archetype"};
constexpr NameList kLayerList{kLayerNames, kLayers, "layer"};
constexpr NameList kFinancingList{kFinancingNames, kFinancingModes, "financing"};
constexpr NameList kStrategyList{kStrategyChoiceNames, kStrategyChoices, "strategy preset"};
constexpr NameList kStrategyParameterList{kStrategyParameterNames, kStrategyParameters,
                                          "parameter"};

// Indices into kLayerNames of the layers the loader's rules name.
constexpr int kLayerHbm = 0;
constexpr int kLayerAccelerator = 1;
constexpr int kLayerCloud = 2;
constexpr int kLayerModel = 3;
constexpr int kLayerService = 4;
static_assert(std::string_view(kLayerNames[kLayerHbm]) == "hbm" &&
                  std::string_view(kLayerNames[kLayerAccelerator]) == "accelerator" &&
                  std::string_view(kLayerNames[kLayerCloud]) == "cloud" &&
                  std::string_view(kLayerNames[kLayerModel]) == "model" &&
                  std::string_view(kLayerNames[kLayerService]) == "service",
              "layer indices out of step with kLayerNames");

struct DoubleSpan {
  double* data;
  int count;
  bool* listed = nullptr;  // where given: which entries were set (the others are absent)
};

struct BoolSpan {
  bool* data;
  int count;
};

using IndexPairs = std::vector<std::pair<int, int>>;

// Where a key's value lives in Config or FirmSpec. An optional member is absent until the
// key is given (a [[firm]] key that falls back to a setting or a strategy preset); an int
// member holds the index of a name of `names` (a firm's region).
using FieldRef =
    std::variant<std::int64_t*, std::uint64_t*, double*, bool*, std::string*, DoubleSpan,
                 IndexPairs*, std::optional<double>*, std::optional<std::string>*, int*, BoolSpan>;

// Where a key lands: a member of Config for a settings key, of FirmSpec for a [[firm]] key.
struct Destination {
  FieldRef (*setting)(Config&);
  FieldRef (*firm)(FirmSpec&);
  // A [[firm]] key whose default or rules depend on other keys (required names, layers by
  // archetype, per-segment tables, model partners, language fit by region) has a dedicated
  // reader in read_firms.cpp; every other one is read by the generic reader.
  bool dedicated;
  // An optional [[firm]] key left absent: the resolved TOML writes this comment in its place
  // ("# KEY: NOTE"), or nothing when nullptr.
  const char* absent_note;
};

struct KeySpec {
  const char* section;  // a settings section ("run", "compute", ...), or "firm" for [[firm]]
  const char* name;
  KeyKind kind;
  const char* default_toml;  // default as TOML value text; nullptr: no literal default
  const char* unit;
  Range range;          // of the value, or of each value in a table
  NameList names;       // choices (kChoice) or table keys (kShares, kPer*)
  const char* meaning;  // one line, for the docs
  Destination field;
  const char* doc_default;  // docs text when default_toml is nullptr (e.g. "required")
  const char* doc_range;    // docs text replacing the generated range, or nullptr
};

struct SectionSpec {
  const char* name;
  const char* meaning;
};

// [run], [population], [firms], [demand], [compute], [data], [models], [scenario]: sections
// of single settings, in docs order.
const std::vector<SectionSpec>& settings_sections();
// Keys of those sections, grouped by section in the same order.
const std::vector<KeySpec>& settings_keys();
// The [[firm]] array of tables: one named firm each.
const SectionSpec& firm_section();
const std::vector<KeySpec>& firm_keys();
// Sections MODEL.md names that this version does not implement yet.
const std::vector<const char*>& unimplemented_sections();

// The layers a firm of this archetype is active in when its [[firm]] table lists none.
std::array<bool, kLayers> default_layers(int archetype);

bool is_settings_section(std::string_view name);
bool is_unimplemented_section(std::string_view name);
const KeySpec* find_setting(std::string_view section, std::string_view name);
// A key earlier versions read and this one no longer does: the message saying what replaces
// it, or nullptr for any other key.
const char* retired_setting(std::string_view section, std::string_view name);
const KeySpec* find_firm_key(std::string_view name);

// Docs and messages.
std::string type_text(const KeySpec& spec);
std::string range_text(const KeySpec& spec);
std::string number_text(double value);  // shortest exact form, exponent as in "1e9"

// TOML literals that read back to exactly the same value.
std::string toml_float(double value);
std::string toml_string(std::string_view text);

// Closest of `candidates` to `word` when close enough to be a likely typo
// (Levenshtein distance <= 2, or <= a third of the longer word's length); empty if none.
std::string closest_name(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace aimarket::config_schema
