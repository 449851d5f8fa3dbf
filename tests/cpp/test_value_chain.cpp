// The upstream value chain (MODEL.md sections 3-4): markets clear with proportional rationing,
// quantities and money are conserved exactly, export controls block trade, an integrated firm
// supplies itself, and capability follows the scaling law.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/firm_dynamics.hpp"
#include "kernels/layout.hpp"
#include "kernels/scaling_law.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::firm_index;
using testing::load_config_text;
using testing::market_cell;

// A small upstream economy: one HBM maker, accelerator makers, clouds in two regions. The
// capacity makers and clouds spend from their cash (financing "venture") so that they have
// budgets from the first step, before any sales: these tests are about the markets.
const char* kUpstream = R"(
[run]
replicates = 2
seed = 5
[population]
customers = 2000
[compute]
hbm_per_accelerator = 6.0
[[firm]]
name = "Hynix"
financing = "venture"
archetype = "memory_vendor"
region = "KR"
hbm_capacity = 60000.0
cash = 1000.0
[[firm]]
name = "ChipA"
financing = "venture"
archetype = "chip_vendor"
region = "US"
fab_capacity = 8000.0
cash = 1000.0
[[firm]]
name = "ChipB"
financing = "venture"
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
financing = "venture"
archetype = "cloud"
region = "US"
cash = 5000.0
[[firm]]
name = "CloudCN"
financing = "venture"
archetype = "cloud"
region = "CN"
cash = 5000.0
[[firm]]
name = "App"
archetype = "consumer_ai"
region = "US"
quality = 1.0
)";

TEST(ValueChain, HbmShortageIsRationedInProportionToDemand) {
  // Demand 6 x (8000, 4000, 2000) = 84,000 stacks against 60,000: each maker gets
  // 60,000 x its demand / 84,000 (capacity depreciation applies first: both sides shrink by
  // the same factor, so the closed form uses the capacities after it).
  const Config config = load_config_text("rationing", kUpstream);
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  const std::int32_t n = sim.firms().size();
  const double keep = 1.0 - config.compute.capacity_depreciation;
  // No capacity is added in the first step: a maker orders capacity for the demand it saw,
  // and has seen none yet (tests/cpp/test_capacity.cpp).
  const double supply = 60000.0 * keep;
  double demand[3];
  const double fabs[3] = {8000.0, 4000.0, 2000.0};
  double total = 0.0;
  for (int k = 0; k < 3; ++k) {
    demand[k] = 6.0 * fabs[k] * keep;
    total += demand[k];
  }
  ASSERT_GT(total, supply) << "the test needs a shortage";
  const char* makers[3] = {"ChipA", "ChipB", "ChipC"};
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (int k = 0; k < 3; ++k) {
      const double got =
          static_cast<double>(s.bought[market_cell(r, kMarketHbm, n, firm_index(sim, makers[k]))]) /
          kUnitScale;
      // Fixed point: each allocation is rounded down to 2^-16 of a stack; the ratio itself is
      // a double of relative error ~1e-16.
      EXPECT_NEAR(got, supply * demand[k] / total, 1.0 / kUnitScale + 1e-9 * supply) << makers[k];
    }
  }
}

void expect_markets_conserve(const Simulation& sim, const EnsembleSnapshot& s) {
  const std::int32_t n = sim.firms().size();
  for (std::int64_t r = 0; r < sim.config().run.replicates; ++r) {
    for (int market = 0; market < kUpstreamMarkets; ++market) {
      std::int64_t sold = 0, bought = 0, revenue = 0, paid = 0;
      for (std::int32_t j = 0; j < n; ++j) {
        const auto c = market_cell(r, market, n, j);
        sold += s.sold[c];
        bought += s.bought[c];
        revenue += s.revenue[c];
        paid += s.paid[c];
      }
      EXPECT_EQ(sold, bought) << "market " << market << " replicate " << r;
      EXPECT_EQ(revenue, paid) << "market " << market << " replicate " << r;
    }
  }
}

