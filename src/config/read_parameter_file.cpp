// External designs (`aimarket run CONFIG --parameters FILE.csv`): a CSV file whose header
// names keys of replicate_parameter_keys() and whose rows give each replicate's values, so a
// Sobol, Morris or Latin-hypercube design runs as one batched ensemble (docs/CONFIG.md,
// "Parameter uncertainty"). Problems are reported like a config's: file:line, the key, what is
// wrong, every one found in one pass.
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config_internal.hpp"

namespace aimarket {

namespace {

using config_internal::Problems;
using config_internal::Where;

// The file's line `line` (1-based) as a problem's place.
Where line_of(const std::string& path, std::int64_t line) {
  return Where{0, line, 0, path + ":" + std::to_string(line)};
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = line.find(',', begin);
    fields.push_back(trim(line.substr(begin, comma == std::string::npos ? comma : comma - begin)));
    if (comma == std::string::npos) return fields;
    begin = comma + 1;
  }
}

const config_schema::KeySpec* spec_of(const std::string& key) {
  const auto dot = key.find('.');
  if (dot == std::string::npos) return nullptr;
  return config_schema::find_setting(std::string_view(key).substr(0, dot),
                                     std::string_view(key).substr(dot + 1));
}

// A line longer than this is not a row of numbers (a binary file given by mistake).
constexpr std::int64_t kMaxLineBytes = 1 << 20;

}  // namespace

void read_parameter_file(const std::string& path, bool replicates_given, Config& config) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open the parameter file");
  const std::vector<ConfigOverride> no_overrides;
  Problems problems(path, no_overrides);
  ParameterDesign design;
  design.path = path;
  std::vector<const config_schema::KeySpec*> specs;
  std::string line;
  std::int64_t number = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a file saved on Windows
    if (static_cast<std::int64_t>(line.size()) > kMaxLineBytes) {
      problems.add(line_of(path, number), "line", "longer than 1 MiB: not a parameter table");
      break;
    }
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    const std::vector<std::string> fields = split_fields(text);
    if (!header) {
      header = true;
      std::set<std::string> seen;
      for (std::size_t c = 0; c < fields.size(); ++c) {
        const std::string& key = fields[c];
        const std::string column = "column " + std::to_string(c + 1);
        const config_schema::KeySpec* spec = spec_of(key);
        if (spec == nullptr) {
          problems.add(line_of(path, number), column,
                       "unknown key " + quoted(key) +
                           config_internal::suggestion(key, replicate_parameter_keys()) +
                           "; a column names a key as section.name");
        } else if (!config_internal::is_replicate_parameter(key)) {
          problems.add(line_of(path, number), key,
                       "cannot vary by replicate (it sets up the starting state every replicate "
                       "shares, or is not a model parameter); keys that may: " +
                           join(replicate_parameter_keys(), ", "));
        } else if (!seen.insert(key).second) {
          problems.add(line_of(path, number), key, "repeated column");
        }
        design.keys.push_back(key);
        specs.push_back(spec);
      }
      continue;
    }
    if (fields.size() != design.keys.size()) {
      problems.add(line_of(path, number), "row",
                   std::to_string(fields.size()) + " fields, but the header names " +
                       std::to_string(design.keys.size()) + " keys");
      continue;
    }
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const std::string& field = fields[c];
      double value = 0.0;
      const char* end = field.data() + field.size();
      const auto [stop, error] = std::from_chars(field.data(), end, value);
      if (field.empty() || error != std::errc() || stop != end || !std::isfinite(value)) {
        problems.add(line_of(path, number), design.keys[c],
                     "expected a finite number, got " + quoted(field));
        value = 0.0;
      } else if (specs[c] != nullptr && !config_internal::value_in_range(value, specs[c]->range)) {
        problems.add(line_of(path, number), design.keys[c],
                     "out of range: got " + config_schema::number_text(value) + ", valid range " +
                         config_schema::range_text(*specs[c]));
      }
      design.values.push_back(value);
    }
    ++design.rows;
  }
  if (in.bad()) throw ConfigError(path + ": reading the parameter file failed");
  if (!header) {
    problems.add(problems.whole_file(), "header",
                 "empty: a parameter file has a header of keys and one row per replicate");
  } else if (design.rows == 0 && problems.empty()) {
    problems.add(line_of(path, number), "rows",
                 "none: a parameter file has one row of values per replicate");
  }
  if (problems.empty() && replicates_given && design.rows != config.run.replicates) {
    problems.add(problems.whole_file(), "rows",
                 std::to_string(design.rows) + " rows, but --replicates is " +
                     std::to_string(config.run.replicates) +
                     ": one row per replicate (leave out --replicates to run one per row)");
  }
  if (problems.empty() && design.rows > config_schema::kMaxReplicates) {
    problems.add(problems.whole_file(), "rows",
                 std::to_string(design.rows) + " rows: more replicates than a run allows (" +
                     std::to_string(config_schema::kMaxReplicates) + ")");
  }
  if (!problems.empty()) problems.throw_all();
  config.run.replicates = design.rows;
  config.design = std::move(design);
  config.resolved_toml = config_internal::resolved_toml(config);
}

void set_parameter(Config& config, const std::string& key, double value) {
  const config_schema::KeySpec* spec = spec_of(key);
  if (spec == nullptr || !config_internal::is_replicate_parameter(key)) {
    throw std::invalid_argument("set_parameter: " + key + " cannot vary by replicate");
  }
  *std::get<double*>(spec->field.setting(config)) = value;
}

double parameter_value(const Config& config, const std::string& key) {
  const config_schema::KeySpec* spec = spec_of(key);
  if (spec == nullptr || !config_internal::is_replicate_parameter(key)) {
    throw std::invalid_argument("parameter_value: " + key + " cannot vary by replicate");
  }
  // The schema's field accessors take a mutable Config; nothing is written through it.
  return *std::get<double*>(spec->field.setting(const_cast<Config&>(config)));
}

bool parameter_in_range(const std::string& key, double value) {
  const config_schema::KeySpec* spec = spec_of(key);
  return spec != nullptr && config_internal::value_in_range(value, spec->range);
}

}  // namespace aimarket
