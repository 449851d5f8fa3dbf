// aimarket: command line. Exit status 0 on success, 2 for bad input (command line, config,
// output path, or a run too large for the memory here, refused before anything runs or is
// written), 1 when the run itself fails (or memory runs out, or an internal error occurs), 130
// when interrupted by a signal (the file keeps every recorded step).
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "bench/bench.hpp"
#include "common/exit_codes.hpp"
#include "config/config.hpp"
#include "driver/simulation.hpp"
#include "output/output_path.hpp"
#include "version.hpp"

namespace {

using aimarket::kExitBadInput;
using aimarket::kExitInterrupted;
using aimarket::kExitRunFailed;
using aimarket::kExitSuccess;

struct CommonConfigOptions {
  std::string config_path;
  std::vector<std::string> set;
  std::string steps, replicates, seed;  // strings: validated by the config schema
  std::string parameters;               // a design file, one row per replicate

  std::vector<aimarket::ConfigOverride> overrides() const {
    std::vector<aimarket::ConfigOverride> out;
    for (const auto& s : set) out.push_back({s, "--set " + s});
    if (!steps.empty()) out.push_back({"run.steps=" + steps, "--steps " + steps});
    if (!replicates.empty()) {
      out.push_back({"run.replicates=" + replicates, "--replicates " + replicates});
    }
    if (!seed.empty()) out.push_back({"run.seed=" + seed, "--seed " + seed});
    return out;
  }
};

void add_config_options(CLI::App* cmd, CommonConfigOptions& opts) {
  cmd->add_option("CONFIG", opts.config_path, "TOML config file (see docs/CONFIG.md)")->required();
  cmd->add_option("--set", opts.set,
                  "Override a config key, e.g. --set demand.bass_p=0.02 or "
                  "--set firm.Naver.quality=1.2 (repeatable)")
      ->type_name("KEY=VALUE");
  cmd->add_option("--steps", opts.steps, "Steps (months) to simulate; overrides run.steps")
      ->type_name("N");
  cmd->add_option("--replicates", opts.replicates,
                  "Monte Carlo replicates, advanced together; overrides run.replicates")
      ->type_name("R");
  cmd->add_option("--seed", opts.seed, "Master random seed; overrides run.seed")->type_name("S");
  cmd->add_option("--parameters", opts.parameters,
                  "CSV design: a header of uncertain keys (section.name), one row of values per "
                  "replicate; sets the replicate count (see docs/CONFIG.md, \"Parameter "
                  "uncertainty\")")
      ->type_name("FILE.csv");
}

// A CSV field: quoted when it holds a comma or a quote (RFC 4180).
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// `aimarket priors`: the uncertain keys, one row each; empty fields where a distribution has
// no such parameter. The design file's columns, when given, are listed as "file".
void print_priors(const aimarket::Config& config) {
  std::printf("key,distribution,low,high,mode,mean,sd,value,source\n");
  for (const aimarket::ParameterPrior& p : config.priors) {
    const bool normal = p.distribution == "normal";
    const auto number = [](bool given, double v) {
      if (!given) return std::string();
      char text[32];
      const auto end = std::to_chars(text, text + sizeof text, v).ptr;  // shortest exact form
      return std::string(text, end);
    };
    std::printf("%s,%s,%s,%s,%s,%s,%s,%s,%s\n", p.key.c_str(), p.distribution.c_str(),
                number(!normal, p.low).c_str(), number(!normal, p.high).c_str(),
                number(p.distribution == "triangular", p.mode).c_str(),
                number(normal, p.mean).c_str(), number(normal, p.sd).c_str(),
                number(true, aimarket::parameter_value(config, p.key)).c_str(),
                csv_field(p.source).c_str());
  }
}

// Loads the config with its overrides and, with --parameters, its design file.
aimarket::Config load_with_design(const CommonConfigOptions& opts) {
  aimarket::Config config = aimarket::load_config(opts.config_path, opts.overrides());
  if (!opts.parameters.empty()) {
    aimarket::read_parameter_file(opts.parameters, !opts.replicates.empty(), config);
  }
  return config;
}

void print_config_error(const aimarket::ConfigError& e) {
  std::fprintf(stderr, "aimarket: the configuration is invalid:\n%s\n", e.what());
}

const std::map<std::string, aimarket::BackendChoice>& backend_choices() {
  static const std::map<std::string, aimarket::BackendChoice> choices = {
      {"auto", aimarket::BackendChoice::kAuto},
      {"cpu", aimarket::BackendChoice::kCpu},
      {"cuda", aimarket::BackendChoice::kCuda}};
  return choices;
}

const std::map<std::string, aimarket::ProgressMode>& progress_modes() {
  static const std::map<std::string, aimarket::ProgressMode> modes = {
      {"auto", aimarket::ProgressMode::kAuto},
      {"bar", aimarket::ProgressMode::kBar},
      {"lines", aimarket::ProgressMode::kLines},
      {"none", aimarket::ProgressMode::kNone}};
  return modes;
}

// `aimarket compare` (src/analysis/compare.hpp): the options; the command itself is
// aimarket::analysis::run_compare.
void add_compare_options(CLI::App* cmd, aimarket::analysis::CompareOptions& opts,
                         std::string& backend_name, std::string& progress_name) {
  cmd->footer(
      "Scenarios: each CONFIG (crossed with every --sweep grid point) is one scenario, named "
      "after the file's stem (plus [key=value,...] when swept); the first is the reference. "
      "All scenarios run with the first config's run.seed, run.replicates and run.steps "
      "(common random numbers: replicate r of every scenario uses the same random streams), "
      "so differences from the reference get paired confidence intervals (t intervals of "
      "per-replicate differences). Runs go to DIR/runs/SCENARIO.h5.\n"
      "Trajectory files (.h5) instead of configs are compared as they are: they must come from "
      "the same firm table; if they do not share seed and replicate count the differences "
      "get unpaired (Welch) intervals.\n"
      "Measures (per layer where it applies): kr_share_world (region_share of KR), "
      "kr_revenue_share_world, kr_share_korea (Korean customers served by Korean firms), hhi, "
      "kr_survival (Korean firms alive at the first recorded step still alive), leader_share "
      "(share of replicates a firm leads a layer; Wilson interval), kr_customer_price and "
      "kr_customer_quality (firm price and quality weighted by Korean customers: an "
      "approximation that ignores their segment mix).\n"
      "Output: a Markdown table on stdout, DIR/comparison.csv and DIR/comparison.h5 "
      "(docs/OUTPUT.md, \"Comparison files\"). Exit status: 0; 2 bad input (nothing run); "
      "1 a run failed; 130 interrupted.");
  cmd->add_option("INPUT", opts.inputs,
                  "Scenario configs (TOML), or trajectory files (.h5) already written")
      ->required();
  cmd->add_option("--out-dir", opts.out_dir,
                  "Folder for comparison.csv, comparison.h5 and runs/ (created if missing)")
      ->required()
      ->type_name("DIR");
  cmd->add_option("--at", opts.at,
                  "Dates to report, YYYY-MM[,YYYY-MM...] (default: the last date every "
                  "scenario recorded)")
      ->type_name("DATES");
  cmd->add_option("--sweep", opts.sweeps,
                  "Sweep a config key over values, e.g. --sweep demand.beta_home=0.2,0.5,1 "
                  "(repeatable: the full grid of all swept keys, for every config)")
      ->type_name("KEY=V1,V2,...");
  cmd->add_option("--set", opts.set,
                  "Override a config key in every scenario, e.g. --set population.customers=1e5 "
                  "(repeatable)")
      ->type_name("KEY=VALUE");
  cmd->add_option("--steps", opts.steps, "Steps of every scenario (default: the first config's)")
      ->type_name("N");
  cmd->add_option("--replicates", opts.replicates,
                  "Replicates of every scenario (default: the first config's)")
      ->type_name("R");
  cmd->add_option("--seed", opts.seed, "Seed of every scenario (default: the first config's)")
      ->type_name("S");
  cmd->add_option("--backend", backend_name,
                  "auto (a usable GPU, else the CPU), cpu, or cuda (fails without a GPU)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--threads", opts.threads, "CPU backend threads (default: all cores)")
      ->check(CLI::Range(1, 4096))
      ->type_name("N");
  cmd->add_option("--progress", progress_name,
                  "Progress of each run: auto (a bar on a terminal, plain lines otherwise), bar, "
                  "lines, or none (quiet)")
      ->check(CLI::IsMember({"auto", "bar", "lines", "none"}))
      ->capture_default_str();
  cmd->add_flag("--overwrite", opts.overwrite,
                "Replace existing comparison files and runs in the output folder");
}

// `aimarket bench`: sizes are config overrides (validated by the schema like any --set);
// steps, warm-up and repetitions belong to the bench itself.
struct BenchCommandOptions {
  std::string config_path = "configs/baseline.toml";
  std::vector<std::string> set;
  std::string customers, replicates, consideration_set;  // strings: validated by the schema
  std::int64_t firms = 0;                                // 0: as the config says
  aimarket::BenchOptions bench;
  std::string backend_name = "auto";
  std::string json_path;
  bool overwrite = false;
};

void add_bench_options(CLI::App* cmd, BenchCommandOptions& opts) {
  cmd->add_option("CONFIG", opts.config_path, "TOML config file (see docs/CONFIG.md)")
      ->capture_default_str();
  cmd->add_option("--customers", opts.customers,
                  "Customer agents per replicate; overrides population.customers")
      ->type_name("N");
  cmd->add_option("--firms", opts.firms,
                  "Total firms: the config's named firms plus synthetic ones to make up the "
                  "count (sets population.synthetic_firms)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10000000}))
      ->type_name("N");
  cmd->add_option("--replicates", opts.replicates,
                  "Monte Carlo replicates, advanced together; overrides run.replicates")
      ->type_name("R");
  cmd->add_option("--consideration-set", opts.consideration_set,
                  "Firms sampled per chooser (0 = all); overrides demand.consideration_set")
      ->type_name("K");
  cmd->add_option("--steps", opts.bench.steps, "Timed steps per repetition")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
      ->capture_default_str()
      ->type_name("N");
  cmd->add_option("--warmup", opts.bench.warmup,
                  "Untimed steps before the timed ones, in every repetition")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1000000}))
      ->capture_default_str()
      ->type_name("N");
  cmd->add_option("--repetitions", opts.bench.repetitions,
                  "Repetitions (each a fresh ensemble); medians and min-max are over these")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str()
      ->type_name("N");
  cmd->add_option("--backend", opts.backend_name,
                  "auto (a usable GPU, else the CPU), cpu, or cuda (fails without a GPU)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--threads", opts.bench.threads, "CPU backend threads (default: all cores)")
      ->check(CLI::Range(1, 4096))
      ->type_name("N");
  cmd->add_flag("--output", opts.bench.output,
                "Also time writing every step to a temporary HDF5 file (in $TMPDIR) through "
                "the trajectory writer, alternating with repetitions that do not write");
  cmd->add_option("--json", opts.json_path, "Also write the report as JSON to FILE")
      ->type_name("FILE");
  cmd->add_flag("--overwrite", opts.overwrite, "Replace the --json FILE if it exists");
  cmd->add_option("--set", opts.set,
                  "Override a config key, e.g. --set demand.reconsider_rate=0.1 (repeatable)")
      ->type_name("KEY=VALUE");
}

