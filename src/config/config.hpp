// The run configuration: every key a user may set in a TOML config or with --set, already
// validated and resolved to its default where absent. The schema (names, types, defaults,
// units, ranges, help text) lives in config_schema.cpp and is the single source of truth
// for parsing, validation, `aimarket keys` and docs/CONFIG.md.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/dimensions.hpp"

namespace aimarket {

struct RunSettings {
  std::int64_t steps = 120;          // months simulated
  std::int64_t replicates = 1;       // independent Monte Carlo replicates, advanced together
  std::uint64_t seed = 1;            // master seed of the counter-based RNG
  std::string start = "2024-01";     // calendar month of step 0 (YYYY-MM)
  std::int64_t record_every = 1;     // write the state every this many steps
  double flush_seconds = 2.0;        // the output file is flushed at least this often
};

struct PopulationSettings {
  std::int64_t customers = 100000;   // customer agents per replicate
  std::int64_t synthetic_firms = 0;  // synthetic service firms added to the named ones
  double customer_weight = 1.0;      // real customers represented by one agent
  std::array<double, kSegments> segment_shares{};  // fraction of customers per segment
  std::array<double, kRegions> region_shares{};    // fraction of customers per region
};

struct FirmsSettings {
  bool frozen = true;                       // firm state held fixed (only mode so far)
  std::string synthetic_archetype = "consumer_ai";
  double synthetic_quality_mean = 0.0;      // quality units (utility per beta_quality)
  double synthetic_quality_sd = 0.5;
  double synthetic_price_median = 1.0;      // price units (relative, per customer-month)
  double synthetic_price_log_sd = 0.3;
  double synthetic_awareness = 1.0;         // marketing awareness weight
  double foreign_language_fit = 0.5;        // language fit of a firm outside its home region
};

struct DemandSettings {
  double bass_p = 0.01;                 // innovation coefficient, per step
  double bass_q = 0.3;                  // imitation coefficient, per step
  double reconsider_rate = 0.05;        // probability an adopter reconsiders in a step
  std::int64_t consideration_set = 8;   // candidates sampled per chooser (0 = all firms)
  double awareness_installed_base = 0.5;  // weight of installed base in awareness sampling
  double beta_quality = 1.0;
  double beta_price = 1.0;
  double beta_home = 0.5;
  double beta_network = 0.5;
  double beta_language = 0.5;
  double switching_cost = 1.0;
  double price_taste_sd = 0.0;          // log-sd of a customer's personal price sensitivity
};

// One firm named in the config ([[firm]] array of tables).
struct FirmSpec {
  std::string name;
  std::string archetype;
  int region = 0;                                   // index into kRegionNames
  std::array<double, kSegments> quality{};          // per segment
  std::array<double, kSegments> price{};            // per segment, > 0
  std::array<bool, kSegments> serves{};             // segments the firm sells to
  double awareness = 1.0;
  std::array<double, kRegions> language_fit{};      // fit to customers of each region, [0,1]
};

struct Config {
  RunSettings run;
  PopulationSettings population;
  FirmsSettings firms;
  DemandSettings demand;
  std::vector<FirmSpec> named_firms;
  std::string source_path;    // the config file as given
  std::string resolved_toml;  // every key with its effective value, as TOML text
};

// A configuration or command-line value the program refuses. what() is one or more lines,
// each naming where (file:line or the command-line option), the key, and what is wrong.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One command-line change to the config: `assignment` is "section.key=value" (the value in
// TOML syntax, or a bare string); `origin` names where it came from in error messages,
// e.g. "--set demand.bass_p=2" or "--steps 0".
struct ConfigOverride {
  std::string assignment;
  std::string origin;
};

// Reads, overrides, validates and resolves a config.
// Throws ConfigError (never anything else for bad input) listing every problem found.
Config load_config(const std::string& path, const std::vector<ConfigOverride>& overrides);

// Markdown reference of every key (default, unit, range, meaning), as in docs/CONFIG.md.
std::string config_reference_markdown();

}  // namespace aimarket
