#include "population/population.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "kernels/counter_rng.hpp"
#include "kernels/data_stocks.hpp"
#include "kernels/demand_params.hpp"
#include "kernels/det_math.hpp"
#include "kernels/layout.hpp"
#include "kernels/normal_draw.hpp"
#include "kernels/scaling_law.hpp"
#include "kernels/value_chain_state.hpp"

namespace aimarket {
namespace {

// The config names strategy parameters (kStrategyParameterNames) in the order the device
// indexes them (StrategyParameter).
static_assert(std::string_view(kStrategyParameterNames[kSpendRate]) == "spend_rate" &&
                  std::string_view(kStrategyParameterNames[kComputeShare]) == "compute_share" &&
                  std::string_view(kStrategyParameterNames[kDataShare]) == "data_share" &&
                  std::string_view(kStrategyParameterNames[kRdShare]) == "rd_share" &&
                  std::string_view(kStrategyParameterNames[kMarketingShare]) == "marketing_share" &&
                  std::string_view(kStrategyParameterNames[kMarkup]) == "markup" &&
                  std::string_view(kStrategyParameterNames[kTrainingShare]) == "training_share",
              "kStrategyParameterNames follows StrategyParameter");

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

int archetype_index(const std::string& name) {
  for (int a = 0; a < kArchetypes; ++a) {
    if (name == kArchetypeNames[a]) return a;
  }
  return 0;
}

void append_firm(FirmTable& table, const FirmSpec& spec, const FirmsSettings& defaults,
                 const StrategySettings& strategies, double cloud_self_use_share,
                 double api_initial_price) {
  table.name.push_back(spec.name);
  table.archetype.push_back(spec.archetype);
  table.region.push_back(spec.region);
  table.awareness.push_back(spec.awareness);
  for (int r = 0; r < kRegions; ++r) table.language_fit.push_back(spec.language_fit[r]);
  std::uint8_t mask = 0;
  for (int l = 0; l < kLayers; ++l) {
    if (spec.layers[l]) mask |= static_cast<std::uint8_t>(1u << l);
  }
  if (spec.sells_data) mask |= kSellsDataBit;
  table.layer_mask.push_back(mask);
  // Big tech's accelerators (TPU, MTIA, Trainium) serve only their owner.
  table.in_house_chips.push_back(spec.archetype == "big_tech" && spec.layers[1] ? 1 : 0);
  table.open_weights.push_back(spec.open_weights ? 1 : 0);
  table.chip_performance.push_back(spec.chip_performance);
  // Strategy parameters: the firm's own value, else its strategy preset's, else [firms].
  const std::string preset_name = spec.strategy.value_or(
      strategies.by_archetype[static_cast<std::size_t>(archetype_index(spec.archetype))]);
  const double* preset = nullptr;
  for (int k = 1; k < kStrategyChoices; ++k) {
    if (preset_name == kStrategyChoiceNames[k])
      preset = strategies.presets[static_cast<std::size_t>(k - 1)].data();
  }
  // In StrategyParameter order; unsized, so that a parameter added to the model but not here
  // fails the static_assert instead of reading as zero.
  const double fallback[] = {defaults.spend_rate,    defaults.compute_share,   defaults.data_share,
                             defaults.rd_share,      defaults.marketing_share, defaults.markup,
                             defaults.training_share};
  const std::optional<double> own[] = {spec.spend_rate,    spec.compute_share,   spec.data_share,
                                       spec.rd_share,      spec.marketing_share, spec.markup,
                                       spec.training_share};
  static_assert(std::size(fallback) == kStrategyParameters && std::size(own) == kStrategyParameters,
                "one value per strategy parameter");
  for (int p = 0; p < kStrategyParameters; ++p) {
    table.strategy[static_cast<std::size_t>(p)].push_back(
        own[p].value_or(preset != nullptr ? preset[p] : fallback[p]));
  }
  table.cash_musd.push_back(spec.cash);
  table.fab_capacity.push_back(spec.fab_capacity);
  table.hbm_capacity.push_back(spec.hbm_capacity);
  table.installed_compute.push_back(spec.installed_compute);
  table.data_stock.push_back(spec.data_stock);
  table.training_compute.push_back(spec.training_compute);
  table.other_income_musd.push_back(spec.other_income);
  const bool cash_flow = spec.financing
                             ? *spec.financing == kFinancingNames[kCashFlowFinancing]
                             : archetype_funded_by_cash_flow(archetype_index(spec.archetype));
  table.cash_flow_funded.push_back(cash_flow ? 1 : 0);
  table.reinvestment_rate.push_back(spec.reinvestment_rate.value_or(defaults.reinvestment_rate));
  for (int s = 0; s < kSegments; ++s) table.initial_share.push_back(spec.initial_share[s]);
  table.cloud_self_use.push_back(
      spec.cloud_self_use.value_or(spec.layers[3] ? cloud_self_use_share : 0.0));
  table.api_price.push_back(spec.api_price.value_or(api_initial_price));
  table.api_share.push_back(spec.api_share.value_or(-1.0));
}

// Archetype a synthetic firm's layers, segments and starting state come from
// (docs/MODEL.md, "Synthetic population"). Sizes are Zipf: starting cash (and compute or
// capacity where the archetype has them) scale with a Pareto(1) draw, P(X > x) = 1/x for
// x >= 1, capped at kMaxSizeMultiple (Axtell 2001: firm sizes are Zipf-distributed).
constexpr double kMaxSizeMultiple = 1e4;
constexpr int kVerticalSegments[] = {2, 3, 4, 5};  // finance, healthcare, legal, manufacturing

void shape_synthetic_firm(FirmSpec& spec, int archetype, double size, double segment_uniform,
                          const FirmsSettings& f) {
  const std::string name = kArchetypeNames[archetype];
  spec.archetype = name;
  spec.layers = archetype_default_layers(archetype);
  spec.sells_data = name == "data_vendor";
  spec.cash = f.synthetic_cash * size;
  spec.awareness = f.synthetic_awareness * size;
  spec.model_source = spec.layers[3] ? "own" : "open";
  if (name == "vertical_ai") {
    // One industry: the vertical segment drawn uniformly; domain data lifts its quality there.
    const int pick = std::min(3, static_cast<int>(segment_uniform * 4.0));
    for (int s = 0; s < kSegments; ++s) spec.serves[s] = s == kVerticalSegments[pick];
  } else if (name == "consumer_ai" || name == "kr_service") {
    for (int s = 0; s < kSegments; ++s) spec.serves[s] = s <= 1;  // consumer, enterprise
  } else if (spec.layers[kServiceLayer]) {
    spec.serves.fill(true);
  } else {
    spec.serves.fill(false);
  }
  // Regional clouds (Oracle, IBM, Tencent, Huawei and smaller ones: about a third of the cloud
  // market, ext Synergy 2024) as the synthetic fringe.
  if (name == "cloud" || name == "big_tech") spec.installed_compute = 2500.0 * size;  // H100e
  if (name == "model_lab" || name == "big_tech") {
    spec.training_compute = 1e22 * size;  // FLOP: small open-model scale
    spec.data_stock = 0.5;                // T tokens
  }
  if (name == "chip_vendor" || name == "npu_startup") spec.fab_capacity = 5.0 * size;
  if (name == "memory_vendor") spec.hbm_capacity = 300.0 * size;
}

// The starting shares of one (segment s, region g) market, [firm] (docs/MODEL.md, "Starting
// customers by region"). Without home shares a named firm has its initial_share a_j and the
// other alive firms serving s share the rest, 1 - sum a, by awareness. The named firms of
// region g with a home_share h_j in s (the set E) take it instead, and every other firm keeps
// its share in proportion: times (1 - H) / (1 - A_E), H = sum of h over E, A_E = sum of a over
// E. Without home shares in the market these are the initial_shares.
std::vector<double> market_starting_shares(const Config& config, const FirmTable& firms, int s,
                                           int g) {
  const auto n = static_cast<std::size_t>(firms.size());
  const std::size_t named = config.named_firms.size();
  std::vector<double> weight(n, 0.0);
  const auto has_home_share = [&](std::size_t j) {
    const FirmSpec& spec = config.named_firms[j];
    return spec.region == g && spec.home_share_given[static_cast<std::size_t>(s)];
  };
  double home = 0.0, replaced = 0.0, named_share = 0.0, other_awareness = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    const auto cell = static_cast<std::size_t>(layout::segment_firm(s, j, n));
    if (!firms.serves[cell] || !firms.alive[j]) continue;
    if (j < named) {
      const double a = firms.initial_share[static_cast<std::size_t>(layout::firm_segment(j, s))];
      named_share += a;
      if (has_home_share(j)) {
        weight[j] = config.named_firms[j].home_share[static_cast<std::size_t>(s)];
        home += weight[j];
        replaced += a;
      } else {
        weight[j] = a;
      }
    } else {
      other_awareness += firms.awareness[j];
    }
  }
  const double scale = replaced < 1.0 ? std::max(0.0, 1.0 - home) / (1.0 - replaced) : 0.0;
  const double rest = std::max(0.0, 1.0 - named_share);
  for (std::size_t j = 0; j < n; ++j) {
    const auto cell = static_cast<std::size_t>(layout::segment_firm(s, j, n));
    if (!firms.serves[cell] || !firms.alive[j]) continue;
    if (j < named && has_home_share(j)) continue;
    if (j < named) {
      weight[j] *= scale;
    } else {
      weight[j] = other_awareness > 0.0 ? scale * rest * firms.awareness[j] / other_awareness : 0.0;
    }
  }
  return weight;
}

// Customers already using a service at step 0: in each (segment, region) block of agents the
// first round(initial_adoption * block size) are adopters, spread over the firms by the
// market's starting shares (market_starting_shares; largest remainder, ties to the lower firm
// index), in firm order.
void assign_initial_customers(const Config& config, const FirmTable& firms,
                              const CustomerPopulation& customers, MarketSetup& setup) {
  const auto& adoption = config.population.initial_adoption;
  if (std::all_of(adoption.begin(), adoption.end(), [](double a) { return a == 0.0; })) return;
  const auto n = static_cast<std::size_t>(firms.size());
  setup.initial_provider.assign(customers.segment.size(), -1);
  setup.initial_tally.assign(kSegments * n, 0);
  setup.initial_market_tally.assign(std::size_t{kMarkets} * n, 0);
  setup.initial_market_share.assign(std::size_t{kMarkets} * n, 0.0);
  std::size_t c = 0;
  while (c < customers.segment.size()) {
    const int s = customers.segment[c];
    const int g = customers.region[c];
    std::size_t end = c;
    while (end < customers.segment.size() && customers.segment[end] == s &&
           customers.region[end] == g)
      ++end;
    const auto block = static_cast<double>(end - c);
    const auto adopters =
        static_cast<std::int64_t>(std::llround(adoption[static_cast<std::size_t>(s)] * block));
    const std::vector<double> weight = market_starting_shares(config, firms, s, g);
    for (std::size_t j = 0; j < n; ++j) {
      setup
          .initial_market_share[static_cast<std::size_t>(layout::segment_region_firm(s, g, j, n))] =
          weight[j];
    }
    double total = 0.0;
    for (double w : weight) total += w;
    if (total > 0.0 && adopters > 0) {
      std::vector<std::int64_t> count(n, 0);
      std::vector<double> remainder(n, 0.0);
      std::int64_t given = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const double exact = static_cast<double>(adopters) * weight[j] / total;
        count[j] = static_cast<std::int64_t>(std::floor(exact));
        remainder[j] = exact - static_cast<double>(count[j]);
        given += count[j];
      }
      std::vector<std::size_t> order(n);
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
      for (std::int64_t k = 0; k < adopters - given; ++k)
        ++count[order[static_cast<std::size_t>(k) % n]];
      std::size_t next = c;
      for (std::size_t j = 0; j < n; ++j) {
        for (std::int64_t k = 0; k < count[j]; ++k)
          setup.initial_provider[next++] = static_cast<std::int32_t>(j);
        const auto agents = static_cast<std::int32_t>(count[j]);
        const auto cell = static_cast<std::size_t>(layout::segment_firm(s, j, n));
        setup.initial_tally[cell] += agents;
        setup.initial_market_tally[static_cast<std::size_t>(
            layout::segment_region_firm(s, g, j, n))] += agents;
      }
    }
    c = end;
  }
}

}  // namespace

