// The schema table and what is generated from it: range and type texts, TOML literals, and
// the Markdown reference of docs/CONFIG.md.
#include "config/config_schema.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

namespace aimarket::config_schema {
namespace {

// Field accessors as plain function pointers, so the table stays a constant aggregate.
#define AIMARKET_FIELD(member) [](Config& config) -> FieldRef { return &config.member; }
#define AIMARKET_SPAN(member, count) \
  [](Config& config) -> FieldRef { return DoubleSpan{config.member.data(), count}; }

constexpr double kMaxPrice = 1e9;
constexpr double kMaxAwareness = 1e9;
constexpr double kMaxCustomerWeight = 1e9;
constexpr double kMaxQuality = 100.0;
constexpr double kMaxBeta = 1000.0;

const std::vector<SectionSpec> kSettingsSections = {
    {"run", "Length, replication, randomness and recording of a run."},
    {"population",
     "How many customer and firm agents a replicate holds, and how customers "
     "split across segments and regions."},
    {"firms", "Settings for all firms, and the distributions synthetic firms are drawn from."},
    {"demand",
     "Customer adoption (Bass hazard) and choice (multinomial logit on the utility "
     "`u = beta_quality*quality - beta_price*log(price) + beta_home*[home region] + "
     "beta_network*log(1+share) + beta_language*fit - switching_cost*[switch] + "
     "Gumbel noise`)."},
};

const std::vector<KeySpec> kSettingsKeys = {
    // [run]
    {"run", "steps", KeyKind::kInteger, "120", "months", Integers(1, 10000000), kNoNames,
     "Steps simulated; one step is one month.", AIMARKET_FIELD(run.steps), nullptr, nullptr},
    {"run", "replicates", KeyKind::kInteger, "1", "replicates", Integers(1, 100000), kNoNames,
     "Independent Monte Carlo replicates, advanced together.", AIMARKET_FIELD(run.replicates),
     nullptr, nullptr},
    {"run", "seed", KeyKind::kInteger, "1", "-", Integers(0, INT64_MAX), kNoNames,
     "Master seed of the counter-based random number generator: same seed, same results.",
     AIMARKET_FIELD(run.seed), nullptr, nullptr},
    {"run", "start", KeyKind::kMonth, "\"2024-01\"", "calendar month", NoRange(), kNoNames,
     "Calendar month of step 0.", AIMARKET_FIELD(run.start), nullptr, nullptr},
    {"run", "record_every", KeyKind::kInteger, "1", "steps", Integers(1, 10000000), kNoNames,
     "Write the state to the output file every this many steps.", AIMARKET_FIELD(run.record_every),
     nullptr, nullptr},
    {"run", "flush_seconds", KeyKind::kFloat, "2.0", "seconds", OpenClosed(0.0, 3600.0), kNoNames,
     "The output file is flushed to disk at least this often (wall-clock time).",
     AIMARKET_FIELD(run.flush_seconds), nullptr, nullptr},

    // [population]
    {"population", "customers", KeyKind::kInteger, "100000", "agents per replicate",
     Integers(1, 2000000000), kNoNames, "Customer agents simulated in each replicate.",
     AIMARKET_FIELD(population.customers), nullptr, nullptr},
    {"population", "synthetic_firms", KeyKind::kInteger, "0", "firms", Integers(0, 1000000),
     kNoNames,
     "Synthetic service firms added to the named `[[firm]]` ones, drawn from the `synthetic_*` "
     "settings of `[firms]`.",
     AIMARKET_FIELD(population.synthetic_firms), nullptr, nullptr},
    {"population", "customer_weight", KeyKind::kFloat, "1.0", "real customers per agent",
     OpenClosed(0.0, kMaxCustomerWeight), kNoNames,
     "Real customers one customer agent stands for; scales agent counts to market sizes.",
     AIMARKET_FIELD(population.customer_weight), nullptr, nullptr},
    {"population", "segment_shares", KeyKind::kShares,
     "{ consumer = 0.40, enterprise = 0.30, finance = 0.08, healthcare = 0.08, legal = 0.06, "
     "manufacturing = 0.08 }",
     "fractions", Closed(0.0, 1.0), kSegmentList,
     "Fraction of customers in each segment; segments not listed get 0. The default is a "
     "placeholder until calibration.",
     AIMARKET_SPAN(population.segment_shares, kSegments), nullptr, nullptr},
    {"population", "region_shares", KeyKind::kShares,
     "{ US = 0.30, KR = 0.05, EU = 0.25, CN = 0.20, ROW = 0.20 }", "fractions", Closed(0.0, 1.0),
     kRegionList,
     "Fraction of customers in each region; regions not listed get 0. The default is a "
     "placeholder until calibration.",
     AIMARKET_SPAN(population.region_shares, kRegions), nullptr, nullptr},

    // [firms]
    {"firms", "frozen", KeyKind::kBool, "true", "-", NoRange(), kNoNames,
     "Hold firm state (quality, price, awareness) fixed. Firm dynamics are not implemented in "
     "this version, so only true is accepted.",
     AIMARKET_FIELD(firms.frozen), nullptr, "true only"},
    {"firms", "synthetic_archetype", KeyKind::kChoice, "\"consumer_ai\"", "-", NoRange(),
     kArchetypeList, "Archetype of every synthetic firm.",
     AIMARKET_FIELD(firms.synthetic_archetype), nullptr, nullptr},
    {"firms", "synthetic_quality_mean", KeyKind::kFloat, "0.0",
     "quality units (utility per unit beta_quality)", Closed(-kMaxQuality, kMaxQuality), kNoNames,
     "Mean of the normal distribution synthetic firms' quality is drawn from.",
     AIMARKET_FIELD(firms.synthetic_quality_mean), nullptr, nullptr},
    {"firms", "synthetic_quality_sd", KeyKind::kFloat, "0.5", "quality units",
     Closed(0.0, kMaxQuality), kNoNames,
     "Standard deviation of the normal distribution of synthetic firms' quality.",
     AIMARKET_FIELD(firms.synthetic_quality_sd), nullptr, nullptr},
    {"firms", "synthetic_price_median", KeyKind::kFloat, "1.0",
     "price units (relative, per customer-month)", OpenClosed(0.0, kMaxPrice), kNoNames,
     "Median of the log-normal distribution synthetic firms' price is drawn from.",
     AIMARKET_FIELD(firms.synthetic_price_median), nullptr, nullptr},
    {"firms", "synthetic_price_log_sd", KeyKind::kFloat, "0.3", "log price units", Closed(0.0, 5.0),
     kNoNames, "Standard deviation of the log price of synthetic firms.",
     AIMARKET_FIELD(firms.synthetic_price_log_sd), nullptr, nullptr},
    {"firms", "synthetic_awareness", KeyKind::kFloat, "1.0", "awareness weight",
     Closed(0.0, kMaxAwareness), kNoNames,
     "Marketing awareness weight of each synthetic firm, on the scale of `[[firm]]` awareness.",
     AIMARKET_FIELD(firms.synthetic_awareness), nullptr, nullptr},
    {"firms", "foreign_language_fit", KeyKind::kFloat, "0.5", "fraction", Closed(0.0, 1.0),
     kNoNames,
     "Language fit of a firm to customers outside its home region, unless its `language_fit` "
     "says otherwise.",
     AIMARKET_FIELD(firms.foreign_language_fit), nullptr, nullptr},

    // [demand]
    {"demand", "bass_p", KeyKind::kFloat, "0.01", "per step", Closed(0.0, 1.0), kNoNames,
     "Bass innovation coefficient: adoption hazard of a non-adopter when nobody has adopted. "
     "`bass_p + bass_q` must not exceed 1.",
     AIMARKET_FIELD(demand.bass_p), nullptr, nullptr},
    {"demand", "bass_q", KeyKind::kFloat, "0.3", "per step", Closed(0.0, 1.0), kNoNames,
     "Bass imitation coefficient: the adoption hazard is `bass_p + bass_q*F`, F the adopted "
     "fraction of the customer's segment.",
     AIMARKET_FIELD(demand.bass_q), nullptr, nullptr},
    {"demand", "reconsider_rate", KeyKind::kFloat, "0.05", "per step", Closed(0.0, 1.0), kNoNames,
     "Probability that an adopter chooses its provider again in a step.",
     AIMARKET_FIELD(demand.reconsider_rate), nullptr, nullptr},
    {"demand", "consideration_set", KeyKind::kInteger, "8", "firms", Integers(0, 64), kNoNames,
     "Candidate firms a chooser samples by awareness; 0 = every firm.",
     AIMARKET_FIELD(demand.consideration_set), nullptr, nullptr},
    {"demand", "awareness_installed_base", KeyKind::kFloat, "0.5", "fraction", Closed(0.0, 1.0),
     kNoNames,
     "Weight of a firm's installed base, against its marketing awareness, in sampling the "
     "consideration set.",
     AIMARKET_FIELD(demand.awareness_installed_base), nullptr, nullptr},
    {"demand", "beta_quality", KeyKind::kFloat, "1.0", "utility per quality unit",
     Closed(-kMaxBeta, kMaxBeta), kNoNames, "Weight of quality in utility.",
     AIMARKET_FIELD(demand.beta_quality), nullptr, nullptr},
    {"demand", "beta_price", KeyKind::kFloat, "1.0", "utility per unit log price",
     Closed(0.0, kMaxBeta), kNoNames, "Weight of log price in utility (subtracted).",
     AIMARKET_FIELD(demand.beta_price), nullptr, nullptr},
    {"demand", "beta_home", KeyKind::kFloat, "0.5", "utility", Closed(-kMaxBeta, kMaxBeta),
     kNoNames, "Utility of a firm from the customer's own region (home bias).",
     AIMARKET_FIELD(demand.beta_home), nullptr, nullptr},
    {"demand", "beta_network", KeyKind::kFloat, "0.5", "utility per unit log(1+share)",
     Closed(-kMaxBeta, kMaxBeta), kNoNames,
     "Weight of log(1 + the firm's share of the segment) in utility (network effect).",
     AIMARKET_FIELD(demand.beta_network), nullptr, nullptr},
    {"demand", "beta_language", KeyKind::kFloat, "0.5", "utility per unit fit",
     Closed(-kMaxBeta, kMaxBeta), kNoNames,
     "Weight of the firm's language fit to the customer's region in utility.",
     AIMARKET_FIELD(demand.beta_language), nullptr, nullptr},
    {"demand", "switching_cost", KeyKind::kFloat, "1.0", "utility", Closed(0.0, kMaxBeta), kNoNames,
     "Utility lost by changing from a current provider to another firm.",
     AIMARKET_FIELD(demand.switching_cost), nullptr, nullptr},
    {"demand", "price_taste_sd", KeyKind::kFloat, "0.0", "log units", Closed(0.0, 5.0), kNoNames,
     "Log-sd of a customer's persistent price sensitivity, a log-normal multiplier of "
     "beta_price (0 = every customer alike).",
     AIMARKET_FIELD(demand.price_taste_sd), nullptr, nullptr},
};

#undef AIMARKET_FIELD
#undef AIMARKET_SPAN

const SectionSpec kFirmSection = {
    "firm", "One named firm per `[[firm]]` table: a service firm selling to customers."};

// Defaults of [[firm]] keys are literals the loader reads like a value from the file; the
// language fit default depends on the firm's region, so it is resolved in code.
const std::vector<KeySpec> kFirmKeys = {
    {"firm", "name", KeyKind::kString, nullptr, "-", NoRange(), kNoNames,
     "Name of the firm, unique in the config; `--set firm.NAME.key=value` reaches it.", nullptr,
     "required", "non-empty, unique"},
    {"firm", "archetype", KeyKind::kChoice, nullptr, "-", NoRange(), kArchetypeList,
     "Archetype of the firm.", nullptr, "required", nullptr},
    {"firm", "region", KeyKind::kChoice, nullptr, "-", NoRange(), kRegionList,
     "Home region of the firm.", nullptr, "required", nullptr},
    {"firm", "quality", KeyKind::kPerSegment, "0.0",
     "quality units (utility per unit beta_quality)", Closed(-kMaxQuality, kMaxQuality),
     kSegmentList,
     "Service quality. A number: the same in every segment, and the firm serves every "
     "segment. A table: the firm serves exactly the segments listed.",
     nullptr, nullptr, nullptr},
    {"firm", "price", KeyKind::kPerSegment, "1.0", "price units (relative, per customer-month)",
     OpenClosed(0.0, kMaxPrice), kSegmentList,
     "Price. A number: the same in every segment. A table: per segment, segments not listed "
     "cost 1.0; it may list only segments the firm serves.",
     nullptr, nullptr, nullptr},
    {"firm", "awareness", KeyKind::kFloat, "1.0", "awareness weight", Closed(0.0, kMaxAwareness),
     kNoNames, "Marketing awareness weight: how often the firm enters consideration sets.", nullptr,
     nullptr, nullptr},
    {"firm", "language_fit", KeyKind::kPerRegion, nullptr, "fraction", Closed(0.0, 1.0),
     kRegionList,
     "Language fit to customers of each region; regions not listed get 1.0 at home and "
     "`firms.foreign_language_fit` elsewhere.",
     nullptr, "1.0 at home, `firms.foreign_language_fit` elsewhere", nullptr},
};

const std::vector<const char*> kUnimplementedSections = {
    "compute", "data", "models", "finance", "entry", "strategy", "scenario"};

std::string join_names(const NameList& list) {
  std::string text;
  for (int i = 0; i < list.count; ++i) {
    if (i > 0) text += ", ";
    text += list.names[i];
  }
  return text;
}

std::string bounds_text(const Range& range) {
  return std::string(range.min_open ? "(" : "[") + number_text(range.min) + ", " +
         number_text(range.max) + (range.max_open ? ")" : "]");
}

// A Markdown table cell may not hold a raw '|'.
std::string cell(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '|') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

void append_key_table(std::ostringstream& out, const std::vector<KeySpec>& keys,
                      const char* section) {
  out << "| Key | Type | Default | Unit | Range | Meaning |\n";
  out << "|---|---|---|---|---|---|\n";
  for (const KeySpec& spec : keys) {
    if (std::string_view(spec.section) != section) continue;
    const std::string default_text = spec.default_toml != nullptr
                                         ? "`" + std::string(spec.default_toml) + "`"
                                         : std::string(spec.doc_default);
    out << "| `" << spec.name << "` | " << cell(type_text(spec)) << " | " << cell(default_text)
        << " | " << cell(spec.unit) << " | " << cell(range_text(spec)) << " | "
        << cell(spec.meaning) << " |\n";
  }
}

}  // namespace

const std::vector<SectionSpec>& settings_sections() { return kSettingsSections; }
const std::vector<KeySpec>& settings_keys() { return kSettingsKeys; }
const SectionSpec& firm_section() { return kFirmSection; }
const std::vector<KeySpec>& firm_keys() { return kFirmKeys; }
const std::vector<const char*>& unimplemented_sections() { return kUnimplementedSections; }

bool is_settings_section(std::string_view name) {
  return std::any_of(kSettingsSections.begin(), kSettingsSections.end(),
                     [&](const SectionSpec& section) { return name == section.name; });
}

bool is_unimplemented_section(std::string_view name) {
  return std::any_of(kUnimplementedSections.begin(), kUnimplementedSections.end(),
                     [&](const char* section) { return name == section; });
}

const KeySpec* find_setting(std::string_view section, std::string_view name) {
  for (const KeySpec& spec : kSettingsKeys) {
    if (section == spec.section && name == spec.name) return &spec;
  }
  return nullptr;
}

const KeySpec* find_firm_key(std::string_view name) {
  for (const KeySpec& spec : kFirmKeys) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

std::string type_text(const KeySpec& spec) {
  switch (spec.kind) {
    case KeyKind::kInteger:
      return "integer";
    case KeyKind::kFloat:
      return "float";
    case KeyKind::kBool:
      return "boolean";
    case KeyKind::kMonth:
      return "string \"YYYY-MM\"";
    case KeyKind::kChoice:
      return std::string("string (") + spec.names.noun + ")";
    case KeyKind::kString:
      return "string";
    case KeyKind::kShares:
      return std::string("table {") + spec.names.noun + " = float}";
    case KeyKind::kPerSegment:
      return "float, or table {segment = float}";
    case KeyKind::kPerRegion:
      return "table {region = float}";
  }
  return "";
}

std::string range_text(const KeySpec& spec) {
  if (spec.doc_range != nullptr) return spec.doc_range;
  switch (spec.kind) {
    case KeyKind::kInteger:
      return "[" + std::to_string(spec.range.int_min) + ", " + std::to_string(spec.range.int_max) +
             "]";
    case KeyKind::kFloat:
      return bounds_text(spec.range);
    case KeyKind::kBool:
      return "true, false";
    case KeyKind::kMonth:
      return "1900-01 to 2999-12";
    case KeyKind::kChoice:
      return "one of: " + join_names(spec.names);
    case KeyKind::kString:
      return "non-empty";
    case KeyKind::kShares:
      return std::string("each in ") + bounds_text(spec.range) + ", summing to 1; " +
             spec.names.noun + "s: " + join_names(spec.names);
    case KeyKind::kPerSegment:
    case KeyKind::kPerRegion:
      return std::string("each in ") + bounds_text(spec.range) + "; " + spec.names.noun +
             "s: " + join_names(spec.names);
  }
  return "";
}

std::string number_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  const std::string shortest(buffer, result.ptr);
  // to_chars writes exponents as "e+09"; "1e9" reads better and is still valid TOML.
  const auto e = shortest.find('e');
  if (e == std::string::npos) return shortest;
  std::string mantissa = shortest.substr(0, e);
  std::string exponent = shortest.substr(e + 1);
  std::string sign;
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
    if (exponent[0] == '-') sign = "-";
    exponent.erase(0, 1);
  }
  exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
  return mantissa + "e" + sign + exponent;
}

