// The open model-API market and inference compute (kernels/model_api.hpp, MODEL.md "The
// model-API market"): inference compute per customer proportional to the model's active
// parameters and to usage; supplier shares against the logit's closed form (with and without a
// partner, and a foreign lab weighed by the buyer region's model access); self-hosting an open
// model chosen when the API is dear, fine-tuning capped at the frontier; every lab selling to
// several service firms in the baseline with units and money conserved; determinism on 1 and
// 2 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "kernels/layout.hpp"
#include "kernels/model_api.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::firm_cell;
using testing::firm_index;
using testing::load_config_text;
using testing::market_cell;
using testing::units;

// Real customers of firm j in a snapshot (agents times their weight).
double customers_of(const Config& config, const EnsembleSnapshot& s, std::int64_t replicate,
                    std::int32_t firms, std::int32_t j) {
  std::int64_t agents = 0;
  for (int seg = 0; seg < kSegments; ++seg) {
    agents +=
        s.tally[static_cast<std::size_t>(layout::replicate_segment_firm(replicate, seg, j, firms))];
  }
  return static_cast<double>(agents) * config.population.customer_weight();
}

// The state before and after one step of `sim`.
std::pair<EnsembleSnapshot, EnsembleSnapshot> step_once(Simulation& sim) {
  std::pair<EnsembleSnapshot, EnsembleSnapshot> states;
  sim.backend().read_snapshot(states.first);
  sim.step();
  sim.backend().read_snapshot(states.second);
  return states;
}

// A number as TOML text, to the last bit (std::to_string keeps six decimals only).
std::string exact(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", x);
  return text;
}

TEST(ModelApi, ComputePerTokenIsTwoFlopPerActiveParameter) {
  const ValueChainParams p = make_value_chain_params(Config{});
  // Epoch AI's anchor (figures_2024.md section 9): 2 x 1e11 active parameters x 500 tokens =
  // 1e14 FLOP, about one H100-second at 10 % utilisation. c(N) x 500e-6 M tokens is that FLOP
  // over the H100e's monthly inference FLOP (relative rounding ~1e-16), and, in seconds of a
  // 30.4-day month (2.63e6 s), about one second (the default's own rounding: 2.6e20 FLOP).
  const double months = compute_per_mtokens(1e11, p) * 500e-6;
  EXPECT_NEAR(months * p.inference_flop_per_h100e_month, 1e14, 1e14 * 1e-12);
  EXPECT_NEAR(months * 2.63e6, 1.0, 0.02);
  // Proportional to N (exactly: one multiplication by a power of two).
  EXPECT_EQ(compute_per_mtokens(2e11, p), 2.0 * compute_per_mtokens(1e11, p));
  // N of a compute-optimal model: C = 6 N (20 N) at 20 tokens per parameter.
  const double n = 4e11;
  EXPECT_NEAR(model_parameters(120.0 * n * n, 1e300, 20.0), n, 1e-3);
  // Data-limited: all tokens used, the rest of C in parameters.
  EXPECT_NEAR(model_parameters(6.0 * 1e12 * 1e11, 1e12, 20.0), 1e11, 1e-3);
  // Algorithmic progress deflates effective compute: after one doubling period a model of
  // effective compute 2C has the parameters of C.
  EXPECT_NEAR(active_parameters(2.0 * 1.2e25, 0.0, p.algorithmic_doubling_months, p),
              active_parameters(1.2e25, 0.0, 0.0, p),
              1e-3 * active_parameters(1.2e25, 0.0, 0.0, p));
}

// A lab serving its own customers (no cash: no compute budget, so all it rents is their
// inference) beside a cloud with ample capacity.
std::string own_model_market(double training_compute, double usage) {
  return R"(
[run]
replicates = 2
seed = 7
[population]
customers = 4000
real_customers = 1e6
segment_shares = { consumer = 1.0 }
region_shares = { US = 1.0 }
initial_adoption = { consumer = 0.5 }
[models]
tokens_per_customer = )" +
         exact(usage) + R"(
[[firm]]
name = "Lab"
archetype = "model_lab"
region = "US"
quality = 1100.0
initial_share = { consumer = 1.0 }
cash = 0.0
data_stock = 1000.0
training_compute = )" +
         exact(training_compute) + R"(
[[firm]]
name = "Cloud"
archetype = "cloud"
region = "US"
installed_compute = 1e7
cash = 1000.0
)";
}

