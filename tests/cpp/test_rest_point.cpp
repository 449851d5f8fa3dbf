// Utilities calibrated from shares (src/calibration/rest_point.hpp, MODEL.md "Utilities
// calibrated from shares"): the inversion against a closed form, the starting shares held as
// a rest point, and the same offsets on any thread count. Tolerances are multiples of the
// sampling standard deviation, written next to each check; seeds are fixed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "driver/simulation.hpp"
#include "kernels/layout.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::load_repo_config;

// The four firms of configs/textbook/logit.toml (0, 100, 200, 300 Elo), every customer a
// consumer and an adopter at the start, shared 40/30/20/10 % among them; nobody adopts
// later, so the market is the stock of customers alone.
std::vector<std::string> four_firm_market(const std::string& switching_cost) {
  return {"population.initial_adoption={consumer=1.0}", "demand.bass_p=0",
          "demand.switching_cost=" + switching_cost,    "demand.calibration_rounds=40",
          "firm.A.initial_share={consumer=0.4}",        "firm.B.initial_share={consumer=0.3}",
          "firm.C.initial_share={consumer=0.2}",        "firm.D.initial_share={consumer=0.1}"};
}
constexpr double kTarget[] = {0.4, 0.3, 0.2, 0.1};

// Full consideration, switching cost c, every customer choosing: from provider k a customer
// moves to j != k with probability a w_j / (w_k + a (W - w_k)), a = e^-c, w = exp(utility),
// W = sum w. The stationary shares of that chain are
//   s_j  proportional to  w_j (a W + (1 - a) w_j)
// (substitute into s_j = sum_k s_k P(k -> j)). Given target shares, this returns the
// log-weights log w_j (up to a common constant) that make them stationary: with W = 1 each
// w_j solves (1 - a) w^2 + a w = lambda s_j, and lambda is found by bisection so that the
// w_j sum to 1.
std::vector<double> stationary_log_weights(const std::vector<double>& share, double c) {
  const double a = std::exp(-c), b = 1.0 - a;
  auto weights = [&](double lambda) {
    std::vector<double> w;
    w.reserve(share.size());
    for (double s : share) {
      w.push_back(b > 0.0 ? (-a + std::sqrt(a * a + 4.0 * b * lambda * s)) / (2.0 * b)
                          : lambda * s / a);
    }
    return w;
  };
  double lo = 0.0, hi = 1.0;
  auto total = [&](double lambda) {
    double sum = 0.0;
    for (double w : weights(lambda)) sum += w;
    return sum;
  };
  while (total(hi) < 1.0) hi *= 2.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (total(mid) < 1.0 ? lo : hi) = mid;
  }
  std::vector<double> log_w;
  for (double w : weights(0.5 * (lo + hi))) log_w.push_back(std::log(w));
  return log_w;
}

// Runs the first step (which calibrates) and returns the offsets of the four firms.
std::vector<double> calibrated_offsets(Simulation& sim) {
  sim.step();
  const std::vector<double>& offset = sim.rest_fit().offset;
  const std::int32_t n = sim.firms().size();
  std::vector<double> out;
  out.reserve(4);
  for (std::int32_t j = 0; j < 4; ++j)
    out.push_back(offset[static_cast<std::size_t>(layout::segment_region_firm(0, 0, j, n))]);
  return out;
}

void expect_offsets_solve_the_closed_form(double switching_cost) {
  const Config config = load_repo_config("configs/textbook/logit.toml",
                                         four_firm_market(std::to_string(switching_cost)));
  Simulation sim(config, BackendChoice::kCpu);
  const std::vector<double> offset = calibrated_offsets(sim);
  const std::vector<double> log_w =
      stationary_log_weights({kTarget[0], kTarget[1], kTarget[2], kTarget[3]}, switching_cost);
  // Utility = beta_quality quality + offset, so
  // offset_j - offset_A = (log w_j - log w_A) - beta_quality (q_j - q_A).
  const double n = static_cast<double>(config.population.customers * config.run.replicates);
  for (int j = 1; j < 4; ++j) {
    const double expected =
        (log_w[static_cast<std::size_t>(j)] - log_w[0]) -
        config.demand.beta_quality() * (config.named_firms[static_cast<std::size_t>(j)].quality[0] -
                                        config.named_firms[0].quality[0]);
    // The sampling sd of log(s_j / s_A) measured in one round of n choices (delta method:
    // (1 - s)/(s n) per firm); the averaged offsets are no noisier than one round. 4 sd.
    const double sd =
        std::sqrt((1.0 - kTarget[j]) / (kTarget[j] * n) + (1.0 - kTarget[0]) / (kTarget[0] * n));
    EXPECT_NEAR(offset[static_cast<std::size_t>(j)] - offset[0], expected, 4.0 * sd)
        << "firm " << j << ", switching cost " << switching_cost;
  }
}

