// Free tiers and paid conversion (MODEL.md, "Service offer"): a share c of a firm's users pay
// its paid tier's list price, so a user pays r = c x list price on average; customers weigh r
// in the price term log(1 + r / p_ref), and revenue is users x weight x r. With c = 1 (the
// default) the run is what it was before conversions existed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/demand_params.hpp"
#include "kernels/layout.hpp"
#include "kernels/value_chain_state.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::load_config_text;

TEST(PaidConversion, RevenuePerUserIsConversionTimesListPrice) {
  // c = 1: the former price, base + pass-through, bit for bit (no multiplication at all).
  const double base = 0.1 + 0.2, pass = 1.0 / 3.0;
  const double former = base + pass;
  const double now = revenue_per_user(base, pass, 1.0);
  const auto bits = [](double x) {
    std::uint64_t b = 0;
    std::memcpy(&b, &x, sizeof b);
    return b;
  };
  EXPECT_EQ(bits(former), bits(now));
  // 0 < c < 1: c x (base + pass / c) = c x base + pass, up to rounding (a few ulps of 1.3).
  EXPECT_NEAR(revenue_per_user(20.0, 0.5, 0.038), 0.038 * (20.0 + 0.5 / 0.038), 1e-14);
  // c = 0: free, whatever the list price and the cost.
  EXPECT_EQ(revenue_per_user(20.0, 0.5, 0.0), 0.0);
}

// Service firms on their own models (no API fee) and no inference compute: the unit cost is 0,
// so what a user pays is exactly c x list price, and the value chain runs (finance settles).
// A cloud rents out compute (firm 3, no service).
const char* kNoCostMarket = R"(
[run]
replicates = 2
seed = 31
[population]
customers = 20000
real_customers = 1e6
segment_shares = { consumer = 0.5, enterprise = 0.5 }
region_shares = { US = 1.0 }
initial_adoption = { consumer = 0.6, enterprise = 0.6 }
[firms]
paid_conversion = 0.25
[models]
tokens_per_customer = 0.0
[demand]
bass_p = 0.05
reconsider_rate = 0.2
[[firm]]
name = "Freemium"
archetype = "model_lab"
region = "US"
quality = 1100.0
price = { consumer = 20.0, enterprise = 30.0 }
paid_conversion = { consumer = 0.04 }
initial_share = 0.3
[[firm]]
name = "Paid"
archetype = "model_lab"
region = "US"
quality = 1050.0
price = 5.0
paid_conversion = 1.0
initial_share = 0.3
[[firm]]
name = "Free"
archetype = "model_lab"
region = "US"
quality = 1000.0
price = { consumer = 20.0, enterprise = 0.0 }
paid_conversion = 0.0
initial_share = 0.3
[[firm]]
name = "Cloud"
archetype = "cloud"
region = "US"
installed_compute = 20000.0
cash = 1000.0
)";

constexpr std::int32_t kServiceFirms = 3;  // Freemium, Paid, Free; then the cloud

