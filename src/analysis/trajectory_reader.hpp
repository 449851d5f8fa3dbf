// Reading aimarket trajectory files (docs/OUTPUT.md) for analysis: the run's metadata, the
// firm table and the recorded steps and dates, and one recorded step of any data variable at
// a time, converted to double. `aimarket compare` computes its outcome measures through this
// class, so that it works the same on files it has just written and on files given to it.
//
// Every problem with an input file (missing, not HDF5, not an aimarket trajectory, a broken
// layout) is reported as InputError, one sentence naming the file, so the command line can
// exit with its bad-input status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace aimarket::analysis {

// Bad input to an analysis command: a file or option the user gave. what() is one sentence.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Root attributes, coordinates and firm table of a trajectory file.
struct TrajectoryInfo {
  std::string path;
  std::string status;  // "complete", "running", "interrupted after ...", "failed: ..."
  std::string config;  // effective configuration (TOML)
  std::string config_path;
  std::string program_version;
  std::string start_month;  // YYYY-MM of step 0
  std::uint64_t seed = 0;
  std::int64_t replicates = 0;
  std::int64_t steps_requested = 0;
  std::int64_t record_every = 1;
  double customer_weight = 1.0;
  std::vector<std::string> firm_name, firm_archetype, firm_region;  // [firm]
  std::vector<std::string> layer, region, segment;                  // coordinate labels
  std::vector<std::int64_t> step;  // [recorded step] model step index
  std::vector<std::string> date;   // [recorded step] YYYY-MM
  // Parameter uncertainty: the uncertain keys and each replicate's values,
  // [replicate][parameter]; empty in a run without any (or from a version before them).
  std::vector<std::string> parameter;
  std::vector<double> parameter_value;

  bool complete() const;
  std::size_t firms() const { return firm_name.size(); }
  // Position of a label in `layer` / `region`; InputError naming the file if absent.
  std::size_t layer_index(const std::string& name) const;
  std::size_t region_index(const std::string& name) const;
  // Position along `step` of the recorded step with this date, or -1.
  std::int64_t date_index(const std::string& date_text) const;
};

// True if `path` should be read as a trajectory file rather than a config: its name ends in
// .h5, .hdf5 or .nc, or its content starts with the HDF5 signature.
bool is_trajectory_path(const std::string& path);

class TrajectoryReader {
 public:
  // Opens the file read-only and reads its metadata. Throws InputError for a missing file,
  // one that HDF5 cannot open, or one whose `title` is not "aimarket trajectory".
  explicit TrajectoryReader(const std::string& path);
  ~TrajectoryReader();
  TrajectoryReader(TrajectoryReader&&) noexcept;
  TrajectoryReader& operator=(TrajectoryReader&&) noexcept;

  const TrajectoryInfo& info() const { return info_; }
  // Whether the file has a data variable of this name (older files lack newer variables).
  bool has(const std::string& name) const;
  // A data variable (replicate, step, ...) at position `index` along `step`, as double (integer
  // types converted), row-major [replicate][inner...]; `inner` receives the sizes of the
  // dimensions after `step`. Throws InputError naming the file and variable if it is missing
  // or shorter than `index + 1` steps.
  std::vector<double> read_step(const std::string& name, std::int64_t index,
                                std::vector<std::size_t>* inner = nullptr) const;

 private:
  struct File;
  std::unique_ptr<File> file_;
  TrajectoryInfo info_;
};

}  // namespace aimarket::analysis