TEST(RestPoint, InversionIsBerrysLogitInversionWithoutSwitchingCost) {
  // c = 0: the stationary shares are the logit shares, offset_j - offset_A =
  // log(s_j / s_A) - (q_j - q_A) (Berry 1994).
  expect_offsets_solve_the_closed_form(0.0);
}

TEST(RestPoint, InversionSolvesTheStationaryChainWithSwitchingCost) {
  expect_offsets_solve_the_closed_form(1.0);
}

// Pooled share of firm j in the consumer segment, from a recorded frame.
double pooled_share(const Simulation& sim, const RecordFrame& frame, std::int32_t j) {
  const Config& config = sim.config();
  const std::int32_t firms = sim.firms().size();
  double customers = 0.0;
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    customers +=
        frame.customers[static_cast<std::size_t>(layout::replicate_segment_firm(r, 0, j, firms))];
  }
  return customers / static_cast<double>(config.population.customers * config.run.replicates);
}

// The four-firm market with sampled consideration sets (2 of 4, by awareness 1:2:3:4) and
// switching costs, frozen firms, every customer choosing every step.
std::vector<std::string> sampled_market(const std::string& network, const std::string& base) {
  std::vector<std::string> overrides = four_firm_market("1.0");
  overrides.insert(overrides.end(),
                   {"run.steps=24", "demand.consideration_set=2", "demand.beta_network=" + network,
                    "demand.awareness_installed_base=" + base, "firm.A.awareness=1",
                    "firm.B.awareness=2", "firm.C.awareness=3", "firm.D.awareness=4"});
  return overrides;
}

TEST(RestPoint, CalibratedSharesStayAtTheirStartWhileEveryCustomerChooses) {
  // Without feedback between customers (no network effect, consideration by awareness
  // alone) customers are independent chains, so at rest the counts stay multinomial around
  // the start: each step's pooled share within 4.5 binomial sd of it, for 24 steps.
  const Config config = load_repo_config("configs/textbook/logit.toml", sampled_market("0", "0"));
  Simulation sim(config, BackendChoice::kCpu);
  const double n = static_cast<double>(config.population.customers * config.run.replicates);
  for (std::int64_t t = 0; t < config.run.steps; ++t) {
    sim.step();
    const RecordFrame frame = sim.record_frame();
    for (std::int32_t j = 0; j < 4; ++j) {
      const double sd = std::sqrt(kTarget[j] * (1.0 - kTarget[j]) / n);
      EXPECT_NEAR(pooled_share(sim, frame, j), kTarget[j], 4.5 * sd)
          << "firm " << j << " at step " << t;
    }
  }
  // Without the inversion the same market leaves its start (so the check can fail).
  std::vector<std::string> off = sampled_market("0", "0");
  off.push_back("demand.calibration_rounds=0");
  Simulation uncalibrated(load_repo_config("configs/textbook/logit.toml", off),
                          BackendChoice::kCpu);
  for (std::int64_t t = 0; t < config.run.steps; ++t) uncalibrated.step();
  EXPECT_GT(std::abs(pooled_share(uncalibrated, uncalibrated.record_frame(), 3) - kTarget[3]),
            10.0 * std::sqrt(kTarget[3] * (1.0 - kTarget[3]) / n));
}