// Checks an output path up front (aimarket::check_output_path), saying what is wrong on
// stderr when it may not be written.
bool output_path_is_usable(const std::string& path, bool overwrite, const std::string& what) {
  try {
    aimarket::check_output_path(path, overwrite, what);
    return true;
  } catch (const aimarket::OutputPathError& e) {
    std::fprintf(stderr, "aimarket: %s\n", e.what());
    return false;
  }
}

// False, saying so on stderr, when `path` is one of the files the config was read from (the
// config or a base it includes): an output never replaces its own input.
bool output_is_not_an_input(const std::string& path, const aimarket::Config& config) {
  const std::string input = aimarket::same_file_as_output(path, config.source_files);
  if (input.empty()) return true;
  std::fprintf(stderr,
               "aimarket: output file '%s' is the config file '%s' this run reads; it is never "
               "replaced: choose another output file\n",
               path.c_str(), input.c_str());
  return false;
}

std::string joined_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) line += ' ';
    line += argv[i];
  }
  return line;
}

int run_bench_command(BenchCommandOptions& opts, const std::string& command_line) {
  std::vector<aimarket::ConfigOverride> overrides;
  for (const auto& s : opts.set) overrides.push_back({s, "--set " + s});
  const auto add = [&overrides](const std::string& key, const std::string& value,
                                const std::string& origin) {
    overrides.push_back({key + "=" + value, origin});
  };
  if (!opts.customers.empty()) {
    add("population.customers", opts.customers, "--customers " + opts.customers);
  }
  if (!opts.replicates.empty()) {
    add("run.replicates", opts.replicates, "--replicates " + opts.replicates);
  }
  if (!opts.consideration_set.empty()) {
    add("demand.consideration_set", opts.consideration_set,
        "--consideration-set " + opts.consideration_set);
  }
  // Every warm-up and timed step is recorded, as a run with record_every = 1 does.
  add("run.steps", std::to_string(opts.bench.warmup + opts.bench.steps),
      "--warmup " + std::to_string(opts.bench.warmup) + " --steps " +
          std::to_string(opts.bench.steps));
  add("run.record_every", "1", "bench (records every step)");

  aimarket::Config config;
  try {
    // With --firms, the first reading only counts the named firms; it asks for a synthetic one
    // too, so that a config of no named firms is not refused for having no firms.
    std::vector<aimarket::ConfigOverride> counting = overrides;
    if (opts.firms > 0) {
      counting.push_back({"population.synthetic_firms=1", "--firms " + std::to_string(opts.firms)});
    }
    config = aimarket::load_config(opts.config_path, counting);
    if (opts.firms > 0) {
      const auto named = static_cast<std::int64_t>(config.named_firms.size());
      if (opts.firms < named) {
        std::fprintf(stderr,
                     "aimarket: --firms %lld: %s names %lld firms; ask for at least that "
                     "many\n",
                     static_cast<long long>(opts.firms), opts.config_path.c_str(),
                     static_cast<long long>(named));
        return kExitBadInput;
      }
      add("population.synthetic_firms", std::to_string(opts.firms - named),
          "--firms " + std::to_string(opts.firms));
      config = aimarket::load_config(opts.config_path, overrides);
    }
  } catch (const aimarket::ConfigError& e) {
    print_config_error(e);
    return kExitBadInput;
  }

  // Checked before the (long) measurement, and again when written.
  if (!opts.json_path.empty() &&
      (!output_is_not_an_input(opts.json_path, config) ||
       !output_path_is_usable(opts.json_path, opts.overwrite, "--json file"))) {
    return kExitBadInput;
  }

  opts.bench.backend = backend_choices().at(opts.backend_name);
  opts.bench.command_line = command_line;
  try {
    const aimarket::BenchReport report = aimarket::run_bench(config, opts.bench);
    std::cout << aimarket::bench_table(report) << std::flush;
    if (!opts.json_path.empty()) {
      // Under a temporary name, renamed over FILE when whole.
      aimarket::write_output_file(opts.json_path, aimarket::bench_json(report), opts.overwrite,
                                  "--json file");
    }
    return kExitSuccess;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aimarket: %s\n", e.what());
    return kExitRunFailed;
  }
}

