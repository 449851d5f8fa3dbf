#include "population/population.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include "kernels/counter_rng.hpp"
#include "kernels/det_math.hpp"
#include "kernels/normal_draw.hpp"

namespace aimarket {
namespace {

// Index drawn from a discrete distribution by inverse CDF.
int draw_category(double uniform, const double* shares, int n) {
  double cumulative = 0.0;
  for (int k = 0; k < n; ++k) {
    cumulative += shares[k];
    if (uniform < cumulative) return k;
  }
  for (int k = n - 1; k >= 0; --k) {
    if (shares[k] > 0.0) return k;
  }
  return 0;
}

void append_firm(FirmTable& table, const FirmSpec& spec) {
  table.name.push_back(spec.name);
  table.archetype.push_back(spec.archetype);
  table.region.push_back(spec.region);
  table.awareness.push_back(spec.awareness);
  for (int r = 0; r < kRegions; ++r) table.language_fit.push_back(spec.language_fit[r]);
}

}  // namespace

FirmTable build_firm_table(const Config& config) {
  std::vector<FirmSpec> specs = config.named_firms;
  const FirmsSettings& synthetic = config.firms;
  for (std::int64_t k = 0; k < config.population.synthetic_firms; ++k) {
    FirmSpec spec;
    char name[32];
    std::snprintf(name, sizeof name, "synthetic-%05lld", static_cast<long long>(k));
    spec.name = name;
    spec.archetype = synthetic.synthetic_archetype;
    const auto agent = static_cast<std::uint32_t>(k);
    const DrawBlock d = draw_block(config.run.seed, 0, kTimelessStep, agent,
                                   DrawPurpose::kSyntheticFirm, 0);
    spec.region = draw_category(uniform_open01(d.word[0]),
                                config.population.region_shares.data(), kRegions);
    for (int s = 0; s < kSegments; ++s) {
      // Each (firm, segment) attribute has its own replicate slot in the counter so that the
      // draws are independent; replicate is unused at set-up.
      const double zq = standard_normal(config.run.seed, static_cast<std::uint32_t>(1 + s),
                                        kTimelessStep, agent, DrawPurpose::kSyntheticFirm);
      const double zp = standard_normal(config.run.seed,
                                        static_cast<std::uint32_t>(1 + kSegments + s),
                                        kTimelessStep, agent, DrawPurpose::kSyntheticFirm);
      spec.quality[s] = synthetic.synthetic_quality_mean + synthetic.synthetic_quality_sd * zq;
      spec.price[s] = synthetic.synthetic_price_median *
                      det_exp(synthetic.synthetic_price_log_sd * zp);
      spec.serves[s] = true;
    }
    spec.awareness = synthetic.synthetic_awareness;
    for (int r = 0; r < kRegions; ++r) {
      spec.language_fit[r] = r == spec.region ? 1.0 : synthetic.foreign_language_fit;
    }
    specs.push_back(spec);
  }

  FirmTable table;
  const std::size_t n = specs.size();
  table.quality.assign(kSegments * n, 0.0);
  table.price.assign(kSegments * n, 1.0);
  table.serves.assign(kSegments * n, 0);
  for (std::size_t j = 0; j < n; ++j) {
    append_firm(table, specs[j]);
    for (int s = 0; s < kSegments; ++s) {
      table.quality[s * n + j] = specs[j].quality[s];
      table.price[s * n + j] = specs[j].price[s];
      table.serves[s * n + j] = specs[j].serves[s] ? 1 : 0;
    }
  }
  return table;
}

CustomerPopulation build_customer_population(const PopulationSettings& population) {
  constexpr int kCells = kSegments * kRegions;
  const auto total = population.customers;
  std::array<double, kCells> exact{};
  std::array<std::int64_t, kCells> count{};
  std::int64_t assigned = 0;
  for (int s = 0; s < kSegments; ++s) {
    for (int r = 0; r < kRegions; ++r) {
      const int cell = s * kRegions + r;
      exact[cell] = static_cast<double>(total) * population.segment_shares[s] *
                    population.region_shares[r];
      count[cell] = static_cast<std::int64_t>(std::floor(exact[cell]));
      assigned += count[cell];
    }
  }
  // Largest remainder: the cells that lost most to rounding down get the leftover agents;
  // ties go to the lower cell index so the allocation is unique.
  std::array<int, kCells> order{};
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return exact[a] - static_cast<double>(count[a]) > exact[b] - static_cast<double>(count[b]);
  });
  // The remainders sum to the leftover and each is below one, so at least `leftover` cells
  // have a positive remainder.
  const std::int64_t leftover = total - assigned;
  for (std::int64_t k = 0; k < leftover; ++k) ++count[order[static_cast<std::size_t>(k % kCells)]];

  CustomerPopulation out;
  out.segment.reserve(static_cast<std::size_t>(total));
  out.region.reserve(static_cast<std::size_t>(total));
  for (int s = 0; s < kSegments; ++s) {
    for (int r = 0; r < kRegions; ++r) {
      const std::int64_t n = count[s * kRegions + r];
      out.segment.insert(out.segment.end(), static_cast<std::size_t>(n),
                         static_cast<std::uint8_t>(s));
      out.region.insert(out.region.end(), static_cast<std::size_t>(n),
                        static_cast<std::uint8_t>(r));
      out.customers_in_segment[s] += n;
    }
  }
  return out;
}

MarketSetup make_market_setup(const Config& config, const FirmTable& firms,
                              const CustomerPopulation& customers) {
  const DemandSettings& d = config.demand;
  MarketSetup setup;
  setup.replicates = config.run.replicates;
  setup.customers = config.population.customers;
  setup.firms = firms.size();
  setup.seed = config.run.seed;
  setup.demand.bass_p = d.bass_p;
  setup.demand.bass_q = d.bass_q;
  setup.demand.reconsider_rate = d.reconsider_rate;
  setup.demand.consideration_set = static_cast<std::int32_t>(d.consideration_set);
  setup.demand.awareness_installed_base = d.awareness_installed_base;
  setup.demand.beta_price = d.beta_price;
  setup.demand.beta_network = d.beta_network;
  setup.demand.switching_cost = d.switching_cost;
  setup.demand.price_taste_sd = d.price_taste_sd;
  setup.customer_segment = customers.segment;
  setup.customer_region = customers.region;
  setup.customers_in_segment = customers.customers_in_segment;

  const std::size_t n = static_cast<std::size_t>(firms.size());
  setup.quality_term.resize(kSegments * n);
  setup.log_price.resize(kSegments * n);
  for (std::size_t k = 0; k < kSegments * n; ++k) {
    setup.quality_term[k] = d.beta_quality * firms.quality[k];
    setup.log_price[k] = det_log(firms.price[k]);
  }
  setup.serves = firms.serves;
  setup.region_term.resize(n * kRegions);
  for (std::size_t j = 0; j < n; ++j) {
    for (int r = 0; r < kRegions; ++r) {
      const double home = firms.region[j] == r ? d.beta_home : 0.0;
      setup.region_term[j * kRegions + r] = home + d.beta_language * firms.language_fit[j * kRegions + r];
    }
  }
  setup.awareness = firms.awareness;
  return setup;
}

}  // namespace aimarket
