// Reading a config: the TOML file (and its `base =` chain) is parsed with toml++, the
// command-line overrides are written into the parsed document, and then every key is checked
// against the schema and stored in Config. Problems are collected, not thrown one by one, so
// that a user fixes a config in one pass; each names where the value came from
// (file:line:column, or the command-line option), the key, and what is wrong. Each job has its
// own file (config_internal.hpp lists them); this one runs them in order.
#include <algorithm>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/config_internal.hpp"

namespace aimarket {

using config_internal::apply_defaults;
using config_internal::apply_overrides;
using config_internal::check_has_firms;
using config_internal::check_settings;
using config_internal::load_with_bases;
using config_internal::Problems;
using config_internal::read_events;
using config_internal::read_named_firms;
using config_internal::read_settings;
using config_internal::Reader;
using config_internal::resolved_toml;
using config_internal::SettingNodes;

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

  // Priors in the order of replicate_parameter_keys(), whatever order the files gave them in.
  const std::vector<std::string>& order = replicate_parameter_keys();
  std::stable_sort(config.priors.begin(), config.priors.end(),
                   [&](const ParameterPrior& a, const ParameterPrior& b) {
                     return std::find(order.begin(), order.end(), a.key) <
                            std::find(order.begin(), order.end(), b.key);
                   });
  config.source_path = path;
  config.source_files = chain;
  config.resolved_toml = resolved_toml(config);
  return config;
}

}  // namespace aimarket