TEST(PaidConversion, RevenueIsConversionTimesListPriceTimesUsers) {
  const Config config = load_config_text("no_cost_market", kNoCostMarket);
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  ASSERT_EQ(n, kServiceFirms + 1);
  const double w = config.population.customer_weight();
  // c x list price per (segment, firm): Freemium's enterprise segment takes firms.paid_conversion.
  const double paid[2][3] = {{0.04 * 20.0, 1.0 * 5.0, 0.0}, {0.25 * 30.0, 1.0 * 5.0, 0.0}};
  EnsembleSnapshot s;
  for (int t = 0; t < 3; ++t) {
    sim.step();
    const RecordFrame frame = sim.record_frame();
    sim.backend().read_snapshot(s);
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      double layer_revenue = 0.0;
      for (std::int32_t j = 0; j < kServiceFirms; ++j) {
        // The kernel's sum, in its order (segments 0..5), rounded to whole USD as it books it.
        double revenue = 0.0;
        double users = 0.0;
        for (int seg = 0; seg < kSegments; ++seg) {
          const auto cell = static_cast<std::size_t>(layout::replicate_segment_firm(r, seg, j, n));
          const double price = seg < 2 ? paid[seg][j] : 0.0;
          if (seg < 2) {
            EXPECT_EQ(s.service_price[cell], price) << "step " << t << " firm " << j;
          }
          revenue += static_cast<double>(s.tally[cell]) * w * price;
          users += static_cast<double>(s.tally[cell]);
        }
        const auto firm_cell = static_cast<std::size_t>(layout::replicate_firm(r, j, n));
        EXPECT_EQ(s.service_revenue[firm_cell],
                  static_cast<std::int64_t>(std::floor(revenue + 0.5)))
            << "step " << t << " replicate " << r << " firm " << j;
        EXPECT_GT(users, 0.0) << "firm " << j << " has no users: the case tells nothing";
        layer_revenue += revenue;
      }
      // The output: revenue = revenue_share x layer_revenue, and the service price is revenue per
      // user (the free firm's is 0). Tolerance: the sums' rounding, a few ulps of ~1e8 USD.
      const int service = kLayers - 1;
      const auto layer_cell = static_cast<std::size_t>(layout::replicate_layer(r, service));
      EXPECT_NEAR(frame.layer_revenue[layer_cell], layer_revenue, 1e-6);
      const auto free_cell =
          static_cast<std::size_t>(layout::replicate_layer_firm(r, service, 2, n));
      EXPECT_EQ(frame.revenue_share[free_cell], 0.0);
      EXPECT_EQ(frame.price[free_cell], 0.0);
    }
  }
}

TEST(PaidConversion, AFreeServiceEarnsNothingAndBearsItsCost) {
  // With inference compute the unit cost is positive: a paying firm passes it on (its price
  // rises above its base price), a free one (c = 0) charges nothing and still pays for the
  // compute it rents (for training and for its users' inference).
  const Config config = load_config_text("free_bears_cost", kNoCostMarket,
                                         {"models.tokens_per_customer=0.05", "firm.Free.price=0"});
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  EnsembleSnapshot s;
  for (int t = 0; t < 3; ++t) {
    sim.step();
    sim.backend().read_snapshot(s);
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      const auto free_firm = static_cast<std::size_t>(layout::replicate_firm(r, 2, n));
      EXPECT_EQ(s.service_revenue[free_firm], 0) << "step " << t;
      const int cloud = kMarketCloud;
      EXPECT_GT(s.paid[static_cast<std::size_t>(layout::replicate_market_firm(r, cloud, 2, n))], 0)
          << "the free firm pays for compute";
      for (int seg = 0; seg < 2; ++seg) {
        const auto free_cell =
            static_cast<std::size_t>(layout::replicate_segment_firm(r, seg, 2, n));
        EXPECT_EQ(s.service_price[free_cell], 0.0);  // its price term log(1 + 0) = 0
        const auto paid_cell =
            static_cast<std::size_t>(layout::replicate_segment_firm(r, seg, 1, n));
        EXPECT_GT(s.service_price[paid_cell], 5.0) << "the paying firm passes its cost on";
      }
    }
  }
}

// Identical services but for their conversion; everyone adopts at once (bass_p = 1) and
// chooses by the logit on the price term of what a user pays, log(1 + c p / p_ref).
const char* kConversionChoice = R"(
[run]
replicates = 2
seed = 17
[population]
customers = 200000
segment_shares = { consumer = 1.0 }
region_shares = { US = 1.0 }
[firms]
frozen = true
[demand]
bass_p = 1.0
bass_q = 0.0
reconsider_rate = 0.0
consideration_set = 0
beta_price = 0.9
reference_price = 2.0
beta_home = 0.0
beta_language = 0.0
beta_network = 0.0
switching_cost = 0.0
taste_sd = 0.0
price_taste_sd = 0.0
[[firm]]
name = "Low"
archetype = "consumer_ai"
region = "US"
quality = 1100.0
price = 20.0
paid_conversion = 0.05
[[firm]]
name = "High"
archetype = "consumer_ai"
region = "US"
quality = 1100.0
price = 20.0
paid_conversion = 0.5
[[firm]]
name = "None"
archetype = "consumer_ai"
region = "US"
quality = 1100.0
price = 20.0
paid_conversion = 0.0
[[firm]]
name = "All"
archetype = "consumer_ai"
region = "US"
quality = 1100.0
price = 20.0
)";

