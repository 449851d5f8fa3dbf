// Budgets from cash flow and venture funding rounds (MODEL.md "Budgets and funding";
// kernels/funding_rounds.hpp): each rule against its closed form, a round's frequency against
// its chance, and a run's rounds against the rule.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/funding_rounds.hpp"
#include "kernels/layout.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::load_config_text;

TEST(Funding, BudgetFollowsOperatingCashFlowAndAVentureFirmsLastRound) {
  // Cash-flow firm: rho x OCF, whatever its cash; nothing from a negative OCF.
  EXPECT_DOUBLE_EQ(planned_budget(true, 0.5, 8e9, 1e12, 1e12, 0.03), 4e9);
  EXPECT_DOUBLE_EQ(planned_budget(true, 0.5, -8e9, 1e12, 1e12, 0.03), 0.0);
  // Venture firm: spend_rate x the cash after its last round + OCF, whatever cash is left
  // while that covers the burn; a negative OCF and a negative cash add nothing.
  EXPECT_DOUBLE_EQ(planned_budget(false, 0.5, 2e8, 1e10, 1e10, 0.06), 0.06 * 1e10 + 2e8);
  EXPECT_DOUBLE_EQ(planned_budget(false, 0.5, 2e8, 4e9, 1e10, 0.06), 0.06 * 1e10 + 2e8);
  EXPECT_DOUBLE_EQ(planned_budget(false, 0.5, -2e8, 1e10, 1e10, 0.06), 0.06 * 1e10);
  EXPECT_DOUBLE_EQ(planned_budget(false, 0.5, 3e7, -5.0, 1e10, 0.06), 3e7);
  // Less cash than the planned burn: it spends what it has.
  EXPECT_DOUBLE_EQ(planned_budget(false, 0.5, 0.0, 2e8, 1e10, 0.06), 2e8);
}

TEST(Funding, BudgetSharesAFirmCannotUseGoToTheOthersInProportion) {
  const BudgetShares strategy{0.4, 0.1, 0.3, 0.2};
  // A lab (model layer) uses every item: the strategy's shares unchanged.
  const BudgetShares lab = usable_budget_shares(kLayerBitModel, strategy);
  EXPECT_EQ(lab.compute, 0.4);
  EXPECT_EQ(lab.data, 0.1);
  EXPECT_EQ(lab.rd, 0.3);
  EXPECT_EQ(lab.marketing, 0.2);
  // A pure service firm has no use for compute: 0.1 / 0.3 / 0.2 over 0.6.
  const BudgetShares service = usable_budget_shares(kLayerBitService, strategy);
  EXPECT_EQ(service.compute, 0.0);
  EXPECT_DOUBLE_EQ(service.data, 0.1 / 0.6);
  EXPECT_DOUBLE_EQ(service.rd, 0.3 / 0.6);
  EXPECT_DOUBLE_EQ(service.marketing, 0.2 / 0.6);
  // A memory maker has no use for data: 0.4 / 0.3 / 0.2 over 0.9.
  const BudgetShares maker = usable_budget_shares(kLayerBitHbm, strategy);
  EXPECT_EQ(maker.data, 0.0);
  EXPECT_DOUBLE_EQ(maker.compute, 0.4 / 0.9);
  EXPECT_DOUBLE_EQ(maker.rd, 0.3 / 0.9);
  EXPECT_DOUBLE_EQ(maker.marketing, 0.2 / 0.9);
  EXPECT_DOUBLE_EQ(maker.compute + maker.data + maker.rd + maker.marketing, 1.0);
  // Nothing usable at all: nothing is spent.
  const BudgetShares none =
      usable_budget_shares(kLayerBitService, BudgetShares{1.0, 0.0, 0.0, 0.0});
  EXPECT_EQ(none.rd + none.marketing + none.data + none.compute, 0.0);
}

TEST(Funding, RoundOddsScaleWithTheOddsOfBeatingTheTypicalFirmAndWithGrowth) {
  // A typical firm with flat revenue: p0.
  EXPECT_NEAR(round_chance(0.11, 0.0, 1.0), 0.11, 1e-15);
  // 200 Elo points above the typical firm: odds x 10^(200/400) = 3.162.
  const double odds = 0.11 / 0.89 * std::pow(10.0, 0.5);
  EXPECT_NEAR(round_chance(0.11, 200.0, 1.0), odds / (1.0 + odds), 1e-12);
  // 400 points below, revenue at half its trend: odds / 10 / 2.
  const double low = 0.11 / 0.89 / 20.0;
  EXPECT_NEAR(round_chance(0.11, -400.0, 0.5), low / (1.0 + low), 1e-12);
  EXPECT_EQ(round_chance(1.0, -400.0, 0.5), 1.0);
  EXPECT_EQ(round_chance(0.11, 0.0, 0.0), 0.0) << "revenue gone: no round";
  EXPECT_DOUBLE_EQ(round_growth(5.0, 0.0), 1.0) << "no trend yet: no penalty";
  EXPECT_DOUBLE_EQ(round_growth(5.0, 10.0), 0.5);
  EXPECT_DOUBLE_EQ(round_growth(20.0, 10.0), 2.0);
}

