// Demand-led capacity with lead times and the packaging limit (docs/MODEL.md, "Capacity:
// demand-led, with lead times"; kernels/capacity_investment.hpp): orders arrive after exactly
// the lead time, capacity tracks demand / target utilisation under constant growth, idle
// capacity orders nothing, packaging binds when it is the smallest limit, and the run is the
// same on any thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/capacity_investment.hpp"
#include "kernels/funding_rounds.hpp"
#include "kernels/layout.hpp"
#include "kernels/value_chain_state.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::firm_cell;
using testing::firm_index;
using testing::load_config_text;
using testing::market_cell;

// The rule alone: demand grows at a constant rate g; the firm observes last step's demand
// each step, orders, and its orders arrive `lead` steps later. With lambda = 1 the growth
// estimate equals g from the second observation on, so every order from then on sets the
// position to D_{t-1} (1 + g)^(lead + 1) / u = D_{t+lead} / u, and the capacity in place at
// step t + lead is exactly that.
TEST(Capacity, ConstantGrowthGivesCapacityEqualToDemandOverTargetUtilisationAfterTheLead) {
  const double g = 0.05, u = 0.8, d0 = 1000.0;
  for (const std::int32_t lead : {0, 1, 6, 18}) {
    std::vector<double> ring(static_cast<std::size_t>(lead > 0 ? lead : 1), 0.0);
    double capacity = 100.0;  // far below demand: every order is positive
    double previous = 0.0, growth = 0.0;
    const auto demand = [&](std::int64_t t) {
      return d0 * std::pow(1.0 + g, static_cast<double>(t));
    };
    for (std::int64_t t = 1; t < 60; ++t) {
      capacity += take_arrival(ring.data(), t, lead);
      const double observed = demand(t - 1);
      growth = updated_growth(growth, previous, observed, 1.0);
      previous = observed;
      const double expected = expected_demand(observed, growth, lead + 1.0);
      const double order =
          capacity_order(expected, u, capacity + pipeline_total(ring.data(), lead));
      capacity += place_order(ring.data(), t, lead, order);
      // The capacity of step t's market (after arrivals and a lead-0 order): orders placed
      // from step 2 on (the first with a growth estimate) have arrived.
      if (t >= 2 + lead) {
        // Rounding: a few operations in double on numbers of order 1e4.
        EXPECT_NEAR(capacity, demand(t) / u, 1e-9 * demand(t)) << "lead " << lead << " t " << t;
      }
    }
  }
}

TEST(Capacity, AnOrderArrivesAfterExactlyTheLeadTime) {
  for (const std::int32_t lead : {1, 3, 12}) {
    std::vector<double> ring(static_cast<std::size_t>(lead), 0.0);
    const std::int64_t ordered_at = 7;
    for (std::int64_t t = 0; t < 40; ++t) {
      const double arrived = take_arrival(ring.data(), t, lead);
      EXPECT_EQ(arrived, t == ordered_at + lead ? 5.0 : 0.0) << "lead " << lead << " t " << t;
      const double in_pipeline = pipeline_total(ring.data(), lead);
      EXPECT_EQ(in_pipeline, t > ordered_at && t < ordered_at + lead ? 5.0 : 0.0);
      if (t == ordered_at) {
        EXPECT_EQ(place_order(ring.data(), t, lead, 5.0), 0.0);
      }
    }
  }
  double none = 0.0;
  EXPECT_EQ(place_order(&none, 3, 0, 5.0), 5.0) << "lead 0: in the capacity at once";
}

TEST(Capacity, IdleCapacityOrdersNothing) {
  // Position at or above expected demand / u: no order, whatever the growth estimate.
  EXPECT_EQ(capacity_order(80.0, 0.8, 100.0), 0.0);
  EXPECT_EQ(capacity_order(80.0, 0.8, 150.0), 0.0);
  EXPECT_EQ(capacity_order(expected_demand(50.0, -0.1, 12.0), 0.8, 100.0), 0.0);
  EXPECT_DOUBLE_EQ(capacity_order(100.0, 0.8, 100.0), 25.0);
}

// A small upstream economy (as in test_value_chain.cpp): one HBM maker, three accelerator
// makers, two clouds with some compute, labs renting compute with their budgets (so the
// clouds order accelerators).
const char* kUpstream = R"(
[run]
replicates = 2
seed = 5
[population]
customers = 2000
[compute]
hbm_per_accelerator = 6.0
capacity_depreciation = 0.0
[[firm]]
name = "Hynix"
archetype = "memory_vendor"
region = "KR"
hbm_capacity = 60000.0
cash = 1000.0
[[firm]]
name = "ChipA"
archetype = "chip_vendor"
region = "US"
fab_capacity = 8000.0
cash = 1000.0
[[firm]]
name = "ChipB"
archetype = "chip_vendor"
region = "US"
fab_capacity = 4000.0
cash = 1000.0
[[firm]]
name = "ChipC"
archetype = "npu_startup"
region = "KR"
fab_capacity = 2000.0
cash = 1000.0
[[firm]]
name = "CloudUS"
archetype = "cloud"
region = "US"
installed_compute = 1000.0
cash = 5000.0
[[firm]]
name = "CloudCN"
archetype = "cloud"
region = "CN"
installed_compute = 1000.0
cash = 5000.0
[[firm]]
name = "LabUS"
archetype = "model_lab"
region = "US"
cash = 1000.0
[[firm]]
name = "LabCN"
archetype = "model_lab"
region = "CN"
cash = 1000.0
)";

