// The customer market's mechanisms one by one, against closed forms, and its invariants.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/customer_choice.hpp"
#include "kernels/layout.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::load_config_text;

// After one step of a market where everyone adopts at once (bass_p = 1), the customers of
// each of the first `firms` firms, over all replicates, and the number of customers.
std::vector<double> first_choice_counts(Simulation& sim, std::size_t firms, double* customers) {
  sim.step();
  std::vector<std::int32_t> provider;
  sim.backend().read_providers(provider);
  std::vector<double> count(firms, 0.0);
  for (const std::int32_t j : provider) ++count[static_cast<std::size_t>(j)];
  *customers = static_cast<double>(provider.size());
  return count;
}

// Two regions, three firms that differ in quality, price, home region and language fit.
const char* kFullUtilityConfig = R"(
[run]
replicates = 2
seed = 7
[population]
customers = 300000
segment_shares = { enterprise = 1.0 }
region_shares = { US = 0.5, KR = 0.5 }
[firms]
frozen = true
[demand]
bass_p = 1.0
bass_q = 0.0
reconsider_rate = 0.0
consideration_set = 0
elo_discernment = 1.3
beta_price = 0.8
beta_home = 0.6
beta_language = 0.9
beta_network = 0.0
switching_cost = 0.0
taste_sd = 0.0
price_taste_sd = 0.0
[[firm]]
name = "GlobalLab"
archetype = "model_lab"
region = "US"
quality = 174.0
price = 2.0
language_fit = { KR = 0.3 }
[[firm]]
name = "LocalService"
archetype = "kr_service"
region = "KR"
quality = 70.0
price = 0.7
[[firm]]
name = "Challenger"
archetype = "model_lab"
region = "EU"
quality = 122.0
price = 1.0
)";

TEST(CustomerMarket, FirstChoiceFollowsLogitOnTheFullUtility) {
  const Config config = load_config_text("full_utility", kFullUtilityConfig);
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();  // bass_p = 1: everyone adopts, choosing among all firms
  std::vector<std::int32_t> provider;
  sim.backend().read_providers(provider);
  const auto& firms = sim.firms();
  const auto& d = config.demand;
  const int segment = 1;  // enterprise
  for (int region : {0, 1}) {
    std::vector<double> utility;
    for (std::int32_t j = 0; j < firms.size(); ++j) {
      const auto sj = static_cast<std::size_t>(layout::segment_firm(segment, j, firms.size()));
      const auto jr = static_cast<std::size_t>(layout::firm_region(j, region));
      utility.push_back(d.beta_quality() * firms.quality[sj] -
                        d.beta_price * std::log(1.0 + firms.price[sj] / d.reference_price) +
                        (firms.region[static_cast<std::size_t>(j)] == region ? d.beta_home : 0.0) +
                        d.beta_language * firms.language_fit[jr]);
    }
    const auto expected = testing::softmax(utility);
    std::vector<double> count(expected.size(), 0.0);
    double n = 0;
    const auto& customers = sim.customers();
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      for (std::int64_t c = 0; c < config.population.customers; ++c) {
        if (customers.region[static_cast<std::size_t>(c)] != region) continue;
        const std::int64_t rc = layout::replicate_customer(r, c, config.population.customers);
        ++count[static_cast<std::size_t>(provider[static_cast<std::size_t>(rc)])];
        ++n;
      }
    }
    for (std::size_t j = 0; j < expected.size(); ++j) {
      const double sd = std::sqrt(expected[j] * (1 - expected[j]) / n);  // binomial
      EXPECT_NEAR(count[j] / n, expected[j], 4.5 * sd) << "region " << region << " firm " << j;
    }
  }
}

// A free tier beside paid services: the price term log(1 + p / p_ref) is finite at p = 0, and
// first-choice shares are the logit on it (a textbook closed form).
const char* kFreeTierConfig = R"(
[run]
replicates = 2
seed = 11
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
beta_price = 1.2
reference_price = 0.5
beta_home = 0.0
beta_language = 0.0
beta_network = 0.0
switching_cost = 0.0
taste_sd = 0.0
price_taste_sd = 0.0
[[firm]]
name = "Free"
archetype = "consumer_ai"
region = "US"
quality = 1000.0
price = 0.0
[[firm]]
name = "Paid"
archetype = "consumer_ai"
region = "US"
quality = 1200.0
price = 3.0
[[firm]]
name = "Cheap"
archetype = "consumer_ai"
region = "US"
quality = 1100.0
price = 0.5
)";