ValueChainParams funding_params(double success) {
  ValueChainParams p{};
  p.raise_runway_months = 6.0;
  p.round_success = success;
  p.revenue_trend_months = 12.0;
  return p;
}

TEST(Funding, ARoundBringsTheMonthsOfBurnTheSpendingRatePlans) {
  const ValueChainParams sure = funding_params(1.0);
  // 6 months of a 10 M burn is 60 M: at 70 M of cash the firm does not raise.
  RoundOutcome none = venture_round(sure, 70e6, 10e6, 0.0, 0.0, 0.0, 0.05, 1, 0, 3, 4);
  EXPECT_EQ(none.raised, 0.0);
  EXPECT_FALSE(none.close_down);
  EXPECT_FALSE(seeks_round(sure, 70e6, 10e6));
  EXPECT_FALSE(seeks_round(sure, 1e6, -10e6)) << "a firm that earns cash does not raise";
  // At 50 M it raises 10 M / 0.05 - 50 M = 150 M: it then holds twenty months of the burn.
  const RoundOutcome raised = venture_round(sure, 50e6, 10e6, 0.0, 0.0, 0.0, 0.05, 1, 0, 3, 4);
  EXPECT_DOUBLE_EQ(raised.raised, 150e6);
  EXPECT_FALSE(raised.close_down);
  // A round that cannot close: a firm without revenue and less than a month of cash closes
  // down; one with revenue, or with more than a month of cash, goes on.
  const ValueChainParams never = funding_params(0.0);
  EXPECT_TRUE(venture_round(never, 5e6, 10e6, 0.0, 0.0, 0.0, 0.05, 1, 0, 3, 4).close_down);
  EXPECT_FALSE(venture_round(never, 5e6, 10e6, 1e6, 0.0, 0.0, 0.05, 1, 0, 3, 4).close_down);
  EXPECT_FALSE(venture_round(never, 20e6, 10e6, 0.0, 0.0, 0.0, 0.05, 1, 0, 3, 4).close_down);
}

TEST(Funding, ARoundIsSizedForTheDrawOnRaisedMoneyNotForReinvestedEarnings) {
  // A venture firm draws 10 a step from its last round. Steady income of 50: it spends 60 and
  // earns 50, cash lost 10 = its draw. A one-off sale of 100 last step, spent this step: cash
  // lost 110, but only 10 of it is a draw on raised money. An operating loss of 20 this step
  // (nothing earned last step): cash lost 30, all of it drawn.
  EXPECT_DOUBLE_EQ(round_burn(10.0, 50.0, 50.0), 10.0);
  EXPECT_DOUBLE_EQ(round_burn(110.0, 100.0, 0.0), 10.0);
  EXPECT_DOUBLE_EQ(round_burn(30.0, 0.0, -20.0), 30.0);
  // The windfall's month does not look like 11 months of burn to a firm with 60 of cash left:
  // it seeks no round (runway 6 months of 10 = 60 is not short).
  ValueChainParams p{};
  p.raise_runway_months = 6.0;
  EXPECT_TRUE(seeks_round(p, 60.0, 110.0));
  EXPECT_FALSE(seeks_round(p, 60.0, round_burn(110.0, 100.0, 0.0)));
}

TEST(Funding, RoundsCloseAtTheirChance) {
  // p from odds 0.3 / 0.7 x 10^(-200/400) x 0.8: the share of firms (independent draws by
  // firm index) whose raise closes, within 4 binomial standard deviations of p.
  const ValueChainParams p = funding_params(0.3);
  const double chance = round_chance(0.3, -200.0, 0.8);
  const int firms = 40000;
  int closed = 0;
  for (int j = 0; j < firms; ++j) {
    const RoundOutcome out = venture_round(p, 1e6, 1e6, 8.0, 10.0, -200.0, 0.05, 11, 2, 7,
                                           static_cast<std::uint32_t>(j));
    closed += out.raised > 0.0 ? 1 : 0;
  }
  const double sd = std::sqrt(chance * (1.0 - chance) / firms);
  EXPECT_NEAR(static_cast<double>(closed) / firms, chance, 4.0 * sd);
}

// A lab with little cash that burns: it raises when its runway is short; a big-tech firm
// spends rho x its outside cash flow. The lab's service is free (no revenue, so no growth
// factor) and the only one (the typical firm itself): its raise closes with round_success.
const char* kFunded = R"(
[run]
replicates = 2
seed = 9
[population]
customers = 2000
[firms]
fixed_cost = 1.0
round_success = 1.0
[[firm]]
name = "Lab"
archetype = "model_lab"
region = "US"
quality = 1.0
cash = 20.0
spend_rate = 0.05
paid_conversion = 0.0
[[firm]]
name = "Tech"
archetype = "big_tech"
region = "US"
layers = ["model"]
cash = 1000.0
other_income = 100.0
reinvestment_rate = 0.4
compute_share = 0.5
data_share = 0.1
rd_share = 0.25
marketing_share = 0.15
[[firm]]
name = "Svc"
archetype = "consumer_ai"
region = "US"
layers = ["service"]
cash = 100.0
spend_rate = 0.05
compute_share = 0.4
data_share = 0.1
rd_share = 0.3
marketing_share = 0.2
)";

