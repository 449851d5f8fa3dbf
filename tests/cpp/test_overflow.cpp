// Money and fixed-point quantities are int64: the schema bounds the money inputs so that
// what they add over the longest run fits, and the kernels check the rest of the arithmetic
// (a run that overflows stops with an error instead of wrapping).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "config/config_schema.hpp"
#include "kernels/checked_int.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

TEST(MoneyRanges, OutsideIncomeOverTheLongestRunFitsInCash) {
  const config_schema::KeySpec* steps = config_schema::find_setting("run", "steps");
  const config_schema::KeySpec* cash = config_schema::find_firm_key("cash");
  const config_schema::KeySpec* income = config_schema::find_firm_key("other_income");
  ASSERT_NE(steps, nullptr);
  ASSERT_NE(cash, nullptr);
  ASSERT_NE(income, nullptr);
  // Both are USD M; cash is counted in USD. long double holds these sums exactly enough.
  const long double most = static_cast<long double>(cash->range.max) * 1e6L +
                           static_cast<long double>(steps->range.int_max) *
                               static_cast<long double>(income->range.max) * 1e6L;
  EXPECT_LT(most, static_cast<long double>(std::numeric_limits<std::int64_t>::max()))
      << "largest starting cash plus run.steps x largest other_income, in USD";
}

