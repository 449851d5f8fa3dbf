// `aimarket compare` (see compare.hpp): scenario expansion and sweeps, the common-random-numbers
// runs, the outcome measures per replicate, their ensemble statistics and paired differences,
// and the three outputs (Markdown table, comparison.csv, comparison.h5 as docs/OUTPUT.md
// describes under "Comparison files").
#include "analysis/compare.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "common/exit_codes.hpp"
#include "common/hdf5_support.hpp"
#include "common/months.hpp"
#include "common/text.hpp"
#include "common/timestamp.hpp"
#include "output/output_path.hpp"
#include "output/output_schema.hpp"
#include "population/population.hpp"
#include "version.hpp"

namespace aimarket::analysis {
namespace {

namespace fs = std::filesystem;
namespace schema = output_schema;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kKorea = "KR";
constexpr const char* kServiceLayerName = "service";

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, ',')) parts.push_back(part);
  if (!text.empty() && text.back() == ',') parts.emplace_back();
  return parts;
}

// Stem of a path made unique among `taken` by "-2", "-3", ...
std::string unique_name(const std::string& base, std::set<std::string>& taken) {
  std::string name = base;
  for (int i = 2; taken.count(name) > 0; ++i) name = base + "-" + std::to_string(i);
  taken.insert(name);
  return name;
}

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

// --- The comparison ----------------------------------------------------------------------

