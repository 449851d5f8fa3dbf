// Entry of start-ups into free firm slots (MODEL.md section 4 step 9; kernels/firm_entry.hpp):
// entrants arrive at the Poisson rate, take only dead slots without customers, bring their
// funding as outside money, take their slot's archetype (a boost may draw on some archetypes
// only), and the result does not depend on thread count.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "backend/backend.hpp"
#include "kernels/firm_entry.hpp"
#include "kernels/layout.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

// A small dynamic market: one cloud to rent inference compute from, one named service firm,
// synthetic service firms and free slots.
const char* kMarket = R"(
[run]
replicates = 4
seed = 17
[population]
customers = 3000
synthetic_firms = 10
[demand]
bass_p = 0.05
reconsider_rate = 0.2
[entry]
free_slots = 400
rate = 2.5
[[firm]]
name = "CloudUS"
archetype = "cloud"
region = "US"
installed_compute = 10000.0
cash = 5000.0
[[firm]]
name = "App"
archetype = "consumer_ai"
region = "US"
quality = 1.0
)";

Config market(const std::vector<std::string>& assignments = {}) {
  // One file per test, so that tests run in parallel by ctest do not share it.
  const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const auto path = std::filesystem::temp_directory_path() / ("aimarket_entry_" + test + ".toml");
  std::ofstream(path) << kMarket;
  std::vector<ConfigOverride> overrides;
  overrides.reserve(assignments.size());
  for (const auto& a : assignments) overrides.push_back({a, "test " + a});
  return load_config(path.string(), overrides);
}

// The funding the kernel must give an entrant of slot j in replicate r at step t, USD.
std::int64_t expected_funding(const Config& config, std::int64_t r, std::int64_t t,
                              std::int32_t j) {
  const double z =
      standard_normal(config.run.seed, static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(t),
                      static_cast<std::uint32_t>(j), DrawPurpose::kEntrantFunding);
  double funding = config.entry.funding * 1e6 * det_exp(config.entry.funding_log_sd * z);
  if (funding > kMaxEntrantCash) funding = kMaxEntrantCash;
  return static_cast<std::int64_t>(std::floor(funding + 0.5));
}

std::int32_t customers_of(const EnsembleSnapshot& s, std::int32_t n, std::int64_t r,
                          std::int32_t j) {
  std::int32_t total = 0;
  for (int seg = 0; seg < kSegments; ++seg) {
    total += s.tally[static_cast<std::size_t>(layout::replicate_segment_firm(r, seg, j, n))];
  }
  return total;
}

TEST(Entry, SectionIsReadWithItsDefaults) {
  const Config config = market();
  EXPECT_EQ(config.entry.free_slots, 400);
  EXPECT_EQ(config.entry.rate, 2.5);
  EXPECT_EQ(config.entry.funding, 5.0);
  EXPECT_EQ(config.entry.funding_log_sd, 1.0);
  EXPECT_EQ(config.entry.archetype_mix[8], 1.0) << "consumer_ai alone by default";
  EXPECT_EQ(market({"entry.archetype_mix={ kr_service = 1.0 }"}).entry.archetype_mix[6], 1.0);
  EXPECT_THROW(market({"entry.rate=-1"}), ConfigError);
  EXPECT_THROW(market({"entry.funding=0"}), ConfigError);
  EXPECT_THROW(market({"entry.free_slots=1.5"}), ConfigError);
  EXPECT_THROW(market({"entry.archetype_mix={ startup = 1.0 }"}), ConfigError);
  EXPECT_THROW(market({"entry.archetype_mix={ cloud = 0.5 }"}), ConfigError) << "sums to 1";
}