TEST(MoneyRanges, IncomeThatWouldOverflowIsRefusedNamingTheKey) {
  try {
    testing::load_repo_config("configs/baseline.toml", {"firm.OpenAI.other_income=1e12"});
    FAIL() << "other_income = 1e12 USD M per step was accepted";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("other_income"), std::string::npos) << what;
    EXPECT_NE(what.find("out of range"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(
      testing::load_repo_config("configs/baseline.toml", {"firm.OpenAI.other_income=1e5"}));
}

TEST(CheckedInt, SumsAtTheEdgesOfTheRange) {
  std::int64_t v = 7;
  EXPECT_TRUE(checked_add(kInt64Max - 1, 1, v));
  EXPECT_EQ(v, kInt64Max);
  EXPECT_FALSE(checked_add(kInt64Max, 1, v));
  EXPECT_EQ(v, kInt64Max) << "a failed sum leaves the result as it was";
  EXPECT_TRUE(checked_add(kInt64Min + 1, -1, v));
  EXPECT_EQ(v, kInt64Min);
  EXPECT_FALSE(checked_add(kInt64Min, -1, v));
  EXPECT_TRUE(checked_add(kInt64Max, kInt64Min, v));
  EXPECT_EQ(v, -1);
  EXPECT_TRUE(checked_sub(kInt64Min + 1, 1, v));
  EXPECT_EQ(v, kInt64Min);
  EXPECT_FALSE(checked_sub(kInt64Min, 1, v));
  EXPECT_FALSE(checked_sub(0, kInt64Min, v));
  EXPECT_TRUE(checked_sub(-1, kInt64Min, v));
  EXPECT_EQ(v, kInt64Max);
  EXPECT_FALSE(checked_sub(kInt64Max, -1, v));
}

TEST(CheckedInt, ConversionsOfDoublesRefuseNaNAndOutOfRange) {
  std::int64_t v = 7;
  EXPECT_TRUE(checked_to_int64(-9223372036854775808.0, v));
  EXPECT_EQ(v, kInt64Min);
  EXPECT_TRUE(checked_to_int64(9223372036854774784.0, v));  // largest double below 2^63
  EXPECT_EQ(v, 9223372036854774784LL);
  v = 7;
  EXPECT_FALSE(checked_to_int64(9223372036854775808.0, v));   // 2^63
  EXPECT_FALSE(checked_to_int64(-9223372036854777856.0, v));  // next double below -2^63
  EXPECT_FALSE(checked_to_int64(std::numeric_limits<double>::quiet_NaN(), v));
  EXPECT_FALSE(checked_to_int64(std::numeric_limits<double>::infinity(), v));
  EXPECT_FALSE(checked_to_int64(-std::numeric_limits<double>::infinity(), v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(checked_to_int64(-2.0, v));
  EXPECT_EQ(v, -2);
}

// One service firm whose customers pay 1e9 a month each, 3e7 real customers per agent (3e10
// real customers over 1,000 agents): its
// revenue (every value in range) passes what an int64 counts in USD within a few steps.
const char* kRichFirm = R"(
[run]
steps = 40
replicates = 2
seed = 1
[population]
customers = 1000
real_customers = 3e10
[[firm]]
name = "Pricey"
archetype = "consumer_ai"
region = "US"
price = 1e9
quality = 1.0
cash = 10.0
)";

std::vector<std::int64_t> overflow_after(const Config& config, BackendChoice backend,
                                         std::int64_t steps) {
  Simulation sim(config, backend);
  for (std::int64_t t = 0; t < steps; ++t) sim.step();
  std::vector<std::int64_t> overflow;
  sim.backend().read_overflow(overflow);
  return overflow;
}

TEST(Overflow, CashThatWouldWrapIsRecordedAndLeftAsItWas) {
  const Config config = testing::load_config_text("rich_firm", kRichFirm);
  Simulation sim(config, BackendChoice::kCpu);
  EnsembleSnapshot before, after;
  std::int64_t step = 0;
  for (; step < config.run.steps && !sim.backend().overflowed(); ++step) {
    sim.backend().read_snapshot(before);
    sim.step();
  }
  ASSERT_TRUE(sim.backend().overflowed()) << "the config must overflow within its steps";
  ASSERT_GT(step, 2) << "cash grows for a few steps first";
  const std::int64_t overflow_step = step - 1;
  sim.backend().read_snapshot(after);
  std::vector<std::int64_t> overflow;
  sim.backend().read_overflow(overflow);
  ASSERT_EQ(overflow.size(), after.cash.size());
  bool any = false;
  for (std::size_t k = 0; k < overflow.size(); ++k) {
    if (overflow[k] == 0) continue;
    any = true;
    EXPECT_EQ(overflow[k], overflow_step * kOverflowQuantities + kOverflowCash) << "cell " << k;
    // Not wrapped: the cash it had before the step, the firm still alive.
    EXPECT_EQ(after.cash[k], before.cash[k]) << "cell " << k;
    EXPECT_GT(after.cash[k], 0) << "cell " << k;
    EXPECT_EQ(after.alive[k], 1) << "cell " << k;
  }
  EXPECT_TRUE(any);
  const std::string problem = sim.overflow_problem();
  EXPECT_NE(problem.find("cash out of the int64 range at step " + std::to_string(overflow_step)),
            std::string::npos)
      << problem;
  EXPECT_NE(problem.find("firm 'Pricey'"), std::string::npos) << problem;
}

TEST(Overflow, RevenueTooLargeForAnIntegerIsRecordedAtItsStep) {
  // 1e9 real customers per agent at 1e9 each: a step's revenue is ~1e19-1e21 USD, beyond
  // int64 as a double; converting it was undefined behaviour.
  const Config config =
      testing::load_config_text("richer_firm", kRichFirm, {"population.real_customers=1e12"});
  const std::vector<std::int64_t> overflow = overflow_after(config, BackendChoice::kCpu, 1);
  for (std::size_t k = 0; k < overflow.size(); ++k) {
    EXPECT_EQ(overflow[k], 0 * kOverflowQuantities + kOverflowServiceRevenue) << "cell " << k;
  }
}

TEST(Overflow, TheRecordIsTheSameOnAnyThreadCount) {
  const Config config = testing::load_config_text("rich_firm_threads", kRichFirm);
  set_cpu_threads(1);
  const std::vector<std::int64_t> one = overflow_after(config, BackendChoice::kCpu, 30);
  set_cpu_threads(2);
  const std::vector<std::int64_t> two = overflow_after(config, BackendChoice::kCpu, 30);
  set_cpu_threads(0);
  EXPECT_EQ(one, two);
  EXPECT_NE(std::count(one.begin(), one.end(), 0), static_cast<std::ptrdiff_t>(one.size()));
}

TEST(Overflow, TheRecordIsTheSameOnCpuAndGpu) {
  std::string why_not;
  if (!cuda_backend_usable(&why_not)) GTEST_SKIP() << "skipped: " << why_not;
  const Config config = testing::load_config_text("rich_firm_gpu", kRichFirm);
  EXPECT_EQ(overflow_after(config, BackendChoice::kCpu, 30),
            overflow_after(config, BackendChoice::kCuda, 30));
}

TEST(Overflow, GuardNamesTheEarliestStepThenReplicateThenFirm) {
  RecordLayout layout;
  layout.replicates = 2;
  layout.firms = 3;
  const std::vector<std::string> names = {"A", "B", "C"};
  std::vector<std::int64_t> overflow(6, 0);
  EXPECT_EQ(find_overflow(overflow, layout, names), "");
  overflow[0] = 9 * kOverflowQuantities + kOverflowCash;  // r0 A, step 9
  overflow[5] = 4 * kOverflowQuantities + kOverflowMarket + kOverflowPerMarket * kMarketCloud +
                kOverflowPayments;                                  // r1 C, step 4
  overflow[4] = 4 * kOverflowQuantities + kOverflowServiceRevenue;  // r1 B, step 4
  const std::string problem = find_overflow(overflow, layout, names);
  EXPECT_EQ(problem.rfind("service revenue out of the int64 range at step 4, replicate 1, "
                          "firm 'B'",
                          0),
            0u)
      << problem;
  overflow[4] = 0;
  EXPECT_EQ(find_overflow(overflow, layout, names)
                .rfind("payments in the cloud market out of the int64 range at step 4, "
                       "replicate 1, firm 'C'",
                       0),
            0u);
}

}  // namespace
}  // namespace aimarket