TEST(ModelApi, InferenceComputePerCustomerIsProportionalToParametersAndUsage) {
  // The lab rents u c(N) H100e-months per real customer. On the compute-optimal path N grows
  // as sqrt(C): 4 x the training compute is 2 x the parameters, so 2 x the compute per
  // customer; 2 x the usage is 2 x too.
  const auto rented_per_customer = [](double training_compute, double usage) {
    const Config config = load_config_text("own_model", own_model_market(training_compute, usage));
    Simulation sim(config, BackendChoice::kCpu);
    const std::int32_t n = sim.firms().size();
    const std::int32_t lab = firm_index(sim, "Lab");
    const auto [before, after] = step_once(sim);
    const double customers = customers_of(config, before, 0, n, lab);
    EXPECT_GT(customers, 0.0);
    const double rented = units(after.bought[market_cell(0, kMarketCloud, n, lab)]);
    // The closed form: customers x u x 2 N 1e6 / F_inf, N = sqrt(C / 120) at step 0.
    const ValueChainParams p = make_value_chain_params(config);
    const double expected =
        customers * usage * compute_per_mtokens(std::sqrt(training_compute / 120.0), p);
    // Fixed point: the units are rounded down to 2^-16 of an H100e-month per pair.
    EXPECT_NEAR(rented, expected, 2.0 / kUnitScale + 1e-9 * expected);
    return rented / customers;
  };
  const double base = rented_per_customer(1e24, 0.05);
  EXPECT_GT(base, 0.0);
  EXPECT_NEAR(rented_per_customer(4e24, 0.05) / base, 2.0, 1e-6);
  EXPECT_NEAR(rented_per_customer(1e24, 0.10) / base, 2.0, 1e-6);
}

TEST(ModelApi, AServedModelIsAtMostMaxServedParameters) {
  // 1e26 FLOP on the compute-optimal path is N = sqrt(1e26 / 120) = 9.1e11 parameters, above
  // the baseline's N_max = 4.05e11: the lab serves a model of N_max, so it rents u c(N_max) per
  // customer; with a cap above N, c(N) as before.
  const auto rented_per_customer = [](const std::vector<std::string>& extra) {
    const Config config = load_config_text("capped", own_model_market(1e26, 0.05), extra);
    Simulation sim(config, BackendChoice::kCpu);
    const std::int32_t n = sim.firms().size();
    const std::int32_t lab = firm_index(sim, "Lab");
    const auto [before, after] = step_once(sim);
    const double customers = customers_of(config, before, 0, n, lab);
    EXPECT_GT(customers, 0.0);
    return std::pair<double, double>{
        units(after.bought[market_cell(0, kMarketCloud, n, lab)]) / customers,
        // Fixed point: the units are rounded down to 2^-16 of an H100e-month per pair.
        (2.0 / kUnitScale) / customers};
  };
  const Config config = load_config_text("capped", own_model_market(1e26, 0.05));
  const ValueChainParams p = make_value_chain_params(config);
  ASSERT_LT(p.max_served_parameters, std::sqrt(1e26 / 120.0)) << "the test needs the cap to bind";
  const auto [capped, capped_tolerance] = rented_per_customer({});
  const double at_cap = 0.05 * compute_per_mtokens(p.max_served_parameters, p);
  EXPECT_NEAR(capped, at_cap, capped_tolerance + 1e-9 * at_cap);
  const auto [free, free_tolerance] = rented_per_customer({"models.max_served_parameters=1e13"});
  const double uncapped = 0.05 * compute_per_mtokens(std::sqrt(1e26 / 120.0), p);
  EXPECT_NEAR(free, uncapped, free_tolerance + 1e-9 * uncapped);
}

// Two labs with their own clouds selling API access (no open-weight model: no self-hosting),
// one service firm buying. Labs' capacity far exceeds the demand: no rationing.
std::string two_lab_market(const std::string& buyer_extra, const std::string& lab_b_region = "US",
                           const std::string& scenario = "") {
  return R"(
[run]
replicates = 2
seed = 3
[population]
customers = 4000
real_customers = 1e6
segment_shares = { consumer = 1.0 }
region_shares = { US = 1.0 }
initial_adoption = { consumer = 0.5 }
[[firm]]
name = "LabA"
archetype = "model_lab"
region = "US"
layers = ["cloud", "model"]
installed_compute = 1e6
cloud_self_use = 1.0
cash = 1000.0
training_compute = 2e25
data_stock = 13.0
api_price = 15.0
[[firm]]
name = "LabB"
archetype = "model_lab"
region = ")" +
         lab_b_region + R"("
layers = ["cloud", "model"]
installed_compute = 1e6
cloud_self_use = 1.0
cash = 1000.0
training_compute = 1e24
data_stock = 5.0
api_price = 1.0
[[firm]]
name = "App"
archetype = "consumer_ai"
region = "US"
quality = 1100.0
initial_share = { consumer = 1.0 }
)" + buyer_extra +
         scenario;
}