std::string toml_float(double value) {
  std::string text = number_text(value);
  // A TOML float needs a fraction or an exponent, or it reads back as an integer.
  if (text.find_first_of(".eni") == std::string::npos) text += ".0";
  return text;
}

std::string toml_string(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\r':
        quoted += "\\r";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(byte));
          quoted += escape;
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

std::string closest_name(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const std::string& candidate : candidates) {
    // Levenshtein distance, one row at a time.
    std::vector<std::size_t> row(candidate.size() + 1);
    for (std::size_t j = 0; j <= candidate.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= candidate.size(); ++j) {
        const std::size_t above = row[j];
        const std::size_t substitution = diagonal + (word[i - 1] == candidate[j - 1] ? 0 : 1);
        row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
        diagonal = above;
      }
    }
    const std::size_t distance = row[candidate.size()];
    // A third of the longer word, so that a truncated name ("kr_serv") still finds its match.
    const bool close = distance <= 2 || distance * 3 <= std::max(word.size(), candidate.size());
    if (close && distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace aimarket::config_schema

namespace aimarket {

std::string config_reference_markdown() {
  using namespace config_schema;
  std::ostringstream out;
  for (const SectionSpec& section : settings_sections()) {
    out << "### `[" << section.name << "]`\n\n" << section.meaning << "\n\n";
    append_key_table(out, settings_keys(), section.name);
    out << "\n";
  }
  out << "### `[[" << firm_section().name << "]]`\n\n" << firm_section().meaning << "\n\n";
  append_key_table(out, firm_keys(), firm_section().name);
  out << "\nSections the model names but this version does not implement (an error if "
         "present): ";
  for (std::size_t i = 0; i < unimplemented_sections().size(); ++i) {
    out << (i > 0 ? ", " : "") << "`[" << unimplemented_sections()[i] << "]`";
  }
  out << ".\n";
  return out.str();
}

}  // namespace aimarket