FirmTable build_firm_table(const Config& config) {
  std::vector<FirmSpec> specs = config.named_firms;
  const FirmsSettings& synthetic = config.firms;
  for (std::int64_t k = 0; k < config.population.synthetic_firms; ++k) {
    FirmSpec spec;
    char name[32];
    std::snprintf(name, sizeof name, "%s%05lld", kSyntheticFirmPrefix, static_cast<long long>(k));
    spec.name = name;
    const auto agent = static_cast<std::uint32_t>(k);
    const DrawBlock d =
        draw_block(config.run.seed, 0, kTimelessStep, agent, DrawPurpose::kSyntheticFirm, 0);
    spec.region =
        draw_category(uniform_open01(d.word[0]), config.population.region_shares.data(), kRegions);
    const int archetype = draw_category(uniform_open01(d.word[1]),
                                        config.population.synthetic_mix.data(), kArchetypes);
    if (std::string_view(kArchetypeNames[archetype]) == "kr_service") spec.region = 1;  // KR
    const double size = std::min(kMaxSizeMultiple, 1.0 / uniform_open01(d.word[2]));
    for (int s = 0; s < kSegments; ++s) {
      // Each (firm, segment) attribute has its own replicate slot in the counter so that the
      // draws are independent; replicate is unused at set-up.
      const double zq = standard_normal(config.run.seed, static_cast<std::uint32_t>(1 + s),
                                        kTimelessStep, agent, DrawPurpose::kSyntheticFirm);
      const double zp =
          standard_normal(config.run.seed, static_cast<std::uint32_t>(1 + kSegments + s),
                          kTimelessStep, agent, DrawPurpose::kSyntheticFirm);
      spec.quality[s] = synthetic.synthetic_quality_mean + synthetic.synthetic_quality_sd * zq;
      spec.price[s] =
          synthetic.synthetic_price_median * det_exp(synthetic.synthetic_price_log_sd * zp);
    }
    shape_synthetic_firm(spec, archetype, size, uniform_open01(d.word[3]), synthetic);
    for (int s = 0; s < kSegments; ++s) {
      if (!spec.serves[s]) {
        spec.quality[s] = 0.0;
        spec.price[s] = 1.0;
      }
    }
    for (int r = 0; r < kRegions; ++r) {
      spec.language_fit[r] = r == spec.region ? 1.0 : synthetic.foreign_language_fit;
    }
    specs.push_back(spec);
  }
  // Free slots for entrants: firms like the synthetic ones of an archetype drawn from
  // entry.archetype_mix (its layers and segments), dead until an entrant takes one
  // (kernels/firm_entry.hpp draws its quality, price and cash then and starts its stocks at 0).
  // Quality and price here are placeholders of the right kind (a positive price) for a dead
  // slot.
  const std::size_t live_firms = specs.size();
  for (std::int64_t k = 0; k < config.entry.free_slots; ++k) {
    FirmSpec spec;
    char name[32];
    std::snprintf(name, sizeof name, "%s%05lld", kFreeSlotPrefix, static_cast<long long>(k));
    spec.name = name;
    const DrawBlock d = draw_block(config.run.seed, 0, kTimelessStep, static_cast<std::uint32_t>(k),
                                   DrawPurpose::kEntrySlot, 0);
    const int archetype =
        draw_category(uniform_open01(d.word[1]), config.entry.archetype_mix.data(), kArchetypes);
    shape_synthetic_firm(spec, archetype, 1.0, uniform_open01(d.word[2]), synthetic);
    spec.region =
        draw_category(uniform_open01(d.word[0]), config.population.region_shares.data(), kRegions);
    if (spec.archetype == "kr_service") spec.region = 1;  // KR, as for a synthetic firm
    for (int s = 0; s < kSegments; ++s) {
      spec.quality[s] = spec.serves[s] ? synthetic.synthetic_quality_mean : 0.0;
      spec.price[s] = spec.serves[s] ? synthetic.synthetic_price_median : 1.0;
    }
    spec.awareness = synthetic.synthetic_awareness;
    // Nothing before entry: stocks start at 0 when an entrant takes the slot.
    spec.installed_compute = 0.0;
    spec.training_compute = 0.0;
    spec.data_stock = 0.0;
    spec.fab_capacity = 0.0;
    spec.hbm_capacity = 0.0;
    spec.cash = 0.0;
    for (int r = 0; r < kRegions; ++r) {
      spec.language_fit[r] = r == spec.region ? 1.0 : synthetic.foreign_language_fit;
    }
    specs.push_back(spec);
  }

  FirmTable table;
  const std::size_t n = specs.size();
  table.quality.assign(kSegments * n, 0.0);
  table.price.assign(kSegments * n, 1.0);
  table.paid_conversion.assign(kSegments * n, config.firms.paid_conversion);
  table.serves.assign(kSegments * n, 0);
  for (std::size_t j = 0; j < n; ++j) {
    append_firm(table, specs[j], config.firms, config.strategy, config.compute.cloud_self_use_share,
                config.models.api_initial_price);
    table.alive.push_back(j < live_firms ? 1 : 0);
    for (int s = 0; s < kSegments; ++s) {
      const auto cell = static_cast<std::size_t>(layout::segment_firm(s, j, n));
      table.quality[cell] = specs[j].quality[s];
      table.price[cell] = specs[j].price[s];
      if (specs[j].paid_conversion_given[s])
        table.paid_conversion[cell] = specs[j].paid_conversion[s];
      table.serves[cell] = specs[j].serves[s] ? 1 : 0;
    }
  }
  // Model sources by name, once every firm has its index.
  for (std::size_t j = 0; j < n; ++j) {
    const std::string& source = specs[j].model_source;
    std::int32_t code = kOpenModel;
    if (source == "own") {
      code = kOwnModel;
    } else if (source != "open") {
      for (std::size_t k = 0; k < n; ++k) {
        if (specs[k].name == source) code = static_cast<std::int32_t>(k);
      }
    }
    table.model_source.push_back(code);
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
      const auto cell = static_cast<std::size_t>(layout::segment_region(s, r));
      exact[cell] =
          static_cast<double>(total) * population.segment_shares[s] * population.region_shares[r];
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
      const std::int64_t n = count[static_cast<std::size_t>(layout::segment_region(s, r))];
      out.segment.insert(out.segment.end(), static_cast<std::size_t>(n),
                         static_cast<std::uint8_t>(s));
      out.region.insert(out.region.end(), static_cast<std::size_t>(n),
                        static_cast<std::uint8_t>(r));
      out.customers_in_segment[s] += n;
      out.customers_in_market[static_cast<std::size_t>(layout::segment_region(s, r))] = n;
    }
  }
  return out;
}

