// `aimarket compare`: runs a set of scenarios (configs, optionally swept over config keys) with
// common random numbers, or takes already-written trajectory files, and reports outcome
// measures of the Korean AI value chain per scenario: ensemble mean, sample standard
// deviation and 95% confidence interval across replicates, and the difference from the first
// scenario (the reference) with a paired interval. Output: a Markdown table on stdout,
// comparison.csv and comparison.h5 (layout in docs/OUTPUT.md, "Comparison files").
//
// The measures are computed per replicate from one recorded step of a trajectory file; the
// pure per-replicate functions are exposed for the tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/attribution.hpp"
#include "analysis/statistics.hpp"
#include "analysis/trajectory_reader.hpp"
#include "config/config.hpp"
#include "driver/simulation.hpp"
#include "output/output_schema.hpp"

namespace aimarket::analysis {

// Names of the measures, in the order they are reported.
inline constexpr const char* kKrShareWorld = "kr_share_world";
inline constexpr const char* kKrRevenueShareWorld = "kr_revenue_share_world";
inline constexpr const char* kKrShareKorea = "kr_share_korea";
inline constexpr const char* kHhi = "hhi";
inline constexpr const char* kKrSurvival = "kr_survival";
inline constexpr const char* kLeaderShare = "leader_share";
inline constexpr const char* kKrCustomerPrice = "kr_customer_price";
inline constexpr const char* kKrCustomerQuality = "kr_customer_quality";

// Data variables the Korean-customer measures need; files from versions that did not record
// them get those measures reported as unavailable.
inline constexpr const char* kRegionCustomersVariable = output_schema::kRegionCustomers.name;
inline constexpr const char* kServiceQualityVariable = output_schema::kServiceQuality.name;

inline constexpr double kConfidenceLevel = 0.95;

// --- Per-replicate measures (one replicate, one recorded step) ------------------------------
// `in_region[f]` is true for the firms of the region in question (Korea). NaN where the
// measure is undefined.

// Sum of a firm quantity over the region's firms (revenue_share -> the region's revenue share).
double sum_over_firms(const double* values, const std::vector<bool>& in_region);
// Share of one region's customer agents whose provider is one of `in_region`'s firms:
// customers[f] are the region's customer agents with firm f as provider. NaN with none.
double home_provider_share(const double* customers, const std::vector<bool>& in_region);
// Fraction of the region's firms alive in `first` that are alive in `now` (compare passes
// "alive at every recorded step up to the date", so a revived slot is not a survivor). NaN if
// none were.
double survival_fraction(const double* alive_first, const double* alive_now,
                         const std::vector<bool>& in_region);
// Slot of the firm with the largest share (the lowest slot among equals), or -1 when no
// share is positive (the layer had no trade).
std::int64_t leading_firm(const double* market_share, std::size_t firms);
// Mean of values[f] weighted by weights[f], over firms with a positive weight and a finite
// value. NaN when that weight is zero.
double weighted_mean(const double* weights, const double* values, std::size_t firms);

// --- Measures of one scenario ---------------------------------------------------------------

// What a table row is about. `layer`, `region`, `firm` are "" where not applicable.
struct MeasureKey {
  std::string measure, layer, region, firm, date;
  bool operator==(const MeasureKey& other) const;
};

// One measure of one scenario at one date: its value in each replicate (NaN where undefined
// or unavailable). `proportion`: a 0/1 indicator per replicate (leader_share), summarized
// with a Wilson interval.
struct MeasureSeries {
  MeasureKey key;
  std::int64_t step = 0;
  std::vector<double> values;
  bool proportion = false;
};

// Every measure of a file at each date (positions along `step` in `steps`), in report order:
// per date, kr_share_world, kr_revenue_share_world, kr_share_korea, hhi, kr_survival,
// leader_share (every firm), kr_customer_price, kr_customer_quality. A measure whose data the
// file does not record is all NaN, and `notes` says which and why.
std::vector<MeasureSeries> compute_measures(const TrajectoryReader& file,
                                            const std::vector<std::string>& dates,
                                            std::vector<std::string>& notes);

// --- The comparison -------------------------------------------------------------------------

struct ComparisonRow {
  std::string scenario;
  MeasureKey key;
  std::int64_t step = 0;
  Summary summary;             // n, mean, sd; ci_low/ci_high Student t (Wilson for proportions)
  Summary difference;          // vs the reference's row with the same key; NaN for the reference
  std::vector<double> values;  // per replicate
  // What drives the difference when the replicates carry parameter draws (attribution.hpp);
  // n = 0 where not computed (the reference, no draws, unpaired files, 0/1 measures).
  Attribution attribution;
};

struct Comparison {
  std::vector<std::string> scenario, scenario_file, scenario_config;  // [S]
  std::vector<std::string> sweep_keys;                                // [K]; empty: no sweep
  std::vector<std::vector<std::string>> sweep_values;                 // [S][K]
  bool paired = true;
  std::string pairing;  // one sentence: how differences are computed and why
  std::uint64_t seed = 0;
  std::int64_t replicates = 0;
  std::vector<std::string> dates;  // the dates reported
  std::vector<ComparisonRow> rows;
  std::vector<std::string> notes;  // unavailable measures and other caveats
  // The uncertain keys every file's replicates drew alike (empty: none, or not paired).
  std::vector<std::string> parameters;
  std::string command;  // the command line that made it ("" if unknown)
};

// One scenario's trajectory file and its name.
struct ScenarioFile {
  std::string name;
  std::string path;
  std::vector<std::string> sweep_values;  // [K] when swept
};

// Reads the files, checks that they can be compared (the same firms in the same slots;
// InputError otherwise), pairs them when they share seed and replicates (else Welch intervals
// and a note), maps `dates` (YYYY-MM; empty: the last date every file recorded) to steps
// (InputError naming a date a file did not record) and summarizes every measure. A file
// whose run was cut short adds a warning to `warnings` naming it and its recorded steps.
Comparison compare_files(const std::vector<ScenarioFile>& files,
                         const std::vector<std::string>& dates, std::vector<std::string>& warnings);

// The table on stdout: one row per measure, layer, firm and date; per scenario
// "mean [ci_low, ci_high]" and, after the reference, the difference from it; then lines
// saying how the intervals were computed and the notes.
std::string markdown_table(const Comparison& comparison);
void write_comparison_csv(const Comparison& comparison, const std::string& path);
void write_comparison_h5(const Comparison& comparison, const std::string& path, bool overwrite);

// --- Scenarios and sweeps -------------------------------------------------------------------

// One --sweep option: a config key and its values (in --set syntax).
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
  std::string origin;  // the option as given, for error messages
};
// Parses "key=v1,v2,...": values split at commas outside quotes, braces and brackets, so a
// TOML table or array is one value. Throws InputError naming the option.
SweepAxis parse_sweep(const std::string& option);

