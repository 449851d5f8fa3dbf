// Names, units and descriptions of everything in the trajectory file: the one place where a
// dimension, variable or attribute of the file is named. The writer (trajectory_writer.cpp),
// its tests and docs/OUTPUT.md all follow this header; a rename here is a format change.
//
// The layout follows the netCDF-4 data model (HDF5 dimension scales for the dimensions, a
// coordinate variable named after each), so that h5py, netCDF-C and xarray read it as is.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/dimensions.hpp"

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
  kParameterDimId = 6,
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
// The RecordFrame field of each carries the same name. Layers are all of kLayerNames, in
// that order; each layer counts its units in its own unit (kLayerUnitNames).
// customers(replicate, step, segment, firm), int32
inline constexpr VariableSpec kCustomers{"customers", "agents",
                                         "customer agents with the firm as their provider"};
// adopters(replicate, step, segment), int32
inline constexpr VariableSpec kAdopters{"adopters", "agents", "customer agents with any provider"};
// market_share(replicate, step, layer, firm), float64
inline constexpr VariableSpec kMarketShare{
    "market_share", "1",
    "share of the layer's units traded in the step sold by the firm (service: share of "
    "customers)"};
// revenue_share(replicate, step, layer, firm), float64
inline constexpr VariableSpec kRevenueShare{"revenue_share", "1",
                                            "share of the layer's revenue in the step earned by "
                                            "the firm"};
// hhi(replicate, step, layer), float64
inline constexpr VariableSpec kHhi{"hhi", "1",
                                   "Herfindahl-Hirschman index of the layer (sum of squared "
                                   "market shares, 0 to 1)"};
// layer_units(replicate, step, layer), float64
inline constexpr VariableSpec kLayerUnits{"layer_units", "layer units per step (see layer_unit)",
                                          "units of the layer traded in the step"};
// layer_revenue(replicate, step, layer), float64
inline constexpr VariableSpec kLayerRevenue{"layer_revenue", "USD per step",
                                            "revenue of all firms of the layer in the step"};
// region_customers(replicate, step, region, firm), int32
inline constexpr VariableSpec kRegionCustomers{
    "region_customers", "agents",
    "customer agents of the region (all segments) with the firm as their provider"};
// region_share(replicate, step, layer, region), float64
inline constexpr VariableSpec kRegionShare{"region_share", "1",
                                           "share of the layer's units traded in the step sold "
                                           "by firms based in the region"};
// price(replicate, step, layer, firm), float64; NaN where the firm does not sell in the layer
inline constexpr VariableSpec kPrice{"price", "USD per layer unit (see layer_unit)",
                                     "price the firm charges per unit of the layer (service: "
                                     "what a customer pays on average per step, paid "
                                     "conversion x list price, customer-weighted mean over "
                                     "segments); NaN where the firm does not sell in the layer"};
// service_quality(replicate, step, firm), float64; NaN where the firm sells no service
inline constexpr VariableSpec kServiceQuality{
    "service_quality", "Elo",
    "quality of the firm's service in Arena Elo points, customer-weighted mean over segments; "
    "NaN where the firm sells no service"};
// capability(replicate, step, firm), float64
inline constexpr VariableSpec kCapability{"capability", "1",
                                          "model capability of the firm, in log reducible-loss "
                                          "units (0 at the reference compute; see docs/MODEL.md)"};
// data_stock(replicate, step, firm), float64
inline constexpr VariableSpec kDataStock{
    "data_stock", "T tokens",
    "data held by the firm (10^12 tokens): general text (public and licensed, what a model "
    "developer trains on) plus domain data in every segment (see docs/MODEL.md)"};
// domain_data(replicate, step, segment, firm), float64
inline constexpr VariableSpec kDomainData{
    "domain_data", "T tokens",
    "domain data the firm holds in the segment (10^12 tokens), from its customers there and its "
    "purchases; it raises the firm's quality in that segment only (see docs/MODEL.md)"};
// data_price(replicate, step, firm), float64; NaN where the firm sells no data
inline constexpr VariableSpec kDataPrice{
    "data_price", "USD per T tokens",
    "the data vendor's price of licensed text after the step's adjustment toward clearing; NaN "
    "where the firm sells no data"};
// data_revenue(replicate, step, firm), float64
inline constexpr VariableSpec kDataRevenue{
    "data_revenue", "USD per step",
    "what the firm earned licensing text on the data market in the step (0 where it sells no "
    "data)"};
