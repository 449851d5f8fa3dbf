// Shared helpers for the C++ tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/simulation.hpp"
#include "kernels/layout.hpp"
#include "kernels/value_chain_state.hpp"

namespace aimarket::testing {

inline std::string source_path(const std::string& relative) {
  return std::string(AIMARKET_SOURCE_DIR) + "/" + relative;
}

// Loads a config from the repository with "key=value" overrides.
inline Config load_repo_config(const std::string& relative,
                               const std::vector<std::string>& assignments = {}) {
  std::vector<ConfigOverride> overrides;
  overrides.reserve(assignments.size());
  for (const auto& a : assignments) overrides.push_back({a, "test override " + a});
  return load_config(source_path(relative), overrides);
}

// Writes `text` to a config file in the temporary folder (named after `name`) and loads it
// with "key=value" overrides.
inline Config load_config_text(const std::string& name, const std::string& text,
                               const std::vector<std::string>& assignments = {}) {
  const auto path = std::filesystem::temp_directory_path() / ("aimarket_test_" + name + ".toml");
  std::ofstream(path) << text;
  std::vector<ConfigOverride> overrides;
  overrides.reserve(assignments.size());
  for (const auto& a : assignments) overrides.push_back({a, "test " + a});
  return load_config(path.string(), overrides);
}

// The slot of the firm named `name` (a test failure, and -1, when there is none).
inline std::int32_t firm_index(const Simulation& sim, const std::string& name) {
  const auto& names = sim.firms().name;
  for (std::size_t j = 0; j < names.size(); ++j) {
    if (names[j] == name) return static_cast<std::int32_t>(j);
  }
  ADD_FAILURE() << "no firm " << name;
  return -1;
}

// Offsets into a snapshot's [replicate][firm] and [replicate][market][firm] arrays.
inline std::size_t firm_cell(std::int64_t replicate, std::int32_t firms, std::int32_t j) {
  return static_cast<std::size_t>(layout::replicate_firm(replicate, j, firms));
}
inline std::size_t market_cell(std::int64_t replicate, int market, std::int32_t firms,
                               std::int32_t j) {
  return static_cast<std::size_t>(layout::replicate_market_firm(replicate, market, j, firms));
}

// A traded quantity in units from its int64 fixed point.
inline double units(std::int64_t fixed_point) {
  return static_cast<double>(fixed_point) / kUnitScale;
}

// Runs `steps` steps on the CPU backend and returns the simulation for inspection.
inline std::vector<std::int32_t> run_and_read_providers(const Config& config, std::int64_t steps,
                                                        BackendChoice backend) {
  Simulation sim(config, backend);
  for (std::int64_t t = 0; t < steps; ++t) sim.step();
  std::vector<std::int32_t> provider;
  sim.backend().read_providers(provider);
  return provider;
}

// Softmax of values (reference for logit shares), in long double for a clean reference.
inline std::vector<double> softmax(const std::vector<double>& v) {
  long double max = v[0];
  for (double x : v) max = std::max<long double>(max, x);
  long double total = 0;
  for (double x : v) total += std::exp(static_cast<long double>(x) - max);
  std::vector<double> p;
  p.reserve(v.size());
  for (double x : v)
    p.push_back(static_cast<double>(std::exp(static_cast<long double>(x) - max) / total));
  return p;
}

}  // namespace aimarket::testing