Comparison compare_files(const std::vector<ScenarioFile>& files,
                         const std::vector<std::string>& dates,
                         std::vector<std::string>& warnings) {
  if (files.empty()) throw InputError("nothing to compare: no scenario given");
  std::vector<TrajectoryReader> readers;
  readers.reserve(files.size());
  for (const ScenarioFile& file : files) readers.emplace_back(file.path);

  // The same firms in the same slots: per-firm measures and pairing match firms by slot.
  const TrajectoryInfo& first = readers.front().info();
  for (std::size_t s = 1; s < readers.size(); ++s) {
    const TrajectoryInfo& info = readers[s].info();
    if (info.firm_name == first.firm_name) continue;
    std::string detail;
    if (info.firms() != first.firms()) {
      detail = std::to_string(first.firms()) + " and " + std::to_string(info.firms()) + " firms";
    } else {
      std::size_t f = 0;
      while (info.firm_name[f] == first.firm_name[f]) ++f;
      detail = "firm slot " + std::to_string(f) + " is " + quoted(first.firm_name[f]) +
               " in one and " + quoted(info.firm_name[f]) + " in the other";
    }
    throw InputError(quoted(first.path) + " and " + quoted(info.path) +
                     " come from different firm tables (" + detail +
                     "); compare runs of the same firms");
  }
  for (const TrajectoryReader& reader : readers) {
    const TrajectoryInfo& info = reader.info();
    if (info.step.empty()) throw InputError(quoted(info.path) + ": holds no recorded step");
    if (!info.complete()) {
      warnings.push_back(quoted(info.path) + " is not complete (status: " + quoted(info.status) +
                         "): using its " + std::to_string(info.step.size()) + " recorded steps, " +
                         info.date.front() + " to " + info.date.back());
    }
  }

  Comparison c;
  c.seed = first.seed;
  c.paired = true;
  for (const TrajectoryReader& reader : readers) {
    c.replicates = std::max(c.replicates, reader.info().replicates);
    if (reader.info().seed != first.seed || reader.info().replicates != first.replicates) {
      c.paired = false;
    }
  }
  const std::string reference = files.front().name;
  if (c.paired) {
    c.pairing = "Paired: every scenario ran with seed " + std::to_string(c.seed) +
                " and replicates 0.." + std::to_string(c.replicates - 1) +
                " (common random numbers: replicate r of every scenario draws from the same "
                "Philox streams), so each difference from the reference '" +
                reference + "' is a Student t interval of the per-replicate differences";
  } else {
    std::string seeds;
    for (const TrajectoryReader& reader : readers) {
      seeds += (seeds.empty() ? "" : ", ") + std::to_string(reader.info().seed) + "/" +
               std::to_string(reader.info().replicates);
    }
    c.pairing =
        "Unpaired (Welch): the files do not share seed and replicate count (seed/replicates: " +
        seeds + "), so each difference from the reference '" + reference +
        "' is a Welch t interval of independent samples";
  }

  // Dates.
  if (dates.empty()) {
    for (auto it = first.date.rbegin(); it != first.date.rend() && c.dates.empty(); ++it) {
      const bool everywhere = std::all_of(readers.begin(), readers.end(), [&](const auto& reader) {
        return reader.info().date_index(*it) >= 0;
      });
      if (everywhere) c.dates.push_back(*it);
    }
    if (c.dates.empty()) throw InputError("the files share no recorded date");
  } else {
    for (const std::string& date : dates) {
      for (const TrajectoryReader& reader : readers) {
        const TrajectoryInfo& info = reader.info();
        if (info.date_index(date) < 0) {
          throw InputError("--at " + date + ": " + quoted(info.path) + " did not record " + date +
                           " (it holds " + info.date.front() + " to " + info.date.back() +
                           (info.record_every > 1
                                ? ", every " + std::to_string(info.record_every) + " months"
                                : std::string()) +
                           ")");
        }
      }
    }
    c.dates = dates;
  }

  std::vector<std::vector<MeasureSeries>> measures;
  for (std::size_t s = 0; s < readers.size(); ++s) {
    std::vector<std::string> notes;
    measures.push_back(compute_measures(readers[s], c.dates, notes));
    for (const std::string& note : notes) {
      c.notes.push_back(files[s].name + " (" + files[s].path + ") " + note);
    }
    if (measures[s].size() != measures[0].size()) {
      throw InputError(quoted(files[s].path) + " and " + quoted(files[0].path) +
                       " have different layers or regions");
    }
    for (std::size_t k = 0; k < measures[s].size(); ++k) {
      if (!(measures[s][k].key == measures[0][k].key)) {
        throw InputError(quoted(files[s].path) + " and " + quoted(files[0].path) +
                         " have different layers or regions");
      }
    }
  }

  // leader_share rows only for firms that lead the layer in some replicate of some scenario.
  std::vector<bool> keep(measures[0].size(), true);
  for (std::size_t k = 0; k < keep.size(); ++k) {
    if (!measures[0][k].proportion) continue;
    bool leads = false;
    for (const auto& scenario : measures) {
      for (double v : scenario[k].values) leads = leads || v == 1.0;
    }
    keep[k] = leads;
  }

  for (std::size_t s = 0; s < files.size(); ++s) {
    c.scenario.push_back(files[s].name);
    c.scenario_file.push_back(files[s].path);
    c.scenario_config.push_back(readers[s].info().config);
    c.sweep_values.push_back(files[s].sweep_values);
    for (std::size_t k = 0; k < measures[s].size(); ++k) {
      if (!keep[k]) continue;
      const MeasureSeries& series = measures[s][k];
      ComparisonRow row;
      row.scenario = files[s].name;
      row.key = series.key;
      row.step = series.step;
      row.values = series.values;
      row.values.resize(static_cast<std::size_t>(c.replicates), kNaN);
      row.summary = summarize(series.values, kConfidenceLevel);
      if (series.proportion) {
        const auto successes =
            static_cast<std::int64_t>(std::count(series.values.begin(), series.values.end(), 1.0));
        const ProportionInterval wilson =
            wilson_interval(successes, row.summary.n, kConfidenceLevel);
        row.summary.ci_low = wilson.low;
        row.summary.ci_high = wilson.high;
      }
      if (s > 0) {
        const std::vector<double>& ref = measures[0][k].values;
        row.difference = c.paired ? paired_difference(ref, series.values, kConfidenceLevel)
                                  : welch_difference(ref, series.values, kConfidenceLevel);
      }
      c.rows.push_back(std::move(row));
    }
  }
  return c;
}

// --- Output --------------------------------------------------------------------------------

