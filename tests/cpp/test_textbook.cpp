// Textbook reductions (MODEL.md section 6) on the CPU backend, each against its closed form.
// Tolerances are multiples of the sampling standard deviation, written next to each check;
// the seeds are fixed, so a pass or a fail is reproducible.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/layout.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::load_repo_config;

// Customers per firm summed over segments, for one replicate, from a recorded frame.
std::vector<double> firm_counts(const RecordFrame& frame, std::int64_t replicate,
                                std::int32_t firms) {
  std::vector<double> count(static_cast<std::size_t>(firms), 0.0);
  for (int s = 0; s < kSegments; ++s) {
    for (std::int32_t j = 0; j < firms; ++j) {
      count[static_cast<std::size_t>(j)] += frame.customers[static_cast<std::size_t>(
          layout::replicate_segment_firm(replicate, s, j, firms))];
    }
  }
  return count;
}

TEST(Textbook, MultinomialLogitSharesEqualSoftmaxOfQuality) {
  const Config config = load_repo_config("configs/textbook/logit.toml");
  Simulation sim(config, BackendChoice::kCpu);
  for (std::int64_t t = 0; t < config.run.steps; ++t) sim.step();
  const RecordFrame frame = sim.record_frame();
  std::vector<double> utility;
  for (const auto& firm : config.named_firms)
    utility.push_back(config.demand.beta_quality() * firm.quality[0]);
  const std::vector<double> expected = testing::softmax(utility);

  // Pooled over replicates, the counts are multinomial(N, expected): Pearson's chi-square with
  // K-1 = 3 degrees of freedom exceeds 21.11 with probability 1e-4.
  const std::int32_t firms = sim.firms().size();
  std::vector<double> pooled(static_cast<std::size_t>(firms), 0.0);
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    const auto count = firm_counts(frame, r, firms);
    for (std::int32_t j = 0; j < firms; ++j)
      pooled[static_cast<std::size_t>(j)] += count[static_cast<std::size_t>(j)];
  }
  const double n = static_cast<double>(config.population.customers * config.run.replicates);
  double chi_square = 0.0;
  for (std::int32_t j = 0; j < firms; ++j) {
    const double e = n * expected[static_cast<std::size_t>(j)];
    const double o = pooled[static_cast<std::size_t>(j)];
    chi_square += (o - e) * (o - e) / e;
    // Per firm: binomial sd of the pooled share; 4.5 sd.
    const double sd = std::sqrt(expected[static_cast<std::size_t>(j)] *
                                (1 - expected[static_cast<std::size_t>(j)]) / n);
    EXPECT_NEAR(o / n, expected[static_cast<std::size_t>(j)], 4.5 * sd) << "firm " << j;
  }
  EXPECT_LT(chi_square, 21.11);
}

TEST(Textbook, BassAdoptionFollowsTheDiscreteRecursion) {
  const Config config = load_repo_config("configs/textbook/bass.toml");
  const double p = config.demand.bass_p, q = config.demand.bass_q;
  const double n = static_cast<double>(config.population.customers);
  Simulation sim(config, BackendChoice::kCpu);
  double f = 0.0;         // closed-form adopter fraction F(t)
  double variance = 0.0;  // sampling variance of the simulated F(t), by linearisation
  for (std::int64_t t = 0; t < config.run.steps; ++t) {
    // One step of F(t+1) = F + (p + qF)(1 - F). Given F, the new adopters are binomial with
    // n(1-F) trials and hazard h = p + qF, which adds h(1-h)(1-F)/n to the variance; earlier
    // deviations propagate through dG/dF = 1 + q - p - 2qF.
    const double h = p + q * f;
    const double slope = 1.0 + q - p - 2.0 * q * f;
    variance = slope * slope * variance + h * (1.0 - h) * (1.0 - f) / n;
    f = f + h * (1.0 - f);
    sim.step();
    const RecordFrame frame = sim.record_frame();
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      const double simulated =
          frame.adopters[static_cast<std::size_t>(layout::replicate_segment(r, 0))] / n;
      // 5 sd: over 36 steps x 4 replicates the chance of a false alarm is below 1e-4.
      EXPECT_NEAR(simulated, f, 5.0 * std::sqrt(variance) + 1e-12)
          << "step " << t << " replicate " << r;
    }
  }
  EXPECT_GT(f, 0.99);  // the horizon covers the whole S-curve
}

// Fraction of customers with the first firm, per replicate, after the whole run.
std::vector<double> left_shares(const Config& config) {
  Simulation sim(config, BackendChoice::kCpu);
  for (std::int64_t t = 0; t < config.run.steps; ++t) sim.step();
  const RecordFrame frame = sim.record_frame();
  std::vector<double> share;
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    share.push_back(frame.market_share[static_cast<std::size_t>(
        layout::replicate_layer_firm(r, kServiceLayer, 0, 2))]);
  }
  return share;
}

TEST(Textbook, IncreasingReturnsLockIn) {
  const Config config = load_repo_config("configs/textbook/arthur.toml");
  const auto share = left_shares(config);
  int left_wins = 0;
  for (std::size_t r = 0; r < share.size(); ++r) {
    // Locked in: with beta_network = 10 the mean-field map x -> logit(10 log((1+x)/(2-x)))
    // has stable fixed points at 0.0010 and 0.9990; every replicate must end within 0.1 of one.
    EXPECT_GT(std::fabs(share[r] - 0.5), 0.4) << "replicate " << r << " share " << share[r];
    if (share[r] > 0.5) ++left_wins;
  }
  // By symmetry each firm wins with probability 1/2: binomial sd sqrt(0.25 / R); 4 sd.
  const double replicates = static_cast<double>(share.size());
  EXPECT_NEAR(left_wins / replicates, 0.5, 4.0 * std::sqrt(0.25 / replicates));
}

TEST(Textbook, WithoutNetworkEffectSharesStayNearOneHalf) {
  const Config config = load_repo_config("configs/textbook/arthur.toml", {"demand.beta_network=0"});
  const auto share = left_shares(config);
  // Each adopter picks either firm with probability 1/2; about n = 993 adopt (1 - 0.995^1000),
  // so the share has sd 0.5 / sqrt(n) = 0.016; 4.5 sd keeps 200 replicates' false-alarm
  // chance below 1e-3.
  for (std::size_t r = 0; r < share.size(); ++r) {
    EXPECT_NEAR(share[r], 0.5, 4.5 * 0.5 / std::sqrt(980.0)) << "replicate " << r;
  }
}

}  // namespace
}  // namespace aimarket
