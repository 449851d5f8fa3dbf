// Parameter uncertainty (src/uncertainty, src/config/read_priors.cpp,
// src/config/read_parameter_file.cpp): priors in the config, each replicate's draws (pure
// functions of seed, replicate and key, so paired across scenarios), their distributions, the
// design file's rows reaching their replicates, and each replicate's values acting in the
// kernels exactly as the same values given as the config's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/simulation.hpp"
#include "test_support.hpp"
#include "uncertainty/parameter_draws.hpp"

namespace aimarket {
namespace {

namespace fs = std::filesystem;
using testing::load_config_text;
using testing::load_repo_config;
using testing::source_path;

// A small market without priors of its own (the textbook logit market).
const std::vector<std::string> kSmall = {"population.customers=2000", "run.replicates=4"};

// A config on top of `base` (a repository path) with the given TOML text added.
Config config_with(const std::string& name, const std::string& text,
                   const std::vector<std::string>& assignments = kSmall,
                   const std::string& base = "configs/textbook/logit.toml") {
  return load_config_text(name, "base = \"" + source_path(base) + "\"\n" + text, assignments);
}

std::string error_of(const std::string& name, const std::string& text) {
  try {
    config_with(name, text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "the config was accepted:\n" << text;
  return "";
}

TEST(Priors, AreReadWithTheirPointValueAndRoundTripThroughTheResolvedConfig) {
  const Config config = config_with("priors_read", R"(
[firms]
awareness_max = { distribution = "log_uniform", low = 8.25, high = 33, source = "half to double" }
raise_runway_months = { value = 5, distribution = "triangular", low = 3, mode = 6, high = 12, source = "s" }
[compute]
target_utilization = { distribution = "normal", mean = 0.8, sd = 0.04, source = "s" }
)");
  ASSERT_EQ(config.priors.size(), 3u);
  // In the order of replicate_parameter_keys(), not the file's.
  EXPECT_EQ(config.priors[0].key, "firms.awareness_max");
  EXPECT_EQ(config.priors[1].key, "firms.raise_runway_months");
  EXPECT_EQ(config.priors[2].key, "compute.target_utilization");
  EXPECT_EQ(config.priors[1].distribution, "triangular");
  EXPECT_EQ(config.priors[1].mode, 6.0);
  // The point value: `value` where given, else the key's value so far (the default).
  EXPECT_EQ(config.firms.raise_runway_months, 5.0);
  EXPECT_EQ(config.firms.awareness_max, 16.5);

  const fs::path resolved = fs::temp_directory_path() / "aimarket_test_priors_resolved.toml";
  std::ofstream(resolved) << config.resolved_toml;
  const Config again = load_config(resolved.string(), {});
  ASSERT_EQ(again.priors.size(), config.priors.size());
  for (std::size_t i = 0; i < config.priors.size(); ++i) {
    const ParameterPrior& a = config.priors[i];
    const ParameterPrior& b = again.priors[i];
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.distribution, b.distribution);
    EXPECT_EQ(a.low, b.low);
    EXPECT_EQ(a.high, b.high);
    EXPECT_EQ(a.mode, b.mode);
    EXPECT_EQ(a.mean, b.mean);
    EXPECT_EQ(a.sd, b.sd);
    EXPECT_EQ(a.source, b.source);
  }
  EXPECT_EQ(again.firms.raise_runway_months, 5.0);
  fs::remove(resolved);
}

TEST(Priors, AnOverrideWithANumberDropsThePrior) {
  const Config config = config_with("priors_dropped", R"(
[firms]
awareness_max = { distribution = "uniform", low = 10, high = 20, source = "s" }
)",
                                    {"population.customers=2000", "firms.awareness_max=12"});
  EXPECT_TRUE(config.priors.empty());
  EXPECT_EQ(config.firms.awareness_max, 12.0);
}

TEST(Priors, BadPriorsAreRefusedNamingTheKey) {
  struct Case {
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      // A key every replicate shares at set-up.
      {"[demand]\nelo_discernment = { distribution = \"uniform\", low = 0, high = 2, source = "
       "\"s\" }",
       "demand.elo_discernment: cannot be given a prior"},
      {"[firms]\nawareness_max = { distribution = \"uniform\", low = 1, high = 2 }",
       "firms.awareness_max.source: missing"},
      {"[firms]\nawareness_max = { low = 1, high = 2, source = \"s\" }",
       "firms.awareness_max.distribution: missing"},
      {"[firms]\nawareness_max = { distribution = \"gamma\", low = 1, high = 2, source = \"s\" }",
       "firms.awareness_max.distribution"},
      {"[firms]\nawareness_max = { distribution = \"uniform\", low = 3, high = 2, source = \"s\" }",
       "low (3) must be below high (2)"},
      {"[firms]\nround_success = { distribution = \"uniform\", low = 0.1, high = 2, source = \"s\" "
       "}",
       "firms.round_success.high: out of range"},
      {"[firms]\nawareness_max = { distribution = \"uniform\", low = 1, hi = 2, source = \"s\" }",
       "firms.awareness_max.hi: unknown field"},
      {"[firms]\nawareness_max = { distribution = \"normal\", mean = 1, sd = 1, source = \"s\" }",
       "mean +- 4 sd must lie within"},
      {"[firms]\nawareness_max = { distribution = \"normal\", low = 1, mean = 5, sd = 1, source = "
       "\"s\" }",
       "firms.awareness_max.low: not a field of a normal prior"},
      {"[firms]\nawareness_max = { distribution = \"triangular\", low = 1, high = 2, mode = 3, "
       "source = \"s\" }",
       "mode must lie within [low, high]"},
      {"[firms]\nawareness_max = { distribution = \"log_uniform\", low = 0, high = 2, source = "
       "\"s\" }",
       "a log_uniform prior needs low > 0"},
  };
  for (const Case& c : cases) {
    const std::string message = error_of("priors_bad", c.text);
    EXPECT_NE(message.find(c.needle), std::string::npos) << c.text << "\n gave: " << message;
    EXPECT_NE(message.find("aimarket_test_priors_bad.toml:"), std::string::npos) << message;
  }
}

// A prior for tests of the draws.
ParameterPrior prior(const std::string& key, const std::string& distribution, double low,
                     double high, double mode = 0.0) {
  ParameterPrior p;
  p.key = key;
  p.distribution = distribution;
  p.low = low;
  p.high = high;
  p.mode = mode;
  return p;
}

// Mean and standard deviation of n draws of `p`, replicates 0 .. n-1.
struct Moments {
  double mean = 0.0;
  double sd = 0.0;
  double min = HUGE_VAL;
  double max = -HUGE_VAL;
};
Moments moments(const ParameterPrior& p, std::int64_t n, bool log_scale = false) {
  double sum = 0.0;
  double squares = 0.0;
  Moments m;
  for (std::int64_t r = 0; r < n; ++r) {
    const double value = draw_from_prior(p, 7, r);
    const double x = log_scale ? std::log(value) : value;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
    sum += x;
    squares += x * x;
  }
  m.mean = sum / static_cast<double>(n);
  m.sd = std::sqrt(squares / static_cast<double>(n) - m.mean * m.mean);
  return m;
}

TEST(ParameterDraws, FollowTheirDistributions) {
  // 40,000 draws: each mean is checked within 5 standard errors (sd / 200), which a correct
  // sampler fails with probability 6e-7; a wrong transform (e.g. a linear draw for
  // log_uniform, or a triangular mode ignored) misses by far more.
  constexpr std::int64_t kDraws = 40000;
  const double se = 1.0 / std::sqrt(static_cast<double>(kDraws));

  const Moments uniform = moments(prior("firms.awareness_max", "uniform", 10, 20), kDraws);
  const double uniform_sd = 10.0 / std::sqrt(12.0);
  EXPECT_NEAR(uniform.mean, 15.0, 5.0 * uniform_sd * se);
  EXPECT_NEAR(uniform.sd, uniform_sd, 0.02 * uniform_sd);
  EXPECT_GE(uniform.min, 10.0);
  EXPECT_LE(uniform.max, 20.0);

  // log_uniform: log of the draw is uniform on [log 8.25, log 33].
  const Moments log_uniform =
      moments(prior("firms.awareness_max", "log_uniform", 8.25, 33), kDraws, true);
  const double log_width = std::log(33.0) - std::log(8.25);
  EXPECT_NEAR(log_uniform.mean, 0.5 * (std::log(8.25) + std::log(33.0)),
              5.0 * log_width / std::sqrt(12.0) * se);
  EXPECT_GE(log_uniform.min, std::log(8.25));
  EXPECT_LE(log_uniform.max, std::log(33.0));

  // triangular(3, 6, 12): mean (3 + 6 + 12) / 3 = 7, variance (a^2 + b^2 + c^2 - ab - ac -
  // bc) / 18 = (9 + 36 + 144 - 18 - 36 - 72) / 18 = 3.5.
  const Moments triangular =
      moments(prior("firms.raise_runway_months", "triangular", 3, 12, 6), kDraws);
  EXPECT_NEAR(triangular.mean, 7.0, 5.0 * std::sqrt(3.5) * se);
  EXPECT_NEAR(triangular.sd, std::sqrt(3.5), 0.02 * std::sqrt(3.5));

  ParameterPrior normal = prior("compute.target_utilization", "normal", 0, 0);
  normal.mean = 0.8;
  normal.sd = 0.04;
  const Moments n = moments(normal, kDraws);
  EXPECT_NEAR(n.mean, 0.8, 5.0 * 0.04 * se);
  EXPECT_NEAR(n.sd, 0.04, 0.02 * 0.04);
}

TEST(ParameterDraws, ArePairedAcrossScenariosAndIndependentOfOtherKeysAndTheReplicateCount) {
  const std::string priors = R"(
[firms]
awareness_max = { distribution = "log_uniform", low = 8.25, high = 33, source = "s" }
[compute]
target_utilization = { distribution = "uniform", low = 0.6, high = 0.95, source = "s" }
)";
  const Config reference = config_with("draws_reference", priors, kSmall, "configs/baseline.toml");
  // A scenario: the same priors under other levers.
  const Config scenario = load_config_text(
      "draws_scenario",
      "base = \"" + source_path("configs/scenarios/sovereign_ai.toml") + "\"\n" + priors, kSmall);
  const ParameterDraws a = parameter_draws(reference);
  const ParameterDraws b = parameter_draws(scenario);
  ASSERT_EQ(a.keys, b.keys);
  EXPECT_EQ(a.values, b.values);  // bit for bit: comparisons are paired