// The memory maker and the chip makers alone: nobody buys accelerators, so every step the
// chip makers plan their whole fab and ask 6 x 14,000 = 84,000 stacks of HBM.
const char* kMakers = R"(
[run]
replicates = 2
seed = 5
[population]
customers = 2000
[compute]
hbm_per_accelerator = 6.0
capacity_depreciation = 0.0
[[firm]]
name = "Hynix"
archetype = "memory_vendor"
region = "KR"
hbm_capacity = 60000.0
cash = 1000.0
[[firm]]
name = "ChipA"
archetype = "chip_vendor"
region = "US"
fab_capacity = 8000.0
cash = 1000.0
[[firm]]
name = "ChipB"
archetype = "chip_vendor"
region = "US"
fab_capacity = 4000.0
cash = 1000.0
[[firm]]
name = "ChipC"
archetype = "npu_startup"
region = "KR"
fab_capacity = 2000.0
cash = 1000.0
)";

// The memory maker's capex and HBM capacity by step.
struct HbmPath {
  std::vector<double> capex;             // USD, per step
  std::vector<double> capacity;          // stacks per step, per step
  std::vector<double> cash;              // USD at the start of each step
  std::vector<double> operating_income;  // USD, the step's operating cash flow
};

HbmPath hbm_path(const std::vector<std::string>& extra, int steps) {
  const Config config = load_config_text("capacity", kMakers, extra);
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  const std::int32_t k = firm_index(sim, "Hynix");
  HbmPath path;
  EnsembleSnapshot before, s;
  sim.backend().read_snapshot(before);
  for (int t = 0; t < steps; ++t) {
    sim.step();
    sim.backend().read_snapshot(s);
    path.cash.push_back(static_cast<double>(before.cash[firm_cell(0, n, k)]));
    path.capex.push_back(s.capex[firm_cell(0, n, k)]);
    path.operating_income.push_back(s.operating_income[firm_cell(0, n, k)]);
    path.capacity.push_back(s.hbm_capacity[firm_cell(0, n, k)]);
    before = s;
  }
  return path;
}

TEST(Capacity, MemoryMakerOrdersForDemandOverTargetUtilisationAndGetsItAfterTheLead) {
  // Every step the chip makers order 84,000 stacks against 60,000 (kMakers). Step 1: the memory
  // maker sees 84,000 (no growth estimate yet), orders 84,000 / 0.8 - 60,000 = 45,000 stacks of
  // capacity at capacity_cost_hbm each, paid now, in place at step 1 + lead = 5. Steps 2-4 see the
  // same demand and the position (60,000 + 45,000 on order) already covers it: no order.
  const int lead = 4;
  // Outside income of 100 USD B a month: the step's spending cap (its budget, reinvestment_rate
  // x operating cash flow, less its other parts) does not bind.
  const HbmPath p = hbm_path({"compute.lead_time_hbm=4", "compute.target_utilization=0.8",
                              "firm.Hynix.other_income=100000"},
                             8);
  const Config config = load_config_text("capacity", kMakers, {});
  const double order = 84000.0 / 0.8 - 60000.0;
  // The outside cost is rounded to whole USD once; the order's cost is a product of doubles.
  const double tolerance = 1.0 + 1e-9 * order * config.compute.capacity_cost_hbm;
  EXPECT_NEAR(p.capex[1], order * config.compute.capacity_cost_hbm, tolerance);
  for (int t = 0; t < 8; ++t) {
    if (t != 1) {
      EXPECT_NEAR(p.capex[static_cast<std::size_t>(t)], 0.0, tolerance) << "step " << t;
    }
    const double expected = t < 1 + lead ? 60000.0 : 60000.0 + order;
    EXPECT_NEAR(p.capacity[static_cast<std::size_t>(t)], expected, 1e-9 * expected) << "step " << t;
  }
}

TEST(Capacity, IdleMemoryMakerBuildsNothing) {
  const HbmPath p = hbm_path({"firm.Hynix.hbm_capacity=200000", "compute.lead_time_hbm=2"}, 8);
  for (std::size_t t = 0; t < p.capex.size(); ++t) {
    EXPECT_NEAR(p.capex[t], 0.0, 1.0) << "step " << t;
    EXPECT_EQ(p.capacity[t], 200000.0) << "step " << t;
  }
}