namespace {

std::string format_number(double value) {
  if (std::isnan(value)) return "nan";
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

std::string format_interval(const Summary& s) {
  if (s.n == 0 || std::isnan(s.mean)) return "n/a";
  std::string cell = format_number(s.mean);
  if (!std::isnan(s.ci_low))
    cell += " [" + format_number(s.ci_low) + ", " + format_number(s.ci_high) + "]";
  return cell;
}

std::string markdown_escape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string csv_number(double value) {
  if (std::isnan(value)) return "nan";
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace

std::string markdown_table(const Comparison& c) {
  const std::size_t scenarios = c.scenario.size();
  const std::size_t per_scenario = scenarios > 0 ? c.rows.size() / scenarios : 0;
  std::ostringstream out;
  out << "| measure | layer | firm | date |";
  for (std::size_t s = 0; s < scenarios; ++s) {
    out << ' ' << markdown_escape(c.scenario[s]) << (s == 0 ? " (reference)" : "") << " |";
    if (s > 0) out << " \xCE\x94 " << markdown_escape(c.scenario[s]) << " |";  // Δ
  }
  out << "\n|---|---|---|---|";
  for (std::size_t s = 0; s < scenarios; ++s) out << (s == 0 ? "---|" : "---|---|");
  out << '\n';
  for (std::size_t k = 0; k < per_scenario; ++k) {
    const ComparisonRow& head = c.rows[k];
    out << "| " << head.key.measure << " | " << head.key.layer << " | "
        << markdown_escape(head.key.firm) << " | " << head.key.date << " |";
    for (std::size_t s = 0; s < scenarios; ++s) {
      const ComparisonRow& row = c.rows[s * per_scenario + k];
      out << ' ' << format_interval(row.summary) << " |";
      if (s > 0) out << ' ' << format_interval(row.difference) << " |";
    }
    out << '\n';
  }
  out << "\nEach cell: mean [95% confidence interval] over " << c.replicates
      << " replicates: Student t with n-1 degrees of freedom; leader_share (the share of "
         "replicates in which the firm has the layer's largest market share) has a Wilson "
         "score interval.\n";
  out << "\xCE\x94: difference from the reference '" << (scenarios > 0 ? c.scenario[0] : "")
      << "'. " << c.pairing << ".\n";
  out << "kr_customer_price and kr_customer_quality weight each firm's service price and quality "
         "(means over its segments) by its Korean customers: an approximation that ignores the "
         "Korean customers' own segment mix. n/a: not available (see notes).\n";
  for (const std::string& note : c.notes) out << "Note: " << note << ".\n";
  return out.str();
}

void write_comparison_csv(const Comparison& c, const std::string& path) {
  std::ostringstream out;
  out << "scenario,measure,layer,region,firm,date,step,n,mean,sd,ci_low,ci_high,diff_mean,"
         "diff_ci_low,diff_ci_high\n";
  for (const ComparisonRow& row : c.rows) {
    out << csv_field(row.scenario) << ',' << csv_field(row.key.measure) << ','
        << csv_field(row.key.layer) << ',' << csv_field(row.key.region) << ','
        << csv_field(row.key.firm) << ',' << csv_field(row.key.date) << ',' << row.step << ','
        << row.summary.n << ',' << csv_number(row.summary.mean) << ',' << csv_number(row.summary.sd)
        << ',' << csv_number(row.summary.ci_low) << ',' << csv_number(row.summary.ci_high) << ','
        << csv_number(row.difference.mean) << ',' << csv_number(row.difference.ci_low) << ','
        << csv_number(row.difference.ci_high) << '\n';
  }
  // Under a temporary name, then renamed over any earlier comparison (run_compare has checked
  // that it may be replaced).
  write_output_file(path, out.str(), /*overwrite=*/true, "comparison file");
}

namespace {

// Writes comparison.h5 through the HDF5 C API, under `pending`'s temporary name; failures
// name the file and the object.
class ComparisonFile {
 public:
  explicit ComparisonFile(PendingOutputFile& pending) : path_(pending.path()) {
    hdf5::Handle fcpl(check(H5Pcreate(H5P_FILE_CREATE), "creating properties"), H5Pclose);
    constexpr unsigned kTrackOrder = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    check(H5Pset_link_creation_order(fcpl.get(), kTrackOrder), "setting link creation order");
    check(H5Pset_attr_creation_order(fcpl.get(), kTrackOrder), "setting attribute creation order");
    ::close(pending.create_temporary());  // exclusively: ours to remove on failure
    file_ = hdf5::Handle(
        check(H5Fcreate(pending.temporary_path().c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT),
              "creating the file"),
        H5Fclose);
  }
  // A file not closed by close() is abandoned after a failure: closed without writing more
  // (a failed closing flush would leave HDF5 an identifier it crashes on at exit).
  ~ComparisonFile() {
    if (file_.valid()) hdf5::detach_from_disk(file_.get());
  }
  ComparisonFile(const ComparisonFile&) = delete;
  ComparisonFile& operator=(const ComparisonFile&) = delete;

  hid_t root() const { return file_.get(); }

  hdf5::Handle group(const char* name) {
    hdf5::Handle gcpl(check(H5Pcreate(H5P_GROUP_CREATE), "creating properties"), H5Pclose);
    check(H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          "setting link creation order");
    return hdf5::Handle(check(H5Gcreate2(file_.get(), name, H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                              std::string("creating group ") + quoted(name)),
                        H5Gclose);
  }

  void attribute(const char* name, const std::string& value) {
    hdf5::Handle type = hdf5::utf8_string_type();
    const char* text = value.c_str();
    write_attribute(name, type.get(), type.get(), &text);
  }
  void attribute(const char* name, std::int64_t value) {
    write_attribute(name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
  }
  void attribute(const char* name, std::uint64_t value) {
    write_attribute(name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
  }
  void attribute(const char* name, double value) {
    write_attribute(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
  }

  // A string dataset of the given dims from row-major `values`.
  void strings(hid_t location, const char* name, const std::vector<hsize_t>& dims,
               const std::vector<std::string>& values) {
    hdf5::Handle type = hdf5::utf8_string_type();
    std::vector<const char*> texts;
    texts.reserve(values.size());
    for (const std::string& v : values) texts.push_back(v.c_str());
    dataset(location, name, dims, type.get(), type.get(), texts.data());
  }
  void int64s(hid_t location, const char* name, const std::vector<std::int64_t>& values) {
    dataset(location, name, {values.size()}, H5T_STD_I64LE, H5T_NATIVE_INT64, values.data());
  }
  void doubles(hid_t location, const char* name, const std::vector<hsize_t>& dims,
               const std::vector<double>& values) {
    dataset(location, name, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data());
  }

  void close() {
    if (file_.reset() < 0) fail("closing the file");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("comparison file " + quoted(path_) + ": " + what + " failed" +
                             hdf5::failure_cause());
  }
  hid_t check(hid_t id, const std::string& what) const {
    if (id < 0) fail(what);
    return id;
  }

  void write_attribute(const char* name, hid_t file_type, hid_t memory_type, const void* value) {
    const std::string what = std::string("writing attribute ") + quoted(name);
    hdf5::Handle space(check(H5Screate(H5S_SCALAR), what), H5Sclose);
    hdf5::Handle attr(
        check(H5Acreate2(file_.get(), name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              what),
        H5Aclose);
    check(H5Awrite(attr.get(), memory_type, value), what);
  }

  void dataset(hid_t location, const char* name, const std::vector<hsize_t>& dims, hid_t file_type,
               hid_t memory_type, const void* values) {
    const std::string what = std::string("writing dataset ") + quoted(name);
    hdf5::Handle space(
        check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), what),
        H5Sclose);
    hdf5::Handle set(check(H5Dcreate2(location, name, file_type, space.get(), H5P_DEFAULT,
                                      H5P_DEFAULT, H5P_DEFAULT),
                           what),
                     H5Dclose);
    hsize_t total = 1;
    for (hsize_t d : dims) total *= d;
    if (total > 0) {
      check(H5Dwrite(set.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), what);
    }
  }

  std::string path_;
  hdf5::Handle file_;
};

}  // namespace

void write_comparison_h5(const Comparison& c, const std::string& path, bool overwrite) {
  const hdf5::QuietErrors quiet;
  // Declared before the file, so that a failure closes the file before removing it.
  PendingOutputFile pending(path, overwrite, "comparison file");
  ComparisonFile file(pending);
  file.attribute("title", std::string("aimarket comparison"));
  file.attribute("program_version", std::string(kProgramVersion));
  file.attribute("created", utc_now_iso8601());
  file.attribute("common_random_numbers", std::int64_t{c.paired ? 1 : 0});
  file.attribute("pairing", c.pairing);
  file.attribute("seed", c.seed);
  file.attribute("replicates", c.replicates);
  file.attribute("reference", c.scenario.empty() ? std::string() : c.scenario.front());
  file.attribute("confidence_level", kConfidenceLevel);
  if (!c.command.empty()) file.attribute("command", c.command);

  const hsize_t scenarios = c.scenario.size();
  file.strings(file.root(), "scenario", {scenarios}, c.scenario);
  file.strings(file.root(), "scenario_file", {scenarios}, c.scenario_file);
  file.strings(file.root(), "scenario_config", {scenarios}, c.scenario_config);

  {
    hdf5::Handle table = file.group("table");
    const hsize_t n = c.rows.size();
    const auto column = [&](auto&& field) {
      std::vector<std::string> values;
      values.reserve(c.rows.size());
      for (const ComparisonRow& row : c.rows) values.push_back(field(row));
      return values;
    };
    const auto numbers = [&](auto&& field) {
      std::vector<double> values;
      values.reserve(c.rows.size());
      for (const ComparisonRow& row : c.rows) values.push_back(field(row));
      return values;
    };
    const hid_t t = table.get();
    file.strings(t, "scenario", {n}, column([](const ComparisonRow& r) { return r.scenario; }));
    file.strings(t, "measure", {n}, column([](const ComparisonRow& r) { return r.key.measure; }));
    file.strings(t, "layer", {n}, column([](const ComparisonRow& r) { return r.key.layer; }));
    file.strings(t, "region", {n}, column([](const ComparisonRow& r) { return r.key.region; }));
    file.strings(t, "firm", {n}, column([](const ComparisonRow& r) { return r.key.firm; }));
    file.strings(t, "date", {n}, column([](const ComparisonRow& r) { return r.key.date; }));
    std::vector<std::int64_t> steps, counts;
    for (const ComparisonRow& row : c.rows) {
      steps.push_back(row.step);
      counts.push_back(row.summary.n);
    }
    file.int64s(t, "step", steps);
    file.int64s(t, "n", counts);
    file.doubles(t, "mean", {n}, numbers([](const ComparisonRow& r) { return r.summary.mean; }));
    file.doubles(t, "sd", {n}, numbers([](const ComparisonRow& r) { return r.summary.sd; }));
    file.doubles(t, "ci_low", {n},
                 numbers([](const ComparisonRow& r) { return r.summary.ci_low; }));
    file.doubles(t, "ci_high", {n},
                 numbers([](const ComparisonRow& r) { return r.summary.ci_high; }));
    file.doubles(t, "diff_mean", {n},
                 numbers([](const ComparisonRow& r) { return r.difference.mean; }));
    file.doubles(t, "diff_ci_low", {n},
                 numbers([](const ComparisonRow& r) { return r.difference.ci_low; }));
    file.doubles(t, "diff_ci_high", {n},
                 numbers([](const ComparisonRow& r) { return r.difference.ci_high; }));
    const hsize_t replicates = static_cast<hsize_t>(c.replicates);
    std::vector<double> values;
    values.reserve(n * replicates);
    for (const ComparisonRow& row : c.rows) {
      for (hsize_t r = 0; r < replicates; ++r) {
        values.push_back(r < row.values.size() ? row.values[r] : kNaN);
      }
    }
    file.doubles(t, "values", {n, replicates}, values);
  }

  if (!c.sweep_keys.empty()) {
    hdf5::Handle sweep = file.group("sweep");
    const hsize_t keys = c.sweep_keys.size();
    file.strings(sweep.get(), "keys", {keys}, c.sweep_keys);
    std::vector<std::string> values;
    for (const auto& scenario_values : c.sweep_values) {
      for (hsize_t k = 0; k < keys; ++k) {
        values.push_back(k < scenario_values.size() ? scenario_values[k] : std::string());
      }
    }
    file.strings(sweep.get(), "values", {scenarios, keys}, values);
  }
  file.close();
  pending.commit();
}

// --- Scenarios and sweeps ------------------------------------------------------------------

SweepAxis parse_sweep(const std::string& option) {
  SweepAxis axis;
  axis.origin = "--sweep " + option;
  const auto equals = option.find('=');
  if (equals == std::string::npos || trim(option.substr(0, equals)).empty()) {
    throw InputError(axis.origin + ": expected key=value1,value2,...");
  }
  axis.key = trim(option.substr(0, equals));
  const std::string list = option.substr(equals + 1);
  // Split at commas outside quotes, braces and brackets.
  std::string current;
  int depth = 0;
  char quote = '\0';
  for (char ch : list) {
    if (quote != '\0') {
      if (ch == quote) quote = '\0';
    } else if (ch == '"' || ch == '\'') {
      quote = ch;
    } else if (ch == '{' || ch == '[') {
      ++depth;
    } else if (ch == '}' || ch == ']') {
      --depth;
    } else if (ch == ',' && depth == 0) {
      axis.values.push_back(trim(current));
      current.clear();
      continue;
    }
    current += ch;
  }
  axis.values.push_back(trim(current));
  for (const std::string& value : axis.values) {
    if (value.empty()) throw InputError(axis.origin + ": an empty value in the list");
  }
  std::set<std::string> distinct(axis.values.begin(), axis.values.end());
  if (distinct.size() != axis.values.size()) {
    throw InputError(axis.origin + ": a value is listed twice");
  }
  for (const char* fixed : {"run.seed", "run.replicates", "run.steps"}) {
    if (axis.key == fixed) {
      throw InputError(axis.origin + ": " + fixed +
                       " is common to every scenario (common random numbers); set it with --" +
                       std::string(fixed).substr(4) + " instead");
    }
  }
  return axis;
}

std::vector<ScenarioSpec> expand_scenarios(const std::vector<std::string>& config_paths,
                                           const std::vector<SweepAxis>& sweeps) {
  std::set<std::string> taken_stems;
  std::set<std::string> seen_keys;
  for (const SweepAxis& axis : sweeps) {
    if (!seen_keys.insert(axis.key).second) {
      throw InputError(axis.origin + ": " + axis.key + " is swept twice");
    }
  }
  std::vector<ScenarioSpec> out;
  for (const std::string& path : config_paths) {
    const std::string stem = unique_name(fs::path(path).stem().string(), taken_stems);
    // The full grid, as mixed-radix counting: the last sweep varies fastest.
    std::size_t points = 1;
    for (const SweepAxis& axis : sweeps) points *= axis.values.size();
    for (std::size_t point = 0; point < points; ++point) {
      std::vector<std::size_t> position(sweeps.size());
      std::size_t rest = point;
      for (std::size_t k = sweeps.size(); k-- > 0;) {
        position[k] = rest % sweeps[k].values.size();
        rest /= sweeps[k].values.size();
      }
      ScenarioSpec spec;
      spec.config_path = path;
      spec.name = stem;
      std::string label;
      for (std::size_t k = 0; k < sweeps.size(); ++k) {
        const std::string& value = sweeps[k].values[position[k]];
        spec.sweep_overrides.push_back({sweeps[k].key + "=" + value, sweeps[k].origin});
        spec.sweep_values.push_back(value);
        label += (k == 0 ? "" : ",") + sweeps[k].key + "=" + value;
      }
      if (!sweeps.empty()) spec.name += "[" + label + "]";
      out.push_back(std::move(spec));
    }
  }
  return out;
}

std::string scenario_file_stem(const std::string& name) {
  std::string out;
  for (char ch : name) {
    const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                       (ch >= '0' && ch <= '9') ||
                       std::string("._,=+[]-").find(ch) != std::string::npos;
    out += plain ? ch : '_';
  }
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out;
}

// --- The command ---------------------------------------------------------------------------

namespace {

void print_lines(const char* prefix, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) std::fprintf(stderr, "%s%s\n", prefix, line.c_str());
}

int bad_input(const std::string& message) {
  std::fprintf(stderr, "aimarket compare: %s\n", message.c_str());
  return kExitBadInput;
}

// What forbids writing the outputs, or "": an output that is one of the inputs, or one that
// may not be written (check_output_path: an existing file without overwrite, anything but a
// regular file). Outputs in folders still to be created cannot exist yet.
std::string output_problem(const std::vector<std::string>& outputs,
                           const std::vector<std::string>& inputs, bool overwrite) {
  for (const std::string& path : outputs) {
    const std::string input = same_file_as_output(path, inputs);
    if (!input.empty()) {
      return "output file " + quoted(path) + " is " + quoted(input) +
             ", an input of this comparison; it is never replaced: choose another --out-dir";
    }
    std::error_code ec;
    if (!fs::is_directory(fs::path(path).parent_path(), ec)) continue;
    try {
      check_output_path(path, overwrite);
    } catch (const OutputPathError& e) {
      return e.what();
    }
  }
  return "";
}

int write_and_print(const Comparison& comparison, const std::string& out_dir, bool overwrite) {
  const std::string csv = (fs::path(out_dir) / "comparison.csv").string();
  const std::string h5 = (fs::path(out_dir) / "comparison.h5").string();
  try {
    write_comparison_csv(comparison, csv);
    write_comparison_h5(comparison, h5, overwrite);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aimarket compare: %s\n", e.what());
    return kExitRunFailed;
  }
  std::fputs(markdown_table(comparison).c_str(), stdout);
  std::printf("\nWrote %s and %s.\n", csv.c_str(), h5.c_str());
  std::fflush(stdout);
  return kExitSuccess;
}

}  // namespace

int run_compare(const CompareOptions& options) {
  if (options.inputs.empty()) return bad_input("give configs or trajectory files to compare");
  std::error_code ec;
  std::size_t trajectories = 0;
  for (const std::string& input : options.inputs) {
    if (!fs::exists(input, ec)) return bad_input(quoted(input) + ": no such file");
    if (fs::is_directory(input, ec)) return bad_input(quoted(input) + ": is a folder, not a file");
    if (is_trajectory_path(input)) ++trajectories;
  }
  if (trajectories != 0 && trajectories != options.inputs.size()) {
    return bad_input("give either configs (to run) or trajectory files (.h5), not both");
  }
  std::vector<std::string> dates;
  if (!options.at.empty()) {
    for (const std::string& part : split_commas(options.at)) {
      const std::string date = trim(part);
      if (!parse_month(date)) {
        return bad_input("--at " + options.at + ": " + quoted(date) + " is not a month YYYY-MM");
      }
      if (std::find(dates.begin(), dates.end(), date) == dates.end()) dates.push_back(date);
    }
  }
  const fs::path out_dir(options.out_dir);
  try {
    check_output_folder(options.out_dir, "--out-dir");
  } catch (const OutputPathError& e) {
    return bad_input(e.what());
  }
  std::vector<std::string> outputs = {(out_dir / "comparison.csv").string(),
                                      (out_dir / "comparison.h5").string()};

  std::vector<ScenarioFile> files;
  std::vector<std::string> sweep_keys;
  try {
    if (trajectories > 0) {
      // Already-written runs: nothing to configure.
      for (const auto& [given, option] :
           {std::pair{!options.set.empty(), "--set"}, std::pair{!options.sweeps.empty(), "--sweep"},
            std::pair{!options.seed.empty(), "--seed"},
            std::pair{!options.replicates.empty(), "--replicates"},
            std::pair{!options.steps.empty(), "--steps"}}) {
        if (given) {
          return bad_input(std::string(option) +
                           " applies to configs; the inputs are trajectory files, already run");
        }
      }
      std::set<std::string> taken;
      for (const std::string& input : options.inputs) {
        files.push_back({unique_name(fs::path(input).stem().string(), taken), input, {}});
      }
      const std::string problem = output_problem(outputs, options.inputs, options.overwrite);
      if (!problem.empty()) return bad_input(problem);
      std::vector<std::string> warnings;
      Comparison comparison = compare_files(files, dates, warnings);
      comparison.command = options.command_line;
      print_lines("aimarket compare: warning: ", warnings);
      fs::create_directories(out_dir, ec);
      if (ec) return bad_input("--out-dir " + options.out_dir + ": " + ec.message());
      return write_and_print(comparison, options.out_dir, options.overwrite);
    }

    // Configs: every scenario runs with the first config's seed, replicates and steps.
    std::vector<SweepAxis> sweeps;
    for (const std::string& sweep : options.sweeps) {
      sweeps.push_back(parse_sweep(sweep));
      sweep_keys.push_back(sweeps.back().key);
    }
    std::vector<ConfigOverride> common;
    for (const std::string& s : options.set) common.push_back({s, "--set " + s});
    if (!options.steps.empty())
      common.push_back({"run.steps=" + options.steps, "--steps " + options.steps});
    if (!options.replicates.empty()) {
      common.push_back(
          {"run.replicates=" + options.replicates, "--replicates " + options.replicates});
    }
    if (!options.seed.empty())
      common.push_back({"run.seed=" + options.seed, "--seed " + options.seed});

    const std::vector<ScenarioSpec> specs = expand_scenarios(options.inputs, sweeps);
    Config first;
    try {
      first = load_config(options.inputs.front(), common);
    } catch (const ConfigError& e) {
      std::fprintf(stderr, "aimarket compare: the configuration %s is invalid:\n%s\n",
                   options.inputs.front().c_str(), e.what());
      return kExitBadInput;
    }
    const std::string crn_origin = "common random numbers (as " + options.inputs.front() +
                                   " after --set/--seed/--replicates/--steps)";
    const std::vector<ConfigOverride> crn = {
        {"run.seed=" + std::to_string(first.run.seed), crn_origin},
        {"run.replicates=" + std::to_string(first.run.replicates), crn_origin},
        {"run.steps=" + std::to_string(first.run.steps), crn_origin}};

    std::vector<Config> configs;
    std::vector<std::string> names;
    for (const ScenarioSpec& spec : specs) {
      std::vector<ConfigOverride> overrides = common;
      overrides.insert(overrides.end(), spec.sweep_overrides.begin(), spec.sweep_overrides.end());
      overrides.insert(overrides.end(), crn.begin(), crn.end());
      try {
        configs.push_back(load_config(spec.config_path, overrides));
      } catch (const ConfigError& e) {
        std::fprintf(stderr, "aimarket compare: scenario '%s': the configuration is invalid:\n%s\n",
                     spec.name.c_str(), e.what());
        return kExitBadInput;
      }
      names.push_back(spec.name);
    }

    // The same firms in the same slots in every scenario (see compare_files).
    const std::vector<std::string> first_firms = build_firm_table(configs.front()).name;
    for (std::size_t s = 1; s < configs.size(); ++s) {
      const std::vector<std::string> firms = build_firm_table(configs[s]).name;
      if (firms != first_firms) {
        return bad_input("scenarios '" + names.front() + "' and '" + names[s] +
                         "' have different firm tables (" + std::to_string(first_firms.size()) +
                         " and " + std::to_string(firms.size()) +
                         " firms, or other names); compare scenarios of the same firms");
      }
    }
    // Every --at date must be a recorded step of every scenario.
    for (const std::string& date : dates) {
      for (std::size_t s = 0; s < configs.size(); ++s) {
        const RunSettings& run = configs[s].run;
        const std::int64_t step = month_index(date) - month_index(run.start);
        if (step < 0 || step >= run.steps || !is_recorded_step(step, run.record_every, run.steps)) {
          return bad_input("--at " + date + ": scenario '" + names[s] + "' does not record " +
                           date + " (it runs " + run.start + " to " +
                           format_month(month_index(run.start) + run.steps - 1) +
                           (run.record_every > 1 ? ", recording every " +
                                                       std::to_string(run.record_every) + " months"
                                                 : std::string()) +
                           ")");
        }
      }
    }

    const fs::path runs_dir = out_dir / "runs";
    std::set<std::string> taken;
    for (std::size_t s = 0; s < specs.size(); ++s) {
      const std::string stem = unique_name(scenario_file_stem(names[s]), taken);
      const std::string path = (runs_dir / (stem + ".h5")).string();
      files.push_back({names[s], path, specs[s].sweep_values});
      outputs.push_back(path);
    }
    // Every config read (bases included) is an input the outputs must not replace.
    std::vector<std::string> inputs = options.inputs;
    for (const Config& config : configs) {
      inputs.insert(inputs.end(), config.source_files.begin(), config.source_files.end());
    }
    const std::string problem = output_problem(outputs, inputs, options.overwrite);
    if (!problem.empty()) return bad_input(problem);
    fs::create_directories(runs_dir, ec);
    if (ec) return bad_input("--out-dir " + options.out_dir + ": " + ec.message());

    for (std::size_t s = 0; s < configs.size(); ++s) {
      std::fprintf(stderr, "aimarket compare: scenario %zu/%zu '%s' -> %s\n", s + 1, configs.size(),
                   names[s].c_str(), files[s].path.c_str());
      RunOptions run;
      run.out_path = files[s].path;
      run.overwrite = options.overwrite;
      run.backend = options.backend;
      run.threads = options.threads;
      run.progress = options.progress;
      try {
        const RunSummary summary = run_simulation(configs[s], run);
        if (summary.interrupted) {
          std::fprintf(stderr,
                       "aimarket compare: interrupted during scenario '%s' after step %lld; "
                       "nothing compared\n",
                       names[s].c_str(), static_cast<long long>(summary.steps_done));
          return kExitInterrupted;
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "aimarket compare: scenario '%s' failed: %s\n", names[s].c_str(),
                     e.what());
        return kExitRunFailed;
      }
    }

    std::vector<std::string> warnings;
    Comparison comparison = compare_files(files, dates, warnings);
    comparison.sweep_keys = sweep_keys;
    comparison.command = options.command_line;
    print_lines("aimarket compare: warning: ", warnings);
    return write_and_print(comparison, options.out_dir, options.overwrite);
  } catch (const InputError& e) {
    return bad_input(e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aimarket compare: %s\n", e.what());
    return kExitRunFailed;
  }
}

}  // namespace aimarket::analysis