  // Another seed draws other values.
  const Config reseeded = config_with(
      "draws_reseeded", priors, {"population.customers=2000", "run.replicates=4", "run.seed=2"},
      "configs/baseline.toml");
  const ParameterDraws c = parameter_draws(reseeded);
  for (std::size_t i = 0; i < a.values.size(); ++i) EXPECT_NE(a.values[i], c.values[i]);

  // More replicates, and a prior on one more key (a small market without priors of its
  // own): the first replicates' draws of the other keys stay as they were.
  const Config fewer = config_with("draws_fewer", priors);
  const Config more = config_with(
      "draws_more",
      priors +
          "[data]\npublic_data_rate = { distribution = \"uniform\", low = 0.1, high = 0.4, "
          "source = \"s\" }\n",
      {"population.customers=2000", "run.replicates=9"});
  const ParameterDraws f = parameter_draws(fewer);
  const ParameterDraws d = parameter_draws(more);
  ASSERT_EQ(f.keys,
            (std::vector<std::string>{"firms.awareness_max", "compute.target_utilization"}));
  ASSERT_EQ(d.keys, (std::vector<std::string>{"firms.awareness_max", "compute.target_utilization",
                                              "data.public_data_rate"}));
  for (std::int64_t r = 0; r < f.replicates; ++r) {
    EXPECT_EQ(d.at(r, 0), f.at(r, 0));
    EXPECT_EQ(d.at(r, 1), f.at(r, 1));
  }

