#include "driver/simulation.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "version.hpp"

namespace aimarket {
namespace {

std::atomic<int> g_stop_signal{0};
extern "C" void request_stop(int signal_number) { g_stop_signal.store(signal_number); }

std::unique_ptr<EnsembleBackend> open_backend(BackendChoice choice, const MarketSetup& setup,
                                              std::string* note) {
  std::string why_not;
  const bool gpu = cuda_backend_usable(&why_not);
  if (choice == BackendChoice::kCuda && !gpu) {
    throw BackendUnavailable("--backend cuda: " + why_not);
  }
  if (choice == BackendChoice::kCuda || (choice == BackendChoice::kAuto && gpu)) {
    if (note) *note = "backend: cuda (" + cuda_device_description() + ")";
    return make_cuda_backend(setup);
  }
  if (note) {
    *note = "backend: cpu, " + std::to_string(cpu_threads()) + " threads";
    if (choice == BackendChoice::kAuto) *note += " (CUDA not used: " + why_not + ")";
  }
  return make_cpu_backend(setup);
}

// Progress on stderr: a redrawn bar on a terminal, a plain line every tenth of the run
// otherwise (logs and CI), nothing in kNone.
class ProgressReporter {
 public:
  ProgressReporter(ProgressMode mode, std::int64_t total) : total_(total) {
    if (mode == ProgressMode::kAuto) mode = isatty(STDERR_FILENO) ? ProgressMode::kBar
                                                                   : ProgressMode::kLines;
    mode_ = mode;
    start_ = std::chrono::steady_clock::now();
  }
  void update(std::int64_t done) {
    const double elapsed = seconds();
    if (mode_ == ProgressMode::kBar) {
      if (done != total_ && elapsed - last_draw_ < 0.1) return;
      last_draw_ = elapsed;
      constexpr int kWidth = 40;
      const int filled = static_cast<int>(kWidth * done / total_);
      std::fprintf(stderr, "\r[%-*s] %lld/%lld steps  %.1f s", kWidth,
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   static_cast<long long>(done), static_cast<long long>(total_), elapsed);
      if (done == total_) std::fprintf(stderr, "\n");
      std::fflush(stderr);
    } else if (mode_ == ProgressMode::kLines) {
      const std::int64_t every = total_ >= 10 ? total_ / 10 : 1;
      if (done % every != 0 && done != total_) return;
      std::fprintf(stderr, "step %lld/%lld (%.0f%%) %.1f s\n", static_cast<long long>(done),
                   static_cast<long long>(total_), 100.0 * done / total_, elapsed);
      std::fflush(stderr);
    }
  }
  void interrupted() {
    if (mode_ == ProgressMode::kBar) std::fprintf(stderr, "\n");
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  ProgressMode mode_;
  std::int64_t total_;
  std::chrono::steady_clock::time_point start_;
  double last_draw_ = -1.0;
};

}  // namespace

Simulation::Simulation(const Config& config, BackendChoice choice, std::string* note)
    : config_(config),
      firms_(build_firm_table(config)),
      customers_(build_customer_population(config.population)) {
  backend_ = open_backend(choice, make_market_setup(config_, firms_, customers_), note);
}

void Simulation::step() {
  backend_->step(steps_done_);
  ++steps_done_;
}

RecordFrame Simulation::record_frame() {
  backend_->read_tallies(tally_buffer_);
  return make_record_frame(steps_done_ - 1, tally_buffer_, config_.run.replicates,
                           firms_.size());
}

RunMetadata Simulation::metadata() const {
  RunMetadata meta;
  meta.config_path = config_.source_path;
  meta.resolved_config = config_.resolved_toml;
  meta.seed = config_.run.seed;
  meta.program_version = kProgramVersion;
  meta.git_revision = kGitRevision;
  meta.backend = backend_->name();
  meta.start_month = config_.run.start;
  meta.steps = config_.run.steps;
  meta.record_every = config_.run.record_every;
  meta.replicates = config_.run.replicates;
  meta.customers_per_replicate = config_.population.customers;
  meta.customer_weight = config_.population.customer_weight;
  meta.firm_name = firms_.name;
  meta.firm_archetype = firms_.archetype;
  for (int r : firms_.region) meta.firm_region.push_back(kRegionNames[r]);
  return meta;
}

bool is_recorded_step(std::int64_t step, std::int64_t record_every, std::int64_t steps) {
  return (step + 1) % record_every == 0 || step == steps - 1;
}

RecordFrame make_record_frame(std::int64_t step, const std::vector<std::int32_t>& tally,
                              std::int64_t replicates, std::int32_t firms) {
  RecordFrame frame;
  frame.step = step;
  frame.customers = tally;
  frame.adopters.assign(static_cast<std::size_t>(replicates * kSegments), 0);
  frame.service_share.assign(static_cast<std::size_t>(replicates * firms), 0.0);
  frame.service_hhi.assign(static_cast<std::size_t>(replicates), 0.0);
  std::vector<std::int64_t> firm_customers(static_cast<std::size_t>(firms));
  for (std::int64_t r = 0; r < replicates; ++r) {
    std::fill(firm_customers.begin(), firm_customers.end(), 0);
    std::int64_t adopters = 0;
    for (int s = 0; s < kSegments; ++s) {
      const std::int32_t* row = tally.data() + (r * kSegments + s) * firms;
      std::int64_t in_segment = 0;
      for (std::int32_t j = 0; j < firms; ++j) {
        in_segment += row[j];
        firm_customers[static_cast<std::size_t>(j)] += row[j];
      }
      frame.adopters[static_cast<std::size_t>(r * kSegments + s)] =
          static_cast<std::int32_t>(in_segment);
      adopters += in_segment;
    }
    if (adopters == 0) continue;  // no market yet: shares and HHI stay 0
    double hhi = 0.0;
    for (std::int32_t j = 0; j < firms; ++j) {
      const double share = static_cast<double>(firm_customers[static_cast<std::size_t>(j)]) /
                           static_cast<double>(adopters);
      frame.service_share[static_cast<std::size_t>(r * firms + j)] = share;
      hhi += share * share;
    }
    frame.service_hhi[static_cast<std::size_t>(r)] = hhi;
  }
  return frame;
}

RunSummary run_simulation(const Config& config, const RunOptions& options) {
  namespace fs = std::filesystem;
  const fs::path out(options.out_path);
  std::error_code ec;
  if (fs::exists(out, ec) && !options.overwrite) {
    throw std::runtime_error("output file '" + options.out_path +
                             "' exists; pass --overwrite to replace it");
  }
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    throw std::runtime_error("output folder '" + parent.string() + "' does not exist");
  }