namespace {

// Supplier-logit offsets o_j of the labs (kernels/model_api.hpp), from their sourced starting
// shares of API spending (`api_share`), in closed form: a buyer without partner or
// self-hosting spends w_j p_j / sum_k w_k p_k with lab j, w = exp(b K - sigma ln p + o). Labs
// without a share keep o = 0 and together take 1 - sum of the shares; each lab with one gets
// exp(o_j) w_j p_j = share_j / (1 - sum) x sum over the others of w_k p_k. Without such labs,
// or with shares summing to 1 or more, every offset is 0.
std::vector<double> api_offsets(const FirmTable& firms, const std::vector<double>& capability,
                                const ValueChainParams& v) {
  const auto n = static_cast<std::size_t>(firms.size());
  std::vector<double> offset(n, 0.0);
  const double b = v.beta_quality * v.quality_per_capability;
  double others = 0.0;
  double shares = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    if (!(firms.layer_mask[j] & kLayerBitModel) || !firms.alive[j]) continue;
    const double price = firms.api_price[j];
    const double spend =
        std::exp(b * capability[j] - v.api_price_sensitivity * std::log(price)) * price;
    if (firms.api_share[j] >= 0.0) {
      shares += firms.api_share[j];
    } else {
      others += spend;
    }
  }
  if (!(others > 0.0) || shares >= 1.0) return offset;
  for (std::size_t j = 0; j < n; ++j) {
    if (!(firms.layer_mask[j] & kLayerBitModel) || !firms.alive[j] || firms.api_share[j] < 0.0)
      continue;
    if (!(firms.api_share[j] > 0.0)) continue;  // a share of 0 keeps offset 0
    const double price = firms.api_price[j];
    const double log_spend =
        b * capability[j] - v.api_price_sensitivity * std::log(price) + std::log(price);
    offset[j] = std::log(firms.api_share[j] / (1.0 - shares) * others) - log_spend;
  }
  return offset;
}

}  // namespace