  // Off: every replicate runs the point value.
  Config off = fewer;
  off.run.parameter_uncertainty = false;
  const ParameterDraws e = parameter_draws(off);
  for (std::int64_t r = 0; r < e.replicates; ++r) {
    EXPECT_EQ(e.at(r, 0), 16.5);
    EXPECT_EQ(e.at(r, 1), fewer.compute.target_utilization);
  }
}

// The state of replicate r after `steps` steps, as one flat list of numbers.
std::vector<double> replicate_state(const Config& config, std::int64_t r, std::int64_t steps) {
  Simulation sim(config, BackendChoice::kCpu);
  for (std::int64_t t = 0; t < steps; ++t) sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  const auto R = static_cast<std::size_t>(config.run.replicates);
  std::vector<double> out;
  auto take = [&](const auto& values) {
    const std::size_t per = values.size() / R;
    for (std::size_t i = 0; i < per; ++i) out.push_back(static_cast<double>(values[r * per + i]));
  };
  take(s.tally);
  take(s.cash);
  take(s.price);
  take(s.sold);
  take(s.capability);
  take(s.installed_compute);
  take(s.data_stock);
  take(s.rd_stock);
  take(s.service_price);
  take(s.service_quality);
  take(s.fab_capacity);
  take(s.funding);
  return out;
}

// Each uncertain key's value in row `row` of the test design: its point value times 0.7 or
// 1.4 (alternating by key and row), or the other factor where that leaves the key's range.
double design_value(const Config& config, const std::string& key, std::size_t k, int row) {
  const double point = parameter_value(config, key);
  const double factors[2] = {0.7, 1.4};
  const double first = point * factors[(k + static_cast<std::size_t>(row)) % 2];
  if (parameter_in_range(key, first)) return first;
  const double second = point * factors[(k + static_cast<std::size_t>(row) + 1) % 2];
  return parameter_in_range(key, second) ? second : point;
}

// A baseline of two replicates whose rows of the design are `rows` (each a factor row of
// design_value), with `calibration_rounds` rounds of the utility inversion.
Config two_replicates(const std::vector<int>& rows, int calibration_rounds) {
  Config config = load_repo_config(
      "configs/baseline.toml",
      {"population.customers=2000", "run.replicates=2", "run.parameter_uncertainty=false",
       "demand.calibration_rounds=" + std::to_string(calibration_rounds)});
  const Config point = config;
  const std::vector<std::string>& keys = replicate_parameter_keys();
  config.design.path = "test design";
  config.design.keys = keys;
  config.design.rows = static_cast<std::int64_t>(rows.size());
  for (const int row : rows) {
    for (std::size_t k = 0; k < keys.size(); ++k) {
      config.design.values.push_back(design_value(point, keys[k], k, row));
    }
  }
  return config;
}

constexpr std::int64_t kSteps = 8;

TEST(ParameterDraws, EachReplicateRunsAsIfItsValuesWereTheConfigs) {
  // Every key that may vary by replicate changes at once, differently in each of two rows.
  // Replicate r of the design's ensemble must equal, bit for bit, replicate r of an ensemble
  // whose config sets row r's values for all replicates: the values reach the kernels of
  // their replicate, and act there exactly as config values do (a key also read at set-up
  // would break this). And the rows must differ from the config's own values, so that the
  // comparison is not between two unchanged runs. Without the utility inversion, which pools
  // the replicates of a config but not replicates of different parameters (the next test).
  const Config design = two_replicates({0, 1}, 0);
  const Config unchanged = load_repo_config(
      "configs/baseline.toml", {"population.customers=2000", "run.replicates=2",
                                "run.parameter_uncertainty=false", "demand.calibration_rounds=0"});
  const std::vector<std::string>& keys = replicate_parameter_keys();
  for (int row = 0; row < 2; ++row) {
    Config point = unchanged;
    for (std::size_t k = 0; k < keys.size(); ++k) {
      set_parameter(point, keys[k], design_value(unchanged, keys[k], k, row));
    }
    const std::vector<double> batched = replicate_state(design, row, kSteps);
    EXPECT_EQ(batched, replicate_state(point, row, kSteps)) << "replicate " << row;
    EXPECT_NE(batched, replicate_state(unchanged, row, kSteps)) << "replicate " << row;
  }
}

TEST(ParameterDraws, AReplicateIsCalibratedAndRunsAloneWhateverTheOthersDraw) {
  // With the utility inversion on: replicate 0 runs row 0 in both ensembles, replicate 1 runs
  // row 1 in one and the config's own values in the other. Replicate 0 must not notice (each
  // replicate of its own parameters is its own calibration class), replicate 1 must.
  const Config a = two_replicates({0, 1}, 4);
  Config b = two_replicates({0, 0}, 4);
  // Row 0 twice would be one class, pooled; the config's values instead in replicate 1.
  const std::vector<std::string>& keys = replicate_parameter_keys();
  for (std::size_t k = 0; k < keys.size(); ++k) {
    b.design.values[keys.size() + k] = parameter_value(b, keys[k]);
  }
  EXPECT_EQ(replicate_state(a, 0, kSteps), replicate_state(b, 0, kSteps));
  EXPECT_NE(replicate_state(a, 1, kSteps), replicate_state(b, 1, kSteps));
}

class ParameterFile : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ =
        (fs::temp_directory_path() / ("aimarket_test_design_" + std::string(info->name()) + ".csv"))
            .string();
  }
  void TearDown() override { fs::remove(path_); }
  std::string write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_;
  }
  std::string error_of(const std::string& text, bool replicates_given = false) {
    Config config = load_repo_config("configs/baseline.toml", {"run.replicates=3"});
    try {
      read_parameter_file(write(text), replicates_given, config);
    } catch (const ConfigError& error) {
      return error.what();
    }
    ADD_FAILURE() << "the file was accepted:\n" << text;
    return "";
  }
  std::string path_;
};

