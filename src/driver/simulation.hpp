// The host-side step driver: builds the population, opens a backend, advances the ensemble
// step by step and hands recorded steps to the trajectory writer.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "calibration/rest_point.hpp"
#include "config/config.hpp"
#include "output/trajectory_writer.hpp"
#include "population/population.hpp"
#include "uncertainty/parameter_draws.hpp"

namespace aimarket {

enum class BackendChoice { kAuto, kCpu, kCuda };

// The requested backend cannot run here (e.g. --backend cuda without a usable GPU).
class BackendUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The run would not fit in the memory available here (estimate_memory): refused before anything
// is built or written; the program exits with status 2, as for bad input.
class InsufficientMemory : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Memory a run needs, from the config's sizes alone, and what this machine has free.
struct MemoryEstimate {
  std::string config_path;
  bool cuda = false;             // the engine's arrays are on the GPU
  double host_bytes = 0.0;       // peak host memory of the run
  double device_bytes = 0.0;     // GPU memory (0 on the CPU backend)
  double host_available = -1.0;  // negative: unknown
  double device_available = -1.0;
};

// Estimates the memory of a run of `config` on the CPU or the CUDA backend, before anything is
// built: the engine's arrays (engine_footprint, the engine's own account), the customer
// population and its set-up copy, the per-firm tables, and while running one state snapshot
// plus the frames the trajectory writer may hold. Left out, as small beside those: the
// program, the libraries and their buffers (HDF5's chunk buffers, a few MiB; the CUDA
// context), the config itself, allocator overhead, and the brief peak of building the firm
// table (about 1 KB per firm, freed before the population is built).
MemoryEstimate estimate_memory(const Config& config, bool cuda);
// One sentence saying what does not fit (needed and available, and the keys that set the
// sizes); empty when the run fits, or when what is available cannot be learnt.
std::string memory_shortfall(const MemoryEstimate& estimate);
// "1.5 GiB" and the like.
std::string memory_text(double bytes);
// Host memory this process may still allocate: MemAvailable from /proc/meminfo, capped by the
// cgroup's limit less its usage where one is set; negative when unknown.
double host_available_bytes();

// Bytes of one output frame (make_record_frame) and of one state snapshot (read_snapshot) for
// these sizes.
double record_frame_bytes(std::int64_t replicates, std::int64_t firms);
double snapshot_bytes(std::int64_t replicates, std::int64_t firms);

// What the host needs, besides the device state, to turn a snapshot into an output frame.
struct RecordLayout {
  std::int64_t replicates = 0;
  std::int32_t firms = 0;
  double customer_weight = 1.0;
  std::vector<int> firm_region;                          // [firm]
  std::array<std::vector<std::uint8_t>, kLayers> sells;  // [layer][firm]
  std::vector<std::uint8_t> sells_data;                  // [firm] a data vendor
};

// One ensemble in memory: population, backend, and the step counter. Tests drive it directly.
class Simulation {
 public:
  // `note` receives one line saying which backend was chosen and why. Throws
  // InsufficientMemory, before building anything, when the run would not fit in memory here.
  Simulation(const Config& config, BackendChoice choice, std::string* note = nullptr);

  void step();  // advances every replicate by one step
  std::int64_t steps_done() const { return steps_done_; }
  const Config& config() const { return config_; }
  const FirmTable& firms() const { return firms_; }
  const CustomerPopulation& customers() const { return customers_; }
  EnsembleBackend& backend() { return *backend_; }

  // The current state as an output frame (tallies read from the device).
  RecordFrame record_frame();
  const RecordLayout& record_layout() const { return layout_; }
  // find_overflow on the state after the last step: empty unless some firm's money or units
  // left the int64 range.
  std::string overflow_problem();
  RunMetadata metadata() const;
  const MemoryEstimate& memory_estimate() const { return memory_; }
  // The utility inversion's groups and result (empty before the first step, or without
  // demand.calibration_rounds).
  const RestProblem& rest_problem() const { return rest_problem_; }
  const RestFit& rest_fit() const { return rest_fit_; }
  // Each replicate's values of the uncertain keys (empty without priors or a design).
  const ParameterDraws& parameter_draws() const { return draws_; }
  // The utility offsets xi in force, [replicate][segment][region][firm]: the calibrated ones once
  // the first step ran with demand.calibration_rounds > 0, else 0 (the output's utility_offset).
  std::vector<double> utility_offsets() const;

 private:
  Config config_;
  bool cuda_;              // the backend chosen, before anything is built
  MemoryEstimate memory_;  // checked before the members below are built
  FirmTable firms_;
  CustomerPopulation customers_;
  std::unique_ptr<EnsembleBackend> backend_;
  std::int64_t steps_done_ = 0;
  RecordLayout layout_;
  EnsembleSnapshot snapshot_;
  RestProblem rest_problem_;
  RestFit rest_fit_;
  ParameterDraws draws_;        // each replicate's values of the uncertain keys
  CalibrationClasses classes_;  // replicates calibrated together (the same parameters)
};

// The recorded-step rule: every record_every-th step, and always the last one.
bool is_recorded_step(std::int64_t step, std::int64_t record_every, std::int64_t steps);

// Shares (units and revenue), HHI, totals, regional shares and prices per layer, and firm
// state, from a snapshot of the device state.
RecordFrame make_record_frame(std::int64_t step, const EnsembleSnapshot& snapshot,
                              const RecordLayout& record);

// Numerical guard: the first NaN or infinity in recorded firm state (capability, data,
// installed compute, cash, or the price of a layer the firm sells in), as one sentence naming
// step, replicate, firm and quantity; empty when all is finite.
std::string find_non_finite_state(const RecordFrame& frame, const RecordLayout& record,
                                  const std::vector<std::string>& firm_names);

// Integer guard: the earliest int64 overflow the kernels recorded (EnsembleBackend::
// read_overflow, [replicate][firm]; by step, then replicate, then firm), as one sentence naming
// step, replicate, firm and quantity; empty when there is none.
std::string find_overflow(const std::vector<std::int64_t>& overflow, const RecordLayout& layout,
                          const std::vector<std::string>& firm_names);

enum class ProgressMode { kAuto, kBar, kLines, kNone };

struct RunOptions {
  std::string out_path;
  bool overwrite = false;
  BackendChoice backend = BackendChoice::kAuto;
  int threads = 0;  // CPU threads; 0 = OpenMP's default
  ProgressMode progress = ProgressMode::kAuto;
};

struct RunSummary {
  std::string backend;
  std::int64_t steps_done = 0;
  bool interrupted = false;
  double seconds = 0.0;
  double customer_updates_per_second = 0.0;
};

// Runs a whole job: refuses an existing output file unless overwrite, runs all steps (or
// until SIGINT/SIGTERM), writes the trajectory. Throws BackendUnavailable or runtime_error.
RunSummary run_simulation(const Config& config, const RunOptions& options);

}  // namespace aimarket