TEST(RestPoint, WithFeedbackTheFirstStepKeepsTheStartingShares) {
  // The network effect and installed-base sampling tie customers together; the inversion
  // still makes the start a rest point of one step (its definition): the first step's
  // pooled shares within 4.5 binomial sd. Later steps may leave it, as increasing returns
  // make such rest points unstable (Arthur 1989; MODEL.md).
  const Config config =
      load_repo_config("configs/textbook/logit.toml", sampled_market("1.0", "0.5"));
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  const RecordFrame frame = sim.record_frame();
  const double n = static_cast<double>(config.population.customers * config.run.replicates);
  for (std::int32_t j = 0; j < 4; ++j) {
    const double sd = std::sqrt(kTarget[j] * (1.0 - kTarget[j]) / n);
    EXPECT_NEAR(pooled_share(sim, frame, j), kTarget[j], 4.5 * sd) << "firm " << j;
  }
  EXPECT_LT(sim.rest_fit().max_abs_z, 4.5);
}

TEST(RestPoint, AScenariosUtilityLeverActsOnTheCalibratedStart) {
  // Firm D is Korean and every customer is in Korea; home procurement of 0.5 utility for
  // Korean firms is in the config from the start. The inversion runs without it and the lever
  // applies from the first choice, so D gains over its start; were the lever absorbed into the
  // offsets, D would stay at its start.
  std::vector<std::string> overrides = four_firm_market("0.0");
  overrides.insert(overrides.end(), {"population.region_shares={KR=1.0}", "firm.D.region=KR",
                                     "scenario.home_procurement={KR=0.5}"});
  const Config config = load_repo_config("configs/textbook/logit.toml", overrides);
  Simulation sim(config, BackendChoice::kCpu);
  sim.step();
  const double n = static_cast<double>(config.population.customers * config.run.replicates);
  // Every customer chooses (logit.toml reconsiders at rate 1, no switching cost): D's share
  // is the logit share with its utility raised by 0.5 from the calibrated rest point.
  const double w = kTarget[3] * std::exp(0.5);
  const double expected = w / (w + 1.0 - kTarget[3]);
  const double sd = std::sqrt(expected * (1.0 - expected) / n);
  EXPECT_NEAR(pooled_share(sim, sim.record_frame(), 3), expected, 4.5 * sd);
}

// Home shares (docs/MODEL.md, "Starting customers by region"): half the customers live in
// Korea, D is Korean and has half of Korea's customers; elsewhere the shares are 40/30/20/10,
// and in Korea A, B and C keep their proportions of the other half: 0.5 x (0.4, 0.3, 0.2) /
// 0.9. The home term is 0.3 utility and language fit plays no part.
constexpr double kHomeStart[2][4] = {{0.4, 0.3, 0.2, 0.1},
                                     {0.2 / 0.9, 0.15 / 0.9, 0.1 / 0.9, 0.5}};  // US, KR
constexpr int kRegionsUsed[2] = {0, 1};                                         // US, KR

std::vector<std::string> home_market(const std::string& switching_cost) {
  std::vector<std::string> overrides = four_firm_market(switching_cost);
  overrides.insert(overrides.end(), {"population.region_shares={US=0.5,KR=0.5}", "firm.D.region=KR",
                                     "firm.D.home_share={consumer=0.5}", "demand.beta_home=0.3"});
  return overrides;
}

// Pooled share of firm j among the customers of region r (every one an adopter, one segment).
double pooled_region_share(Simulation& sim, int region, std::int32_t j) {
  const Config& config = sim.config();
  const RecordFrame frame = sim.record_frame();
  const std::int32_t firms = sim.firms().size();
  double customers = 0.0, all = 0.0;
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (std::int32_t k = 0; k < firms; ++k) {
      const double c = frame.region_customers[static_cast<std::size_t>(
          layout::replicate_region_firm(r, region, k, firms))];
      all += c;
      if (k == j) customers += c;
    }
  }
  return customers / all;
}

