// Finite, priced, per-segment data (docs/MODEL.md, "Data: finite, priced, per segment";
// kernels/data_stocks.hpp): the public text stock and its cap, licensed text whose price rises
// as vendors' corpora run out, domain data per segment from a firm's own customers and
// purchases, conservation in the data market, the invariant that no firm ever holds more data
// than exists (with entry and acquisition), and the same result on any thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "backend/backend.hpp"
#include "kernels/data_stocks.hpp"
#include "kernels/layout.hpp"
#include "kernels/value_chain_params.hpp"
#include "test_support.hpp"

namespace aimarket {
namespace {

using testing::firm_cell;
using testing::firm_index;
using testing::load_config_text;
using testing::units;

std::size_t data_cell(std::int64_t replicate, std::int32_t firms, std::int32_t j) {
  return static_cast<std::size_t>(layout::replicate_market_firm(replicate, kMarketData, j, firms));
}

std::size_t segment_cell(std::int64_t replicate, int segment, std::int32_t firms, std::int32_t j) {
  return static_cast<std::size_t>(layout::replicate_segment_firm(replicate, segment, j, firms));
}

// T tokens of a fixed-point quantity on the data market (units of kDataUnitTokens).
double tokens(std::int64_t fixed_point) { return units(fixed_point) * kDataUnitTokens; }

TEST(Data, PublicTextAndVendorCorporaGrowAtTheConfiguredRate) {
  // W(t) = W0 (1 + g)^(t / 12): after a year the stock is W0 (1 + g), after two W0 (1 + g)^2.
  ValueChainParams p{};
  p.public_text_stock = 300.0;
  p.public_text_log_growth = std::log1p(0.07) / 12.0;
  p.vendor_corpus = 0.08;
  // det_exp is accurate to a few ulps; log1p / 12 and the product add a few more.
  EXPECT_NEAR(public_text_stock(p, 0.0), 300.0, 1e-12);
  EXPECT_NEAR(public_text_stock(p, 12.0), 321.0, 1e-11);
  EXPECT_NEAR(public_text_stock(p, 24.0), 300.0 * 1.07 * 1.07, 1e-11);
  // A vendor's capacity is what is left of its (growing) corpus, never negative.
  EXPECT_NEAR(licensable_corpus_left(p, 0.0, 0.03), 0.05, 1e-15);
  EXPECT_NEAR(licensable_corpus_left(p, 12.0, 0.03), 0.08 * 1.07 - 0.03, 1e-15);
  EXPECT_EQ(licensable_corpus_left(p, 0.0, 0.5), 0.0);
  // Public text held: depreciated plus scraped, capped at what exists.
  EXPECT_EQ(next_public_held(10.0, 2.0, 300.0, 0.01), 10.0 * 0.99 + 2.0);
  EXPECT_EQ(next_public_held(299.0, 5.0, 300.0, 0.01), 300.0);
}

// A lab that scrapes far faster than the web grows: it holds the whole public stock from the
// step its scraping reaches it, W(t) exactly, and never more. No vendor: all its general text
// is public.
TEST(Data, ALabNeverHoldsMorePublicTextThanExists) {
  const Config config = load_config_text("public_cap", R"(
[run]
replicates = 2
[population]
customers = 1000
[data]
public_text_stock = 50.0
public_text_growth = 0.5
public_data_rate = 20.0
depreciation = 0.01
[[firm]]
name = "Lab"
archetype = "model_lab"
region = "US"
cash = 100.0
data_stock = 5.0
)");
  Simulation sim(config, BackendChoice::kCpu);
  const ValueChainParams p = make_value_chain_params(config);
  const std::int32_t n = sim.firms().size();
  const std::int32_t lab = firm_index(sim, "Lab");
  double expected = 5.0;
  int capped = 0;
  for (int t = 0; t < 8; ++t) {
    sim.step();
    EnsembleSnapshot s;
    sim.backend().read_snapshot(s);
    const double stock = 50.0 * std::pow(1.5, t / 12.0);
    expected = std::min(expected * 0.99 + 20.0, stock);
    capped += expected == stock ? 1 : 0;
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      const std::size_t k = firm_cell(r, n, lab);
      // pow here and det_exp on the device differ in the last bits only (relative 1e-14).
      EXPECT_NEAR(s.public_held[k], expected, 1e-12 * stock) << "step " << t;
      EXPECT_LE(s.public_held[k], public_text_stock(p, static_cast<double>(t))) << "step " << t;
      EXPECT_EQ(s.licensed_held[k], 0.0);
      EXPECT_EQ(s.data_stock[k], s.public_held[k]) << "general text is public text here";
    }
  }
  EXPECT_GE(capped, 5) << "the test needs steps where the cap binds";
}

// One vendor with a corpus far smaller than what one lab's data budget asks for: it sells its
// whole corpus (rationed to it, up to the fixed point) and its price rises by the bounded
// factor max_price_change each step while demand exceeds what is left; the lab's licensed text
// is what it bought. A rich vendor facing a poor lab instead cuts its price by the same bound.
TEST(Data, LicensedTextPriceRisesAsTheCorpusRunsOut) {
  const std::string text = R"(
[run]
replicates = 2
[population]
customers = 1000
[data]
vendor_corpus = 0.0001
public_text_growth = 0.07
data_initial_price = 7.5e8
[[firm]]
name = "Lab"
archetype = "model_lab"
region = "US"
cash = 100000.0
[[firm]]
name = "Vendor"
archetype = "data_vendor"
region = "US"
cash = 10.0
)";
  const Config config = load_config_text("scarce_data", text);
  Simulation sim(config, BackendChoice::kCpu);
  const ValueChainParams p = make_value_chain_params(config);
  const std::int32_t n = sim.firms().size();
  const std::int32_t lab = firm_index(sim, "Lab");
  const std::int32_t vendor = firm_index(sim, "Vendor");
  const double kappa = config.compute.max_price_change;
  double price = 7.5e8 * kDataUnitTokens;  // USD per traded unit, as the market holds it
  double sold_before = 0.0;
  for (int t = 0; t < 4; ++t) {
    sim.step();
    EnsembleSnapshot s;
    sim.backend().read_snapshot(s);
    const double capacity = licensable_corpus_left(p, static_cast<double>(t), sold_before);
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      const double sold = tokens(s.sold[data_cell(r, n, vendor)]);
      // One pair: floor(demand x capacity / demand x 2^16) / 2^16, at most one fixed-point unit
      // below the capacity (the ratio's and the unit conversions' rounding is 1e-15 relative).
      EXPECT_LE(sold, capacity * (1.0 + 1e-15)) << "step " << t;
      EXPECT_GE(sold, capacity * (1.0 - 1e-15) - kDataUnitTokens / kUnitScale) << "step " << t;
      EXPECT_EQ(s.sold[data_cell(r, n, vendor)], s.bought[data_cell(r, n, lab)]);
      EXPECT_EQ(s.revenue[data_cell(r, n, vendor)], s.paid[data_cell(r, n, lab)]);
      // The price it sold at, then moved up by the bound: demand is thousands of times the
      // capacity, (D / S)^eta far above kappa.
      EXPECT_DOUBLE_EQ(s.price[data_cell(r, n, vendor)], price * kappa) << "step " << t;
      EXPECT_LE(s.data_licensed[firm_cell(r, n, vendor)],
                p.vendor_corpus * text_growth_factor(p, static_cast<double>(t)) * (1.0 + 1e-15));
      EXPECT_LE(s.licensed_held[firm_cell(r, n, lab)], s.general_acquired[firm_cell(r, n, lab)]);
      EXPECT_GT(s.general_acquired[firm_cell(r, n, lab)], 0.0);
    }
    sold_before = s.data_licensed[firm_cell(0, n, vendor)];
    price *= kappa;
  }

  // Plenty of corpus, a poor buyer: the price falls by the bound, toward the vendors' cost.
  std::string poor_lab = text;
  poor_lab.replace(poor_lab.find("cash = 100000.0"), 15, "cash = 1.0");
  const Config rich =
      load_config_text("plentiful_data", poor_lab, {"data.vendor_corpus=1000", "run.replicates=1"});
  Simulation plenty(rich, BackendChoice::kCpu);
  plenty.step();
  EnsembleSnapshot s;
  plenty.backend().read_snapshot(s);
  EXPECT_DOUBLE_EQ(s.price[data_cell(0, n, vendor)], 7.5e8 * kDataUnitTokens / kappa);
}