TEST(Entry, FreeSlotsAreDeadAtStartAndNamedInTheFirmTable) {
  const Config config = market({"entry.rate=0"});
  Simulation sim(config, BackendChoice::kCpu);
  const FirmTable& firms = sim.firms();
  ASSERT_EQ(firms.size(), 2 + 10 + 400);
  EXPECT_EQ(firms.name[12], "slot-00000");
  EXPECT_EQ(firms.name[411], "slot-00399");
  EXPECT_EQ(firms.archetype[12], "consumer_ai");
  EnsembleSnapshot s;
  // With rate 0 nothing enters: the slots stay dead and never win a customer.
  for (int t = 0; t < 8; ++t) sim.step();
  sim.backend().read_snapshot(s);
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (std::int32_t j = 0; j < firms.size(); ++j) {
      const auto k = static_cast<std::size_t>(layout::replicate_firm(r, j, firms.size()));
      EXPECT_EQ(s.alive[k], j < 12 ? 1 : 0) << "replicate " << r << " firm " << j;
      if (j >= 12) {
        EXPECT_EQ(customers_of(s, firms.size(), r, j), 0);
      }
    }
  }
}

TEST(Entry, SlotsTakeTheirArchetypesLayersAndBoostedEntrantsTheirArchetypes) {
  // Half the slots are clouds, half consumer apps, in US and KR. No base entry; a boost of 5
  // a month into KR drawing on clouds only: every entrant is a Korean cloud slot, and a
  // cloud slot has the cloud layer and serves no segment. Without the archetype list the same
  // boost also fills Korean consumer-app slots (the list is what keeps them out).
  const std::vector<std::string> mix = {
      "entry.rate=0", "entry.archetype_mix={ consumer_ai = 0.5, cloud = 0.5 }",
      "population.region_shares={ US = 0.5, KR = 0.5 }", "scenario.entry_boost={ KR = 5.0 }"};
  const auto entrants = [](const Config& config) {
    Simulation sim(config, BackendChoice::kCpu);
    for (int t = 0; t < 6; ++t) sim.step();
    EnsembleSnapshot s;
    sim.backend().read_snapshot(s);
    const FirmTable& firms = sim.firms();
    std::array<int, kArchetypes> by_archetype{};
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      for (std::int32_t j = 12; j < firms.size(); ++j) {
        if (!s.alive[static_cast<std::size_t>(layout::replicate_firm(r, j, firms.size()))])
          continue;
        const auto jj = static_cast<std::size_t>(j);
        EXPECT_EQ(firms.region[jj], 1) << "a boosted entrant enters KR";
        for (int a = 0; a < kArchetypes; ++a)
          by_archetype[a] += firms.archetype[jj] == kArchetypeNames[a];
      }
    }
    return by_archetype;
  };
  std::vector<std::string> clouds_only = mix;
  clouds_only.push_back("scenario.entry_boost_archetypes={ cloud = 1.0 }");
  const Config config = market(clouds_only);
  {
    Simulation sim(config, BackendChoice::kCpu);
    const FirmTable& firms = sim.firms();
    int clouds = 0, apps = 0;
    for (std::int32_t j = 12; j < firms.size(); ++j) {
      const auto jj = static_cast<std::size_t>(j);
      const bool cloud = firms.archetype[jj] == "cloud";
      clouds += cloud;
      apps += firms.archetype[jj] == "consumer_ai";
      EXPECT_EQ((firms.layer_mask[jj] & kLayerBitCloud) != 0, cloud) << firms.name[jj];
      EXPECT_EQ((firms.layer_mask[jj] & kLayerBitService) != 0, !cloud) << firms.name[jj];
      if (cloud) {
        for (int seg = 0; seg < kSegments; ++seg) {
          const auto cell = static_cast<std::size_t>(layout::segment_firm(seg, j, firms.size()));
          EXPECT_EQ(firms.serves[cell], 0) << firms.name[jj];
        }
      }
    }
    // 400 slots, each a fair coin: both kinds are there (P(< 100 of one) ~ 1e-24).
    EXPECT_GT(clouds, 100);
    EXPECT_GT(apps, 100);
  }
  const auto restricted = entrants(config);
  EXPECT_GT(restricted[5], 0) << "clouds entered";
  EXPECT_EQ(restricted[8], 0) << "no consumer app entered";
  const auto any = entrants(market(mix));
  EXPECT_GT(any[5], 0);
  EXPECT_GT(any[8], 0) << "without the list a boosted entrant may be a consumer app";
}

