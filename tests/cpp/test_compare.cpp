// Tests of `aimarket compare` (src/analysis/): the ensemble statistics against hand-computed
// and textbook values, the per-replicate measures on hand-made arrays and on a crafted
// trajectory file, common random numbers (a config compared with itself differs by exactly
// zero), the sweep grid, and the refusals of bad input.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "analysis/statistics.hpp"
#include "analysis/trajectory_reader.hpp"
#include "kernels/layout.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

namespace fs = std::filesystem;
using analysis::Comparison;
using analysis::ComparisonRow;
using analysis::InputError;
using analysis::ScenarioFile;
using analysis::Summary;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A fresh, empty temporary folder for one test.
fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("aimarket_test_compare_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The small market the file-level tests run: the baseline's named firms plus a few synthetic
// ones, few customers, 3 steps, 3 replicates (well under a second on the CPU backend).
std::vector<std::string> small_market(const std::string& extra = "") {
  std::vector<std::string> a = {"population.customers=2000", "population.synthetic_firms=20",
                                "run.steps=3", "run.replicates=3"};
  if (!extra.empty()) a.push_back(extra);
  return a;
}

// Runs a config to a trajectory file on the CPU backend, quietly.
void run_to(const Config& config, const fs::path& out) {
  RunOptions options;
  options.out_path = out.string();
  options.overwrite = true;
  options.backend = BackendChoice::kCpu;
  options.progress = ProgressMode::kNone;
  run_simulation(config, options);
}

const ComparisonRow& find_row(const Comparison& c, const std::string& scenario,
                              const std::string& measure, const std::string& layer,
                              const std::string& firm = "") {
  for (const ComparisonRow& row : c.rows) {
    if (row.scenario == scenario && row.key.measure == measure && row.key.layer == layer &&
        row.key.firm == firm) {
      return row;
    }
  }
  throw std::runtime_error("no row " + scenario + "/" + measure + "/" + layer + "/" + firm);
}

// --- Statistics --------------------------------------------------------------------------
// Reference quantiles are the standard table values (t_{0.975}(1) = 12.7062047364,
// t_{0.975}(3) = 3.18244630528, t_{0.975}(4) = 2.77644510520, t_{0.975}(7) = 2.36462425101).
// Tolerance 1e-9: the references are given to 10-12 significant digits; Boost's quantiles
// and the long-double moments are good to ~1e-15 relative.
constexpr double kHandTolerance = 1e-9;

TEST(CompareStatistics, MeanSdAndStudentTIntervalOfASmallSample) {
  // {2,4,4,4,5,5,7,9}: mean 5, sum of squares 32, sd sqrt(32/7) = 2.13808993530,
  // half width t_{0.975}(7) * sd / sqrt(8) = 1.78748791780.
  const Summary s = analysis::summarize({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(s.n, 8);
  EXPECT_NEAR(s.mean, 5.0, kHandTolerance);
  EXPECT_NEAR(s.sd, 2.13808993530, kHandTolerance);
  EXPECT_NEAR(s.ci_low, 5.0 - 1.78748791780, kHandTolerance);
  EXPECT_NEAR(s.ci_high, 5.0 + 1.78748791780, kHandTolerance);

  // Two values: sd = sqrt(2), half width = t_{0.975}(1) * sqrt(2) / sqrt(2) = 12.7062047364.
  const Summary two = analysis::summarize({1, 3});
  EXPECT_NEAR(two.ci_low, 2.0 - 12.7062047364, kHandTolerance);
  EXPECT_NEAR(two.ci_high, 2.0 + 12.7062047364, kHandTolerance);
}

TEST(CompareStatistics, NaNIsSkippedAndTinySamplesHaveNoInterval) {
  const Summary s = analysis::summarize({1, kNaN, 3});
  EXPECT_EQ(s.n, 2);
  EXPECT_NEAR(s.ci_high, 2.0 + 12.7062047364, kHandTolerance);
  const Summary one = analysis::summarize({4.0, kNaN});
  EXPECT_EQ(one.n, 1);
  EXPECT_EQ(one.mean, 4.0);
  EXPECT_TRUE(std::isnan(one.sd));
  EXPECT_TRUE(std::isnan(one.ci_low));
  const Summary none = analysis::summarize({kNaN});
  EXPECT_EQ(none.n, 0);
  EXPECT_TRUE(std::isnan(none.mean));
  // No spread: the zero-width interval, exactly.
  const Summary flat = analysis::summarize({0.25, 0.25, 0.25});
  EXPECT_EQ(flat.sd, 0.0);
  EXPECT_EQ(flat.ci_low, 0.25);
  EXPECT_EQ(flat.ci_high, 0.25);
}

TEST(CompareStatistics, PairedDifferenceIsTheTIntervalOfPerReplicateDifferences) {
  // Differences {0.5, 0.9, 0.4, 0.6}: mean 0.6, sd sqrt(0.14/3) = 0.216024689947,
  // half width t_{0.975}(3) * sd / 2 = 0.343743488186.
  const Summary d = analysis::paired_difference({1, 2, 3, 4}, {1.5, 2.9, 3.4, 4.6});
  EXPECT_EQ(d.n, 4);
  EXPECT_NEAR(d.mean, 0.6, kHandTolerance);
  EXPECT_NEAR(d.sd, 0.216024689947, kHandTolerance);
  EXPECT_NEAR(d.ci_low, 0.6 - 0.343743488186, kHandTolerance);
  EXPECT_NEAR(d.ci_high, 0.6 + 0.343743488186, kHandTolerance);
  // A pair with a NaN is dropped.
  EXPECT_EQ(analysis::paired_difference({1, kNaN, 3}, {2, 5, kNaN}).n, 1);
  EXPECT_THROW(analysis::paired_difference({1, 2}, {1}), std::invalid_argument);
}

TEST(CompareStatistics, WelchIntervalOfIndependentSamples) {
  // {1,2,3} vs {4,5,6}: difference 3, standard error sqrt(1/3 + 1/3) = 0.816496580928,
  // Welch-Satterthwaite df = (2/3)^2 / ((1/3)^2/2 * 2) = 4, half width
  // t_{0.975}(4) * 0.816496580928 = 2.26695793553.
  const Summary d = analysis::welch_difference({1, 2, 3}, {4, 5, 6});
  EXPECT_NEAR(d.mean, 3.0, kHandTolerance);
  EXPECT_NEAR(d.sd, 0.816496580928, kHandTolerance);
  EXPECT_NEAR(d.ci_low, 3.0 - 2.26695793553, kHandTolerance);
  EXPECT_NEAR(d.ci_high, 3.0 + 2.26695793553, kHandTolerance);
}

TEST(CompareStatistics, WilsonIntervalMatchesNewcombesTable) {
  // Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score, no
  // continuity correction); published to 4 decimals, hence the tolerance of half a unit there.
  constexpr double kPublished = 0.5e-4;
  const struct {
    std::int64_t successes, trials;
    double low, high;
  } cases[] = {{81, 263, 0.2553, 0.3662},
               {15, 148, 0.0624, 0.1605},
               {0, 20, 0.0, 0.1611},
               {1, 29, 0.0061, 0.1718}};
  for (const auto& c : cases) {
    const auto w = analysis::wilson_interval(c.successes, c.trials);
    EXPECT_NEAR(w.low, c.low, kPublished) << c.successes << "/" << c.trials;
    EXPECT_NEAR(w.high, c.high, kPublished) << c.successes << "/" << c.trials;
  }
  // All successes: the upper bound is exactly 1, the lower n / (n + z^2).
  const auto all = analysis::wilson_interval(3, 3);
  EXPECT_EQ(all.high, 1.0);
  EXPECT_NEAR(all.low, 3.0 / (3.0 + 1.959963984540054 * 1.959963984540054), 1e-12);
  EXPECT_TRUE(std::isnan(analysis::wilson_interval(0, 0).low));
}

// --- Measures on hand-made arrays --------------------------------------------------------

TEST(CompareMeasures, PerReplicateFunctions) {
  const std::vector<bool> korean = {false, true, true, false};
  const double revenue[] = {0.5, 0.2, 0.1, 0.2};
  EXPECT_DOUBLE_EQ(analysis::sum_over_firms(revenue, korean), 0.2 + 0.1);

  const double customers[] = {10, 30, 0, 60};  // Korean customers by provider
  EXPECT_DOUBLE_EQ(analysis::home_provider_share(customers, korean), 0.3);
  const double nobody[] = {0, 0, 0, 0};
  EXPECT_TRUE(std::isnan(analysis::home_provider_share(nobody, korean)));

  const double alive_first[] = {1, 1, 0, 1};  // the second Korean firm was not alive at first
  const double alive_now[] = {0, 0, 1, 1};    // ... its entry later does not count
  EXPECT_DOUBLE_EQ(analysis::survival_fraction(alive_first, alive_now, korean), 0.0);
  const double alive_both[] = {1, 1, 1, 1};
  EXPECT_DOUBLE_EQ(analysis::survival_fraction(alive_both, alive_now, korean), 0.5);
  EXPECT_TRUE(std::isnan(analysis::survival_fraction(nobody, alive_now, korean)));

  const double shares[] = {0.2, 0.4, 0.4, 0.0};  // a tie: the lower slot leads
  EXPECT_EQ(analysis::leading_firm(shares, 4), 1);
  EXPECT_EQ(analysis::leading_firm(nobody, 4), -1);

  const double price[] = {1.0, 2.0, kNaN, 4.0};  // firm 2 sells no service: skipped
  const double weights[] = {1, 3, 5, 0};
  EXPECT_DOUBLE_EQ(analysis::weighted_mean(weights, price, 4), (1.0 + 6.0) / 4.0);
  EXPECT_TRUE(std::isnan(analysis::weighted_mean(nobody, price, 4)));
}

// --- Measures from a crafted trajectory file ---------------------------------------------

// Writes a two-step file from a real simulation's frames with chosen firm states, so that
// survival, leadership and the no-trade rule are checked through the reader and the indexing.
TEST(CompareMeasures, CraftedFileGivesTheExpectedSurvivalLeadersAndNoTradeNaN) {
  const fs::path dir = fresh_dir("crafted");
  const Config config = testing::load_repo_config("configs/baseline.toml", small_market());
  Simulation sim(config, BackendChoice::kCpu);
  const RecordLayout& record = sim.record_layout();
  const std::size_t firms = static_cast<std::size_t>(record.firms);
  std::vector<std::size_t> korean;
  for (std::size_t f = 0; f < firms; ++f) {
    if (kRegionNames[record.firm_region[f]] == std::string("KR")) korean.push_back(f);
  }
  ASSERT_GE(korean.size(), 4u) << "the baseline has Korean firms";
  const fs::path path = dir / "crafted.h5";
  {
    TrajectoryWriter writer(path.string(), sim.metadata(), true, 1e9);
    for (int t = 0; t < 2; ++t) {
      sim.step();
      RecordFrame frame = sim.record_frame();
      // Every firm alive at the first step; at the second, in replicate 1 one Korean firm has
      // exited and in replicate 2 two of them have.
      std::fill(frame.alive.begin(), frame.alive.end(), std::uint8_t{1});
      if (t == 1) {
        const auto alive = [&](std::int64_t r, std::size_t f) -> std::uint8_t& {
          return frame.alive[static_cast<std::size_t>(layout::replicate_firm(r, f, firms))];
        };
        alive(1, korean[0]) = 0;
        alive(2, korean[0]) = 0;
        alive(2, korean[1]) = 0;
      }
      // The hbm layer: Korean firm korean[2] leads in replicates 0 and 1, korean[3] in 2;
      // in every replicate, the model layer has no trade.
      for (std::size_t r = 0; r < 3; ++r) {
        const auto hbm_row = static_cast<std::size_t>(layout::replicate_layer_firm(r, 0, 0, firms));
        double* hbm = &frame.market_share[hbm_row];
        std::fill(hbm, hbm + firms, 0.0);
        hbm[r < 2 ? korean[2] : korean[3]] = 0.7;
        hbm[r < 2 ? korean[3] : korean[2]] = 0.3;
        frame.layer_units[static_cast<std::size_t>(layout::replicate_layer(r, 3))] = 0.0;
      }
      writer.push(std::move(frame));
    }
    writer.finish();
  }

  std::vector<std::string> warnings;
  const Comparison c =
      analysis::compare_files({ScenarioFile{"crafted", path.string(), {}}}, {}, warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(c.dates.size(), 1u);
  const double n_kr = static_cast<double>(korean.size());
  const ComparisonRow& survival = find_row(c, "crafted", analysis::kKrSurvival, "");
  ASSERT_EQ(survival.values.size(), 3u);
  EXPECT_DOUBLE_EQ(survival.values[0], 1.0);
  EXPECT_DOUBLE_EQ(survival.values[1], (n_kr - 1) / n_kr);
  EXPECT_DOUBLE_EQ(survival.values[2], (n_kr - 2) / n_kr);

  const std::string& leader_a = sim.firms().name[korean[2]];
  const std::string& leader_b = sim.firms().name[korean[3]];
  const ComparisonRow& a = find_row(c, "crafted", analysis::kLeaderShare, "hbm", leader_a);
  const ComparisonRow& b = find_row(c, "crafted", analysis::kLeaderShare, "hbm", leader_b);
  EXPECT_EQ(a.values, (std::vector<double>{1, 1, 0}));
  EXPECT_EQ(b.values, (std::vector<double>{0, 0, 1}));
  EXPECT_NEAR(a.summary.mean, 2.0 / 3.0, 1e-15);
  const auto wilson = analysis::wilson_interval(2, 3);
  EXPECT_EQ(a.summary.ci_low, wilson.low);
  EXPECT_EQ(a.summary.ci_high, wilson.high);
  // Only firms that lead somewhere are reported.
  for (const ComparisonRow& row : c.rows) {
    if (row.key.measure == analysis::kLeaderShare) {
      EXPECT_GT(row.summary.mean, 0.0) << row.key.firm;
    }
  }
  // The model layer had no trade: its shares and HHI are undefined, not 0.
  EXPECT_EQ(find_row(c, "crafted", analysis::kHhi, "model").summary.n, 0);
  EXPECT_EQ(find_row(c, "crafted", analysis::kKrShareWorld, "model").summary.n, 0);
  EXPECT_EQ(find_row(c, "crafted", analysis::kHhi, "hbm").summary.n, 3);
}

// --- Common random numbers ---------------------------------------------------------------

TEST(CompareCommonRandomNumbers, AConfigComparedWithItselfDiffersByExactlyZero) {
  const fs::path dir = fresh_dir("crn");
  analysis::CompareOptions options;
  const std::string config = testing::source_path("configs/baseline.toml");
  options.inputs = {config, config};
  options.out_dir = (dir / "out").string();
  for (const std::string& s : small_market()) options.set.push_back(s);
  options.backend = BackendChoice::kCpu;
  options.progress = ProgressMode::kNone;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int status = analysis::run_compare(options);
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(status, 0) << err;
  EXPECT_NE(out.find("Paired"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir / "out" / "comparison.csv"));
  EXPECT_TRUE(fs::exists(dir / "out" / "comparison.h5"));

  std::vector<std::string> warnings;
  const Comparison c = analysis::compare_files(
      {ScenarioFile{"baseline", (dir / "out" / "runs" / "baseline.h5").string(), {}},
       ScenarioFile{"baseline-2", (dir / "out" / "runs" / "baseline-2.h5").string(), {}}},
      {}, warnings);
  ASSERT_TRUE(c.paired);
  ASSERT_EQ(c.rows.size() % 2, 0u);
  const std::size_t half = c.rows.size() / 2;
  std::size_t with_interval = 0;
  for (std::size_t k = 0; k < half; ++k) {
    const ComparisonRow& ref = c.rows[k];
    const ComparisonRow& same = c.rows[half + k];
    ASSERT_EQ(ref.key.measure, same.key.measure);
    for (std::size_t r = 0; r < ref.values.size(); ++r) {
      if (std::isnan(ref.values[r])) {
        EXPECT_TRUE(std::isnan(same.values[r]));
      } else {
        EXPECT_EQ(ref.values[r], same.values[r]) << ref.key.measure << " " << ref.key.layer;
      }
    }
    if (same.difference.n >= 2) {
      ++with_interval;
      EXPECT_EQ(same.difference.mean, 0.0);
      EXPECT_EQ(same.difference.ci_low, 0.0);
      EXPECT_EQ(same.difference.ci_high, 0.0);
    }
  }
  EXPECT_GT(with_interval, 10u);

  // The baseline's priors: every scenario's replicate r ran the same draws, so differences are
  // attributed to them (here too few replicates for the fit's share: the drivers are listed).
  const Config baseline = testing::load_repo_config("configs/baseline.toml");
  EXPECT_EQ(c.parameters.size(), baseline.priors.size());
  EXPECT_EQ(c.rows[half].attribution.drivers.size(), c.parameters.size());
  EXPECT_NE(out.find("What drives each difference"), std::string::npos) << out;
  std::ifstream csv(dir / "out" / "comparison.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_NE(header.find("diff_parameter_share,diff_drivers"), std::string::npos) << header;
}

TEST(CompareCommonRandomNumbers, EveryScenarioRunsWithTheFirstConfigsSeedReplicatesAndSteps) {
  const fs::path dir = fresh_dir("crn_settings");
  // A second config that asks for another seed, replicate count and length.
  const fs::path other = dir / "other.toml";
  std::ofstream(other) << "base = \"" << testing::source_path("configs/baseline.toml")
                       << "\"\n[run]\nseed = 99\nreplicates = 2\nsteps = 2\n";
  analysis::CompareOptions options;
  options.inputs = {testing::source_path("configs/baseline.toml"), other.string()};
  options.out_dir = (dir / "out").string();
  options.set = {"population.customers=2000", "population.synthetic_firms=20"};
  options.steps = "3";
  options.replicates = "3";
  options.backend = BackendChoice::kCpu;
  options.progress = ProgressMode::kNone;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int status = analysis::run_compare(options);
  ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(status, 0) << err;
  const analysis::TrajectoryReader first((dir / "out" / "runs" / "baseline.h5").string());
  const analysis::TrajectoryReader second((dir / "out" / "runs" / "other.h5").string());
  EXPECT_EQ(second.info().seed, first.info().seed);
  EXPECT_EQ(second.info().replicates, 3);
  EXPECT_EQ(second.info().steps_requested, 3);
}

// --- Sweeps ------------------------------------------------------------------------------

TEST(CompareSweep, FullGridOverEveryConfigWithUniqueNames) {
  const analysis::SweepAxis p = analysis::parse_sweep("demand.bass_p=0.01, 0.02");
  const analysis::SweepAxis r =
      analysis::parse_sweep("population.region_shares={US=0.5,KR=0.5},{US=1.0},x");
  EXPECT_EQ(p.values, (std::vector<std::string>{"0.01", "0.02"}));
  EXPECT_EQ(r.values, (std::vector<std::string>{"{US=0.5,KR=0.5}", "{US=1.0}", "x"}));
  const auto specs = analysis::expand_scenarios({"a/s.toml", "b/s.toml"}, {p, r});
  ASSERT_EQ(specs.size(), 12u);
  EXPECT_EQ(specs[0].name, "s[demand.bass_p=0.01,population.region_shares={US=0.5,KR=0.5}]");
  EXPECT_EQ(specs[1].name, "s[demand.bass_p=0.01,population.region_shares={US=1.0}]");
  EXPECT_EQ(specs[3].name, "s[demand.bass_p=0.02,population.region_shares={US=0.5,KR=0.5}]");
  EXPECT_EQ(specs[6].name, "s-2[demand.bass_p=0.01,population.region_shares={US=0.5,KR=0.5}]");
  EXPECT_EQ(specs[6].config_path, "b/s.toml");
  ASSERT_EQ(specs[5].sweep_overrides.size(), 2u);
  EXPECT_EQ(specs[5].sweep_overrides[0].assignment, "demand.bass_p=0.02");
  EXPECT_EQ(specs[5].sweep_overrides[1].assignment, "population.region_shares=x");
  EXPECT_EQ(specs[5].sweep_overrides[1].origin, r.origin);
  EXPECT_EQ(specs[5].sweep_values, (std::vector<std::string>{"0.02", "x"}));
  // No sweep: one scenario per config.
  EXPECT_EQ(analysis::expand_scenarios({"x.toml"}, {}).size(), 1u);
  EXPECT_EQ(analysis::scenario_file_stem("s[a=\"b c\"/d]"), "s[a=_b_c__d]");
}

TEST(CompareSweep, BadSweepsAreRefusedNamingTheOption) {
  for (const std::string bad : {"demand.bass_p", "=1,2", "demand.bass_p=", "demand.bass_p=1,,2",
                                "demand.bass_p=1,1", "run.seed=1,2", "run.replicates=2,4"}) {
    try {
      analysis::parse_sweep(bad);
      ADD_FAILURE() << "accepted --sweep " << bad;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--sweep " + bad), std::string::npos) << e.what();
    }
  }
  // A value the config schema refuses: the loader's message names the --sweep option.
  const fs::path dir = fresh_dir("bad_sweep");
  analysis::CompareOptions options;
  options.inputs = {testing::source_path("configs/baseline.toml")};
  options.out_dir = (dir / "out").string();
  options.sweeps = {"demand.bass_p=0.01,abc"};
  ::testing::internal::CaptureStderr();
  const int status = analysis::run_compare(options);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, 2);
  EXPECT_NE(err.find("--sweep demand.bass_p=0.01,abc"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "out")) << "nothing is written for bad input";
}

// --- Bad input ---------------------------------------------------------------------------

TEST(CompareInput, MissingNonHdf5AndForeignFilesAreRefused) {
  const fs::path dir = fresh_dir("foreign");
  const auto message_of = [](const std::string& path) {
    try {
      analysis::TrajectoryReader reader(path);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(message_of((dir / "missing.h5").string()).find("no such file"), std::string::npos);
  std::ofstream(dir / "text.h5") << "not hdf5\n";
  EXPECT_NE(message_of((dir / "text.h5").string()).find("not an HDF5 file"), std::string::npos);
  const hid_t file =
      H5Fcreate((dir / "foreign.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  H5Fclose(file);
  const std::string foreign = message_of((dir / "foreign.h5").string());
  EXPECT_NE(foreign.find("not an aimarket output"), std::string::npos) << foreign;
  EXPECT_NE(foreign.find("foreign.h5"), std::string::npos) << foreign;

  // Through the command: exit status 2, nothing written.
  analysis::CompareOptions options;
  options.inputs = {(dir / "foreign.h5").string()};
  options.out_dir = (dir / "out").string();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(analysis::run_compare(options), 2);
  options.inputs = {(dir / "nowhere.toml").string()};
  EXPECT_EQ(analysis::run_compare(options), 2);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("nowhere.toml': no such file"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(CompareInput, DifferentFirmTablesCutShortRunsAndUnrecordedData) {
  const fs::path dir = fresh_dir("files");
  const Config config = testing::load_repo_config("configs/baseline.toml", small_market());
  run_to(config, dir / "a.h5");
  run_to(testing::load_repo_config("configs/baseline.toml",
                                   small_market("population.synthetic_firms=21")),
         dir / "more_firms.h5");
  std::vector<std::string> warnings;
  try {
    analysis::compare_files(
        {{"a", (dir / "a.h5").string(), {}}, {"more", (dir / "more_firms.h5").string(), {}}}, {},
        warnings);
    ADD_FAILURE() << "files of different firm tables were compared";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("different firm tables"), std::string::npos) << e.what();
  }

  // A run cut short: 2 of 3 steps written, status "interrupted ...".
  {
    Simulation sim(config, BackendChoice::kCpu);
    TrajectoryWriter writer((dir / "short.h5").string(), sim.metadata(), true, 1e9);
    for (int t = 0; t < 2; ++t) {
      sim.step();
      writer.push(sim.record_frame());
    }
    writer.finish("interrupted after step 2 of 3");
  }
  const Comparison c = analysis::compare_files(
      {{"a", (dir / "a.h5").string(), {}}, {"short", (dir / "short.h5").string(), {}}}, {},
      warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("short.h5"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("2 recorded steps"), std::string::npos) << warnings[0];
  // The default date is the last one both recorded: the short run's last.
  EXPECT_EQ(c.dates, (std::vector<std::string>{"2024-02"}));
  try {
    analysis::compare_files(
        {{"a", (dir / "a.h5").string(), {}}, {"short", (dir / "short.h5").string(), {}}},
        {"2024-03"}, warnings);
    ADD_FAILURE() << "a date the short run did not record was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("2024-03"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("short.h5"), std::string::npos) << e.what();
  }

  // A file that does not record region_customers (as files of earlier versions): the
  // Korean-customer measures are unavailable, with a note, and the rest is reported.
  fs::copy_file(dir / "a.h5", dir / "old.h5");
  {
    const hid_t file = H5Fopen((dir / "old.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    if (H5Lexists(file, analysis::kRegionCustomersVariable, H5P_DEFAULT) > 0) {
      ASSERT_GE(H5Ldelete(file, analysis::kRegionCustomersVariable, H5P_DEFAULT), 0);
    }
    H5Fclose(file);
  }
  const Comparison old =
      analysis::compare_files({{"old", (dir / "old.h5").string(), {}}}, {}, warnings);
  EXPECT_EQ(find_row(old, "old", analysis::kKrShareKorea, "service").summary.n, 0);
  EXPECT_EQ(find_row(old, "old", analysis::kKrCustomerPrice, "service").summary.n, 0);
  EXPECT_EQ(find_row(old, "old", analysis::kHhi, "service").summary.n, 3);
  ASSERT_EQ(old.notes.size(), 1u);
  EXPECT_NE(old.notes[0].find("region_customers"), std::string::npos) << old.notes[0];
  EXPECT_NE(old.notes[0].find(analysis::kKrShareKorea), std::string::npos) << old.notes[0];
  EXPECT_NE(analysis::markdown_table(old).find("region_customers"), std::string::npos);
}

// --- Hostile files: every attribute and dataset is checked before it is read ---------------

// A copy of `source` in `dir` named `name`, changed by `change` through the HDF5 C API.
fs::path changed_copy(const fs::path& source, const fs::path& dir, const std::string& name,
                      const std::function<void(hid_t)>& change) {
  fs::path path = dir / name;
  fs::copy_file(source, path, fs::copy_options::overwrite_existing);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  EXPECT_GE(file, 0) << path;
  change(file);
  EXPECT_GE(H5Fclose(file), 0) << path;
  return path;
}

// Replaces root attribute `name` by one of `type` over `space` holding `data`.
void replace_attribute(hid_t file, const char* name, hid_t type, hid_t space, const void* data) {
  if (H5Aexists(file, name) > 0) {
    ASSERT_GE(H5Adelete(file, name), 0) << name;
  }
  const hid_t attribute = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(attribute, 0) << name;
  EXPECT_GE(H5Awrite(attribute, type, data), 0) << name;
  H5Aclose(attribute);
}

void set_int64_attribute(hid_t file, const char* name, std::int64_t value) {
  const hid_t space = H5Screate(H5S_SCALAR);
  replace_attribute(file, name, H5T_STD_I64LE, space, &value);
  H5Sclose(space);
}

// The InputError message of comparing the file, or "(accepted)".
std::string refusal_of(const fs::path& path) {
  std::vector<std::string> warnings;
  try {
    analysis::compare_files({ScenarioFile{"x", path.string(), {}}}, {}, warnings);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(CompareInput, AttributesOfTheWrongShapeOrTypeAreRefusedBeforeTheyAreRead) {
  const fs::path dir = fresh_dir("hostile_attributes");
  run_to(testing::load_repo_config("configs/baseline.toml", small_market()), dir / "a.h5");
  ASSERT_EQ(refusal_of(dir / "a.h5"), "(accepted)");

  // `seed` as an array of 4,000 values: read into one uint64 it overran the stack.
  const fs::path seed_array = changed_copy(dir / "a.h5", dir, "seed_array.h5", [](hid_t file) {
    std::vector<std::uint64_t> seeds(4000, 7);
    const hsize_t n = seeds.size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    replace_attribute(file, "seed", H5T_STD_U64LE, space, seeds.data());
    H5Sclose(space);
  });
  std::string message = refusal_of(seed_array);
  EXPECT_NE(message.find("seed_array.h5'"), std::string::npos) << message;
  EXPECT_NE(message.find("root attribute 'seed' holds 4000 values; expected one"),
            std::string::npos)
      << message;

  // `status` as two fixed-length strings: read as one it came out truncated ('complet').
  const fs::path status_array = changed_copy(dir / "a.h5", dir, "status_array.h5", [](hid_t file) {
    const hsize_t n = 2;
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 7);
    replace_attribute(file, "status", type, space, "completeverify");
    H5Tclose(type);
    H5Sclose(space);
  });
  message = refusal_of(status_array);
  EXPECT_NE(message.find("status_array.h5'"), std::string::npos) << message;
  EXPECT_NE(message.find("root attribute 'status' holds 2 values; expected one"), std::string::npos)
      << message;

  // A number where a string belongs, a string where a number belongs.
  const fs::path seed_text = changed_copy(dir / "a.h5", dir, "seed_text.h5", [](hid_t file) {
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 4);
    replace_attribute(file, "seed", type, space, "1234");
    H5Tclose(type);
    H5Sclose(space);
  });
  message = refusal_of(seed_text);
  EXPECT_NE(message.find("root attribute 'seed' is a string, not an integer"), std::string::npos)
      << message;
  const fs::path status_number =
      changed_copy(dir / "a.h5", dir, "status_number.h5",
                   [](hid_t file) { set_int64_attribute(file, "status", 1); });
  message = refusal_of(status_number);
  EXPECT_NE(message.find("root attribute 'status' is an integer, not a string"), std::string::npos)
      << message;

  // Through the command: bad input, nothing written.
  analysis::CompareOptions options;
  options.inputs = {seed_array.string()};
  options.out_dir = (dir / "out").string();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(analysis::run_compare(options), 2);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("'seed' holds 4000 values"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(CompareInput, AttributesThatContradictTheDatasetsAreRefusedNamingBoth) {
  const fs::path dir = fresh_dir("inconsistent");
  run_to(testing::load_repo_config("configs/baseline.toml", small_market()), dir / "a.h5");

  // More replicates than the data: the measures were read past the arrays (1e180 means).
  struct Case {
    const char* file;
    const char* attribute;
    std::int64_t value;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"replicates_1000.h5", "replicates", 1000,
       "root attribute 'replicates' says 1000 but the 'replicate' dimension holds 3"},
      {"replicates_negative.h5", "replicates", -5,
       "root attribute 'replicates' is -5; a run has at least 1 replicate"},
      {"replicates_huge.h5", "replicates", std::int64_t{1} << 62,
       "root attribute 'replicates' says 4611686018427387904 but the 'replicate' dimension "
       "holds 3"},
      {"steps_recorded.h5", "steps_recorded", 99,
       "root attribute 'steps_recorded' says 99 but dataset 'step' holds 3"},
      {"record_every.h5", "record_every", 0, "root attribute 'record_every' is 0"},
  };
  for (const Case& c : cases) {
    const fs::path path = changed_copy(dir / "a.h5", dir, c.file, [&](hid_t file) {
      set_int64_attribute(file, c.attribute, c.value);
    });
    const std::string message = refusal_of(path);
    EXPECT_NE(message.find(std::string(c.file) + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
  }

  // A data variable with fewer replicates than the file says (the 'replicate' dimension and
  // the attribute agree): refused when it is read, naming the dataset.
  const fs::path short_hhi = changed_copy(dir / "a.h5", dir, "short_hhi.h5", [](hid_t file) {
    ASSERT_GE(H5Ldelete(file, "hhi", H5P_DEFAULT), 0);
    const hsize_t dims[3] = {1, 3, 5};
    const hid_t space = H5Screate_simple(3, dims, nullptr);
    const hid_t dataset =
        H5Dcreate2(file, "hhi", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(dataset, 0);
    const std::vector<double> values(15, 0.5);
    EXPECT_GE(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              0);
    H5Dclose(dataset);
    H5Sclose(space);
  });
  const std::string message = refusal_of(short_hhi);
  EXPECT_NE(message.find("dataset 'hhi' holds 1 replicates but the root attribute 'replicates' "
                         "says 3"),
            std::string::npos)
      << message;
}

TEST(CompareInput, FilesOfDifferentSeedsAreComparedUnpairedWithWelchIntervals) {
  const fs::path dir = fresh_dir("unpaired");
  run_to(testing::load_repo_config("configs/baseline.toml", small_market()), dir / "a.h5");
  run_to(testing::load_repo_config("configs/baseline.toml", small_market("run.seed=7")),
         dir / "b.h5");
  std::vector<std::string> warnings;
  const Comparison c = analysis::compare_files(
      {{"a", (dir / "a.h5").string(), {}}, {"b", (dir / "b.h5").string(), {}}}, {}, warnings);
  EXPECT_FALSE(c.paired);
  EXPECT_EQ(c.pairing.rfind("Unpaired (Welch)", 0), 0u) << c.pairing;
  const ComparisonRow& ref = find_row(c, "a", analysis::kHhi, "service");
  const ComparisonRow& other = find_row(c, "b", analysis::kHhi, "service");
  const Summary welch = analysis::welch_difference(ref.values, other.values);
  EXPECT_EQ(other.difference.mean, welch.mean);
  EXPECT_EQ(other.difference.ci_low, welch.ci_low);
  EXPECT_EQ(other.difference.ci_high, welch.ci_high);
  EXPECT_TRUE(std::isnan(ref.difference.mean));
}

TEST(CompareInput, ExistingOutputsAreNotReplacedWithoutOverwrite) {
  const fs::path dir = fresh_dir("overwrite");
  const Config config = testing::load_repo_config("configs/baseline.toml", small_market());
  run_to(config, dir / "a.h5");
  analysis::CompareOptions options;
  options.inputs = {(dir / "a.h5").string()};
  options.out_dir = (dir / "out").string();
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(analysis::run_compare(options), 0);
  const auto written = fs::last_write_time(dir / "out" / "comparison.csv");
  EXPECT_EQ(analysis::run_compare(options), 2);
  EXPECT_EQ(fs::last_write_time(dir / "out" / "comparison.csv"), written);
  options.overwrite = true;
  EXPECT_EQ(analysis::run_compare(options), 0);
  // --set has no meaning for files already run.
  options.set = {"demand.bass_p=0.1"};
  EXPECT_EQ(analysis::run_compare(options), 2);
  ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("comparison.csv' exists; pass --overwrite"), std::string::npos) << err;
  EXPECT_NE(err.find("--set applies to configs"), std::string::npos) << err;
}

}  // namespace
}  // namespace aimarket