// Every firm's data after a step follows the update rule of docs/MODEL.md, computed here from
// the state before it: public text capped at the world's stock, licensed text (and released
// data) to model developers' general text, and for other firms to domain data split over the
// segments they serve in proportion to their customers there; the flywheel adds to the
// segment where the customers are, and nowhere else.
TEST(Data, EveryFirmsDataFollowsItsUpdateRule) {
  const Config config = testing::load_repo_config(
      "configs/baseline.toml", {"population.customers=20000", "population.synthetic_firms=150",
                                "run.replicates=2", "scenario.public_data={KR=0.01}",
                                // An acquisition merges data after the update: off here.
                                "entry.acquisition_rate=0",
                                // The rule uses the config's values: every replicate's.
                                "run.parameter_uncertainty=false"});
  Simulation sim(config, BackendChoice::kCpu);
  const FirmTable& firms = sim.firms();
  const ValueChainParams p = make_value_chain_params(config);
  const std::int32_t n = firms.size();
  const double keep = 1.0 - config.data.depreciation;
  EnsembleSnapshot before, after;
  sim.backend().read_snapshot(before);
  int bought_domain = 0, bought_general = 0, flywheel = 0;
  for (int t = 0; t < 3; ++t) {
    sim.step();
    sim.backend().read_snapshot(after);
    const double stock = public_text_stock(p, static_cast<double>(t));
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      for (std::int32_t j = 0; j < n; ++j) {
        const std::size_t k = firm_cell(r, n, j);
        if (!before.alive[k] || !after.alive[k]) continue;
        const auto jj = static_cast<std::size_t>(j);
        const std::uint8_t mask = firms.layer_mask[jj];
        const bool lab = (mask & kLayerBitModel) != 0;
        double outside = tokens(after.bought[data_cell(r, n, j)]);
        if (mask & (kLayerBitModel | kLayerBitService))
          outside += config.scenario.public_data[static_cast<std::size_t>(firms.region[jj])];
        double customers[kSegments];
        double served_customers = 0.0;
        int served = 0;
        for (int seg = 0; seg < kSegments; ++seg) {
          customers[seg] =
              before.tally[segment_cell(r, seg, n, j)] * config.population.customer_weight();
          if (firms.serves[static_cast<std::size_t>(layout::segment_firm(seg, j, n))]) {
            served_customers += customers[seg];
            ++served;
          }
        }
        const bool general = lab || served == 0;
        // Sums of a few doubles in the kernel's order: relative 1e-15.
        const double public_expected =
            std::min(before.public_held[k] * keep + (lab ? p.public_data_rate : 0.0), stock);
        EXPECT_NEAR(after.public_held[k], public_expected, 1e-14 * stock);
        const double licensed_expected = before.licensed_held[k] * keep + (general ? outside : 0.0);
        EXPECT_NEAR(after.licensed_held[k], licensed_expected, 1e-14 * (1.0 + licensed_expected));
        EXPECT_EQ(after.data_stock[k], after.public_held[k] + after.licensed_held[k]);
        if (outside > 0.0) ++(general ? bought_general : bought_domain);
        for (int seg = 0; seg < kSegments; ++seg) {
          const std::size_t c = segment_cell(r, seg, n, j);
          const bool serves =
              firms.serves[static_cast<std::size_t>(layout::segment_firm(seg, j, n))];
          double inflow = p.flywheel_tokens_per_customer * customers[seg];
          if (!general && serves) {
            inflow += served_customers > 0.0 ? outside * (customers[seg] / served_customers)
                                             : outside / served;
          }
          const double expected = before.domain_data[c] * keep + inflow;
          EXPECT_NEAR(after.domain_data[c], expected, 1e-14 * (1.0 + expected))
              << firms.name[jj] << " segment " << seg << " step " << t;
          if (!serves) {
            EXPECT_EQ(after.domain_data[c], 0.0) << "data only where it serves";
          }
          flywheel += customers[seg] > 0.0 ? 1 : 0;
        }
      }
    }
    before = after;
  }
  EXPECT_GT(bought_general, 0) << "labs should license text";
  EXPECT_GT(bought_domain, 0) << "service firms should buy or receive domain data";
  EXPECT_GT(flywheel, 100);
}