TEST(Entry, PoissonDrawHasTheRequestedMean) {
  // Host check of the inversion, including the pieced path (rate > 256): the mean of N draws
  // has standard deviation sqrt(rate / N); the tolerance is 4 of those.
  for (const double rate : {0.3, 4.0, 1000.0}) {
    const int draws = 4000;
    double sum = 0.0;
    for (int i = 0; i < draws; ++i) {
      sum +=
          static_cast<double>(poisson_entrants(99, static_cast<std::uint32_t>(i % 50),
                                               static_cast<std::uint32_t>(i / 50), rate, 1 << 30));
    }
    EXPECT_NEAR(sum / draws, rate, 4.0 * std::sqrt(rate / draws)) << "rate " << rate;
  }
  EXPECT_EQ(poisson_entrants(99, 0, 0, 0.0, 100), 0);
  EXPECT_EQ(poisson_entrants(99, 0, 0, 50.0, 3), 3) << "capped at the free slots";
}

TEST(Entry, EntrantsArriveAtThePoissonRateWhileSlotsRemain) {
  const Config config = market({"run.replicates=8"});
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  const int steps = 30;
  EnsembleSnapshot before, after;
  sim.backend().read_snapshot(before);
  double sum = 0.0, sum_squares = 0.0;
  int samples = 0;
  for (int t = 0; t < steps; ++t) {
    sim.step();
    sim.backend().read_snapshot(after);
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      std::int64_t entrants = 0, free_after = 0;
      for (std::int32_t j = 0; j < n; ++j) {
        const auto k = static_cast<std::size_t>(layout::replicate_firm(r, j, n));
        if (!before.alive[k] && after.alive[k]) ++entrants;
        if (j >= 12 && !after.alive[k]) ++free_after;
      }
      ASSERT_GT(free_after, 0) << "the check needs slots to remain";
      // Same draw as the kernel's (no cap binds while slots remain).
      EXPECT_EQ(entrants, poisson_entrants(config.run.seed, static_cast<std::uint32_t>(r),
                                           static_cast<std::uint32_t>(t), config.entry.rate, n));
      sum += static_cast<double>(entrants);
      sum_squares += static_cast<double>(entrants * entrants);
      ++samples;
    }
    before = after;
  }
  const double rate = config.entry.rate;
  const double mean = sum / samples;
  // N = 240 (replicate, step) samples of Poisson(2.5): sd of the mean sqrt(2.5 / 240) = 0.10;
  // tolerance 4 sd.
  EXPECT_NEAR(mean, rate, 4.0 * std::sqrt(rate / samples));
  // The variance equals the mean for a Poisson: the sample variance has sd about
  // sqrt((rate + 2 rate^2) / N) = 0.25; tolerance 4 sd.
  const double variance = sum_squares / samples - mean * mean;
  EXPECT_NEAR(variance, rate, 4.0 * std::sqrt((rate + 2.0 * rate * rate) / samples));
}