TEST(Capacity, InvestmentIsCappedByTheBudgetLeftAfterOtherBudgets) {
  // The 45,000-stack order would cost 90 USD M at 2,000 USD a stack; the memory maker, financed
  // by its cash flow, spends at most its step's budget (reinvestment_rate x the previous step's
  // operating cash flow, its HBM margin) less its R&D and marketing budgets, its data share
  // (it has no use for data) handed to the others in proportion.
  const HbmPath p = hbm_path({"compute.lead_time_hbm=4"}, 3);
  const Config config = load_config_text("capacity", kMakers, {});
  const FirmsSettings& f = config.firms;
  const BudgetShares shares = usable_budget_shares(
      kLayerBitHbm, BudgetShares{f.compute_share, f.data_share, f.rd_share, f.marketing_share});
  const double available = f.reinvestment_rate * std::max(0.0, p.operating_income[0]) *
                           (1.0 - shares.rd - shares.marketing);
  ASSERT_LT(available, 45000.0 * config.compute.capacity_cost_hbm) << "the test needs a cap";
  // Whole-USD rounding of the outside cost, and doubles of order 1e7.
  EXPECT_NEAR(p.capex[1], available, 1.0 + 1e-9 * available);
}

TEST(Capacity, PackagingBindsWhenItIsTheSmallestLimit) {
  // Packaging of 1,400 units a step split by fab (8,000 / 4,000 / 2,000 of 14,000): 800 /
  // 400 / 200, below fab and below HBM / 6 (60,000 / 6 = 10,000). In the first step each maker
  // orders HBM for what it can package (6 x its packaging, 8,400 stacks in all, no rationing)
  // and offers that many accelerators; once the clouds order (step 1) no maker sells more.
  const Config config =
      load_config_text("packaging", kUpstream,
                       // Outside income, so that the clouds' budgets (reinvestment_rate x
                       // operating cash flow) can pay for what the labs' rentals ask.
                       {"compute.packaging_capacity=1400", "firm.CloudUS.other_income=5000",
                        "firm.CloudCN.other_income=5000"});
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  const char* makers[3] = {"ChipA", "ChipB", "ChipC"};
  const double packaging[3] = {800.0, 400.0, 200.0};
  EnsembleSnapshot s;
  sim.step();
  sim.backend().read_snapshot(s);
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (int m = 0; m < 3; ++m) {
      const std::int32_t j = firm_index(sim, makers[m]);
      const double hbm =
          static_cast<double>(s.bought[market_cell(r, kMarketHbm, n, j)]) / kUnitScale;
      // Fixed point: the allocation is rounded down to 2^-16 of a stack.
      EXPECT_NEAR(hbm, 6.0 * packaging[m], 1.0 / kUnitScale + 1e-9 * hbm) << makers[m];
      EXPECT_NEAR(s.packaging_capacity[firm_cell(r, n, j)], packaging[m], 1e-9 * packaging[m]);
    }
  }
  bool sold_out = false;
  for (int t = 1; t < 4; ++t) {
    sim.step();
    sim.backend().read_snapshot(s);
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      for (int m = 0; m < 3; ++m) {
        const std::int32_t j = firm_index(sim, makers[m]);
        const double sold =
            static_cast<double>(s.sold[market_cell(r, kMarketAccelerator, n, j)]) / kUnitScale;
        const double limit = s.packaging_capacity[firm_cell(r, n, j)];
        EXPECT_LE(sold, limit + 1e-9 * limit) << makers[m] << " step " << t;
        if (sold > 0.999 * limit) sold_out = true;
      }
    }
  }
  EXPECT_TRUE(sold_out) << "the test needs demand above the packaging limit";
}

TEST(Capacity, SameSeedSameCapacityPathOnAnyThreadCount) {
  const Config config = testing::load_repo_config(
      "configs/baseline.toml",
      {"population.customers=20000", "population.synthetic_firms=100", "run.replicates=2"});
  ASSERT_GT(config.compute.packaging_capacity, 0.0) << "the baseline limits packaging";
  const auto run = [&] {
    Simulation sim(config, BackendChoice::kCpu);
    for (int t = 0; t < 8; ++t) sim.step();
    EnsembleSnapshot s;
    sim.backend().read_snapshot(s);
    return std::make_tuple(s.cash, s.installed_compute, s.fab_capacity, s.hbm_capacity,
                           s.packaging_capacity, s.sold, s.price);
  };
  set_cpu_threads(1);
  const auto one = run();
  set_cpu_threads(2);
  const auto two = run();
  EXPECT_TRUE(one == two);
}

}  // namespace
}  // namespace aimarket