TEST(PaidConversion, SharesFollowTheLogitOnThePriceTermOfWhatAUserPays) {
  const Config config = load_config_text("conversion_choice", kConversionChoice);
  Simulation sim(config, BackendChoice::kCpu);
  // Closed form: equal quality, so u_j = -0.9 log(1 + c_j 20 / 2).
  const std::vector<double> conversion = {0.05, 0.5, 0.0, 1.0};
  std::vector<double> utility;
  utility.reserve(conversion.size());
  for (const double c : conversion) utility.push_back(-0.9 * std::log(1.0 + c * 20.0 / 2.0));
  const auto expected = testing::softmax(utility);
  sim.step();  // bass_p = 1: everyone adopts, choosing among all firms
  std::vector<std::int32_t> provider;
  sim.backend().read_providers(provider);
  std::vector<double> count(expected.size(), 0.0);
  for (const std::int32_t j : provider) ++count[static_cast<std::size_t>(j)];
  const auto n = static_cast<double>(provider.size());
  for (std::size_t j = 0; j < expected.size(); ++j) {
    // Customers choose independently: binomial sd of a share over n choices; 4.5 sd leaves a
    // false alarm about once in 150,000 comparisons.
    const double sd = std::sqrt(expected[j] * (1 - expected[j]) / n);
    EXPECT_NEAR(count[j] / n, expected[j], 4.5 * sd) << "firm " << j;
  }
  // The free firm (c = 0) is the most chosen, the one all of whose users pay the least.
  EXPECT_GT(count[2], count[0]);
  EXPECT_GT(count[1], count[3]);
}

// Every recorded array of the run, compared as bits.
void expect_same_run(const Config& a, const Config& b, int steps) {
  Simulation one(a, BackendChoice::kCpu), two(b, BackendChoice::kCpu);
  EnsembleSnapshot x, y;
  std::vector<std::int32_t> px, py;
  for (int t = 0; t < steps; ++t) {
    one.step();
    two.step();
  }
  one.backend().read_snapshot(x);
  two.backend().read_snapshot(y);
  one.backend().read_providers(px);
  two.backend().read_providers(py);
  const auto same_bits = [](const std::vector<double>& u, const std::vector<double>& v) {
    return u.size() == v.size() && std::memcmp(u.data(), v.data(), u.size() * sizeof(double)) == 0;
  };
  EXPECT_EQ(px, py);
  EXPECT_EQ(x.tally, y.tally);
  EXPECT_EQ(x.cash, y.cash);
  EXPECT_EQ(x.service_revenue, y.service_revenue);
  EXPECT_EQ(x.sold, y.sold);
  EXPECT_EQ(x.paid, y.paid);
  EXPECT_TRUE(same_bits(x.service_price, y.service_price));
  EXPECT_TRUE(same_bits(x.price, y.price));
  EXPECT_TRUE(same_bits(x.capability, y.capability));
  EXPECT_TRUE(same_bits(x.service_quality, y.service_quality));
}

TEST(PaidConversion, FullConversionRunsBitForBitAsTheDefault) {
  // The baseline's firms and value chain, every conversion at 1, given explicitly (the
  // setting and every named service firm's own) against left at the default. The default
  // path is the arithmetic of the model before conversions (revenue_per_user's c = 1
  // branch); the c = 1 given explicitly must take it too, in every kernel that prices.
  std::vector<std::string> common = {"population.customers=20000", "population.synthetic_firms=60",
                                     "run.replicates=2", "entry.rate=3"};
  const Config reference = testing::load_repo_config("configs/baseline.toml", common);
  std::vector<std::string> all_ones = common;
  all_ones.emplace_back("firms.paid_conversion=1");
  for (const FirmSpec& firm : reference.named_firms) {
    if (firm.layers[kLayers - 1]) all_ones.push_back("firm." + firm.name + ".paid_conversion=1");
  }
  // The reference: the baseline with its own conversions reset to the default.
  std::vector<std::string> defaults = common;
  defaults.emplace_back("firms.paid_conversion=1");
  Config by_default = testing::load_repo_config("configs/baseline.toml", defaults);
  for (FirmSpec& firm : by_default.named_firms) firm.paid_conversion_given.fill(false);
  const Config explicit_ones = testing::load_repo_config("configs/baseline.toml", all_ones);
  expect_same_run(by_default, explicit_ones, 6);
}

}  // namespace
}  // namespace aimarket