TEST(CustomerMarket, FreeAndPaidServicesShareByTheLogitOnThePriceTerm) {
  const Config config = load_config_text("free_tier", kFreeTierConfig);
  Simulation sim(config, BackendChoice::kCpu);
  // Closed form, written out: u = beta_quality q - beta_price log(1 + p / 0.5).
  const double bq = config.demand.beta_quality();
  const std::vector<double> utility = {bq * 1000.0 - 1.2 * std::log(1.0),
                                       bq * 1200.0 - 1.2 * std::log(7.0),
                                       bq * 1100.0 - 1.2 * std::log(2.0)};
  const auto expected = testing::softmax(utility);
  double n = 0.0;
  // bass_p = 1: everyone adopts, choosing among all firms.
  const std::vector<double> count = first_choice_counts(sim, expected.size(), &n);
  for (std::size_t j = 0; j < expected.size(); ++j) {
    const double sd = std::sqrt(expected[j] * (1 - expected[j]) / n);  // binomial
    EXPECT_NEAR(count[j] / n, expected[j], 4.5 * sd) << "firm " << j;
  }
  // The free firm is the most chosen here, though the lowest in quality.
  EXPECT_GT(count[0], count[1]);
}

TEST(CustomerMarket, SwitchingCostSetsTheSwitchProbability) {
  // Two identical firms: after everyone adopts, each reconsidering adopter stays with
  // probability 1 / (1 + exp(-switching_cost)).
  const Config config = load_config_text("switching", R"(
[run]
replicates = 2
[population]
customers = 200000
[firms]
frozen = true
[demand]
bass_p = 1.0
bass_q = 0.0
reconsider_rate = 1.0
consideration_set = 0
beta_network = 0.0
beta_home = 0.0
beta_language = 0.0
switching_cost = 1.5
taste_sd = 0.0
[[firm]]
name = "A"
archetype = "consumer_ai"
region = "US"
[[firm]]
name = "B"
archetype = "consumer_ai"
region = "US"
)");
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  std::vector<std::int32_t> before, after;
  sim.backend().read_providers(before);
  sim.step();
  sim.backend().read_providers(after);
  double switched = 0;
  for (std::size_t i = 0; i < before.size(); ++i) switched += before[i] != after[i];
  const double n = static_cast<double>(before.size());
  const double expected = 1.0 - 1.0 / (1.0 + std::exp(-config.demand.switching_cost));
  EXPECT_NEAR(switched / n, expected, 4.5 * std::sqrt(expected * (1 - expected) / n));
}

// Two identical firms, everyone adopting at once and reconsidering every step among all firms
// at no switching cost: only the tastes tell the firms apart.
Config identical_pair(double taste_sd, std::int64_t customers, int replicates) {
  return load_config_text("identical_pair", R"(
[run]
replicates = )" + std::to_string(replicates) + R"(
[population]
customers = )" + std::to_string(customers) + R"(
[firms]
frozen = true
[demand]
bass_p = 1.0
bass_q = 0.0
reconsider_rate = 1.0
consideration_set = 0
beta_network = 0.0
beta_home = 0.0
beta_language = 0.0
switching_cost = 0.0
taste_sd = )" + std::to_string(taste_sd) + R"(
[[firm]]
name = "A"
archetype = "consumer_ai"
region = "US"
[[firm]]
name = "B"
archetype = "consumer_ai"
region = "US"
)");
}

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// E_z[f(z)] for z ~ N(0, 1) by the trapezoid rule on [-12, 12], step 0.005: for a smooth
// bounded f the error is far below 1e-10, negligible against any sampling error here.
template <typename F>
double expect_over_normal(F f) {
  const double h = 0.005;
  double sum = 0.0;
  for (int k = -2400; k <= 2400; ++k) {
    const double z = k * h;
    sum += std::exp(-0.5 * z * z) * f(z);
  }
  return sum * h / std::sqrt(2.0 * std::acos(-1.0));
}