MarketSetup make_market_setup(const Config& config, const FirmTable& firms,
                              const CustomerPopulation& customers) {
  const DemandSettings& d = config.demand;
  MarketSetup setup;
  setup.replicates = config.run.replicates;
  setup.customers = config.population.customers;
  setup.firms = firms.size();
  setup.seed = config.run.seed;
  setup.demand = make_demand_params(d);
  setup.customer_segment = customers.segment;
  setup.customer_region = customers.region;
  setup.customers_in_market = customers.customers_in_market;

  const std::size_t n = static_cast<std::size_t>(firms.size());
  setup.quality_term.resize(kSegments * n);
  setup.price_term.resize(kSegments * n);
  setup.service_price.resize(kSegments * n);
  for (std::size_t k = 0; k < kSegments * n; ++k) {
    setup.quality_term[k] = d.beta_quality() * firms.quality[k];
    // The offer before the value chain adds its costs (and all along with frozen firms): what a
    // user pays on average, conversion x list price, nothing passed through yet.
    setup.service_price[k] = revenue_per_user(firms.price[k], 0.0, firms.paid_conversion[k]);
    setup.price_term[k] = price_term(setup.service_price[k], d.reference_price);
  }
  setup.serves = firms.serves;
  // With the utility inversion on, the engine starts without the levers that act on customers'
  // utility at once (home procurement, a closed stack, restricted access to foreign models),
  // and the driver applies the config's whole [scenario] once the utilities are calibrated
  // (src/calibration/rest_point.hpp): those levers then move utilities away from the calibrated
  // rest point instead of being absorbed into it. The other levers (export controls,
  // regulation costs, subsidies, public data, entry boosts) act on utility only through the
  // stocks they change over time, and are in force from the start.
  setup.rest_calibration = config.demand.calibration_rounds > 0;
  ScenarioSettings start_levers = config.scenario;
  if (setup.rest_calibration) {
    start_levers.home_procurement.fill(0.0);
    start_levers.closed_stack.fill(0.0);
    start_levers.global_model_access.fill(1.0);
  }
  const ScenarioUpdate scenario = make_scenario_update(start_levers);
  setup.language_fit = firms.language_fit;
  setup.utility_levers = scenario.utility_levers;
  setup.awareness = firms.awareness;
  assign_initial_customers(config, firms, customers, setup);

  // The value chain.
  setup.frozen = config.firms.frozen;
  setup.value_chain = make_value_chain_params(config);
  const ValueChainParams& v = setup.value_chain;
  const ComputeSettings& k = config.compute;
  const DataSettings& data = config.data;
  const ModelsSettings& m = config.models;

  setup.layer_mask = firms.layer_mask;
  setup.in_house_chips = firms.in_house_chips;
  for (int r : firms.region) setup.firm_region.push_back(static_cast<std::uint8_t>(r));
  for (const std::string& a : firms.archetype)
    setup.firm_archetype.push_back(static_cast<std::uint8_t>(archetype_index(a)));
  setup.open_weights = firms.open_weights;
  setup.model_source = firms.model_source;
  setup.chip_performance = firms.chip_performance;
  setup.cloud_self_use = firms.cloud_self_use;
  setup.cash_flow_funded = firms.cash_flow_funded;
  setup.reinvestment_rate = firms.reinvestment_rate;
  for (const auto& parameter : firms.strategy) {
    setup.strategy.insert(setup.strategy.end(), parameter.begin(), parameter.end());
  }
  setup.adaptation = make_adaptation_params(config.strategy);
  setup.acquisition = make_acquisition_params(config.entry);
  for (std::size_t j = 0; j < n; ++j) {
    if (firms.layer_mask[j] & kLayerBitModel)
      setup.model_developers.push_back(static_cast<std::int32_t>(j));
    if (firms.archetype[j] == "big_tech" && firms.alive[j])
      setup.acquirers.push_back(static_cast<std::int32_t>(j));
  }
  setup.base_quality = firms.quality;
  setup.base_price = firms.price;
  setup.paid_conversion = firms.paid_conversion;
  setup.alive = firms.alive;
  setup.entry = make_entry_params(config);
  for (std::size_t j = 0; j < n; ++j) {
    setup.cash.push_back(static_cast<std::int64_t>(std::llround(firms.cash_musd[j] * 1e6)));
    setup.other_income.push_back(
        static_cast<std::int64_t>(std::llround(firms.other_income_musd[j] * 1e6)));
    // Before the first step a firm's operating cash flow is its outside income alone (no AI
    // revenue has been earned yet): the first budget of a cash-flow firm.
    setup.operating_income.push_back(static_cast<double>(setup.other_income.back()));
    if (firms.open_weights[j]) setup.open_weight_firms.push_back(static_cast<std::int32_t>(j));
    const double flop = firms.training_compute[j];
    const double tokens = firms.data_stock[j] * 1e12;
    double capability = 0.0;
    if (flop > 0.0 && tokens > 0.0) capability = std::max(0.0, model_capability(flop, tokens, v));
    setup.capability.push_back(capability);
  }
  setup.fab_capacity = firms.fab_capacity;
  setup.hbm_capacity = firms.hbm_capacity;
  // Packaging (CoWoS-class) capacity reserved by each accelerator maker at the start: the
  // configured total split by fab capacity (docs/MODEL.md, "Capacity").
  setup.packaging_capacity.assign(n, 0.0);
  if (k.packaging_capacity > 0.0) {
    double fab_total = 0.0;
    for (std::size_t j = 0; j < n; ++j) fab_total += firms.fab_capacity[j];
    if (fab_total > 0.0) {
      for (std::size_t j = 0; j < n; ++j)
        setup.packaging_capacity[j] = k.packaging_capacity * firms.fab_capacity[j] / fab_total;
    }
  }
  setup.capacity_plan_stride = capacity_plan_stride(config);
  setup.installed_compute = firms.installed_compute;
  setup.data_stock = firms.data_stock;
  setup.training_compute = firms.training_compute;
  setup.api_offset = api_offsets(firms, setup.capability, v);

  // Who trades in which market (MODEL.md section 3).
  const double initial_price[kUpstreamMarkets] = {k.hbm_initial_price, k.accelerator_initial_price,
                                                  k.cloud_initial_price, m.api_initial_price,
                                                  data.data_initial_price * kDataUnitTokens};
  for (int market = 0; market < kUpstreamMarkets; ++market) {
    setup.initial_price[market].assign(n, 0.0);
  }
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint8_t mask = firms.layer_mask[j];
    const auto id = static_cast<std::int32_t>(j);
    const bool merchant_chips = (mask & kLayerBitAccelerator) && !firms.in_house_chips[j];
    const bool sells[kUpstreamMarkets] = {
        (mask & kLayerBitHbm) != 0, merchant_chips, (mask & kLayerBitCloud) != 0,
        (mask & kLayerBitModel) != 0, (mask & kSellsDataBit) != 0};
    const bool has_cloud = (mask & kLayerBitCloud) != 0;
    const bool has_service = (mask & kLayerBitService) != 0;
    const bool develops_or_serves = (mask & (kLayerBitModel | kLayerBitService)) != 0;
    const bool buys[kUpstreamMarkets] = {
        (mask & kLayerBitAccelerator) != 0, has_cloud, !has_cloud && develops_or_serves,
        has_service && firms.model_source[j] != kOwnModel, develops_or_serves};
    for (int market = 0; market < kUpstreamMarkets; ++market) {
      if (sells[market]) {
        setup.sellers[market].push_back(id);
        setup.initial_price[market][j] =
            market == kMarketModel ? firms.api_price[j] : initial_price[market];
      }
      if (buys[market]) setup.buyers[market].push_back(id);
    }
  }
  setup.price_floor = {k.hbm_unit_cost,
                       k.accelerator_unit_cost + k.hbm_per_accelerator * k.hbm_unit_cost,
                       k.cloud_operating_cost, 0.0, data.data_unit_cost * kDataUnitTokens};
  setup.export_blocked = scenario.export_blocked;
  setup.levers = scenario.levers;
  for (int g = 0; g < kRegions; ++g)
    setup.entry.region_boost[g] = scenario.entry_boost[static_cast<std::size_t>(g)];
  for (int a = 0; a < kArchetypes; ++a)
    setup.entry.boost_archetype[a] = scenario.entry_boost_archetype[static_cast<std::size_t>(a)];
  return setup;
}