// compute(replicate, step, firm), float64
inline constexpr VariableSpec kCompute{"installed_compute", "H100e",
                                       "compute installed at the firm (H100-equivalent "
                                       "accelerators)"};
// cash(replicate, step, firm), float64
inline constexpr VariableSpec kCash{"cash", "USD M", "cash held by the firm (million USD)"};
// funding(replicate, step, firm), float64
inline constexpr VariableSpec kFunding{"funding", "USD M",
                                       "venture funding the firm raised in a round this step "
                                       "(million USD; 0 without a round; docs/MODEL.md, Budgets "
                                       "and funding)"};
// owner(replicate, step, firm), int32; -1 where the firm was not acquired
inline constexpr VariableSpec kOwner{"owner", "1",
                                     "firm slot index of the big-tech firm that acquired the "
                                     "firm (its slot is then dead until an entrant takes it); "
                                     "-1 where it was not acquired"};
// alive(replicate, step, firm), uint8
inline constexpr VariableSpec kAlive{"alive", "1",
                                     "1 while the firm is in the market, 0 once it "
                                     "has exited"};

// --- Calibration, written once ----------------------------------------------------------
// utility_offset(replicate, segment, region, firm), float64: the utility offsets xi the
// inversion of the first step calibrated from the starting shares (docs/MODEL.md, "Utilities
// calibrated from shares"), the same in every replicate of a calibration class (replicates
// with the same parameters); 0 without calibration. Written with the first
// recorded step; NaN (the fill value) in a file that holds no step.
inline constexpr VariableSpec kUtilityOffset{
    "utility_offset", "utility",
    "calibrated utility offset xi of the firm in each (segment, region) market: the mean "
    "utility that makes the starting shares a rest point (0 without calibration)"};

// --- Parameter uncertainty, written at creation (only when the run has uncertain keys) ------
// parameter(parameter): the uncertain keys, "section.name" (src/uncertainty); a dimension.
inline constexpr VariableSpec kParameter{"parameter", "",
                                         "config key whose value each replicate draws or reads "
                                         "from a parameter file"};
// parameter_origin(parameter): where the key's values come from (its prior and source, the
// parameter file, or its point value). An auxiliary coordinate of parameter_value.
inline constexpr VariableSpec kParameterOrigin{"parameter_origin", "",
                                               "where the key's values come from"};
// parameter_value(replicate, parameter), float64: the value each replicate ran with, in the
// key's unit (docs/CONFIG.md).
inline constexpr VariableSpec kParameterValue{"parameter_value", "the key's unit (docs/CONFIG.md)",
                                              "value of the uncertain config key in the replicate"};

// --- Layer units ---------------------------------------------------------------------------
// layer_unit(layer): the unit in which each layer's units (layer_units, and the denominator
// of price) are counted, in kLayerNames order. An auxiliary coordinate of every variable with
// a layer dimension.
inline constexpr VariableSpec kLayerUnit{"layer_unit", "", "unit of the layer's quantities"};
inline constexpr const char* kLayerUnitNames[kLayers] = {"HBM stacks", "accelerator units",
                                                         "H100e-months", "M tokens", "customers"};

// --- Variable attributes ------------------------------------------------------------------
inline constexpr const char* kUnitsAttr = "units";
inline constexpr const char* kLongNameAttr = "long_name";
// On customers and adopters: real customers one agent stands for.
inline constexpr const char* kCustomerWeightAttr = "customer_weight";
// netCDF/CF list of auxiliary coordinates; xarray turns them into coordinates of the variable.
inline constexpr const char* kCoordinatesAttr = "coordinates";
// Names the dimension id of a dimension scale (netCDF-4 convention).
inline constexpr const char* kNetcdfDimIdAttr = "_Netcdf4Dimid";

// Value of the `coordinates` attribute of a data variable: the auxiliary coordinates along
// its dimensions, in this order: kStepCoordinates (every data variable has a step
// dimension), then kLayerCoordinates if it has a layer dimension, then kFirmCoordinates if it
// has a firm dimension, separated by spaces.
inline constexpr const char* kStepCoordinates = "date";
inline constexpr const char* kLayerCoordinates = "layer_unit";
inline constexpr const char* kFirmCoordinates = "firm_name firm_archetype firm_region";

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
