// `aimarket bench`: how fast the step loop advances an ensemble, measured with the program's
// own pieces (Simulation, the engine's phase clock, TrajectoryWriter), so that the numbers
// are those of a real run and not of a stripped-down copy.
//
// Each repetition builds a fresh Simulation (same config and seed, so every repetition does
// the same work), runs `warmup` untimed steps, then `steps` timed ones. A timed step is the
// engine's step (its phases from EnsembleBackend::phase_seconds) followed by "record"
// (reading the tallies and building the output frame, as a run does at every recorded step).
// With output on, the frame is also pushed to a TrajectoryWriter writing a temporary HDF5
// file ("output": the push, plus the final finish() that drains the writer's queue).
// Throughput counts agent-updates: customers x replicates x steps / seconds, and the same
// for firms. Speed is reported, never asserted.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "config/config.hpp"
#include "driver/simulation.hpp"

namespace aimarket {

struct BenchOptions {
  std::int64_t steps = 10;  // timed steps per repetition
  std::int64_t warmup = 2;  // untimed steps before them
  int repetitions = 3;
  bool output = false;  // also time writing every step to a temporary HDF5 file
  BackendChoice backend = BackendChoice::kAuto;
  int threads = 0;           // CPU backend threads; 0 = OpenMP's default
  std::string command_line;  // recorded in the report, to reproduce it
};

// A median with the smallest and largest value it summarises.
struct Spread {
  double median = 0.0;
  double min = 0.0;
  double max = 0.0;
};
// Median (mean of the middle two for an even count), min and max; all 0 for no values.
Spread spread_of(std::vector<double> values);

// agents x replicates x steps / seconds (0 when seconds is not positive).
double updates_per_second(std::int64_t agents, std::int64_t replicates, std::int64_t steps,
                          double seconds);

// Seconds per step of each phase, in the order the phases first ran.
using PhaseSplit = std::vector<PhaseTime>;

struct BenchRepetition {
  int repetition = 0;    // 1-based
  bool output = false;   // whether this repetition wrote the HDF5 file
  double seconds = 0.0;  // wall-clock time of all timed steps
  // Processor time the whole process used meanwhile (all threads, user + system). Well below
  // seconds x threads, it says the threads were waiting for cores other programs held.
  double cpu_seconds = 0.0;
  double seconds_per_step = 0.0;
  double customer_updates_per_second = 0.0;
  double firm_updates_per_second = 0.0;
  PhaseSplit phase_seconds_per_step;
};

// The repetitions of one mode (output off or on), summarised.
struct BenchModeSummary {
  bool output = false;
  Spread seconds_per_step;
  Spread customer_updates_per_second;
  Spread firm_updates_per_second;
  std::vector<std::string> phase_names;  // the engine's phases, then "record", "output"
  std::vector<Spread> phase_seconds_per_step;
};

struct BenchReport {
  // What was measured, and where.
  std::string config_path;
  std::string command_line;
  std::string program_version;
  std::string git_revision;
  std::string date_utc;   // ISO 8601, when the bench started
  std::string cpu_model;  // from /proc/cpuinfo ("" where unknown)
  int logical_cpus = 0;
  std::array<double, 3> load_average_start{};  // 1, 5, 15 minutes
  std::array<double, 3> load_average_end{};
  std::string backend;         // "cpu" or "cuda"
  std::string backend_note;    // the driver's line: threads, or GPU name
  int threads = 0;             // CPU threads (0 for cuda)
  std::int64_t customers = 0;  // per replicate
  std::int64_t replicates = 0;
  std::int32_t firms = 0;  // named + synthetic
  std::int64_t consideration_set = 0;
  std::int64_t steps = 0;  // timed, per repetition
  std::int64_t warmup = 0;
  int repetitions = 0;
  bool output = false;

  std::vector<BenchRepetition> runs;        // in the order they ran (off, on, off, on, ...)
  std::vector<BenchModeSummary> summaries;  // output off, then output on when measured
  // Time with output over time without, paired by repetition (all 0 when output was not
  // measured).
  Spread output_time_ratio;

  // Memory. Host: the process's peak resident set (getrusage). Device: free-memory drop
  // across building the engine (cudaMemGetInfo), measured only on the cuda backend.
  double peak_host_bytes = 0.0;
  double customer_state_bytes = 0.0;  // engine's account, per customer-replicate
  bool device_memory_measured = false;
  double device_bytes = 0.0;
};

// Host bytes or device bytes per customer-replicate.
double bytes_per_customer(double bytes, std::int64_t customers, std::int64_t replicates);

// Runs the benchmark. `config` is the loaded config with sizes already set; its run.steps
// must be at least warmup + steps (the CLI sets it so). Throws BackendUnavailable or
// std::runtime_error, as run_simulation does.
BenchReport run_bench(const Config& config, const BenchOptions& options);

// The readable table printed on stdout.
std::string bench_table(const BenchReport& report);
// The same report as a JSON object.
std::string bench_json(const BenchReport& report);

}  // namespace aimarket