// Tokens each lab sold in step 1 against the logit closed form
// s_j = exp(b K_j - sigma ln p_j + bonus [partner]) / sum_k (same).
// access_of_b: LabB's access weight a (global_model_access of the buyer's region when LabB is
// foreign), which multiplies its attraction: ln a in its utility.
void expect_logit_split(const std::string& buyer_extra, double partner_bonus_of_a,
                        const std::string& lab_b_region = "US", const std::string& scenario = "",
                        double access_of_b = 1.0) {
  const Config config =
      load_config_text("two_labs", two_lab_market(buyer_extra, lab_b_region, scenario));
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  const std::int32_t a = firm_index(sim, "LabA");
  const std::int32_t b = firm_index(sim, "LabB");
  const std::int32_t app = firm_index(sim, "App");
  const auto [before, after] = step_once(sim);
  const double beta = config.demand.beta_quality() * config.firms.quality_per_capability;
  const double sigma = config.models.api_price_sensitivity;
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    const double ka = before.capability[firm_cell(r, n, a)];
    const double kb = before.capability[firm_cell(r, n, b)];
    ASSERT_GT(ka, kb) << "LabA has the better model, LabB the lower price";
    const double wa = std::exp(beta * ka - sigma * std::log(15.0) + partner_bonus_of_a);
    const double wb = access_of_b * std::exp(beta * kb - sigma * std::log(1.0));
    const double tokens =
        customers_of(config, before, r, n, app) * config.models.tokens_per_customer;
    ASSERT_GT(tokens, 0.0);
    const double sold_a = units(after.sold[market_cell(r, kMarketModel, n, a)]);
    const double sold_b = units(after.sold[market_cell(r, kMarketModel, n, b)]);
    // exp/log here and det_exp/det_log in the kernel differ by a few ulps; each pair's units
    // are rounded down to 2^-16 M tokens.
    EXPECT_NEAR(sold_a, tokens * wa / (wa + wb), 1.0 / kUnitScale + 1e-9 * tokens);
    EXPECT_NEAR(sold_b, tokens * wb / (wa + wb), 1.0 / kUnitScale + 1e-9 * tokens);
    // Money: each lab's revenue is its tokens at its price, rounded to whole USD.
    EXPECT_NEAR(static_cast<double>(after.revenue[market_cell(r, kMarketModel, n, a)]),
                sold_a * 15.0, 0.5 + 1e-12 * sold_a * 15.0);
    EXPECT_EQ(after.paid[market_cell(r, kMarketModel, n, app)],
              after.revenue[market_cell(r, kMarketModel, n, a)] +
                  after.revenue[market_cell(r, kMarketModel, n, b)]);
    EXPECT_EQ(after.bought[market_cell(r, kMarketModel, n, app)],
              after.sold[market_cell(r, kMarketModel, n, a)] +
                  after.sold[market_cell(r, kMarketModel, n, b)]);
  }
}

TEST(ModelApi, SupplierSharesOfTwoLabsFollowTheLogitClosedForm) { expect_logit_split("", 0.0); }

TEST(ModelApi, APartnerIsPreferredNotExclusive) {
  // model_source = "LabA": LabA's utility rises by api_partner_bonus; LabB still sells.
  const Config config = load_config_text("two_labs", two_lab_market(""));
  expect_logit_split("model_source = \"LabA\"\n", config.models.api_partner_bonus);
}

TEST(ModelApi, AForeignLabWeighsByTheBuyersRegionsModelAccess) {
  // LabB sits in EU, the buyer in US. Full access (every region's default) is the home case
  // bit for bit; access a multiplies LabB's attraction by a; 0, or a closed US stack, leaves
  // LabA alone.
  expect_logit_split("", 0.0, "EU");
  expect_logit_split("", 0.0, "EU", "[scenario]\nglobal_model_access = { US = 0.25 }\n", 0.25);
  expect_logit_split("", 0.0, "EU", "[scenario]\nglobal_model_access = { US = 0.0 }\n", 0.0);
  expect_logit_split("", 0.0, "EU", "[scenario]\nclosed_stack = { US = 1.0 }\n", 0.0);
  // Another region's access does not touch the US buyer.
  expect_logit_split("", 0.0, "EU", "[scenario]\nglobal_model_access = { EU = 0.0 }\n", 1.0);
}