TEST(Entry, SlotsAreConservedAndEntrantsTakeOnlyFreeSlots) {
  // Few slots and a high rate: the slots fill and the surplus entrants are lost.
  const Config config = market({"entry.free_slots=6", "entry.rate=3"});
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  ASSERT_EQ(n, 2 + 10 + 6);
  EnsembleSnapshot before, after;
  sim.backend().read_snapshot(before);
  std::int64_t total_entrants = 0;
  for (int t = 0; t < 12; ++t) {
    sim.step();
    sim.backend().read_snapshot(after);
    ASSERT_EQ(after.alive.size(), static_cast<std::size_t>(config.run.replicates * n));
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      std::int64_t alive = 0;
      for (std::int32_t j = 0; j < n; ++j) {
        const auto k = static_cast<std::size_t>(layout::replicate_firm(r, j, n));
        alive += after.alive[k];
        if (before.alive[k] || !after.alive[k]) continue;
        ++total_entrants;
        EXPECT_GE(j, 2) << "a named firm's slot is never reused";
        // The tallies do not move after entry within a step: this is the tally the entrant
        // found, and it must be empty (no customer of a previous occupant left).
        EXPECT_EQ(customers_of(after, n, r, j), 0) << "step " << t << " slot " << j;
      }
      EXPECT_LE(alive, n);
    }
    before = after;
  }
  // 6 slots in each of 4 replicates, 36 expected entrants each: every slot fills (more
  // entrants only if a firm exits and its slot is reused).
  EXPECT_GE(total_entrants, 6 * config.run.replicates);
}

// `count` arrays of `size` elements, each `value`.
template <std::size_t count, typename T>
std::array<std::vector<T>, count> arrays(std::int64_t size, T value) {
  std::array<std::vector<T>, count> out;
  out.fill(std::vector<T>(static_cast<std::size_t>(size), value));
  return out;
}

// Host arrays behind one replicate's FirmStepContext, for calling the functor directly.
struct OneReplicate {
  static constexpr std::int32_t kFirms = 6;
  // Entries of one replicate's [segment][firm] and [parameter][firm] arrays.
  static constexpr std::int64_t kSegmentCells = std::int64_t{kSegments} * kFirms;
  // Capacity pipelines of one slot (pipeline_slots 1 below): 4 x 1 + 2 x 4 = 12 per firm.
  static constexpr std::size_t kPlanStride = 12;
  static constexpr std::int64_t kParameterCells = std::int64_t{kStrategyParameters} * kFirms;
  std::vector<std::uint8_t> alive = std::vector<std::uint8_t>(kFirms, 0);
  std::vector<std::int64_t> cash = std::vector<std::int64_t>(kFirms, 0);
  // External cost, service revenue and funding, [firm].
  std::array<std::vector<std::int64_t>, 3> money = arrays<3>(kFirms, std::int64_t{0});
  // Net burn, operating income and revenue trend, [firm].
  std::array<std::vector<double>, 2> finance = arrays<2>(kFirms, 7.0);
  std::vector<std::uint8_t> leaving = std::vector<std::uint8_t>(kFirms, 0);
  // The 11 [firm] stocks and budgets of FirmDynamic, fab_capacity to capex.
  std::array<std::vector<double>, 11> stock = arrays<11>(kFirms, 7.0);
  std::vector<double> awareness = std::vector<double>(kFirms, 7.0);
  // The 6 [segment][firm] arrays of FirmDynamic, quality_term to base_price.
  std::array<std::vector<double>, 6> per_segment = arrays<6>(kSegmentCells, 1.0);
  std::vector<std::int32_t> tally = std::vector<std::int32_t>(kSegmentCells, 0);
  std::vector<double> base_awareness = std::vector<double>(kFirms, 0.75);
  std::vector<double> strategy = std::vector<double>(kParameterCells, 9.0);
  std::vector<double> base_strategy = std::vector<double>(kParameterCells, 0.25);
  std::vector<double> subsidy = std::vector<double>(kFirms, 0.0);
  std::vector<std::uint8_t> region = std::vector<std::uint8_t>(kFirms, 0);
  // Every user pays, but a quarter of slot 4's consumers (segment 0): [segment][firm].
  std::vector<double> paid_conversion = [] {
    std::vector<double> c(kSegmentCells, 1.0);
    c[static_cast<std::size_t>(layout::segment_firm(0, 4, kFirms))] = 0.25;
    return c;
  }();
  std::vector<std::int32_t> acquired_by = std::vector<std::int32_t>(kFirms, 3);
  std::vector<std::int64_t> cash_at_review = std::vector<std::int64_t>(kFirms, 0);
  std::vector<std::int64_t> cash_at_round = std::vector<std::int64_t>(kFirms, 0);
  std::vector<double> quality_start = std::vector<double>(kSegmentCells, 7.0);
  // The four [firm] data stocks and ledgers (public_held .. data_licensed) and the two
  // [segment][firm] ones (domain_data, domain_acquired).
  std::array<std::vector<double>, 4> data = arrays<4>(kFirms, 7.0);
  std::array<std::vector<double>, 2> domain = arrays<2>(kSegmentCells, 7.0);
  std::vector<double> packaging = std::vector<double>(kFirms, 3.0);
  std::vector<double> capacity_plan = std::vector<double>(std::size_t{kFirms} * kPlanStride, 5.0);
  // Slot 4 serves on firm 2's model (a partner); the others on their own.
  std::vector<std::int32_t> model_source = {kOwnModel, kOwnModel, kOwnModel,
                                            kOwnModel, 2,         kOwnModel};
  // Firm 2 is the one lab (layer model) a buyer's supplier choice sees (kernels/model_api.hpp);
  // the market arrays it reads: prices 1, nothing bought yet, no offsets.
  std::vector<std::int32_t> model_developers = {2};
  std::vector<std::uint8_t> layer_mask = {
      kLayerBitService, kLayerBitService, kLayerBitModel | kLayerBitService,
      kLayerBitService, kLayerBitService, kLayerBitService};
  static constexpr std::int64_t kMarketCells = std::int64_t{kUpstreamMarkets} * kFirms;
  std::vector<double> price = std::vector<double>(kMarketCells, 1.0);
  std::vector<std::int64_t> traded = std::vector<std::int64_t>(kMarketCells, 0);
  std::vector<double> api_offset = std::vector<double>(kFirms, 0.0);
  // The replicate's parameters: utility per Elo point of the order of ln(10) / 400, so that
  // the supplier logit's weights exp(beta x 165 x capability) stay finite (beta 2 would
  // overflow exp at capability 7).
  ValueChainParams params = [] {
    ValueChainParams p{};
    p.beta_quality = 0.005;
    p.quality_per_capability = 165.0;
    p.data_quality_gain = 23.0;
    p.rd_quality_gain = 90.0;
    p.domain_data_scale = 1.0;
    p.rd_scale = 1.0;
    p.pipeline_slots = 1;
    return p;
  }();