  set_cpu_threads(options.threads);
  std::string note;
  Simulation sim(config, options.backend, &note);
  std::fprintf(stderr, "%s\n", note.c_str());
  TrajectoryWriter writer(options.out_path, sim.metadata(), options.overwrite,
                          config.run.flush_seconds);

  g_stop_signal.store(0);
  auto previous_int = std::signal(SIGINT, request_stop);
  auto previous_term = std::signal(SIGTERM, request_stop);
  ProgressReporter progress(options.progress, config.run.steps);
  RunSummary summary;
  summary.backend = sim.backend().name();
  try {
    for (std::int64_t t = 0; t < config.run.steps; ++t) {
      if (g_stop_signal.load() != 0) {
        summary.interrupted = true;
        break;
      }
      sim.step();
      if (is_recorded_step(t, config.run.record_every, config.run.steps)) {
        writer.push(sim.record_frame());
      }
      progress.update(t + 1);
    }
    summary.steps_done = sim.steps_done();
    if (summary.interrupted) {
      progress.interrupted();
      writer.finish("interrupted after step " + std::to_string(summary.steps_done) + " of " +
                    std::to_string(config.run.steps));
    } else {
      writer.finish("complete");
    }
  } catch (const std::exception& e) {
    std::signal(SIGINT, previous_int);
    std::signal(SIGTERM, previous_term);
    try {
      writer.finish(std::string("failed: ") + e.what());
    } catch (...) {
      // The original error is the one worth reporting.
    }
    throw;
  }
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  summary.seconds = progress.seconds();
  summary.customer_updates_per_second =
      summary.seconds > 0.0 ? static_cast<double>(config.run.replicates) *
                                  static_cast<double>(config.population.customers) *
                                  static_cast<double>(summary.steps_done) / summary.seconds
                            : 0.0;
  return summary;
}

}  // namespace aimarket