struct ScenarioSpec {
  std::string name;  // config stem (made unique), plus "[key=v,...]" when swept
  std::string config_path;
  std::vector<ConfigOverride> sweep_overrides;
  std::vector<std::string> sweep_values;  // [K]
};
// Every config crossed with the full grid of the sweeps (the first --sweep varies slowest).
std::vector<ScenarioSpec> expand_scenarios(const std::vector<std::string>& config_paths,
                                           const std::vector<SweepAxis>& sweeps);
// A file name for a scenario: the name with characters outside [A-Za-z0-9._,=+[]-] as '_'.
std::string scenario_file_stem(const std::string& name);

// --- The command ----------------------------------------------------------------------------

struct CompareOptions {
  std::vector<std::string> inputs;  // configs, or trajectory files
  std::string out_dir;
  std::string at;                       // "YYYY-MM[,YYYY-MM...]"; empty: the last recorded date
  std::vector<std::string> sweeps;      // "key=v1,v2"
  std::vector<std::string> set;         // "key=value", applied to every scenario
  std::string steps, replicates, seed;  // strings: validated by the config schema
  BackendChoice backend = BackendChoice::kAuto;
  int threads = 0;
  ProgressMode progress = ProgressMode::kAuto;
  bool overwrite = false;
  std::string command_line;  // recorded in comparison.h5 (root attribute `command`)
};

// Runs the command; prints the table on stdout and messages on stderr. Returns the exit
// status: 0, 2 for bad input (nothing run or written), 1 when a run fails, 130 if interrupted.
int run_compare(const CompareOptions& options);

}  // namespace aimarket::analysis