  FirmStepContext context() {
    FirmStepContext c{};
    c.params = &params;
    c.firm.model_source = model_source.data();
    c.firm.model_developers = model_developers.data();
    c.firm.model_developer_count = 1;
    c.firm.layer_mask = layer_mask.data();
    c.firm.api_offset = api_offset.data();
    c.m.price = price.data();
    c.m.paid = traded.data();
    c.m.bought = traded.data();
    c.firm.firms = kFirms;
    c.firm.base_awareness = base_awareness.data();
    auto& s = stock;
    auto& q = per_segment;
    // By name: a positional list of ~30 same-typed pointers would still compile with two
    // swapped.
    c.dyn = FirmDynamic{};
    c.dyn.alive = alive.data();
    c.dyn.cash = cash.data();
    c.dyn.fab_capacity = s[0].data();
    c.dyn.hbm_capacity = s[1].data();
    c.dyn.installed_compute = s[2].data();
    c.dyn.data_stock = s[3].data();
    c.dyn.training_compute = s[4].data();
    c.dyn.capability = s[5].data();
    c.dyn.rd_stock = s[6].data();
    c.dyn.marketing_stock = s[7].data();
    c.dyn.rd_budget = s[8].data();
    c.dyn.marketing_budget = s[9].data();
    c.dyn.capex = s[10].data();
    c.dyn.external_cost = money[0].data();
    c.dyn.service_revenue = money[1].data();
    c.dyn.funding = money[2].data();
    c.dyn.leaving = leaving.data();
    c.dyn.operating_income = finance[0].data();
    c.dyn.revenue_trend = finance[1].data();
    c.dyn.awareness = awareness.data();
    c.dyn.quality_term = q[0].data();
    c.dyn.price_term = q[1].data();
    c.dyn.service_price = q[2].data();
    c.dyn.service_quality = q[3].data();
    c.dyn.base_quality = q[4].data();
    c.dyn.base_price = q[5].data();
    c.dyn.strategy = strategy.data();
    c.dyn.subsidy = subsidy.data();
    c.dyn.acquired_by = acquired_by.data();
    c.dyn.cash_at_review = cash_at_review.data();
    c.dyn.cash_at_round = cash_at_round.data();
    c.dyn.quality_start = quality_start.data();
    c.dyn.public_held = data[0].data();
    c.dyn.licensed_held = data[1].data();
    c.dyn.general_acquired = data[2].data();
    c.dyn.data_licensed = data[3].data();
    c.dyn.domain_data = domain[0].data();
    c.dyn.domain_acquired = domain[1].data();
    c.dyn.packaging_capacity = packaging.data();
    c.dyn.capacity_plan = capacity_plan.data();
    c.firm.base_strategy = base_strategy.data();
    c.firm.region = region.data();
    c.firm.paid_conversion = paid_conversion.data();
    c.tally = tally.data();
    return c;
  }
};

