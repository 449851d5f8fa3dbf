// Names, units and descriptions of everything in the trajectory file: the one place where a
// dimension, variable or attribute of the file is named. The writer (trajectory_writer.cpp),
// its tests and docs/OUTPUT.md all follow this header; a rename here is a format change.
//
// The layout follows the netCDF-4 data model (HDF5 dimension scales for the dimensions, a
// coordinate variable named after each), so that h5py, netCDF-C and xarray read it as is.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aimarket::output_schema {

// A variable (HDF5 dataset) with its netCDF `units` and `long_name` attributes. An empty
// `units` means the variable has none (labels and indices).
struct VariableSpec {
  const char* name;
  const char* units;
  const char* long_name;
};

// --- Dimensions, each with a coordinate variable of the same name -------------------------
// Dimension ids in the netCDF sense (attribute `_Netcdf4Dimid` on each dimension scale), so
// netCDF-C lists the dimensions in this order.
enum DimensionId : std::int32_t {
  kReplicateDimId = 0,
  kStepDimId = 1,
  kFirmDimId = 2,
  kSegmentDimId = 3,
  kRegionDimId = 4,
  kLayerDimId = 5,
};

inline constexpr VariableSpec kReplicate{"replicate", "",
                                         "Monte Carlo replicate (independent random stream)"};
// Unlimited: grows by one entry per recorded step.
inline constexpr VariableSpec kStep{"step", "",
                                    "simulation step (month) index; 0 is the state after "
                                    "the first step"};
inline constexpr VariableSpec kFirm{"firm", "", "firm slot index"};
inline constexpr VariableSpec kSegment{"segment", "", "customer segment"};
inline constexpr VariableSpec kRegion{"region", "", "region"};
inline constexpr VariableSpec kLayer{"layer", "", "value-chain layer"};

// --- Auxiliary coordinates ----------------------------------------------------------------
inline constexpr VariableSpec kDate{"date", "", "calendar month of the step (YYYY-MM)"};
inline constexpr VariableSpec kFirmName{"firm_name", "", "firm name"};
inline constexpr VariableSpec kFirmArchetype{"firm_archetype", "", "firm archetype"};
inline constexpr VariableSpec kFirmRegion{"firm_region", "", "home region of the firm"};

// --- Data variables, one entry along `step` per recorded step ----------------------------
// customers(replicate, step, segment, firm), int32
inline constexpr VariableSpec kCustomers{"customers", "agents",
                                         "customer agents with the firm as their provider"};
// adopters(replicate, step, segment), int32
inline constexpr VariableSpec kAdopters{"adopters", "agents", "customer agents with any provider"};
// market_share(replicate, step, layer, firm), float64
inline constexpr VariableSpec kMarketShare{"market_share", "1",
                                           "share of the layer's market held by the firm"};
// hhi(replicate, step, layer), float64
inline constexpr VariableSpec kHhi{"hhi", "1",
                                   "Herfindahl-Hirschman index of the layer (sum of squared "
                                   "market shares, 0 to 1)"};

// --- Variable attributes ------------------------------------------------------------------
inline constexpr const char* kUnitsAttr = "units";
inline constexpr const char* kLongNameAttr = "long_name";
// On customers and adopters: real customers one agent stands for.
inline constexpr const char* kCustomerWeightAttr = "customer_weight";
// netCDF/CF list of auxiliary coordinates; xarray turns them into coordinates of the variable.
inline constexpr const char* kCoordinatesAttr = "coordinates";
// Names the dimension id of a dimension scale (netCDF-4 convention).
inline constexpr const char* kNetcdfDimIdAttr = "_Netcdf4Dimid";

// Value of the `coordinates` attribute: of variables with a step and a firm dimension, and of
// those with a step dimension only.
inline constexpr const char* kStepFirmCoordinates = "date firm_name firm_archetype firm_region";
inline constexpr const char* kStepCoordinates = "date";

// --- Layers recorded in this version -------------------------------------------------------
// The `layer` dimension lists these, in this order; the upstream layers of kLayerNames join
// as their markets are simulated.
inline constexpr std::size_t kRecordedLayers = 1;
inline constexpr const char* kRecordedLayerNames[kRecordedLayers] = {"service"};

// --- Root (global) attributes ----------------------------------------------------------------
inline constexpr const char* kTitleAttr = "title";
inline constexpr const char* kTitle = "aimarket trajectory";
inline constexpr const char* kConfigAttr = "config";  // resolved TOML text
inline constexpr const char* kConfigPathAttr = "config_path";
inline constexpr const char* kSeedAttr = "seed";  // uint64
inline constexpr const char* kProgramVersionAttr = "program_version";
inline constexpr const char* kGitRevisionAttr = "git_revision";
inline constexpr const char* kBackendAttr = "backend";         // "cpu" or "cuda"
inline constexpr const char* kStartMonthAttr = "start_month";  // "YYYY-MM" of step 0
inline constexpr const char* kStepsRequestedAttr = "steps_requested";
inline constexpr const char* kRecordEveryAttr = "record_every";
inline constexpr const char* kReplicatesAttr = "replicates";
inline constexpr const char* kCustomersPerReplicateAttr = "customers_per_replicate";
// (kCustomerWeightAttr is also a root attribute.)
inline constexpr const char* kCreatedAttr = "created";  // UTC, ISO 8601
// Recorded steps the file holds as of its last flush; equals the extent of `step`.
inline constexpr const char* kStepsRecordedAttr = "steps_recorded";
// "running" while the run writes, then "complete" or the text of the failure that ended it.
inline constexpr const char* kStatusAttr = "status";
inline constexpr const char* kStatusRunning = "running";
inline constexpr const char* kStatusComplete = "complete";
// What the file says when its writer was destroyed without finish() (e.g. during unwinding).
inline constexpr const char* kStatusIncomplete = "incomplete: the run stopped before its last step";

// --- Storage ---------------------------------------------------------------------------------
// Data variables: one step per chunk; the firm dimension split so that one replicate's row
// stays under kMaxChunkBytes, and as many replicates per chunk as fit in kTargetChunkBytes;
// shuffle + deflate at this level.
inline constexpr std::size_t kMaxChunkBytes = std::size_t{4} << 20;
inline constexpr std::size_t kTargetChunkBytes = std::size_t{1} << 20;
inline constexpr unsigned kDeflateLevel = 4;
// The `step` and `date` coordinates: uncompressed chunks of this many steps (uncompressed so
// a chunk that grows is rewritten in place; see trajectory_writer.cpp).
inline constexpr std::size_t kStepCoordinateChunk = 1024;

}  // namespace aimarket::output_schema
