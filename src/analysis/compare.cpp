// `aimarket compare` (see compare.hpp): the command (inputs checked, the scenarios run with
// common random numbers, the outputs written) and the comparison of trajectory files (ensemble
// statistics and paired differences of the measures). The measures are computed in
// compare_measures.cpp, the output files written in compare_outputs.cpp, the scenarios and
// sweeps expanded in compare_sweeps.cpp.
#include "analysis/compare.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "analysis/compare_internal.hpp"
#include "common/exit_codes.hpp"
#include "common/months.hpp"
#include "common/text.hpp"
#include "output/output_path.hpp"

namespace aimarket::analysis {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, ',')) parts.push_back(part);
  if (!text.empty() && text.back() == ',') parts.emplace_back();
  return parts;
}

}  // namespace

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
  // Parameter draws: attribution needs every scenario's replicate r to have run replicate r's
  // draws of the reference (true for scenarios run with one seed from configs with the same
  // priors).
  bool same_draws = c.paired && !first.parameter.empty();
  for (const TrajectoryReader& reader : readers) {
    same_draws = same_draws && reader.info().parameter == first.parameter &&
                 reader.info().parameter_value == first.parameter_value;
  }
  if (same_draws) {
    c.parameters = first.parameter;
  } else if (!first.parameter.empty()) {
    c.notes.push_back(
        "the replicates carry parameter draws, but not the same ones in every file (other "
        "priors, seeds or designs): differences are not attributed to parameters");
  }
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
        if (!c.parameters.empty() && !series.proportion) {
          std::vector<double> difference(ref.size(), kNaN);
          for (std::size_t r = 0; r < ref.size() && r < series.values.size(); ++r) {
            difference[r] = series.values[r] - ref[r];
          }
          row.attribution = attribute_difference(difference, c.parameters, first.parameter_value);
        }
      }
      c.rows.push_back(std::move(row));
    }
  }
  return c;
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