TEST(Entry, AnEntrantTakesTheLowestDeadSlotWithoutCustomers) {
  // Firms 0-1 named (first_slot 2); 2 alive; 3 dead but a customer still in its tally;
  // 4 exited (negative cash, customers gone); 5 never used.
  const std::uint64_t seed = 3;
  EntryParams e{};
  e.rate = 1.0;
  e.funding_musd = 5.0;
  e.funding_log_sd = 1.0;
  e.quality_mean = 0.2;
  e.quality_sd = 0.5;
  e.price_median = 10.0;
  e.price_log_sd = 0.3;
  e.first_slot = 2;
  // A step where exactly one firm enters (K = 1), found with the kernel's own draw.
  std::uint32_t step = 0;
  while (poisson_entrants(seed, 0, step, e.rate, 100) != 1) ++step;

  OneReplicate one;
  one.alive[2] = 1;
  one.cash[2] = 100;
  one.cash[4] = -500;
  const auto segment_4_firm_3 =
      static_cast<std::size_t>(layout::replicate_segment_firm(0, 4, 3, OneReplicate::kFirms));
  one.tally[segment_4_firm_3] = 1;
  const EnterFirms enter{one.context(), e, seed, step};
  enter(0);
  EXPECT_EQ(one.alive, (std::vector<std::uint8_t>{0, 0, 1, 0, 1, 0}));
  const double z = standard_normal(seed, 0, step, 4, DrawPurpose::kEntrantFunding);
  EXPECT_EQ(one.cash[4], static_cast<std::int64_t>(std::floor(5e6 * det_exp(z) + 0.5)));
  EXPECT_EQ(one.cash[2], 100);
  for (std::size_t k = 0; k < one.stock.size(); ++k) {
    EXPECT_EQ(one.stock[k][4], 0.0) << "stock " << k << " starts at zero";
    EXPECT_EQ(one.stock[k][2], 7.0);
  }
  // No packaging, no capacity on order, no demand history for the entrant; others untouched.
  EXPECT_EQ(one.packaging[4], 0.0);
  EXPECT_EQ(one.packaging[2], 3.0);
  constexpr std::size_t stride = OneReplicate::kPlanStride;
  for (std::size_t k = 0; k < stride; ++k) {
    EXPECT_EQ(one.capacity_plan[4 * stride + k], 0.0) << "plan entry " << k;
    EXPECT_EQ(one.capacity_plan[2 * stride + k], 5.0) << "plan entry " << k;
  }
  EXPECT_EQ(one.awareness[4], 0.75) << "awareness back to the slot's base";
  EXPECT_EQ(one.awareness[2], 7.0);
  for (int s = 0; s < kSegments; ++s) {
    const auto agent = static_cast<std::uint32_t>(layout::firm_segment(4, s));
    const double zq = standard_normal(seed, 0, step, agent, DrawPurpose::kEntrantQuality);
    const double zp = standard_normal(seed, 0, step, agent, DrawPurpose::kEntrantPrice);
    const auto cell =
        static_cast<std::size_t>(layout::replicate_segment_firm(0, s, 4, OneReplicate::kFirms));
    EXPECT_EQ(one.per_segment[3][cell], 0.2 + 0.5 * zq) << "service quality";
    EXPECT_EQ(one.per_segment[4][cell], 0.2 + 0.5 * zq) << "base quality";
    EXPECT_EQ(one.per_segment[5][cell], 10.0 * det_exp(0.3 * zp)) << "base price";
    // What a user pays until its first offer: the list price times the slot's conversion.
    const double conversion = s == 0 ? 0.25 : 1.0;
    EXPECT_EQ(one.per_segment[2][cell], conversion * (10.0 * det_exp(0.3 * zp))) << "service price";
  }
  // The entrant starts with the slot's strategy, acquired by no one, reviewed from its funding.
  for (int p = 0; p < kStrategyParameters; ++p) {
    const auto at = [&](std::int32_t j) {
      return static_cast<std::size_t>(
          layout::replicate_parameter_firm(0, p, j, OneReplicate::kFirms));
    };
    EXPECT_EQ(one.strategy[at(4)], 0.25);
    EXPECT_EQ(one.strategy[at(2)], 9.0);
  }
  EXPECT_EQ(one.acquired_by[4], -1);
  EXPECT_EQ(one.cash_at_review[4], one.cash[4]);
  EXPECT_EQ(one.cash_at_round[4], one.cash[4]) << "an entrant plans its burn on its seed round";
  // Its data starts at zero, every stock and ledger, in every segment; other slots keep theirs.
  for (std::size_t k = 0; k < one.data.size(); ++k) {
    EXPECT_EQ(one.data[k][4], 0.0) << "data " << k;
    EXPECT_EQ(one.data[k][2], 7.0) << "data " << k;
  }
  // Its quality moves from its endogenous quality at entry, in each segment: the capability of
  // its one supplier (the partner, 7, in the logit's share-weighted mean w 7 / w: exact to an
  // ulp or two) in Elo, no data or R&D yet; other slots keep theirs.
  for (int s = 0; s < kSegments; ++s) {
    const auto cell = [&](std::int32_t j) {
      return static_cast<std::size_t>(
          layout::replicate_segment_firm(0, s, j, OneReplicate::kFirms));
    };
    for (std::size_t k = 0; k < one.domain.size(); ++k) {
      EXPECT_EQ(one.domain[k][cell(4)], 0.0) << "domain " << k << " segment " << s;
      EXPECT_EQ(one.domain[k][cell(2)], 7.0) << "domain " << k << " segment " << s;
    }
    EXPECT_DOUBLE_EQ(one.quality_start[cell(4)], 165.0 * 7.0) << "segment " << s;
    EXPECT_EQ(one.quality_start[cell(2)], 7.0) << "segment " << s;
  }

  // A second entrant in the same step would take slot 5, never 3 (customer left) or 2.
  OneReplicate two;
  two.alive[2] = 1;
  two.tally[segment_4_firm_3] = 1;
  e.rate = 200.0;  // K far above the two free slots: the surplus is lost
  const EnterFirms many{two.context(), e, seed, step};
  many(0);
  EXPECT_EQ(two.alive, (std::vector<std::uint8_t>{0, 0, 1, 0, 1, 1}));
}