TEST_F(ParameterFile, RowsBecomeReplicatesAndReplaceTheKeysPrior) {
  Config config = config_with("design_rows", R"(
[firms]
awareness_max = { distribution = "log_uniform", low = 8.25, high = 33, source = "s" }
round_success = { distribution = "uniform", low = 0.05, high = 0.2, source = "s" }
)");
  read_parameter_file(write("# a design\nfirms.awareness_max, compute.target_utilization\n"
                            "10,0.6\n\n20, 0.7\r\n30,0.9\n"),
                      false, config);
  EXPECT_EQ(config.run.replicates, 3);
  const ParameterDraws draws = parameter_draws(config);
  // The file's columns first, then the priors of the keys it does not set.
  ASSERT_EQ(draws.keys,
            (std::vector<std::string>{"firms.awareness_max", "compute.target_utilization",
                                      "firms.round_success"}));
  EXPECT_EQ(draws.at(0, 0), 10.0);
  EXPECT_EQ(draws.at(1, 0), 20.0);
  EXPECT_EQ(draws.at(2, 0), 30.0);
  EXPECT_EQ(draws.at(2, 1), 0.9);
  for (std::int64_t r = 0; r < 3; ++r) {
    EXPECT_GE(draws.at(r, 2), 0.05);
    EXPECT_LE(draws.at(r, 2), 0.2);
  }
  EXPECT_NE(config.resolved_toml.find("parameter file " + path_), std::string::npos);
}