TEST(CustomerMarket, PersistentTasteSetsTheSwitchRateBetweenIdenticalFirms) {
  // Given tastes z_A, z_B a customer picks A with p = logistic(taste_sd (z_A - z_B)) at every
  // choice, so it switches between two steps with 2 p (1 - p); z_A - z_B = sqrt(2) z. With
  // taste_sd = 0 that is 1/2; redrawn (not persistent) tastes would give 1/2 at any taste_sd.
  for (const double taste_sd : {0.0, 1.5}) {
    const Config config = identical_pair(taste_sd, 200000, 2);
    Simulation sim(config, BackendChoice::kCpu);
    sim.step();
    std::vector<std::int32_t> before, after;
    sim.backend().read_providers(before);
    sim.step();
    sim.backend().read_providers(after);
    double switched = 0;
    for (std::size_t i = 0; i < before.size(); ++i) switched += before[i] != after[i];
    const double n = static_cast<double>(before.size());
    const double expected = expect_over_normal([&](double z) {
      const double p = logistic(taste_sd * std::sqrt(2.0) * z);
      return 2.0 * p * (1.0 - p);
    });
    if (taste_sd == 0.0) {
      EXPECT_NEAR(expected, 0.5, 1e-9);  // the quadrature itself
    }
    // Customers are independent: binomial sd of the switch rate.
    EXPECT_NEAR(switched / n, expected, 4.5 * std::sqrt(expected * (1 - expected) / n))
        << "taste_sd " << taste_sd;
  }
}

TEST(CustomerMarket, PersistentTasteWorksInSampledConsiderationSets) {
  // The sampled path: firms A and B identical, C never sampled (awareness 0, no installed-base
  // weight), two draws a chooser (k = 2 < 3 firms). First choice: the two draws differ with
  // probability 1/2 and the logit on tastes picks, else the one firm drawn. Second: the set
  // holds both unless both draws repeat the provider (1/4). So
  //   P(switch) = 3/4 E_z[1/2 * 1/2 + 1/2 * 2 p (1 - p)],  p = logistic(taste_sd sqrt(2) z).
  const double taste_sd = 1.5;
  const Config config = load_config_text("sampled_tastes", R"(
[run]
replicates = 2
[population]
customers = 200000
[firms]
frozen = true
[demand]
bass_p = 1.0
bass_q = 0.0
reconsider_rate = 1.0
consideration_set = 2
awareness_installed_base = 0.0
beta_network = 0.0
beta_home = 0.0
beta_language = 0.0
switching_cost = 0.0
taste_sd = 1.5
[[firm]]
name = "A"
archetype = "consumer_ai"
region = "US"
[[firm]]
name = "B"
archetype = "consumer_ai"
region = "US"
[[firm]]
name = "C"
archetype = "consumer_ai"
region = "US"
awareness = 0.0
)");
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  std::vector<std::int32_t> before, after;
  sim.backend().read_providers(before);
  sim.step();
  sim.backend().read_providers(after);
  double switched = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    ASSERT_NE(before[i], 2);
    switched += before[i] != after[i];
  }
  const double n = static_cast<double>(before.size());
  const double expected = 0.75 * expect_over_normal([&](double z) {
                            const double p = logistic(taste_sd * std::sqrt(2.0) * z);
                            return 0.25 + p * (1.0 - p);
                          });
  EXPECT_NEAR(switched / n, expected, 4.5 * std::sqrt(expected * (1 - expected) / n));
}

