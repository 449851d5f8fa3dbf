// The outcome measures of `aimarket compare` (see compare.hpp): what is computed from one
// trajectory file, per replicate and recorded step.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analysis/compare.hpp"
#include "analysis/compare_internal.hpp"
#include "common/text.hpp"
#include "output/output_schema.hpp"

namespace aimarket::analysis {
namespace {

namespace schema = output_schema;

constexpr const char* kKorea = "KR";
constexpr const char* kServiceLayerName = "service";

// --- Reading a step's arrays -----------------------------------------------------------------

// A data variable at one step with the inner dimensions checked.
std::vector<double> read_checked(const TrajectoryReader& file, const std::string& name,
                                 std::int64_t index, const std::vector<std::size_t>& inner) {
  std::vector<std::size_t> actual;
  std::vector<double> values = file.read_step(name, index, &actual);
  if (actual != inner) {
    throw InputError(quoted(file.info().path) + ": dataset " + quoted(name) +
                     " does not have the dimensions of an aimarket trajectory of its firm table");
  }
  return values;
}

// Everything the measures read at one recorded step, [replicate][...] row-major.
struct StepArrays {
  std::vector<double> region_share, revenue_share, market_share, hhi, layer_units, layer_revenue,
      alive, price, region_customers, service_quality;
};

}  // namespace

// --- Per-replicate measures ----------------------------------------------------------------

double sum_over_firms(const double* values, const std::vector<bool>& in_region) {
  double total = 0.0;
  for (std::size_t f = 0; f < in_region.size(); ++f) {
    if (in_region[f]) total += values[f];
  }
  return total;
}

double home_provider_share(const double* customers, const std::vector<bool>& in_region) {
  double home = 0.0;
  double all = 0.0;
  for (std::size_t f = 0; f < in_region.size(); ++f) {
    all += customers[f];
    if (in_region[f]) home += customers[f];
  }
  return all > 0.0 ? home / all : kNaN;
}

double survival_fraction(const double* alive_first, const double* alive_now,
                         const std::vector<bool>& in_region) {
  std::int64_t at_start = 0;
  std::int64_t still = 0;
  for (std::size_t f = 0; f < in_region.size(); ++f) {
    if (!in_region[f] || alive_first[f] == 0.0) continue;
    ++at_start;
    if (alive_now[f] != 0.0) ++still;
  }
  return at_start > 0 ? static_cast<double>(still) / static_cast<double>(at_start) : kNaN;
}

std::int64_t leading_firm(const double* market_share, std::size_t firms) {
  std::int64_t leader = -1;
  double best = 0.0;
  for (std::size_t f = 0; f < firms; ++f) {
    if (market_share[f] > best) {
      best = market_share[f];
      leader = static_cast<std::int64_t>(f);
    }
  }
  return leader;
}

double weighted_mean(const double* weights, const double* values, std::size_t firms) {
  long double weighted = 0.0L;
  long double total = 0.0L;
  for (std::size_t f = 0; f < firms; ++f) {
    if (!(weights[f] > 0.0) || !std::isfinite(values[f])) continue;
    weighted += static_cast<long double>(weights[f]) * values[f];
    total += weights[f];
  }
  return total > 0.0L ? static_cast<double>(weighted / total) : kNaN;
}

bool MeasureKey::operator==(const MeasureKey& other) const {
  return measure == other.measure && layer == other.layer && region == other.region &&
         firm == other.firm && date == other.date;
}

std::vector<MeasureSeries> compute_measures(const TrajectoryReader& file,
                                            const std::vector<std::string>& dates,
                                            std::vector<std::string>& notes) {
  const TrajectoryInfo& info = file.info();
  const std::size_t replicates = static_cast<std::size_t>(info.replicates);
  const std::size_t firms = info.firms();
  const std::size_t layers = info.layer.size();
  const std::size_t regions = info.region.size();
  const std::size_t korea = info.region_index(kKorea);
  const std::size_t service = info.layer_index(kServiceLayerName);
  std::vector<bool> korean(firms);
  for (std::size_t f = 0; f < firms; ++f) korean[f] = info.firm_region[f] == kKorea;

  const bool has_region_customers = file.has(kRegionCustomersVariable);
  const bool has_service_quality = file.has(kServiceQualityVariable);
  if (!has_region_customers) {
    notes.push_back(std::string("does not record '") + kRegionCustomersVariable +
                    "': " + kKrShareKorea + ", " + kKrCustomerPrice + " and " + kKrCustomerQuality +
                    " are unavailable");
  } else if (!has_service_quality) {
    notes.push_back(std::string("does not record '") + kServiceQualityVariable +
                    "': " + kKrCustomerQuality + " is unavailable");
  }
  if (info.step.empty()) throw InputError(quoted(info.path) + ": holds no recorded step");
  const std::vector<double> alive_first = read_checked(file, schema::kAlive.name, 0, {firms});

  std::vector<MeasureSeries> out;
  for (const std::string& date : dates) {
    const std::int64_t index = info.date_index(date);
    if (index < 0) {
      throw InputError(quoted(info.path) + ": did not record " + date);
    }
    const std::int64_t step = info.step[static_cast<std::size_t>(index)];
    StepArrays a;
    a.region_share = read_checked(file, schema::kRegionShare.name, index, {layers, regions});
    a.revenue_share = read_checked(file, schema::kRevenueShare.name, index, {layers, firms});
    a.market_share = read_checked(file, schema::kMarketShare.name, index, {layers, firms});
    a.hhi = read_checked(file, schema::kHhi.name, index, {layers});
    a.layer_units = read_checked(file, schema::kLayerUnits.name, index, {layers});
    a.layer_revenue = read_checked(file, schema::kLayerRevenue.name, index, {layers});
    // Survival means alive at every recorded step up to the date: a slot whose firm exited and
    // an entrant then revived does not count as a survivor.
    a.alive = read_checked(file, schema::kAlive.name, 0, {firms});
    for (std::int64_t k = 1; k <= index; ++k) {
      const std::vector<double> alive_k = read_checked(file, schema::kAlive.name, k, {firms});
      for (std::size_t f = 0; f < a.alive.size(); ++f)
        a.alive[f] = std::min(a.alive[f], alive_k[f]);
    }
    a.price = read_checked(file, schema::kPrice.name, index, {layers, firms});
    if (has_region_customers) {
      a.region_customers = read_checked(file, kRegionCustomersVariable, index, {regions, firms});
    }
    if (has_service_quality) {
      a.service_quality = read_checked(file, kServiceQualityVariable, index, {firms});
    }

    const auto add = [&](const char* measure, const std::string& layer, const std::string& region,
                         const std::string& firm, auto&& value_of) {
      MeasureSeries series;
      series.key = MeasureKey{measure, layer, region, firm, date};
      series.step = step;
      series.values.resize(replicates);
      for (std::size_t r = 0; r < replicates; ++r) series.values[r] = value_of(r);
      out.push_back(std::move(series));
      return &out.back();
    };
    // A layer's shares and HHI are undefined in a replicate where it had no trade (the file
    // stores 0 there).
    const auto traded = [&](std::size_t r, std::size_t l) {
      return a.layer_units[r * layers + l] > 0.0;
    };

    for (std::size_t l = 0; l < layers; ++l) {
      add(kKrShareWorld, info.layer[l], kKorea, "", [&](std::size_t r) {
        return traded(r, l) ? a.region_share[(r * layers + l) * regions + korea] : kNaN;
      });
    }
    for (std::size_t l = 0; l < layers; ++l) {
      add(kKrRevenueShareWorld, info.layer[l], kKorea, "", [&](std::size_t r) {
        return a.layer_revenue[r * layers + l] > 0.0
                   ? sum_over_firms(&a.revenue_share[(r * layers + l) * firms], korean)
                   : kNaN;
      });
    }
    add(kKrShareKorea, kServiceLayerName, kKorea, "", [&](std::size_t r) {
      return has_region_customers
                 ? home_provider_share(&a.region_customers[(r * regions + korea) * firms], korean)
                 : kNaN;
    });
    for (std::size_t l = 0; l < layers; ++l) {
      add(kHhi, info.layer[l], "", "",
          [&](std::size_t r) { return traded(r, l) ? a.hhi[r * layers + l] : kNaN; });
    }
    add(kKrSurvival, "", kKorea, "", [&](std::size_t r) {
      return survival_fraction(&alive_first[r * firms], &a.alive[r * firms], korean);
    });
    for (std::size_t l = 0; l < layers; ++l) {
      std::vector<std::int64_t> leader(replicates);
      for (std::size_t r = 0; r < replicates; ++r) {
        leader[r] = leading_firm(&a.market_share[(r * layers + l) * firms], firms);
      }
      for (std::size_t f = 0; f < firms; ++f) {
        MeasureSeries* series =
            add(kLeaderShare, info.layer[l], "", info.firm_name[f], [&](std::size_t r) {
              if (leader[r] < 0) return kNaN;
              return leader[r] == static_cast<std::int64_t>(f) ? 1.0 : 0.0;
            });
        series->proportion = true;
      }
    }
    add(kKrCustomerPrice, kServiceLayerName, kKorea, "", [&](std::size_t r) {
      if (!has_region_customers) return kNaN;
      return weighted_mean(&a.region_customers[(r * regions + korea) * firms],
                           &a.price[(r * layers + service) * firms], firms);
    });
    add(kKrCustomerQuality, kServiceLayerName, kKorea, "", [&](std::size_t r) {
      if (!has_region_customers || !has_service_quality) return kNaN;
      return weighted_mean(&a.region_customers[(r * regions + korea) * firms],
                           &a.service_quality[r * firms], firms);
    });
  }
  return out;
}

}  // namespace aimarket::analysis
