// Money and fixed-point quantities are int64: the schema bounds the money inputs so that
// what they add over the longest run fits, and the kernels check the rest of the arithmetic
// (a run that overflows stops with an error instead of wrapping).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "config/config_schema.hpp"
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
  EXPECT_NO_THROW(testing::load_repo_config("configs/baseline.toml",
                                            {"firm.OpenAI.other_income=1e5"}));
}

}  // namespace
}  // namespace aimarket