TEST(ValueChain, UnitsAndMoneyAreConservedExactly) {
  const Config config = testing::load_repo_config(
      "configs/baseline.toml",
      {"population.customers=20000", "population.synthetic_firms=100", "run.replicates=2",
       // Entrants bring venture money from outside: off here (see
       // tests/cpp/test_entry.cpp). Subsidies, regulation costs and
       // acquisitions are on: they must book through the outside flows.
       "entry.rate=0", "entry.acquisition_rate=1", "entry.acquisition_max_cash_share=0.5",
       "scenario.compute_subsidy={US=0.2, KR=0.5}", "scenario.rd_subsidy={KR=0.3}",
       "scenario.regulation_cost={EU=1}"});
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  EnsembleSnapshot before, after;
  sim.backend().read_snapshot(before);
  bool traded = false;
  for (int t = 0; t < 6; ++t) {
    sim.step();
    sim.backend().read_snapshot(after);
    expect_markets_conserve(sim, after);
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      // Money: inter-firm payments cancel; the economy's cash changes only by what customers
      // paid, outside income, funding rounds, and what was paid outside (production, operation,
      // capex, R&D, marketing, regulation, acquisition prices, less subsidies).
      std::int64_t change = 0, outside = 0;
      for (std::int32_t j = 0; j < n; ++j) {
        const auto k = static_cast<std::size_t>(layout::replicate_firm(r, j, n));
        change += after.cash[k] - before.cash[k];
        outside += after.service_revenue[k] - after.external_cost[k] + after.funding[k] +
                   std::llround(sim.firms().other_income_musd[static_cast<std::size_t>(j)] * 1e6) *
                       before.alive[k];
      }
      EXPECT_EQ(change, outside) << "step " << t << " replicate " << r;
    }
    for (std::size_t c = 0; c < after.sold.size(); ++c) traded = traded || after.sold[c] > 0;
    before = after;
  }
  EXPECT_TRUE(traded) << "the baseline should trade upstream";
  std::int64_t acquired = 0;
  for (std::int32_t owner : after.acquired_by) acquired += owner >= 0 ? 1 : 0;
  EXPECT_GT(acquired, 0) << "with a bid every step, big tech should have bought start-ups";
}

// kUpstream with a lab in each cloud region that rents compute with its budget.
const std::string kUpstreamWithLabs = std::string(kUpstream) + R"(
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

TEST(ValueChain, ExportControlBlocksAcceleratorSales) {
  // Clouds buy accelerators for the rental demand they saw (demand-led capacity), so the
  // check reads the second step: in the first they saw none.
  // Each cloud starts with some compute: a buyer splits its demand by seller capacity, so a
  // cloud without any would see none.
  const std::vector<std::string> installed = {"firm.CloudUS.installed_compute=1000",
                                              "firm.CloudCN.installed_compute=1000"};
  const auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), installed.begin(), installed.end());
    return extra;
  };
  const auto cn_units = [&](const std::vector<std::string>& extra) {
    const Config config = load_config_text("export", kUpstreamWithLabs, with(extra));
    Simulation sim(config, BackendChoice::kCpu);
    sim.step();
    sim.step();
    EnsembleSnapshot s;
    sim.backend().read_snapshot(s);
    return s
        .bought[market_cell(0, kMarketAccelerator, sim.firms().size(), firm_index(sim, "CloudCN"))];
  };
  EXPECT_GT(cn_units({}), 0) << "without a control the CN cloud buys accelerators";
  // US sellers barred from CN buyers: the CN cloud can still buy from the KR NPU maker only.
  const Config config = load_config_text("export2", kUpstreamWithLabs,
                                         with({"scenario.export_controls=[[\"US\", \"CN\"]]"}));
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  const std::int32_t n = sim.firms().size();
  const std::int32_t cn = firm_index(sim, "CloudCN");
  // Recount from the seller side: no US seller sold anything the CN cloud got. The CN
  // cloud's units equal what the KR maker could allocate to it, never more than KR sold.
  const std::int64_t kr_sold =
      s.sold[market_cell(0, kMarketAccelerator, n, firm_index(sim, "ChipC"))];
  EXPECT_LE(s.bought[market_cell(0, kMarketAccelerator, n, cn)], kr_sold);
  const Config blocked_all =
      load_config_text("export3", kUpstreamWithLabs,
                       with({"scenario.export_controls=[[\"US\", \"CN\"], [\"KR\", \"CN\"]]"}));
  Simulation sim_all(blocked_all, BackendChoice::kCpu);
  sim_all.step();
  sim_all.step();
  sim_all.backend().read_snapshot(s);
  EXPECT_EQ(s.bought[market_cell(0, kMarketAccelerator, n, cn)], 0);
  EXPECT_EQ(s.paid[market_cell(0, kMarketAccelerator, n, cn)], 0);
  EXPECT_GT(s.bought[market_cell(0, kMarketAccelerator, n, firm_index(sim_all, "CloudUS"))], 0);
}

