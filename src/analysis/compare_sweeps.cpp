// Scenarios and sweeps of `aimarket compare` (see compare.hpp): --sweep options, the grid of
// scenarios they make from the configs, and the names of the scenarios' trajectory files.
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analysis/compare.hpp"
#include "analysis/compare_internal.hpp"
#include "common/text.hpp"

namespace aimarket::analysis {

namespace fs = std::filesystem;

std::string unique_name(const std::string& base, std::set<std::string>& taken) {
  std::string name = base;
  for (int i = 2; taken.count(name) > 0; ++i) name = base + "-" + std::to_string(i);
  taken.insert(name);
  return name;
}

SweepAxis parse_sweep(const std::string& option) {
  SweepAxis axis;
  axis.origin = "--sweep " + option;
  const auto equals = option.find('=');
  if (equals == std::string::npos || trim(option.substr(0, equals)).empty()) {
    throw InputError(axis.origin + ": expected key=value1,value2,...");
  }
  axis.key = trim(option.substr(0, equals));
  const std::string list = option.substr(equals + 1);
  // Split at commas outside quotes, braces and brackets.
  std::string current;
  int depth = 0;
  char quote = '\0';
  for (char ch : list) {
    if (quote != '\0') {
      if (ch == quote) quote = '\0';
    } else if (ch == '"' || ch == '\'') {
      quote = ch;
    } else if (ch == '{' || ch == '[') {
      ++depth;
    } else if (ch == '}' || ch == ']') {
      --depth;
    } else if (ch == ',' && depth == 0) {
      axis.values.push_back(trim(current));
      current.clear();
      continue;
    }
    current += ch;
  }
  axis.values.push_back(trim(current));
  for (const std::string& value : axis.values) {
    if (value.empty()) throw InputError(axis.origin + ": an empty value in the list");
  }
  std::set<std::string> distinct(axis.values.begin(), axis.values.end());
  if (distinct.size() != axis.values.size()) {
    throw InputError(axis.origin + ": a value is listed twice");
  }
  for (const char* fixed : {"run.seed", "run.replicates", "run.steps"}) {
    if (axis.key == fixed) {
      throw InputError(axis.origin + ": " + fixed +
                       " is common to every scenario (common random numbers); set it with --" +
                       std::string(fixed).substr(4) + " instead");
    }
  }
  return axis;
}

std::vector<ScenarioSpec> expand_scenarios(const std::vector<std::string>& config_paths,
                                           const std::vector<SweepAxis>& sweeps) {
  std::set<std::string> taken_stems;
  std::set<std::string> seen_keys;
  for (const SweepAxis& axis : sweeps) {
    if (!seen_keys.insert(axis.key).second) {
      throw InputError(axis.origin + ": " + axis.key + " is swept twice");
    }
  }
  std::vector<ScenarioSpec> out;
  for (const std::string& path : config_paths) {
    const std::string stem = unique_name(fs::path(path).stem().string(), taken_stems);
    // The full grid, as mixed-radix counting: the last sweep varies fastest.
    std::size_t points = 1;
    for (const SweepAxis& axis : sweeps) points *= axis.values.size();
    for (std::size_t point = 0; point < points; ++point) {
      std::vector<std::size_t> position(sweeps.size());
      std::size_t rest = point;
      for (std::size_t k = sweeps.size(); k-- > 0;) {
        position[k] = rest % sweeps[k].values.size();
        rest /= sweeps[k].values.size();
      }
      ScenarioSpec spec;
      spec.config_path = path;
      spec.name = stem;
      std::string label;
      for (std::size_t k = 0; k < sweeps.size(); ++k) {
        const std::string& value = sweeps[k].values[position[k]];
        spec.sweep_overrides.push_back({sweeps[k].key + "=" + value, sweeps[k].origin});
        spec.sweep_values.push_back(value);
        label += (k == 0 ? "" : ",") + sweeps[k].key + "=" + value;
      }
      if (!sweeps.empty()) spec.name += "[" + label + "]";
      out.push_back(std::move(spec));
    }
  }
  return out;
}

std::string scenario_file_stem(const std::string& name) {
  std::string out;
  for (char ch : name) {
    const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                       (ch >= '0' && ch <= '9') ||
                       std::string("._,=+[]-").find(ch) != std::string::npos;
    out += plain ? ch : '_';
  }
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out;
}

}  // namespace aimarket::analysis