TEST(CustomerMarket, MixedLogitSharesAreTheLogitAveragedOverTastes) {
  // Three firms of different quality, first choice among all: the share of firm j is
  // E_z[softmax_j(beta_quality q + taste_sd z)], z ~ N(0, I_3), computed here by an
  // independent Monte Carlo of kDraws draws whose own sd enters the tolerance.
  const double taste_sd = 1.2;
  const double quality[3] = {0.0, 0.5, 1.2};
  const Config config = load_config_text("mixed_logit", R"(
[run]
replicates = 2
[population]
customers = 200000
[firms]
frozen = true
[demand]
bass_p = 1.0
bass_q = 0.0
consideration_set = 0
# One Elo point = one utility unit (kappa = 400 / ln 10), so the qualities below are the
# utilities of the closed form.
elo_discernment = 173.71779276130073
beta_price = 0.0
beta_network = 0.0
beta_home = 0.0
beta_language = 0.0
switching_cost = 0.0
taste_sd = 1.2
[[firm]]
name = "A"
archetype = "consumer_ai"
region = "US"
quality = 0.0
[[firm]]
name = "B"
archetype = "consumer_ai"
region = "US"
quality = 0.5
[[firm]]
name = "C"
archetype = "consumer_ai"
region = "US"
quality = 1.2
)");
  constexpr int kDraws = 1000000;
  std::mt19937_64 engine(12345);
  std::normal_distribution<double> normal;
  double mean[3] = {0, 0, 0}, mean_sq[3] = {0, 0, 0};
  for (int k = 0; k < kDraws; ++k) {
    std::vector<double> v(3);
    for (int j = 0; j < 3; ++j) {
      v[static_cast<std::size_t>(j)] =
          config.demand.beta_quality() * quality[j] + taste_sd * normal(engine);
    }
    const auto p = testing::softmax(v);
    for (int j = 0; j < 3; ++j) {
      mean[j] += p[static_cast<std::size_t>(j)] / kDraws;
      mean_sq[j] += p[static_cast<std::size_t>(j)] * p[static_cast<std::size_t>(j)] / kDraws;
    }
  }
  Simulation sim(config, BackendChoice::kCpu);
  double n = 0.0;
  const std::vector<double> count = first_choice_counts(sim, 3, &n);
  for (int j = 0; j < 3; ++j) {
    const double expected = mean[j];
    // Customers choose independently (binomial sd); the Monte Carlo mean has variance
    // Var(softmax_j) / kDraws.
    const double sd =
        std::sqrt(expected * (1 - expected) / n + (mean_sq[j] - mean[j] * mean[j]) / kDraws);
    EXPECT_NEAR(count[static_cast<std::size_t>(j)] / n, expected, 4.5 * sd) << "firm " << j;
  }
  // The mixture is flatter than the plain logit on quality: the best firm's plain-logit share
  // lies far outside the tolerance, so the check above can tell the two apart.
  const auto plain = testing::softmax({quality[0], quality[1], quality[2]});
  EXPECT_GT(plain[2] - mean[2], 0.02);
}

TEST(CustomerMarket, TastesPersistAcrossStepsAndDifferBetweenReplicates) {
  // Each customer's choices at steps 1..6 follow p_i = logistic(taste_sd (z_iA - z_iB)) from
  // its own taste draws, the same at every step. Among customers who favour A (p_i > 1/2)
  // the share of A choices is then the mean of their p_i; if tastes were redrawn per step,
  // or not the customer's own, it would be near 1/2.
  const double taste_sd = 2.0;
  const std::int64_t m = 20000;
  const int replicates = 2, steps = 6;
  const Config config = identical_pair(taste_sd, m, replicates);
  Simulation sim(config, BackendChoice::kCpu);
  std::vector<std::vector<std::int32_t>> providers;
  for (int t = 0; t < steps; ++t) {
    sim.step();
    providers.emplace_back();
    sim.backend().read_providers(providers.back());
  }
  const std::uint64_t seed = config.run.seed;
  for (int r = 0; r < replicates; ++r) {
    double chose_a = 0.0, expected = 0.0, variance = 0.0, picks = 0.0;
    for (std::int64_t c = 0; c < m; ++c) {
      const double p = logistic(taste_sd * (firm_taste(seed, r, c, 0) - firm_taste(seed, r, c, 1)));
      if (p <= 0.5) continue;
      for (int t = 0; t < steps; ++t) {
        chose_a += providers[static_cast<std::size_t>(t)]
                            [static_cast<std::size_t>(layout::replicate_customer(r, c, m))] == 0;
        expected += p;
        variance += p * (1 - p);  // choices are independent given the tastes
        ++picks;
      }
    }
    EXPECT_NEAR(chose_a, expected, 4.5 * std::sqrt(variance)) << "replicate " << r;
    // The check can fail: tastes that did not persist would give about picks / 2.
    EXPECT_GT(expected - 0.5 * picks, 20 * std::sqrt(variance));
  }
  // The two replicates' tastes are independent draws: their correlation over customers is
  // 0 with sd 1/sqrt(m).
  double cross = 0.0;
  for (std::int64_t c = 0; c < m; ++c)
    cross += firm_taste(seed, 0, c, 0) * firm_taste(seed, 1, c, 0);
  EXPECT_NEAR(cross / static_cast<double>(m), 0.0, 4.5 / std::sqrt(static_cast<double>(m)));
  EXPECT_NE(firm_taste(seed, 0, 0, 0), firm_taste(seed, 1, 0, 0));
}