TEST(ValueChain, IntegratedFirmSuppliesItselfAtCost) {
  // A big tech firm with in-house chips and a cloud, one HBM maker, no merchant chip maker,
  // and another cloud: the integrated firm builds min(fab, HBM / 6) units for itself; nobody
  // else can buy them.
  const Config config = load_config_text("integrated", R"(
[run]
replicates = 1
[population]
customers = 1000
[compute]
depreciation = 0.0
[[firm]]
name = "Hynix"
archetype = "memory_vendor"
region = "KR"
hbm_capacity = 600000.0
cash = 1000.0
[[firm]]
name = "BigTech"
archetype = "big_tech"
region = "US"
layers = ["accelerator", "cloud"]
fab_capacity = 10000.0
cash = 1000.0
[[firm]]
name = "OtherCloud"
archetype = "cloud"
region = "US"
cash = 1000.0
[[firm]]
name = "App"
archetype = "consumer_ai"
region = "US"
)");
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  const std::int32_t n = sim.firms().size();
  const std::int32_t big = firm_index(sim, "BigTech");
  const double fab = 10000.0 * (1.0 - config.compute.capacity_depreciation);
  const double hbm_units =
      static_cast<double>(s.bought[market_cell(0, kMarketHbm, n, big)]) / kUnitScale;
  EXPECT_NEAR(hbm_units, fab * 6.0, 1.0 / kUnitScale) << "HBM is plentiful: it gets all it asks";
  const double built = std::min(fab, hbm_units / 6.0);
  // Step 0: technology factor 2^0 = 1, chip performance 1 H100e.
  EXPECT_NEAR(s.installed_compute[static_cast<std::size_t>(big)], built, 1e-9 * built);
  EXPECT_EQ(s.sold[market_cell(0, kMarketAccelerator, n, big)], 0) << "in-house chips are not sold";
  EXPECT_EQ(s.bought[market_cell(0, kMarketAccelerator, n, firm_index(sim, "OtherCloud"))], 0);
}

TEST(ValueChain, CapabilityFollowsTheChinchillaCurveWhenDataIsUnlimited) {
  // One developer with its own cloud and effectively unlimited data: after one step its
  // capability is the closed form at C = own compute x FLOP per H100e-month. It trains on the
  // compute its customers and its API sales leave (kernels/model_api.hpp): all of it here, as
  // it has neither customers nor API buyers.
  const Config config = load_config_text("scaling", R"(
[run]
replicates = 1
[population]
customers = 1000
[compute]
depreciation = 0.0
[data]
public_data_rate = 0.0
[[firm]]
name = "Lab"
archetype = "big_tech"
region = "US"
layers = ["cloud", "model", "service"]
installed_compute = 250000.0
data_stock = 1000000.0
)");
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  const ModelsSettings& m = config.models;
  const long double compute =
      250000.0L * config.compute.cloud_self_use_share * m.flop_per_h100e_month;
  const auto loss = [&](long double c) {
    const long double n_params = std::sqrt(c / (6.0L * m.tokens_per_parameter));
    const long double tokens = m.tokens_per_parameter * n_params;
    return m.chinchilla_E +
           m.chinchilla_A / std::pow(n_params, static_cast<long double>(m.chinchilla_alpha)) +
           m.chinchilla_B / std::pow(tokens, static_cast<long double>(m.chinchilla_beta));
  };
  const long double reference = loss(m.reference_compute);
  const double expected = static_cast<double>(
      std::log((reference - m.chinchilla_E) / (loss(compute) - m.chinchilla_E)));
  ASSERT_GT(expected, 0.0);
  // det_exp/det_log carry a few ulps each; the capability is a log of a ratio of reducible
  // losses, so its absolute error stays below 1e-12.
  EXPECT_NEAR(s.capability[0], expected, 1e-12);
}