// The command line and the commands; main adds the last line of defence.
int run_program(int argc, char** argv) {
  CLI::App app{
      "aimarket: a GPU-accelerated agent-based model of the AI value chain.\n"
      "Firms compete for customers (and, in later versions, compute and data); "
      "trajectories go to HDF5."};
  app.set_version_flag("--version", std::string("aimarket ") + aimarket::kProgramVersion + " (" +
                                        aimarket::kGitRevision + ")");
  app.require_subcommand(1);

  // run
  CommonConfigOptions run_opts;
  std::string out_path, backend_name = "auto", progress_name = "auto";
  int threads = 0;
  bool overwrite = false;
  CLI::App* run = app.add_subcommand("run", "Run a config and write its HDF5 trajectory");
  add_config_options(run, run_opts);
  run->add_option("--out", out_path, "Output HDF5 file (see docs/OUTPUT.md)")
      ->required()
      ->type_name("FILE");
  run->add_option("--backend", backend_name,
                  "auto (a usable GPU, else the CPU), cpu, or cuda (fails without a GPU)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  run->add_option("--threads", threads, "CPU backend threads (default: all cores)")
      ->check(CLI::Range(1, 4096))
      ->type_name("N");
  run->add_flag("--overwrite", overwrite,
                "Replace FILE if it exists (only ever a regular file; see docs/OUTPUT.md)");
  run->add_option("--progress", progress_name,
                  "auto (a bar on a terminal, plain lines otherwise), bar, lines, or none")
      ->check(CLI::IsMember({"auto", "bar", "lines", "none"}))
      ->capture_default_str();

  // validate
  CommonConfigOptions validate_opts;
  CLI::App* validate = app.add_subcommand("validate",
                                          "Check a config (and overrides), and the memory a run of "
                                          "it needs here, without running it");
  add_config_options(validate, validate_opts);

  // bench
  BenchCommandOptions bench_opts;
  CLI::App* bench = app.add_subcommand(
      "bench", "Measure step throughput, phase times and memory (see docs/PERFORMANCE.md)");
  add_bench_options(bench, bench_opts);

  // compare
  aimarket::analysis::CompareOptions compare_opts;
  std::string compare_backend = "auto", compare_progress = "auto";
  CLI::App* compare = app.add_subcommand(
      "compare",
      "Run scenarios with common random numbers (or read trajectory files) and compare "
      "outcome measures across replicates with confidence intervals");
  add_compare_options(compare, compare_opts, compare_backend, compare_progress);

  // priors
  CommonConfigOptions priors_opts;
  CLI::App* priors = app.add_subcommand(
      "priors",
      "Print the config's uncertain keys as CSV: key, distribution, its parameters, point value "
      "and source (see docs/CONFIG.md, \"Parameter uncertainty\")");
  add_config_options(priors, priors_opts);

  // keys
  CLI::App* keys = app.add_subcommand(
      "keys", "Print every config key with its default, unit and range (Markdown)");

  // An empty value ('--steps ""', often an unset shell variable) is refused, not taken as
  // "not given": that would silently run with the config's value instead.
  const CLI::Validator non_empty(
      [](std::string& value) {
        return value.empty() ? std::string("an empty value is not allowed") : std::string();
      },
      "", "NON-EMPTY");
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    for (CLI::Option* option : command->get_options()) {
      if (option->get_type_size() != 0) option->check(non_empty);  // not the flags
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr,
                 "aimarket: %s\nRun 'aimarket --help' (or 'aimarket COMMAND --help') "
                 "for usage.\n",
                 e.what());
    return kExitBadInput;
  }

  if (keys->parsed()) {
    std::cout << aimarket::config_reference_markdown();
    return kExitSuccess;
  }
  if (bench->parsed()) return run_bench_command(bench_opts, joined_command_line(argc, argv));
  if (compare->parsed()) {
    compare_opts.backend = backend_choices().at(compare_backend);
    compare_opts.progress = progress_modes().at(compare_progress);
    compare_opts.command_line = joined_command_line(argc, argv);
    return aimarket::analysis::run_compare(compare_opts);
  }

  const CommonConfigOptions& opts =
      run->parsed() ? run_opts : (priors->parsed() ? priors_opts : validate_opts);
  aimarket::Config config;
  try {
    config = load_with_design(opts);
  } catch (const aimarket::ConfigError& e) {
    print_config_error(e);
    return kExitBadInput;
  }

  if (priors->parsed()) {
    print_priors(config);
    return kExitSuccess;
  }

  if (validate->parsed()) {
    std::printf(
        "%s: valid. %zu named + %lld synthetic firms, %lld customers x %lld "
        "replicates, %lld steps from %s.\n",
        config.source_path.c_str(), config.named_firms.size(),
        static_cast<long long>(config.population.synthetic_firms),
        static_cast<long long>(config.population.customers),
        static_cast<long long>(config.run.replicates), static_cast<long long>(config.run.steps),
        config.run.start.c_str());
    // The memory a run would need here, on the backend `run --backend auto` would pick; a run
    // that would be refused for it is refused here too.
    const aimarket::MemoryEstimate memory =
        aimarket::estimate_memory(config, aimarket::cuda_backend_usable(nullptr));
    const auto available = [](double bytes, const char* what) {
      return bytes >= 0.0 ? aimarket::memory_text(bytes) + " " + what : std::string("unknown");
    };
    std::printf("memory estimate: %s host (%s)", aimarket::memory_text(memory.host_bytes).c_str(),
                available(memory.host_available, "available").c_str());
    if (memory.cuda) {
      std::printf(", %s GPU (%s)", aimarket::memory_text(memory.device_bytes).c_str(),
                  available(memory.device_available, "free").c_str());
    } else {
      std::printf(", the engine's arrays in host memory (cpu backend)");
    }
    std::printf(".\n");
    const std::string shortfall = aimarket::memory_shortfall(memory);
    if (!shortfall.empty()) {
      std::fflush(stdout);
      std::fprintf(stderr, "aimarket: a run would be refused here: %s\n", shortfall.c_str());
      return kExitBadInput;
    }
    return kExitSuccess;
  }

  // Refuse before anything runs or is written.
  if (!output_is_not_an_input(out_path, config)) return kExitBadInput;
  if (!output_path_is_usable(out_path, overwrite, "output file")) return kExitBadInput;

  aimarket::RunOptions options;
  options.out_path = out_path;
  options.overwrite = overwrite;
  options.backend = backend_choices().at(backend_name);
  options.threads = threads;
  options.progress = progress_modes().at(progress_name);

  try {
    const aimarket::RunSummary summary = aimarket::run_simulation(config, options);
    std::printf("%s: %lld steps on %s in %.2f s (%.3g customer-updates/s)%s\n", out_path.c_str(),
                static_cast<long long>(summary.steps_done), summary.backend.c_str(),
                summary.seconds, summary.customer_updates_per_second,
                summary.interrupted ? ", interrupted" : "");
    return summary.interrupted ? kExitInterrupted : kExitSuccess;
  } catch (const aimarket::BackendUnavailable& e) {
    std::fprintf(stderr, "aimarket: %s\n", e.what());
    return kExitRunFailed;
  } catch (const aimarket::InsufficientMemory& e) {
    // Refused before anything was built or written: too large an input for this machine.
    std::fprintf(stderr, "aimarket: %s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aimarket: %s\n", e.what());
    return kExitRunFailed;
  }
}

}  // namespace

// Anything not handled where it arose (memory running out, or a bug) ends the program with one
// sentence and exit status 1, rather than an abort with a core dump.
int main(int argc, char** argv) {
  try {
    return run_program(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fputs("aimarket: out of memory\n", stderr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aimarket: internal error: %s\n", e.what());
  } catch (...) {
    std::fputs("aimarket: internal error: an exception of unknown type\n", stderr);
  }
  return kExitRunFailed;
}