TEST(CustomerMarket, ConsiderationSetOfOneDrawsByAwareness) {
  // A single candidate, no current provider, no adopters yet: the first choice is the sampled
  // firm itself, drawn with probability awareness_j / sum(awareness).
  const Config config = load_config_text("awareness", R"(
[run]
replicates = 2
[population]
customers = 200000
[firms]
frozen = true
[demand]
bass_p = 1.0
bass_q = 0.0
consideration_set = 1
[[firm]]
name = "Loud"
archetype = "consumer_ai"
region = "US"
awareness = 6.0
[[firm]]
name = "Medium"
archetype = "consumer_ai"
region = "US"
awareness = 3.0
quality = 5.0
[[firm]]
name = "Quiet"
archetype = "consumer_ai"
region = "US"
awareness = 1.0
)");
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  const RecordFrame frame = sim.record_frame();
  const double expected[] = {0.6, 0.3, 0.1};
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (int j = 0; j < 3; ++j) {
      const double share = frame.market_share[static_cast<std::size_t>(
          layout::replicate_layer_firm(r, kServiceLayer, j, 3))];
      const double sd = std::sqrt(expected[j] * (1 - expected[j]) / config.population.customers);
      EXPECT_NEAR(share, expected[j], 4.5 * sd) << "replicate " << r << " firm " << j;
    }
  }
}

TEST(CustomerMarket, WordOfMouthIsTheInstalledBaseOfTheCustomersRegion) {
  // Word of mouth alone (awareness_installed_base = 1) and a consideration set of one: a
  // newcomer adopts the firm it hears of, drawn by the installed base of its own market
  // (kernels/segment_state.hpp). Half of each region's customers start as adopters; Korea's
  // use K 80 % (its home share), the US U 80 %. Every other customer adopts in the first
  // step, so K's Korean share stays 0.8 with local word of mouth; a worldwide installed base
  // (K 50 %) would take it to 0.65.
  const Config config = load_config_text("word_of_mouth", R"(
[run]
replicates = 2
[population]
customers = 200000
segment_shares = { consumer = 1.0 }
region_shares = { US = 0.5, KR = 0.5 }
initial_adoption = { consumer = 0.5 }
[firms]
frozen = true
[demand]
bass_p = 1.0
bass_q = 0.0
reconsider_rate = 0.0
consideration_set = 1
awareness_installed_base = 1.0
beta_home = 0.0
beta_language = 0.0
[[firm]]
name = "K"
archetype = "consumer_ai"
region = "KR"
initial_share = { consumer = 0.2 }
home_share = { consumer = 0.8 }
[[firm]]
name = "U"
archetype = "consumer_ai"
region = "US"
initial_share = { consumer = 0.8 }
)");
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  const RecordFrame frame = sim.record_frame();
  const int korea = 1, us = 0;
  ASSERT_EQ(std::string(kRegionNames[korea]), "KR");
  ASSERT_EQ(std::string(kRegionNames[us]), "US");
  const double in_region = static_cast<double>(config.population.customers) / 2;
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (const auto& [region, firm] : {std::pair{korea, 0}, std::pair{us, 1}}) {
      const double share = frame.region_customers[static_cast<std::size_t>(
                               layout::replicate_region_firm(r, region, firm, 2))] /
                           in_region;
      // Half the region's customers are newcomers, each with K (U) at home with p = 0.8.
      const double sd = std::sqrt(0.8 * 0.2 / (in_region / 2)) / 2;
      EXPECT_NEAR(share, 0.8, 4.5 * sd) << "replicate " << r << " region " << region;
    }
  }
}

