// The bench's arithmetic, and that a tiny bench fills every field of its report. Nothing here
// asserts a speed: timings only have to be consistent with each other.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "bench/bench.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

TEST(Bench, SpreadIsMedianMinMax) {
  const Spread odd = spread_of({3.0, 1.0, 2.0});
  EXPECT_EQ(odd.median, 2.0);
  EXPECT_EQ(odd.min, 1.0);
  EXPECT_EQ(odd.max, 3.0);
  const Spread even = spread_of({4.0, 1.0, 3.0, 2.0});
  EXPECT_EQ(even.median, 2.5);  // mean of the middle two
  EXPECT_EQ(even.min, 1.0);
  EXPECT_EQ(even.max, 4.0);
  const Spread one = spread_of({7.0});
  EXPECT_EQ(one.median, 7.0);
  const Spread none = spread_of({});
  EXPECT_EQ(none.median, 0.0);
  EXPECT_EQ(none.max, 0.0);
}

TEST(Bench, UpdatesPerSecondCountsAgentsTimesReplicatesTimesSteps) {
  // 1,000 customers x 4 replicates x 10 steps in 2 s.
  EXPECT_DOUBLE_EQ(updates_per_second(1000, 4, 10, 2.0), 20000.0);
  // Sizes whose product overflows 32 bits.
  EXPECT_DOUBLE_EQ(updates_per_second(1000000, 8, 2000, 4.0), 4.0e9);
  EXPECT_EQ(updates_per_second(1000, 4, 10, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(bytes_per_customer(8.0e6, 1000000, 2), 4.0);
  EXPECT_EQ(bytes_per_customer(1.0, 0, 2), 0.0);
}

TEST(Bench, TinyBenchFillsEveryField) {
  const Config config = testing::load_repo_config(
      "configs/textbook/logit.toml",
      {"population.customers=500", "run.replicates=2", "run.steps=3", "run.record_every=1"});
  BenchOptions options;
  options.steps = 2;
  options.warmup = 1;
  options.repetitions = 2;
  options.output = true;
  options.backend = BackendChoice::kCpu;
  options.threads = 1;
  options.command_line = "aimarket bench (test)";
  const BenchReport report = run_bench(config, options);

  EXPECT_EQ(report.backend, "cpu");
  EXPECT_EQ(report.threads, 1);
  EXPECT_EQ(report.customers, 500);
  EXPECT_EQ(report.replicates, 2);
  EXPECT_EQ(report.firms, 4);
  EXPECT_EQ(report.consideration_set, 0);
  EXPECT_EQ(report.steps, 2);
  EXPECT_EQ(report.warmup, 1);
  EXPECT_FALSE(report.date_utc.empty());
  EXPECT_GT(report.logical_cpus, 0);

  // Output off and on alternate: off, on, off, on.
  ASSERT_EQ(report.runs.size(), 4u);
  for (std::size_t i = 0; i < report.runs.size(); ++i) {
    const BenchRepetition& run = report.runs[i];
    EXPECT_EQ(run.repetition, static_cast<int>(i / 2) + 1);
    EXPECT_EQ(run.output, i % 2 == 1);
    ASSERT_GT(run.seconds, 0.0);
    EXPECT_GE(run.cpu_seconds, 0.0);
    EXPECT_DOUBLE_EQ(run.seconds_per_step, run.seconds / 2.0);
    EXPECT_DOUBLE_EQ(run.customer_updates_per_second, 500.0 * 2 * 2 / run.seconds);
    EXPECT_DOUBLE_EQ(run.firm_updates_per_second, 4.0 * 2 * 2 / run.seconds);
    std::vector<std::string> names;
    double phase_total = 0.0;
    for (const PhaseTime& p : run.phase_seconds_per_step) {
      names.push_back(p.phase);
      EXPECT_GE(p.seconds, 0.0) << p.phase;
      phase_total += p.seconds;
    }
    const std::vector<std::string> expected =
        run.output
            ? std::vector<std::string>{"market aggregates", "customer choice", "record", "output"}
            : std::vector<std::string>{"market aggregates", "customer choice", "record"};
    EXPECT_EQ(names, expected);
    // The phases are timed inside the step loop, so together they cannot exceed it (a small
    // allowance for the clock's own rounding).
    EXPECT_LE(phase_total, run.seconds_per_step * (1.0 + 1e-9) + 1e-9);
  }

  ASSERT_EQ(report.summaries.size(), 2u);
  EXPECT_FALSE(report.summaries[0].output);
  EXPECT_TRUE(report.summaries[1].output);
  for (const BenchModeSummary& mode : report.summaries) {
    const Spread& c = mode.customer_updates_per_second;
    EXPECT_LE(c.min, c.median);
    EXPECT_LE(c.median, c.max);
    EXPECT_EQ(mode.phase_names.size(), mode.phase_seconds_per_step.size());
  }
  EXPECT_GT(report.output_time_ratio.median, 0.0);

  EXPECT_GT(report.peak_host_bytes, 0.0);
  EXPECT_DOUBLE_EQ(report.customer_state_bytes, 4.0 + 2.0 / 2.0);  // int32 + 2 shared bytes
  EXPECT_FALSE(report.device_memory_measured);

  // The scratch HDF5 files are gone.
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::temp_directory_path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_NE(name.rfind("aimarket-bench-" + std::to_string(getpid()) + "-", 0), 0u) << name;
  }

  const std::string table = bench_table(report);
  for (const char* field :
       {"customer-updates/s", "firm-updates/s", "time per step", "customer choice", "record",
        "CPU use", "output on / output off", "peak host resident", "device memory"}) {
    EXPECT_NE(table.find(field), std::string::npos) << field;
  }
  const std::string json = bench_json(report);
  for (const char* field :
       {"\"customer_updates_per_second\"", "\"firm_updates_per_second\"",
        "\"phase_seconds_per_step\"", "\"cpu_seconds\"", "\"output_on\"", "\"output_off\"",
        "\"output_time_ratio\"", "\"peak_host_bytes\"", "\"customer_state_bytes\"",
        "\"device_bytes\": null", "\"command\": \"aimarket bench (test)\""}) {
    EXPECT_NE(json.find(field), std::string::npos) << field;
  }
}

TEST(Bench, RefusesAConfigShorterThanWarmupPlusSteps) {
  const Config config = testing::load_repo_config("configs/textbook/logit.toml",
                                                  {"population.customers=100", "run.steps=3"});
  BenchOptions options;
  options.steps = 3;
  options.warmup = 2;
  options.backend = BackendChoice::kCpu;
  EXPECT_THROW(run_bench(config, options), std::invalid_argument);
}

}  // namespace
}  // namespace aimarket
