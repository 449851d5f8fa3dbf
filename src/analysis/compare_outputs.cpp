// The three outputs of `aimarket compare` (see compare.hpp): the Markdown table, comparison.csv
// and comparison.h5, as docs/OUTPUT.md describes under "Comparison files".
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "analysis/compare_internal.hpp"
#include "common/hdf5_support.hpp"
#include "common/text.hpp"
#include "common/timestamp.hpp"
#include "output/output_path.hpp"
#include "version.hpp"

namespace aimarket::analysis {

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

namespace {

// The second table of a comparison whose replicates carry parameter draws: for each
// difference from the reference, the share of its spread over replicates the parameters
// explain and the keys that drive it.
std::string attribution_table(const Comparison& c) {
  std::ostringstream out;
  out << "\n### What drives each difference\n\n"
      << "The replicates carry draws of " << c.parameters.size()
      << " uncertain keys (the same in every scenario), so each difference's spread over "
         "replicates is parameter uncertainty and sampling noise together. parameters: the "
         "share of that spread a linear fit on the draws explains (adjusted R^2; at least the "
         "parameters' share, the rest is sampling noise and effects the linear fit misses). "
         "Drivers: the keys whose draws the difference follows most (Spearman's rho).\n\n"
      << "| measure | layer | firm | date | scenario | \xCE\x94 | parameters | drivers |\n"
      << "|---|---|---|---|---|---|---|---|\n";
  for (const ComparisonRow& row : c.rows) {
    if (row.attribution.n == 0) continue;
    char share[32] = "n/a";
    if (std::isfinite(row.attribution.parameter_share)) {
      std::snprintf(share, sizeof share, "%.0f %%", 100.0 * row.attribution.parameter_share);
    }
    out << "| " << row.key.measure << " | " << row.key.layer << " | "
        << markdown_escape(row.key.firm) << " | " << row.key.date << " | "
        << markdown_escape(row.scenario) << " | " << format_interval(row.difference) << " | "
        << share << " | " << markdown_escape(drivers_text(row.attribution, 3)) << " |\n";
  }
  out << "\nn/a: too few replicates for the fit (at least the number of varying keys + 3), or "
         "a difference that does not vary.\n";
  return out.str();
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
  if (!c.parameters.empty()) out << attribution_table(c);
  return out.str();
}

void write_comparison_csv(const Comparison& c, const std::string& path) {
  std::ostringstream out;
  out << "scenario,measure,layer,region,firm,date,step,n,mean,sd,ci_low,ci_high,diff_mean,"
         "diff_ci_low,diff_ci_high,diff_parameter_share,diff_drivers\n";
  for (const ComparisonRow& row : c.rows) {
    out << csv_field(row.scenario) << ',' << csv_field(row.key.measure) << ','
        << csv_field(row.key.layer) << ',' << csv_field(row.key.region) << ','
        << csv_field(row.key.firm) << ',' << csv_field(row.key.date) << ',' << row.step << ','
        << row.summary.n << ',' << csv_number(row.summary.mean) << ',' << csv_number(row.summary.sd)
        << ',' << csv_number(row.summary.ci_low) << ',' << csv_number(row.summary.ci_high) << ','
        << csv_number(row.difference.mean) << ',' << csv_number(row.difference.ci_low) << ','
        << csv_number(row.difference.ci_high) << ','
        << csv_number(row.attribution.n > 0 ? row.attribution.parameter_share : kNaN) << ','
        << csv_field(drivers_text(row.attribution, 3)) << '\n';
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
    file.doubles(t, "diff_parameter_share", {n}, numbers([](const ComparisonRow& r) {
                   return r.attribution.n > 0 ? r.attribution.parameter_share : kNaN;
                 }));
    file.strings(t, "diff_drivers", {n},
                 column([](const ComparisonRow& r) { return drivers_text(r.attribution, 3); }));
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

}  // namespace aimarket::analysis