TEST(ModelApi, OffsetsGiveTheSourcedSpendingShares) {
  // api_share = 0.6 on LabA: its offset is set so that a buyer without partner or
  // self-hosting spends 60 % of its API money with it (LabB, without a share, takes the rest).
  // The share is set on LabA by an override so that the market text stays the one above.
  const Config shared =
      load_config_text("offsets", two_lab_market(""), {"firm.LabA.api_share=0.6"});
  Simulation sim(shared, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  const std::int32_t a = firm_index(sim, "LabA");
  const std::int32_t b = firm_index(sim, "LabB");
  sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  for (std::int64_t r = 0; r < shared.run.replicates; ++r) {
    const auto ra = static_cast<double>(s.revenue[market_cell(r, kMarketModel, n, a)]);
    const auto rb = static_cast<double>(s.revenue[market_cell(r, kMarketModel, n, b)]);
    ASSERT_GT(rb, 0.0);
    // Each revenue is rounded to whole USD (of about 1e5 USD here) and its units to 2^-16.
    EXPECT_NEAR(ra / (ra + rb), 0.6, 1e-4) << "replicate " << r;
  }
}

// One open-weight lab (with its own cloud) and a service firm that can buy its API or
// self-host its weights at compute cost, renting compute from the lab's cloud.
std::string open_model_market(double api_price, const std::string& app_extra = "") {
  return R"(
[run]
replicates = 2
seed = 5
[population]
customers = 4000
real_customers = 1e6
segment_shares = { consumer = 1.0 }
region_shares = { US = 1.0 }
initial_adoption = { consumer = 0.5 }
[[firm]]
name = "OpenLab"
archetype = "model_lab"
region = "US"
layers = ["cloud", "model"]
open_weights = true
installed_compute = 1e6
cash = 1000.0
training_compute = 1e24
data_stock = 1000.0
api_price = )" +
         exact(api_price) + R"(
[[firm]]
name = "App"
archetype = "consumer_ai"
region = "US"
quality = 1100.0
initial_share = { consumer = 1.0 }
)" + app_extra;
}

TEST(ModelApi, SelfHostingIsChosenWhenTheApiIsDearerThanCompute) {
  // Self-hosting costs p_0 = c(N) x the cloud price per M tokens and brings the open model's
  // capability plus the firm's fine-tuning gain on the data it holds; the API
  // brings the same model at p. The self-hosted share is the logit's
  // s_0 = w_0 / (w_0 + w_api): near 1 when p >> p_0, near 0 when p << p_0.
  const auto self_share = [](double api_price) {
    const Config config = load_config_text("open_model", open_model_market(api_price));
    Simulation sim(config, BackendChoice::kCpu);
    const std::int32_t n = sim.firms().size();
    const std::int32_t lab = firm_index(sim, "OpenLab");
    const std::int32_t app = firm_index(sim, "App");
    const auto [before, after] = step_once(sim);
    const ValueChainParams p = make_value_chain_params(config);
    const double compute = compute_per_mtokens(std::sqrt(1e24 / 120.0), p);  // compute-optimal
    const double self_price = compute * config.compute.cloud_initial_price;
    const double capability = before.capability[firm_cell(0, n, lab)];
    const double w_api = api_attraction(capability, api_price, p);
    const double finetune =
        p.finetune_gain *
        (1.0 - std::exp(-before.data_stock[firm_cell(0, n, app)] / p.domain_data_scale));
    const double w_self = api_attraction(capability + finetune, self_price, p);
    const double s0 = w_self / (w_self + w_api);
    const double tokens =
        customers_of(config, before, 0, n, app) * config.models.tokens_per_customer;
    // Self-hosted tokens rent compute; the rest is bought through the API.
    const double rented = units(after.bought[market_cell(0, kMarketCloud, n, app)]);
    const double api = units(after.bought[market_cell(0, kMarketModel, n, app)]);
    EXPECT_NEAR(rented, tokens * s0 * compute, 1.0 / kUnitScale + 1e-9 * tokens);
    EXPECT_NEAR(api, tokens * (1.0 - s0), 1.0 / kUnitScale + 1e-9 * tokens);
    return s0;
  };
  const ValueChainParams p = make_value_chain_params(load_config_text("o", open_model_market(1)));
  const double self_price = compute_per_mtokens(std::sqrt(1e24 / 120.0), p) * 1500.0;
  EXPECT_GT(self_share(100.0 * self_price), 0.95) << "API 100 x dearer than compute";
  EXPECT_LT(self_share(0.01 * self_price), 0.05) << "API 100 x cheaper than compute";
}