// The invariant of the issue: no firm ever holds more data than exists. General text held
// <= the public stock at t + licensed (or released) text it ever acquired; licensed held <=
// acquired; domain data in a segment <= what its customers there ever generated + what it
// bought for it; a vendor never licenses more than its corpus. Over a baseline-like run with
// entry (which resets an entrant's data) and acquisition (which merges data), every step.
// Also: the data market conserves units and money exactly, and the economy's licensed text
// is no more than the vendors ever sold plus what firms started with.
std::tuple<std::vector<double>, std::vector<double>, std::vector<double>, std::vector<double>>
run_invariant(const Config& config, int steps, bool check) {
  Simulation sim(config, BackendChoice::kCpu);
  const ValueChainParams p = make_value_chain_params(config);
  const FirmTable& firms = sim.firms();
  const std::int32_t n = firms.size();
  EnsembleSnapshot s;
  sim.backend().read_snapshot(s);
  std::vector<double> licensed_at_start(static_cast<std::size_t>(config.run.replicates), 0.0);
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (std::int32_t j = 0; j < n; ++j)
      licensed_at_start[static_cast<std::size_t>(r)] += s.general_acquired[firm_cell(r, n, j)];
  }
  std::vector<double> sold_total(static_cast<std::size_t>(config.run.replicates), 0.0);
  std::int64_t acquired = 0, entered = 0, vendor_sales = 0;
  std::vector<std::uint8_t> alive_before = s.alive;
  for (int t = 0; t < steps; ++t) {
    sim.step();
    sim.backend().read_snapshot(s);
    if (!check) continue;
    const double stock = public_text_stock(p, static_cast<double>(t));
    const double corpus = p.vendor_corpus * text_growth_factor(p, static_cast<double>(t));
    for (std::int64_t r = 0; r < config.run.replicates; ++r) {
      std::int64_t sold = 0, bought = 0, revenue = 0, paid = 0;
      double acquired_text = 0.0;
      for (std::int32_t j = 0; j < n; ++j) {
        const std::size_t k = firm_cell(r, n, j);
        const std::size_t m = data_cell(r, n, j);
        sold += s.sold[m];
        bought += s.bought[m];
        revenue += s.revenue[m];
        paid += s.paid[m];
        vendor_sales += s.sold[m] > 0 ? 1 : 0;
        acquired += s.acquired_by[k] >= 0 && alive_before[k] ? 1 : 0;
        entered += s.alive[k] && !alive_before[k] ? 1 : 0;
        acquired_text += s.general_acquired[k];
        const std::string& name = firms.name[static_cast<std::size_t>(j)];
        // Exact where the kernel's rounding is monotone (min, sums of the same terms); the
        // general total is one more rounded sum (relative 2^-52).
        EXPECT_LE(s.public_held[k], stock) << name << " step " << t;
        EXPECT_LE(s.licensed_held[k], s.general_acquired[k]) << name << " step " << t;
        EXPECT_LE(s.data_stock[k], (stock + s.general_acquired[k]) * (1.0 + 1e-15))
            << name << " step " << t;
        EXPECT_LE(s.data_licensed[k], corpus * (1.0 + 1e-15)) << name << " step " << t;
        for (int seg = 0; seg < kSegments; ++seg) {
          const std::size_t c = segment_cell(r, seg, n, j);
          EXPECT_LE(s.domain_data[c], s.domain_acquired[c]) << name << " step " << t;
        }
      }
      EXPECT_EQ(sold, bought) << "step " << t;
      EXPECT_EQ(revenue, paid) << "step " << t;
      sold_total[static_cast<std::size_t>(r)] += tokens(sold);
      // Licensed general text in firms' ledgers: at most what they started with plus what the
      // vendors ever sold (entry resets and data sold to firms without a model only lower it;
      // released data is off here). Sums of thousands of terms: relative 1e-12.
      EXPECT_LE(acquired_text, (licensed_at_start[static_cast<std::size_t>(r)] +
                                sold_total[static_cast<std::size_t>(r)]) *
                                       (1.0 + 1e-12) +
                                   1e-12)
          << "step " << t;
    }
    alive_before = s.alive;
  }
  if (check) {
    EXPECT_GT(acquired, 0) << "the run needs acquisitions";
    EXPECT_GT(entered, 0) << "the run needs entrants";
    EXPECT_GT(vendor_sales, 0) << "the run needs data sales";
  }
  std::vector<double> price;
  for (std::int64_t r = 0; r < config.run.replicates; ++r) {
    for (std::int32_t j = 0; j < n; ++j) price.push_back(s.price[data_cell(r, n, j)]);
  }
  return {s.data_stock, s.domain_data, s.general_acquired, price};
}

Config invariant_config() {
  return testing::load_repo_config(
      "configs/baseline.toml", {"population.customers=20000", "population.synthetic_firms=200",
                                "run.replicates=2", "entry.free_slots=40", "entry.rate=4",
                                "entry.acquisition_rate=1", "entry.acquisition_max_cash_share=0.5",
                                // The checks use the config's values: every replicate runs them.
                                "run.parameter_uncertainty=false"});
}

TEST(Data, NoFirmEverHoldsMoreDataThanExists) { run_invariant(invariant_config(), 12, true); }

TEST(Data, DataIsTheSameOnAnyThreadCount) {
  const Config config = invariant_config();
  set_cpu_threads(1);
  const auto one = run_invariant(config, 6, false);
  set_cpu_threads(2);
  const auto two = run_invariant(config, 6, false);
  set_cpu_threads(0);
  EXPECT_TRUE(one == two);
}

}  // namespace
}  // namespace aimarket