TEST(ValueChain, ScalingLawHelperMatchesTheClosedForm) {
  for (double c = 1e20; c < 1e28; c *= 7.0) {
    const double n_params = std::sqrt(c / 120.0);
    const double expected =
        1.69 + 406.4 / std::pow(n_params, 0.34) + 410.7 / std::pow(20.0 * n_params, 0.28);
    EXPECT_NEAR(chinchilla_loss(c, 1e300, 1.69, 406.4, 410.7, 0.34, 0.28, 20.0), expected,
                1e-13 * expected);
    // Data-limited: all data used, the rest of the compute into parameters.
    const double tokens = 1e9;
    const double limited =
        1.69 + 406.4 / std::pow(c / (6.0 * tokens), 0.34) + 410.7 / std::pow(tokens, 0.28);
    EXPECT_NEAR(chinchilla_loss(c, tokens, 1.69, 406.4, 410.7, 0.34, 0.28, 20.0), limited,
                1e-13 * limited);
  }
}

}  // namespace
}  // namespace aimarket

namespace aimarket {
namespace {

// Marketing stock after k steps of constant spend s from zero (the recursion
// M <- M (1 - d) + s): M_k = s (1 - (1 - d)^k) / d; awareness gained = a_max (1 - e^(-M_k / S)).
TEST(ValueChain, MarketingAwarenessFollowsTheClosedFormOfConstantSpend) {
  const ValueChainParams p = make_value_chain_params(Config{});
  ASSERT_GT(p.awareness_decay, 0.0);
  for (double spend : {0.15, 1.0, 30.0, 450.0, 1280.0}) {  // USD M a month (baseline firms)
    double stock = 0.0;
    for (int k = 1; k <= 240; ++k) {
      stock = next_marketing_stock(stock, spend, p);
      const double closed =
          spend * (1.0 - std::pow(1.0 - p.awareness_decay, k)) / p.awareness_decay;
      ASSERT_NEAR(stock, closed, 1e-12 * closed) << "spend " << spend << ", step " << k;
      const double expected = p.awareness_max * (1.0 - std::exp(-closed / p.marketing_scale));
      // det_exp is within a few ulp of exp; 1e-12 relative covers that and the stock's rounding.
      ASSERT_NEAR(marketing_awareness(stock, p), expected, 1e-12 * p.awareness_max)
          << "spend " << spend << ", step " << k;
    }
  }
}

// Diminishing returns: doubling the spend never doubles the awareness gained, and no budget
// buys more than awareness_max. (The linear form this replaced gained exactly twice as much.)
TEST(ValueChain, DoublingMarketingSpendNeverDoublesAwarenessGained) {
  const ValueChainParams p = make_value_chain_params(Config{});
  for (double spend = 0.01; spend <= 1e6; spend *= 1.7) {
    double stock = 0.0, doubled = 0.0;
    for (int k = 1; k <= 120; ++k) {
      stock = next_marketing_stock(stock, spend, p);
      doubled = next_marketing_stock(doubled, 2.0 * spend, p);
      const double gained = marketing_awareness(stock, p);
      const double gained_doubled = marketing_awareness(doubled, p);
      ASSERT_GT(gained, 0.0);
      ASSERT_LT(gained_doubled, 2.0 * gained) << "spend " << spend << ", step " << k;
      ASSERT_LE(gained_doubled, p.awareness_max);
    }
  }
}

TEST(ValueChain, NumericalGuardNamesStepReplicateFirmAndQuantity) {
  const Config config = testing::load_repo_config(
      "configs/baseline.toml", {"population.customers=2000", "population.synthetic_firms=10"});
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  RecordFrame frame = sim.record_frame();
  EXPECT_EQ(find_non_finite_state(frame, sim.record_layout(), sim.firms().name), "");
  const std::int32_t firms = sim.firms().size();
  frame.capability[static_cast<std::size_t>(layout::replicate_firm(1, 2, firms))] = std::nan("");
  const std::string problem = find_non_finite_state(frame, sim.record_layout(), sim.firms().name);
  EXPECT_NE(problem.find("capability"), std::string::npos) << problem;
  EXPECT_NE(problem.find("replicate 1"), std::string::npos) << problem;
  EXPECT_NE(problem.find("'" + sim.firms().name[2] + "'"), std::string::npos) << problem;
  EXPECT_NE(problem.find("step 0"), std::string::npos) << problem;

  // A price is checked where the firm sells: the [replicate][layer][firm] element is named by
  // its layer, replicate and firm. (Where it does not sell, NaN is the recorded price.)
  frame = sim.record_frame();
  const int cloud = 2;
  const auto& sells = sim.record_layout().sells[cloud];
  std::int32_t seller = firms - 1;
  while (seller >= 0 && !sells[static_cast<std::size_t>(seller)]) --seller;
  ASSERT_GE(seller, 0) << "the baseline has a cloud";
  frame.price[static_cast<std::size_t>(layout::replicate_layer_firm(1, cloud, seller, firms))] =
      std::nan("");
  const std::string price_problem =
      find_non_finite_state(frame, sim.record_layout(), sim.firms().name);
  EXPECT_EQ(price_problem, "non-finite cloud price at step 0, replicate 1, firm '" +
                               sim.firms().name[static_cast<std::size_t>(seller)] + "'");
}

}  // namespace
}  // namespace aimarket