TEST(ModelApi, FineTuningCannotLiftAnAdoptedModelAboveTheFrontier) {
  // The open lab is the only model developer, so its capability K is the frontier. The app
  // holds 1 T tokens (1 - exp(-100) of the fine-tuning bound) and a large bound: uncapped,
  // self-hosting would bring K + gain; capped, it brings K, the API's capability. At the API
  // price equal to the self-hosting price the two then tie: s_0 = 1/2.
  const Config probe = load_config_text("o", open_model_market(1.0));
  const ValueChainParams q = make_value_chain_params(probe);
  const double compute = compute_per_mtokens(std::sqrt(1e24 / 120.0), q);  // compute-optimal
  const double price = compute * probe.compute.cloud_initial_price;
  const Config config =
      load_config_text("capped_finetune", open_model_market(price, "data_stock = 1.0\n"),
                       {"models.finetune_gain=1.0"});
  const ValueChainParams p = make_value_chain_params(config);
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  const std::int32_t app = firm_index(sim, "App");
  const auto [before, after] = step_once(sim);
  const double tokens = customers_of(config, before, 0, n, app) * config.models.tokens_per_customer;
  ASSERT_GT(tokens, 0.0);
  const double rented = units(after.bought[market_cell(0, kMarketCloud, n, app)]);
  // Fixed point: units rounded down to 2^-16 per pair; det_exp/det_log against exp/log.
  const double tolerance = 1.0 / kUnitScale + 1e-9 * tokens * compute;
  EXPECT_NEAR(rented, tokens * 0.5 * compute, tolerance);
  // The uncapped share, e^(b g) / (1 + e^(b g)), is far from 1/2 here: the check can fail.
  const double bg = p.beta_quality * p.quality_per_capability * p.finetune_gain;
  const double uncapped = std::exp(bg) / (1.0 + std::exp(bg));
  ASSERT_GT(std::abs(uncapped - 0.5) * tokens * compute, 1000.0 * tolerance);
}

std::vector<std::string> small_baseline(std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"population.customers=20000", "population.synthetic_firms=100",
                                "run.replicates=2", "entry.rate=0"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(ModelApi, EveryLabSellsToSeveralServiceFirmsInTheBaseline) {
  // In the baseline every pair of a buyer and a lab it may trade with has a positive logit
  // weight, so every live lab that has serving capacity sells, and the API market has many
  // buyers. Named labs with serving compute are checked by name.
  const Config config = testing::load_repo_config("configs/baseline.toml", small_baseline());
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  sim.step();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    int buyers = 0;
    std::int64_t sold = 0, bought = 0, revenue = 0, paid = 0;
    for (std::int32_t j = 0; j < n; ++j) {
      const auto k = market_cell(r, kMarketModel, n, j);
      buyers += s.bought[k] > 0 ? 1 : 0;
      sold += s.sold[k];
      bought += s.bought[k];
      revenue += s.revenue[k];
      paid += s.paid[k];
    }
    EXPECT_GT(buyers, 10) << "replicate " << r;
    EXPECT_EQ(sold, bought) << "units conserved exactly";
    EXPECT_EQ(revenue, paid) << "money conserved exactly";
    for (const char* lab : {"OpenAI", "Anthropic", "Google", "Meta", "Mistral"}) {
      const std::int32_t j = firm_index(sim, lab);
      EXPECT_GT(s.price[market_cell(r, kMarketModel, n, j)], 0.0) << lab;
      EXPECT_GT(s.sold[market_cell(r, kMarketModel, n, j)], 0) << lab << " sells API access";
      EXPECT_GT(s.revenue[market_cell(r, kMarketModel, n, j)], 0) << lab;
    }
  }
}

TEST(ModelApi, TheApiMarketIsDeterministicOnOneAndTwoThreads) {
  const auto run = [](int threads) {
    set_cpu_threads(threads);
    Simulation sim(testing::load_repo_config("configs/baseline.toml", small_baseline()),
                   BackendChoice::kCpu);
    for (int t = 0; t < 4; ++t) sim.step();
    EnsembleSnapshot s;
    sim.backend().read_snapshot(s);
    set_cpu_threads(0);
    return s;
  };
  const EnsembleSnapshot one = run(1);
  const EnsembleSnapshot two = run(2);
  EXPECT_EQ(one.price, two.price);
  EXPECT_EQ(one.sold, two.sold);
  EXPECT_EQ(one.revenue, two.revenue);
  EXPECT_EQ(one.capability, two.capability);
  EXPECT_EQ(one.cash, two.cash);
}

}  // namespace
}  // namespace aimarket