// A market with many firms, sampling, every utility term on, and persistent price and firm
// tastes.
Config busy_market(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> assignments = {
      "population.customers=20000", "population.synthetic_firms=300", "run.replicates=3",
      "demand.price_taste_sd=0.4",  "demand.reconsider_rate=0.2",     "demand.bass_p=0.05",
      "demand.taste_sd=1.2"};
  assignments.insert(assignments.end(), extra.begin(), extra.end());
  return testing::load_repo_config("configs/baseline.toml", assignments);
}

// Every customer's services recounted from its provider and other services (multi-homing)
// match the tallies: uses per (segment, firm), primary providers per (region, firm), adopters
// per segment; no customer uses a firm twice or another service without a primary one.
void expect_customers_conserved(const Config& config) {
  Simulation sim(config, BackendChoice::kCpu);
  const std::int64_t m = config.population.customers;
  const std::int32_t firms = sim.firms().size();
  const auto slots = static_cast<std::int64_t>(config.demand.max_services - 1);
  std::int64_t multi_homers = 0;
  for (int t = 0; t < 12; ++t) {
    sim.step();
    std::vector<std::int32_t> provider, others, tally;
    sim.backend().read_providers(provider);
    sim.backend().read_other_services(others);
    sim.backend().read_tallies(tally);
    ASSERT_EQ(others.size(), provider.size() * static_cast<std::size_t>(slots));
    std::vector<std::int32_t> recount(tally.size(), 0);
    std::vector<std::int32_t> region_recount(
        static_cast<std::size_t>(config.run.replicates * kRegions * firms), 0);
    const RecordFrame frame = sim.record_frame();
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      std::int64_t adopters = 0;
      for (std::int64_t c = 0; c < m; ++c) {
        const std::int64_t index = layout::replicate_customer(r, c, m);
        const std::int32_t j = provider[static_cast<std::size_t>(index)];
        ASSERT_GE(j, -1);
        ASSERT_LT(j, firms);
        const int s = sim.customers().segment[static_cast<std::size_t>(c)];
        std::vector<std::int32_t> used;
        for (std::int64_t k = 0; k < slots; ++k) {
          const std::int32_t o = others[static_cast<std::size_t>(index * slots + k)];
          ASSERT_GE(o, -1);
          ASSERT_LT(o, firms);
          if (o >= 0) used.push_back(o);
        }
        if (j < 0) {
          ASSERT_TRUE(used.empty()) << "other services without a primary one, step " << t;
          continue;
        }
        ++adopters;
        multi_homers += used.empty() ? 0 : 1;
        used.push_back(j);
        for (std::size_t a = 0; a < used.size(); ++a) {
          for (std::size_t b = a + 1; b < used.size(); ++b) ASSERT_NE(used[a], used[b]);
          ++recount[static_cast<std::size_t>(layout::replicate_segment_firm(r, s, used[a], firms))];
        }
        const int g = sim.customers().region[static_cast<std::size_t>(c)];
        ++region_recount[static_cast<std::size_t>(layout::replicate_region_firm(r, g, j, firms))];
      }
      std::int64_t recorded = 0;
      for (int s = 0; s < kSegments; ++s) {
        recorded += frame.adopters[static_cast<std::size_t>(layout::replicate_segment(r, s))];
      }
      EXPECT_EQ(recorded, adopters) << "step " << t;
      EXPECT_LE(adopters, m);
      double share_sum = 0.0;
      for (std::int32_t j = 0; j < firms; ++j) {
        share_sum += frame.market_share[static_cast<std::size_t>(
            layout::replicate_layer_firm(r, kServiceLayer, j, firms))];
      }
      // Each share carries one rounding of 2^-53 relative; the sum of F of them is off by at
      // most F * 2^-53 (plus the additions' own rounding), far below 1e-12 for F < 10^3.
      if (adopters > 0) {
        EXPECT_NEAR(share_sum, 1.0, 1e-12) << "step " << t;
      }
    }
    ASSERT_EQ(recount, tally) << "step " << t;
    ASSERT_EQ(region_recount, frame.region_customers) << "step " << t;
  }
  // The multi-homing run does multi-home (so the checks above saw other services).
  if (slots > 0) {
    EXPECT_GT(multi_homers, 0);
  }
}