TEST_F(ParameterFile, BadFilesAreRefusedNamingLineAndKey) {
  struct Case {
    std::string text;
    std::string needle;
    bool replicates_given = false;
  };
  const std::vector<Case> cases = {
      {"firms.awareness_mx\n1\n", ":1: column 1: unknown key 'firms.awareness_mx'"},
      {"firms.awareness_mx\n1\n", "did you mean 'firms.awareness_max'"},
      {"demand.elo_discernment\n1\n", ":1: demand.elo_discernment: cannot vary by replicate"},
      {"firms.awareness_max,firms.awareness_max\n1,2\n", "firms.awareness_max: repeated column"},
      {"firms.awareness_max\n1\nabc\n",
       ":3: firms.awareness_max: expected a finite number, got "
       "'abc'"},
      {"firms.awareness_max\n1\n1e400\n", ":3: firms.awareness_max: expected a finite number"},
      {"firms.round_success\n2\n", ":2: firms.round_success: out of range: got 2"},
      {"firms.awareness_max,firms.rd_scale\n1\n", ":2: row: 1 fields, but the header names 2"},
      {"firms.awareness_max\n", "rows: none"},
      {"", "header: empty"},
      {"firms.awareness_max\n1\n2\n", "2 rows, but --replicates is 3", true},
  };
  for (const Case& c : cases) {
    const std::string message = error_of(c.text, c.replicates_given);
    EXPECT_NE(message.find(c.needle), std::string::npos) << c.text << "\n gave: " << message;
    EXPECT_EQ(message.rfind(path_, 0), 0u) << "names the file first: " << message;
  }
}

}  // namespace
}  // namespace aimarket