TEST(RestPoint, HomeSharesStartEachRegionAndTheInversionIsBerrysInEach) {
  const Config config = load_repo_config("configs/textbook/logit.toml", home_market("0.0"));
  Simulation sim(config, BackendChoice::kCpu);
  // The starting allocation, before any choice: the same in every replicate, exact up to one
  // agent of the region's (largest remainder).
  const std::int32_t firms = sim.firms().size();
  const double per_region = static_cast<double>(config.population.customers) / 2;
  for (int m = 0; m < 2; ++m) {
    for (std::int32_t j = 0; j < 4; ++j) {
      EXPECT_NEAR(pooled_region_share(sim, kRegionsUsed[m], j), kHomeStart[m][j], 1.0 / per_region)
          << "firm " << j << " in region " << kRegionNames[kRegionsUsed[m]];
    }
  }
  // Plain logit, every customer choosing (c = 0): in each market
  // xi_j - xi_A = log(s_j / s_A) - beta_quality (q_j - q_A) - (home_j - home_A).
  sim.step();
  const std::vector<double>& offset = sim.rest_fit().offset;
  const double n = static_cast<double>(config.population.customers * config.run.replicates) / 2;
  for (int m = 0; m < 2; ++m) {
    const int r = kRegionsUsed[m];
    const auto xi = [&](std::int32_t j) {
      return offset[static_cast<std::size_t>(layout::segment_region_firm(0, r, j, firms))];
    };
    const auto home = [&](std::int32_t j) {
      return config.named_firms[static_cast<std::size_t>(j)].region == r ? 0.3 : 0.0;
    };
    for (std::int32_t j = 1; j < 4; ++j) {
      const double sj = kHomeStart[m][j], sa = kHomeStart[m][0];
      const double expected = std::log(sj / sa) -
                              config.demand.beta_quality() *
                                  (config.named_firms[static_cast<std::size_t>(j)].quality[0] -
                                   config.named_firms[0].quality[0]) -
                              (home(j) - home(0));
      // The delta-method sd of log(s_j / s_A) in one round of the market's n choices. 4 sd.
      const double sd = std::sqrt((1.0 - sj) / (sj * n) + (1.0 - sa) / (sa * n));
      EXPECT_NEAR(xi(j) - xi(0), expected, 4.0 * sd)
          << "firm " << j << " in region " << kRegionNames[r];
    }
  }
}

TEST(RestPoint, HomeSharesHoldInEachRegionWhileEveryCustomerChooses) {
  // As CalibratedSharesStayAtTheirStartWhileEveryCustomerChooses, with the two regions of
  // home_market: each region's pooled shares within 4.5 binomial sd of its start, 24 steps.
  std::vector<std::string> overrides = home_market("1.0");
  overrides.insert(overrides.end(),
                   {"run.steps=24", "demand.consideration_set=2", "demand.beta_network=0",
                    "demand.awareness_installed_base=0", "firm.A.awareness=1", "firm.B.awareness=2",
                    "firm.C.awareness=3", "firm.D.awareness=4"});
  const Config config = load_repo_config("configs/textbook/logit.toml", overrides);
  Simulation sim(config, BackendChoice::kCpu);
  const double n = static_cast<double>(config.population.customers * config.run.replicates) / 2;
  for (std::int64_t t = 0; t < config.run.steps; ++t) {
    sim.step();
    for (int m = 0; m < 2; ++m) {
      for (std::int32_t j = 0; j < 4; ++j) {
        const double s = kHomeStart[m][j];
        EXPECT_NEAR(pooled_region_share(sim, kRegionsUsed[m], j), s,
                    4.5 * std::sqrt(s * (1.0 - s) / n))
            << "firm " << j << " in region " << kRegionNames[kRegionsUsed[m]] << " at step " << t;
      }
    }
  }
}

TEST(RestPoint, OffsetsAreTheSameOnOneAndTwoThreads) {
  const Config config = load_repo_config("configs/textbook/logit.toml", four_firm_market("1.0"));
  set_cpu_threads(1);
  Simulation one(config, BackendChoice::kCpu);
  const std::vector<double> a = calibrated_offsets(one);
  set_cpu_threads(2);
  Simulation two(config, BackendChoice::kCpu);
  const std::vector<double> b = calibrated_offsets(two);
  set_cpu_threads(0);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace aimarket
