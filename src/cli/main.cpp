// aimarket: command line. Exit status 0 on success, 2 for bad input (command line or config,
// refused before anything runs or is written), 1 when the run itself fails, 130 when
// interrupted by a signal (the file keeps every recorded step).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "driver/simulation.hpp"
#include "version.hpp"

namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitRunFailed = 1;
constexpr int kExitInterrupted = 130;

struct CommonConfigOptions {
  std::string config_path;
  std::vector<std::string> set;
  std::string steps, replicates, seed;  // strings: validated by the config schema

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
  cmd->add_option("CONFIG", opts.config_path, "TOML config file (see docs/CONFIG.md)")
      ->required();
  cmd->add_option("--set", opts.set,
                  "Override a config key, e.g. --set demand.bass_p=0.02 or "
                  "--set firm.Naver.quality=1.2 (repeatable)")
      ->type_name("KEY=VALUE");
  cmd->add_option("--steps", opts.steps, "Steps (months) to simulate; overrides run.steps")
      ->type_name("N");
  cmd->add_option("--replicates", opts.replicates,
                  "Monte Carlo replicates, advanced together; overrides run.replicates")
      ->type_name("R");
  cmd->add_option("--seed", opts.seed, "Master random seed; overrides run.seed")
      ->type_name("S");
}

void print_config_error(const aimarket::ConfigError& e) {
  std::fprintf(stderr, "aimarket: the configuration is invalid:\n%s\n", e.what());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"aimarket: a GPU-accelerated agent-based model of the AI value chain.\n"
               "Firms compete for customers (and, in later versions, compute and data); "
               "trajectories go to HDF5."};
  app.set_version_flag("--version", std::string("aimarket ") + aimarket::kProgramVersion +
                                        " (" + aimarket::kGitRevision + ")");
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
  run->add_flag("--overwrite", overwrite, "Replace FILE if it exists");
  run->add_option("--progress", progress_name,
                  "auto (a bar on a terminal, plain lines otherwise), bar, lines, or none")
      ->check(CLI::IsMember({"auto", "bar", "lines", "none"}))
      ->capture_default_str();

  // validate
  CommonConfigOptions validate_opts;
  CLI::App* validate =
      app.add_subcommand("validate", "Check a config (and overrides) without running it");
  add_config_options(validate, validate_opts);

  // keys
  CLI::App* keys = app.add_subcommand(
      "keys", "Print every config key with its default, unit and range (Markdown)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "aimarket: %s\nRun 'aimarket --help' (or 'aimarket run --help') "
                         "for usage.\n", e.what());
    return kExitBadInput;
  }

  if (keys->parsed()) {
    std::cout << aimarket::config_reference_markdown();
    return 0;
  }

  const CommonConfigOptions& opts = run->parsed() ? run_opts : validate_opts;
  aimarket::Config config;
  try {
    config = aimarket::load_config(opts.config_path, opts.overrides());
  } catch (const aimarket::ConfigError& e) {
    print_config_error(e);
    return kExitBadInput;
  }

  if (validate->parsed()) {
    std::printf("%s: valid. %zu named + %lld synthetic firms, %lld customers x %lld "
                "replicates, %lld steps from %s.\n",
                config.source_path.c_str(), config.named_firms.size(),
                static_cast<long long>(config.population.synthetic_firms),
                static_cast<long long>(config.population.customers),
                static_cast<long long>(config.run.replicates),
                static_cast<long long>(config.run.steps), config.run.start.c_str());
    return 0;
  }

  const std::map<std::string, aimarket::BackendChoice> backends = {
      {"auto", aimarket::BackendChoice::kAuto},
      {"cpu", aimarket::BackendChoice::kCpu},
      {"cuda", aimarket::BackendChoice::kCuda}};
  const std::map<std::string, aimarket::ProgressMode> progress_modes = {
      {"auto", aimarket::ProgressMode::kAuto},
      {"bar", aimarket::ProgressMode::kBar},
      {"lines", aimarket::ProgressMode::kLines},
      {"none", aimarket::ProgressMode::kNone}};
  // Refuse before anything runs or is written.
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(out_path, ec)) {
    std::fprintf(stderr, "aimarket: output file '%s' exists; pass --overwrite to replace it\n",
                 out_path.c_str());
    return kExitBadInput;
  }
  const std::filesystem::path parent = std::filesystem::path(out_path).parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    std::fprintf(stderr, "aimarket: --out %s: folder '%s' does not exist\n", out_path.c_str(),
                 parent.string().c_str());
    return kExitBadInput;
  }

  aimarket::RunOptions options;
  options.out_path = out_path;
  options.overwrite = overwrite;
  options.backend = backends.at(backend_name);
  options.threads = threads;
  options.progress = progress_modes.at(progress_name);

  try {
    const aimarket::RunSummary summary = aimarket::run_simulation(config, options);
    std::printf("%s: %lld steps on %s in %.2f s (%.3g customer-updates/s)%s\n",
                out_path.c_str(), static_cast<long long>(summary.steps_done),
                summary.backend.c_str(), summary.seconds, summary.customer_updates_per_second,
                summary.interrupted ? ", interrupted" : "");
    return summary.interrupted ? kExitInterrupted : 0;
  } catch (const aimarket::BackendUnavailable& e) {
    std::fprintf(stderr, "aimarket: %s\n", e.what());
    return kExitRunFailed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aimarket: %s\n", e.what());
    return kExitRunFailed;
  }
}