TEST(Entry, EconomyCashChangesByOutsideFlowsAndFundingExactly) {
  const Config config = market({"run.replicates=3", "entry.rate=1.5"});
  Simulation sim(config, BackendChoice::kCpu);
  const std::int32_t n = sim.firms().size();
  EnsembleSnapshot before, after;
  sim.backend().read_snapshot(before);
  std::int64_t entrants = 0;
  bool customers_paid = false;
  for (int t = 0; t < 15; ++t) {
    sim.step();
    sim.backend().read_snapshot(after);
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      // Inter-firm payments cancel; the economy's cash changes by customer revenue + other
      // income + entrants' funding - outside costs, less the balance left in a reused slot
      // by the firm that exited from it (owed outside the economy, written off).
      std::int64_t change = 0, outside = 0;
      for (std::int32_t j = 0; j < n; ++j) {
        const auto k = static_cast<std::size_t>(layout::replicate_firm(r, j, n));
        change += after.cash[k] - before.cash[k];
        outside += after.service_revenue[k] - after.external_cost[k] + after.funding[k] +
                   std::llround(sim.firms().other_income_musd[static_cast<std::size_t>(j)] * 1e6) *
                       before.alive[k];
        customers_paid = customers_paid || after.service_revenue[k] > 0;
        if (!before.alive[k] && after.alive[k]) {
          ++entrants;
          const std::int64_t funding = expected_funding(config, r, t, j);
          EXPECT_EQ(after.cash[k], funding) << "an entrant starts with its funding alone";
          outside += funding - before.cash[k];
        }
      }
      EXPECT_EQ(change, outside) << "step " << t << " replicate " << r;
    }
    before = after;
  }
  EXPECT_GT(entrants, 0);
  EXPECT_TRUE(customers_paid);
}

