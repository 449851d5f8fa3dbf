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
#include "config/config.hpp"
#include "output/trajectory_writer.hpp"
#include "population/population.hpp"

namespace aimarket {

enum class BackendChoice { kAuto, kCpu, kCuda };

// The requested backend cannot run here (e.g. --backend cuda without a usable GPU).
class BackendUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the host needs, besides the device state, to turn a snapshot into an output frame.
struct RecordLayout {
  std::int64_t replicates = 0;
  std::int32_t firms = 0;
  double customer_weight = 1.0;
  std::vector<int> firm_region;                                 // [firm]
  std::array<std::vector<std::uint8_t>, kLayers> sells;         // [layer][firm]
};

// One ensemble in memory: population, backend, and the step counter. Tests drive it directly.
class Simulation {
 public:
  // `note` receives one line saying which backend was chosen and why.
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

 private:
  Config config_;
  FirmTable firms_;
  CustomerPopulation customers_;
  std::unique_ptr<EnsembleBackend> backend_;
  std::int64_t steps_done_ = 0;
  RecordLayout layout_;
  EnsembleSnapshot snapshot_;
};

// The recorded-step rule: every record_every-th step, and always the last one.
bool is_recorded_step(std::int64_t step, std::int64_t record_every, std::int64_t steps);

// Shares (units and revenue), HHI, totals, regional shares and prices per layer, and firm
// state, from a snapshot of the device state.
RecordFrame make_record_frame(std::int64_t step, const EnsembleSnapshot& snapshot,
                              const RecordLayout& layout);

// Numerical guard: the first NaN or infinity in recorded firm state (capability, data,
// installed compute, cash, or the price of a layer the firm sells in), as one sentence naming
// step, replicate, firm and quantity; empty when all is finite.
std::string find_non_finite_state(const RecordFrame& frame, const RecordLayout& layout,
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