TEST(Funding, AVentureLabRaisesItsPlannedRunwayWhenItRunsShort) {
  const Config config = load_config_text("funded", kFunded);
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  EnsembleSnapshot before, after;
  sim.backend().read_snapshot(before);
  int rounds = 0;
  for (int t = 0; t < 24; ++t) {
    sim.step();
    sim.backend().read_snapshot(after);
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      const auto k = static_cast<std::size_t>(layout::replicate_firm(r, 0, n));
      ASSERT_TRUE(after.alive[k]) << "a round that always closes keeps the lab alive";
      const std::int64_t burn = before.cash[k] - (after.cash[k] - after.funding[k]);
      if (after.funding[k] > 0) {
        ++rounds;
        // Raised = burn / spend_rate less the cash left, rounded to the dollar, and only when
        // that cash covered fewer than 6 months of the burn: it then holds 20 months of it.
        const std::int64_t left = after.cash[k] - after.funding[k];
        EXPECT_EQ(after.funding[k],
                  std::llround(static_cast<double>(burn) / 0.05 - static_cast<double>(left)));
        EXPECT_LT(static_cast<double>(left), 6.0 * burn);
      } else if (burn > 0) {
        EXPECT_GE(static_cast<double>(after.cash[k]), 6.0 * burn) << "short and not raising";
      }
    }
    before = after;
  }
  EXPECT_GT(rounds, 0) << "20 M against a burn above 1 M a month runs short within 24 months";
}

TEST(Funding, ALabWhoseRaiseFailsWithoutRevenueClosesDown) {
  const Config config = load_config_text("unfunded", kFunded, {"firms.round_success=0"});
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  EnsembleSnapshot before, after;
  sim.backend().read_snapshot(before);
  bool closed = false;
  std::int64_t first_burn = -1;
  for (int t = 0; t < 60 && !closed; ++t) {
    sim.step();
    sim.backend().read_snapshot(after);
    const auto k = static_cast<std::size_t>(layout::replicate_firm(0, 0, n));
    EXPECT_EQ(after.funding[k], 0);
    // It burns what it planned at the start (spend_rate x its starting cash, and the fixed
    // cost) every month, so its runway shortens: whole-USD rounding of the step's costs.
    if (first_burn < 0) first_burn = before.cash[k] - after.cash[k];
    if (after.alive[k]) {
      EXPECT_NEAR(before.cash[k] - after.cash[k], first_burn, 2) << "step " << t;
    }
    if (before.alive[k] && !after.alive[k]) {
      closed = true;
      // It closed down with cash left, less than one month of its burn, not bankrupt.
      const std::int64_t burn = before.cash[k] - after.cash[k];
      EXPECT_GE(after.cash[k], 0);
      EXPECT_LT(after.cash[k], burn);
      EXPECT_EQ(after.service_revenue[k], 0);
    }
    before = after;
  }
  EXPECT_TRUE(closed);
}

TEST(Funding, APureServiceFirmSpendsItsComputeShareOnItsOtherBudgets) {
  // Step 0: budget = spend_rate x starting cash = 0.05 x 100 = 5 M; the firm serves customers
  // and has no model or cloud, so its compute share (0.4) goes to data, R&D and marketing in
  // proportion: R&D 5 x 0.3 / 0.6 = 2.5 M, the R&D stock after the step (it starts at 0).
  const Config config = load_config_text("service", kFunded);
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  const std::int32_t n = sim.firms().size();
  EXPECT_NEAR(s.rd_stock[static_cast<std::size_t>(layout::replicate_firm(0, 2, n))],
              0.05 * 100.0 * 0.3 / 0.6, 1e-9);
}

TEST(Funding, ACashFlowFirmsFirstBudgetIsItsReinvestedOutsideCashFlow) {
  // Step 0: OCF = other_income (no AI revenue yet), so the R&D budget is
  // 0.4 x 100 M x 0.25 = 10 M, the R&D stock after the step (it starts at 0).
  const Config config = load_config_text("cashflow", kFunded);
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  const std::int32_t n = sim.firms().size();
  EXPECT_NEAR(s.rd_stock[static_cast<std::size_t>(layout::replicate_firm(0, 1, n))],
              0.4 * 100.0 * 0.25, 1e-9);
  EXPECT_EQ(s.funding[static_cast<std::size_t>(layout::replicate_firm(0, 1, n))], 0)
      << "a cash-flow firm raises no venture rounds";
}

}  // namespace
}  // namespace aimarket