TEST(Entry, SameSeedSameEntrantsOnAnyThreadCount) {
  const Config config = market();
  const auto run = [&](const Config& c) {
    Simulation sim(c, BackendChoice::kCpu);
    for (int t = 0; t < 10; ++t) sim.step();
    EnsembleSnapshot s;
    sim.backend().read_snapshot(s);
    std::vector<std::int32_t> provider;
    sim.backend().read_providers(provider);
    return std::make_tuple(s.alive, s.cash, provider, s.service_price);
  };
  set_cpu_threads(1);
  const auto one = run(config);
  set_cpu_threads(2);
  const auto two = run(config);
  const auto again = run(config);
  EXPECT_TRUE(one == two);
  EXPECT_TRUE(two == again);
  const auto other = run(market({"run.seed=18"}));
  EXPECT_NE(std::get<0>(one), std::get<0>(other)) << "another seed, other entrants";
}

TEST(Entry, CpuAndCudaAgreeBitwise) {
  std::string why_not;
  if (!cuda_backend_usable(&why_not)) GTEST_SKIP() << "skipped: " << why_not;
  const Config config = market({"entry.rate=4"});
  EnsembleSnapshot on[2];
  std::vector<std::int32_t> providers[2];
  const BackendChoice choice[2] = {BackendChoice::kCpu, BackendChoice::kCuda};
  for (int b = 0; b < 2; ++b) {
    Simulation sim(config, choice[b]);
    for (int t = 0; t < 12; ++t) sim.step();
    sim.backend().read_snapshot(on[b]);
    sim.backend().read_providers(providers[b]);
  }
  EXPECT_EQ(providers[0], providers[1]);
  EXPECT_EQ(on[0].alive, on[1].alive);
  EXPECT_EQ(on[0].cash, on[1].cash);
  EXPECT_EQ(on[0].tally, on[1].tally);
  EXPECT_EQ(on[0].service_price.size(), on[1].service_price.size());
  EXPECT_EQ(std::memcmp(on[0].service_price.data(), on[1].service_price.data(),
                        on[0].service_price.size() * sizeof(double)),
            0);
}

}  // namespace
}  // namespace aimarket