ScenarioUpdate make_scenario_update(const ScenarioSettings& scenario) {
  ScenarioUpdate update;
  // The levers on utility: the customers' choice adds them to each firm's region term
  // (kernels/market_state.hpp, FirmView::region_term), with each replicate's beta_home and
  // beta_language.
  for (int g = 0; g < kRegions; ++g) {
    const auto r = static_cast<std::size_t>(g);
    update.utility_levers.home_procurement[g] = scenario.home_procurement[r];
    update.utility_levers.closed_stack[g] = scenario.closed_stack[r] >= 0.5 ? 1 : 0;
  }
  update.utility_levers.closed_stack_penalty = scenario.closed_stack_penalty;
  for (const auto& [seller, buyer] : scenario.export_controls) {
    update.export_blocked[static_cast<std::size_t>(layout::seller_buyer_region(seller, buyer))] = 1;
  }
  for (int g = 0; g < kRegions; ++g) {
    const auto r = static_cast<std::size_t>(g);
    update.levers.compute_subsidy[g] = scenario.compute_subsidy[r];
    update.levers.rd_subsidy[g] = scenario.rd_subsidy[r];
    update.levers.public_data[g] = scenario.public_data[r];
    update.levers.regulation_cost[g] = scenario.regulation_cost[r] * 1e6;  // USD M -> USD
    update.levers.global_model_access[g] = scenario.global_model_access[r];
    update.levers.closed_stack[g] = scenario.closed_stack[r] >= 0.5 ? 1 : 0;
    update.entry_boost[r] = scenario.entry_boost[r];
  }
  // Boosted entrants come from the archetypes listed (at least 0.5), or from any.
  const bool restricted =
      std::any_of(scenario.entry_boost_archetypes.begin(), scenario.entry_boost_archetypes.end(),
                  [](double v) { return v >= 0.5; });
  for (std::size_t a = 0; a < kArchetypes; ++a) {
    update.entry_boost_archetype[a] =
        !restricted || scenario.entry_boost_archetypes[a] >= 0.5 ? 1 : 0;
  }
  return update;
}

}  // namespace aimarket
