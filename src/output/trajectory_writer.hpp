// HDF5 trajectory file of one run: the layout is documented in docs/OUTPUT.md, and every
// dataset name used in the file is defined in output_schema.hpp.
//
// The writer owns a background thread: the step loop hands it a RecordFrame and goes on
// simulating while the frame is appended to the file. At most two frames wait in the queue
// (double buffering); push() blocks when both slots are full so memory stays bounded.
// The file is flushed at least every `flush_seconds`, so a killed run leaves a file that
// HDF5 opens, holding every recorded step written before the last flush; the root attribute
// `steps_recorded` says how many. The file is written under a hidden temporary name and takes
// the target's name once its first frame is on disk (output_path.hpp): a run that fails or is
// killed before that leaves the target as it was.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aimarket {

// Everything the file carries to make the run reproducible and its arrays readable.
struct RunMetadata {
  std::string config_path;
  std::string resolved_config;  // the effective config, as TOML text
  std::uint64_t seed = 0;
  std::string program_version;
  std::string git_revision;
  std::string backend;      // "cpu" or "cuda"
  std::string start_month;  // "YYYY-MM" of step 0
  std::int64_t steps = 0;   // steps the run was asked for
  std::int64_t record_every = 1;
  std::int64_t replicates = 0;
  std::int64_t customers_per_replicate = 0;
  double customer_weight = 1.0;
  // The firm table, one entry per firm slot.
  std::vector<std::string> firm_name;
  std::vector<std::string> firm_archetype;
  std::vector<std::string> firm_region;
  // Parameter uncertainty (src/uncertainty): the uncertain keys, where each one's values come
  // from, and each replicate's values, [replicate][parameter]; empty without any.
  std::vector<std::string> parameter_name;
  std::vector<std::string> parameter_origin;
  std::vector<double> parameter_value;
};

// One recorded step, for all replicates. Row-major, outermost index first. Layers are all of
// kLayerNames (hbm, accelerator, cloud, model, service); each layer's units are its own:
// HBM stacks, accelerator units, H100e-months of cloud compute, M tokens of model API use,
// and customers (real customers, agents x customer_weight) for service.
struct RecordFrame {
  std::int64_t step = 0;                // step index (0 = state after the first step)
  std::vector<std::int32_t> customers;  // [replicate][segment][firm] customer agents
  std::vector<std::int32_t> adopters;   // [replicate][segment]
  std::vector<double> market_share;     // [replicate][layer][firm] share of the layer's units
  std::vector<double> revenue_share;    // [replicate][layer][firm] share of its revenue
  std::vector<double> hhi;              // [replicate][layer] Herfindahl index of market_share
  std::vector<double> layer_units;      // [replicate][layer] units traded in the step
  std::vector<double> layer_revenue;    // [replicate][layer] USD in the step
  std::vector<double> region_share;     // [replicate][layer][region] share of units sold
                                        //   by firms based in each region
  std::vector<double> price;            // [replicate][layer][firm] USD per unit (service:
                                        //   revenue per customer, paid conversion x list
                                        //   price, customer-weighted mean over segments);
                                        //   NaN where the firm does not sell in the layer
  std::vector<std::int32_t> region_customers;  // [replicate][region][firm] customer agents
  std::vector<double> service_quality;  // [replicate][firm] Arena Elo points, customer-weighted
                                        //   mean over segments; NaN without a service
  std::vector<double> capability;       // [replicate][firm] model capability (log units)
  std::vector<double> data_stock;       // [replicate][firm] T tokens, general + domain
  std::vector<double> domain_data;      // [replicate][segment][firm] T tokens
  std::vector<double> data_price;       // [replicate][firm] USD per T tokens; NaN: no data sold
  std::vector<double> data_revenue;     // [replicate][firm] USD in the step
  std::vector<double> compute;          // [replicate][firm] installed H100e
  std::vector<double> cash;             // [replicate][firm] USD M
  std::vector<double> funding;          // [replicate][firm] USD M raised in a round this step
  std::vector<std::uint8_t> alive;      // [replicate][firm] 1 alive, 0 exited
  std::vector<std::int32_t> owner;      // [replicate][firm] acquirer's slot, or -1
  // Written once, from the frame that carries it (the first): the calibrated utility offsets
  // (output_schema::kUtilityOffset), [replicate][segment][region][firm]; empty in the other
  // frames.
  std::vector<double> utility_offset;
};

class TrajectoryWriter {
 public:
  // Checks the path (check_output_path: an existing file is refused unless overwrite, and
  // anything but a regular file always), creates the file under its temporary name and writes
  // the metadata, coordinates and firm table. Throws OutputPathError or std::runtime_error
  // naming the file on failure (the target untouched, the temporary removed), and
  // std::invalid_argument for metadata that cannot describe a file (no replicates, an empty
  // or ragged firm table, a start_month that is not YYYY-MM).
  TrajectoryWriter(const std::string& path, const RunMetadata& meta, bool overwrite,
                   double flush_seconds);
  ~TrajectoryWriter();  // finishes (as finish()) if not done; never throws
  TrajectoryWriter(const TrajectoryWriter&) = delete;
  TrajectoryWriter& operator=(const TrajectoryWriter&) = delete;

  // Queues a frame for writing; blocks while two frames wait. Throws std::invalid_argument,
  // naming the field, for a frame whose sizes do not match the metadata or whose step does
  // not follow the previous one. Rethrows (once) an error the writer thread met; after that
  // every push throws.
  void push(RecordFrame frame);
  // Writes what is queued, sets the root attribute `status` ("complete", or the given
  // failure text; "failed: ..." if writing failed and the given text is not a failure),
  // flushes, closes, and gives the file the target's name if it does not have it yet. If
  // writing failed, the file keeps its last flush and its `status` says why (best effort: a
  // file that could not be finished at all is removed before it takes the target's name).
  // Rethrows an error the writer thread met that push() has not reported. Only the first
  // call acts.
  void finish(const std::string& status = "complete");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aimarket