TEST(CustomerMarket, CustomersAreConservedAndTalliesMatchProvidersBySegmentAndRegion) {
  expect_customers_conserved(busy_market());
}

TEST(CustomerMarket, MultiHomersAreConservedAndUsedFirmsAreDistinct) {
  expect_customers_conserved(busy_market(
      {"demand.max_services=3", "demand.add_service_rate=0.2", "demand.drop_service_rate=0.1"}));
}

TEST(CustomerMarket, MultiHomingSettlesAtItsStationaryShare) {
  // Four identical firms (configs/textbook/logit.toml with equal qualities), every customer an
  // adopter from the start, up to two services. A single-homer adds a second service with
  // probability a, but a pick of its own provider (1 in 4 under full consideration) adds
  // nothing: a' = a (1 - 1/4). A multi-homer drops its second with probability d and may add
  // again in the same step. So P(multi-homing) follows p' = p (1 - d + d a') + (1 - p) a',
  // stationary at p* = a' / (a' + d (1 - a')), reached geometrically (rate 1 - a' - d (1 - a')
  // = 0.62 a step here, so 40 steps leave 1e-8 of the start).
  const double a = 0.3, d = 0.2, a_eff = a * 0.75;
  const double p_star = a_eff / (a_eff + d * (1.0 - a_eff));
  const Config config = testing::load_repo_config(
      "configs/textbook/logit.toml",
      {"run.steps=40", "population.initial_adoption={consumer=1.0}", "demand.bass_p=0",
       "firm.B.quality=0", "firm.C.quality=0", "firm.D.quality=0",
       "firm.A.initial_share={consumer=0.25}", "firm.B.initial_share={consumer=0.25}",
       "firm.C.initial_share={consumer=0.25}", "firm.D.initial_share={consumer=0.25}",
       "demand.max_services=2", "demand.add_service_rate=0.3", "demand.drop_service_rate=0.2"});
  Simulation sim(config, BackendChoice::kCpu);
  for (std::int64_t t = 0; t < config.run.steps; ++t) sim.step();
  const RecordFrame frame = sim.record_frame();
  const double n = static_cast<double>(config.population.customers);
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    double uses = 0.0;
    for (std::int32_t j = 0; j < 4; ++j) {
      uses += frame.customers[static_cast<std::size_t>(layout::replicate_segment_firm(r, 0, j, 4))];
    }
    const double adopters =
        frame.adopters[static_cast<std::size_t>(layout::replicate_segment(r, 0))];
    ASSERT_EQ(adopters, n);
    // Customers are independent chains: the multi-homers are binomial(n, p*). 4.5 sd.
    EXPECT_NEAR(uses / adopters - 1.0, p_star, 4.5 * std::sqrt(p_star * (1.0 - p_star) / n))
        << "replicate " << r;
    // Identical firms: each has a quarter of the uses (a multinomial-like count; the binomial
    // sd of a quarter of the uses is a bound within 10 %, hence 5 sd).
    for (std::int32_t j = 0; j < 4; ++j) {
      const double share =
          frame.customers[static_cast<std::size_t>(layout::replicate_segment_firm(r, 0, j, 4))] /
          uses;
      EXPECT_NEAR(share, 0.25, 5.0 * std::sqrt(0.25 * 0.75 / uses)) << "firm " << j;
    }
  }
}