namespace aimarket {
namespace {

TEST(ValueChain, InvestingInComputeBuysCapabilityAndThenCustomers) {
  // Two labs alike in everything but cash: the richer one rents more cloud compute each step
  // (and spends more on R&D and marketing, in the same shares), trains more, reaches a higher
  // capability, and so, through service quality, wins more customers. The comparison is
  // deterministic for the seed; the gaps are large. Usage is 0 here: a bigger model also costs
  // more to serve per customer (kernels/model_api.hpp), which would confound the quality
  // channel this test isolates (tested in test_model_api.cpp).
  const Config config = load_config_text("invest", R"(
[run]
replicates = 2
seed = 11
[population]
customers = 20000
[models]
tokens_per_customer = 0.0
[demand]
bass_p = 0.05
bass_q = 0.2
reconsider_rate = 0.2
consideration_set = 0
beta_network = 0.0
[[firm]]
name = "Cloud"
archetype = "cloud"
region = "US"
installed_compute = 2000000.0
cash = 100000.0
[[firm]]
name = "RichLab"
archetype = "model_lab"
region = "US"
cash = 20000.0
data_stock = 50.0
[[firm]]
name = "PoorLab"
archetype = "model_lab"
region = "US"
cash = 200.0
data_stock = 50.0
)");
  Simulation sim(config, BackendChoice::kCpu);
  for (int t = 0; t < 24; ++t) sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  const std::int32_t n = sim.firms().size();
  const std::int32_t rich = firm_index(sim, "RichLab");
  const std::int32_t poor = firm_index(sim, "PoorLab");
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    const auto k = [&](std::int32_t j) {
      return static_cast<std::size_t>(layout::replicate_firm(r, j, n));
    };
    EXPECT_GT(s.bought[market_cell(r, kMarketCloud, n, rich)],
              s.bought[market_cell(r, kMarketCloud, n, poor)]);
    EXPECT_GT(s.capability[k(rich)], s.capability[k(poor)] + 0.1);
    std::int64_t rich_customers = 0, poor_customers = 0;
    for (int seg = 0; seg < kSegments; ++seg) {
      const auto cell = [&](std::int32_t j) {
        return static_cast<std::size_t>(layout::replicate_segment_firm(r, seg, j, n));
      };
      rich_customers += s.tally[cell(rich)];
      poor_customers += s.tally[cell(poor)];
    }
    EXPECT_GT(rich_customers, poor_customers) << "replicate " << r;
  }
}

// Quality is the configured Elo plus the change of the endogenous terms since the start, so the
// first step's quality of every named firm is its configured Elo moved only by what its stocks
// did in that month (computed here from the state before and after the step), not by the
// level of its capability, data and R&D (hundreds of Elo points at the start).
TEST(ValueChain, FirstStepQualityIsTheConfiguredEloPlusTheFirstMonthsChange) {
  const Config config = testing::load_repo_config(
      "configs/baseline.toml",
      {"population.synthetic_firms=0", "entry.free_slots=0", "population.customers=2000",
       "run.replicates=2", "run.parameter_uncertainty=false"});  // the config's values
  Simulation sim(config, BackendChoice::kCpu);
  const auto& firms = sim.firms();
  const std::int32_t n = firms.size();
  EnsembleSnapshot before;
  sim.backend().read_snapshot(before);
  sim.step();
  EnsembleSnapshot after;
  sim.backend().read_snapshot(after);

  const FirmsSettings& f = config.firms;
  // The endogenous quality of firm j with its own model in segment seg in a state, as
  // docs/MODEL.md defines it (no region of the baseline has a closed stack or global model
  // access at the start); the data gain is the firm's domain data in that segment. Firms that
  // buy their model (API or self-hosted) are left out here: their capability is the supplier
  // logit's, tested against its closed form in test_model_api.cpp.
  const auto endogenous = [&](const EnsembleSnapshot& s, std::int64_t r, std::int32_t j, int seg) {
    const auto at = [&](std::int32_t k) {
      return static_cast<std::size_t>(layout::replicate_firm(r, k, n));
    };
    const double domain =
        s.domain_data[static_cast<std::size_t>(layout::replicate_segment_firm(r, seg, j, n))];
    const double data_fill = 1.0 - std::exp(-domain / f.domain_data_scale);
    const double rd_fill = 1.0 - std::exp(-s.rd_stock[at(j)] / f.rd_scale);
    const std::int32_t source = firms.model_source[static_cast<std::size_t>(j)];
    EXPECT_EQ(source, kOwnModel);
    const double capability = s.capability[at(j)];
    return f.quality_per_capability * capability + f.data_quality_gain * data_fill +
           f.rd_quality_gain * rd_fill;
  };

  int checked = 0;
  double largest_start = 0.0;
  double largest_change = 0.0;
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (std::int32_t j = 0; j < n; ++j) {
      if (firms.model_source[static_cast<std::size_t>(j)] != kOwnModel) continue;
      for (int seg = 0; seg < kSegments; ++seg) {
        const auto sj = static_cast<std::size_t>(layout::segment_firm(seg, j, n));
        if (!firms.serves[sj]) continue;
        const double start = endogenous(before, r, j, seg);
        const double change = endogenous(after, r, j, seg) - start;
        largest_start = std::max(largest_start, std::abs(start));
        const auto cell = static_cast<std::size_t>(layout::replicate_segment_firm(r, seg, j, n));
        largest_change = std::max(largest_change, std::abs(change));
        // exp here and det_exp on the device differ in the last bits only.
        EXPECT_NEAR(after.service_quality[cell], firms.quality[sj] + change, 1e-6)
            << firms.name[static_cast<std::size_t>(j)] << " segment " << seg;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 30);
  // The check tells the two rules apart: the levels are far above the first month's change.
  EXPECT_GT(largest_start, 100.0);
  EXPECT_GT(largest_change, 0.0);
  EXPECT_LT(largest_change, largest_start);
}

}  // namespace
}  // namespace aimarket