TEST(CustomerMarket, SameSeedSameRunDifferentSeedDifferentRun) {
  const Config config = busy_market();
  const auto first = testing::run_and_read_providers(config, 8, BackendChoice::kCpu);
  const auto second = testing::run_and_read_providers(config, 8, BackendChoice::kCpu);
  EXPECT_EQ(first, second);
  const auto other =
      testing::run_and_read_providers(busy_market({"run.seed=999"}), 8, BackendChoice::kCpu);
  EXPECT_NE(first, other);
}

// Providers, cash and upstream prices after `steps` steps: the state a thread count could
// perturb if any decision depended on thread order.
struct RunFingerprint {
  std::vector<std::int32_t> provider;
  std::vector<std::int64_t> cash, sold;
  std::vector<double> price, capability;
  bool operator==(const RunFingerprint& o) const {
    return provider == o.provider && cash == o.cash && sold == o.sold &&
           price.size() == o.price.size() &&
           std::memcmp(price.data(), o.price.data(), price.size() * sizeof(double)) == 0 &&
           capability.size() == o.capability.size() &&
           std::memcmp(capability.data(), o.capability.data(),
                       capability.size() * sizeof(double)) == 0;
  }
};

RunFingerprint fingerprint(const Config& config, int steps) {
  Simulation sim(config, BackendChoice::kCpu);
  for (int t = 0; t < steps; ++t) sim.step();
  RunFingerprint f;
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  sim.backend().read_providers(f.provider);
  f.cash = s.cash;
  f.sold = s.sold;
  f.price = s.price;
  f.capability = s.capability;
  return f;
}

TEST(CustomerMarket, ThreadCountDoesNotChangeTheResult) {
  const Config config = busy_market();
  set_cpu_threads(1);
  const RunFingerprint one = fingerprint(config, 8);
  set_cpu_threads(2);
  const RunFingerprint two = fingerprint(config, 8);
  set_cpu_threads(4);
  const RunFingerprint four = fingerprint(config, 8);
  EXPECT_TRUE(one == two);
  EXPECT_TRUE(one == four);
  EXPECT_FALSE(one.sold.empty());
}

TEST(CustomerMarket, CpuAndCudaAgreeBitwise) {
  std::string why_not;
  if (!cuda_backend_usable(&why_not)) GTEST_SKIP() << "skipped: " << why_not;
  // The baseline runs the whole value chain (markets, capability, finance) as well as the
  // customer market; every recorded array must agree bit for bit.
  for (const std::string consideration :
       {"demand.consideration_set=8", "demand.consideration_set=0"}) {
    const Config config = busy_market({consideration});
    EnsembleSnapshot on_cpu, on_gpu;
    std::vector<std::int32_t> providers_cpu, providers_gpu;
    {
      Simulation sim(config, BackendChoice::kCpu);
      for (int t = 0; t < 10; ++t) sim.step();
      sim.backend().read_snapshot(on_cpu);
      sim.backend().read_providers(providers_cpu);
    }
    {
      Simulation sim(config, BackendChoice::kCuda);
      for (int t = 0; t < 10; ++t) sim.step();
      sim.backend().read_snapshot(on_gpu);
      sim.backend().read_providers(providers_gpu);
    }
    EXPECT_EQ(providers_cpu, providers_gpu) << consideration;
    EXPECT_EQ(on_cpu.tally, on_gpu.tally) << consideration;
    EXPECT_EQ(on_cpu.sold, on_gpu.sold) << consideration;
    EXPECT_EQ(on_cpu.paid, on_gpu.paid) << consideration;
    EXPECT_EQ(on_cpu.cash, on_gpu.cash) << consideration;
    // Doubles compared as bit patterns (memcmp), so that equality means bitwise identity.
    const auto same_bits = [](const std::vector<double>& a, const std::vector<double>& b) {
      return a.size() == b.size() &&
             std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
    };
    EXPECT_TRUE(same_bits(on_cpu.price, on_gpu.price)) << consideration;
    EXPECT_TRUE(same_bits(on_cpu.capability, on_gpu.capability)) << consideration;
    EXPECT_TRUE(same_bits(on_cpu.installed_compute, on_gpu.installed_compute)) << consideration;
    EXPECT_TRUE(same_bits(on_cpu.service_price, on_gpu.service_price)) << consideration;
  }
}

}  // namespace
}  // namespace aimarket
