// The two backends behind one interface. The engine (ensemble_engine.inl) and the kernels of
// kernels/ it launches are compiled once for the CPU (Thrust's OpenMP system, cpu_backend.cpp)
// and once for CUDA (cuda_backend.cu); each copy lives in its own namespace and is reached
// only through the factories below.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/demand_params.hpp"
#include "kernels/layout.hpp"
#include "kernels/value_chain_params.hpp"
#include "kernels/value_chain_state.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// Everything the device needs to run the customer market, as flat host arrays.
struct MarketSetup {
  std::int64_t replicates = 0;
  std::int64_t customers = 0;  // per replicate
  std::int32_t firms = 0;
  std::uint64_t seed = 0;
  DemandParams demand{};
  std::vector<std::uint8_t> customer_segment;                // [customer]
  std::vector<std::uint8_t> customer_region;                 // [customer]
  std::array<std::int64_t, kMarkets> customers_in_market{};  // [segment][region]
  std::vector<double> quality_term;                          // [segment][firm]
  std::vector<double> price_term;                            // [segment][firm] log(1 + r / p_ref)
  // What a user pays on average at step 0, r = paid_conversion x list price (USD per
  // customer-month); the value chain adds passed-through costs from the first step on.
  std::vector<double> service_price;  // [segment][firm]
  std::vector<std::uint8_t> serves;   // [segment][firm]
  std::vector<double> language_fit;   // [firm][region] fit of each firm's language
  std::vector<double> awareness;      // [firm]
  // Calibration classes (src/calibration/rest_point.hpp): replicates that run with the same
  // parameters share one class and its utility offsets xi, which start at 0.
  std::int32_t calibration_classes = 1;
  std::vector<std::int32_t> calibration_class;  // [replicate]; empty: all in class 0
  bool rest_calibration = false;  // the engine can count rest choices (calibration on)
  // Customers who already use a service at step 0 (population.initial_adoption), the same in
  // every replicate: provider per customer (-1: none) and the tallies that match it.
  std::vector<std::int32_t> initial_provider;      // [customer], empty: nobody
  std::vector<std::int32_t> initial_tally;         // [segment][firm]
  std::vector<std::int32_t> initial_market_tally;  // [segment][region][firm]
  // Host only (the utility inversion's targets): the starting shares the customers were spread
  // by, per (segment, region) market.
  std::vector<double> initial_market_share;  // [segment][region][firm]

  // The value chain (ignored when frozen: quality and price then stay as above).
  bool frozen = true;
  ValueChainParams value_chain{};
  RegionLevers levers{};           // the scenario's levers at the start
  UtilityLevers utility_levers{};  // its levers on utility at the start
  // Parameter uncertainty (src/uncertainty): each replicate's parameters, the config's with
  // its draws of the uncertain keys, [replicate]; empty: value_chain in every replicate.
  std::vector<ValueChainParams> value_chain_by_replicate;
  // The same for the demand side's per-replicate keys (taste, price and switching weights).
  std::vector<DemandParams> demand_by_replicate;
  std::vector<std::uint8_t> layer_mask;         // [firm] kLayerBit* and kSellsDataBit
  std::vector<std::uint8_t> in_house_chips;     // [firm]
  std::vector<std::uint8_t> firm_region;        // [firm]
  std::vector<std::uint8_t> firm_archetype;     // [firm], index into kArchetypeNames
  std::vector<std::uint8_t> open_weights;       // [firm]
  std::vector<std::int32_t> model_source;       // [firm] kOwnModel, kOpenModel or partner
  std::vector<std::int32_t> open_weight_firms;  // firms releasing open weights
  std::vector<double> chip_performance;         // [firm]
  std::vector<std::int32_t> model_developers;   // firms with layer model
  std::vector<double> strategy;                 // [parameter][firm] at start (StrategyParameter)
  std::vector<double> cloud_self_use;           // [firm]
  std::vector<std::uint8_t> cash_flow_funded;   // [firm] 1: budget from operating cash flow
  std::vector<double> reinvestment_rate;        // [firm] share of operating cash flow spent
  std::vector<double> api_offset;               // [firm] supplier-logit offset (model_api.hpp)
  AdaptationParams adaptation{};                // every 0: off
  AcquisitionParams acquisition{};              // rate 0: off
  std::vector<std::int32_t> acquirers;          // big-tech firms that may acquire
  std::vector<double> base_quality;             // [segment][firm] (not multiplied by beta)
  std::vector<double> base_price;               // [segment][firm] list price, USD per month
  std::vector<double> paid_conversion;          // [segment][firm] share of users who pay
  EntryParams entry{};                          // rate 0: no entry
  // Starting state of every replicate, [firm].
  std::vector<std::uint8_t> alive;         // 0: a free slot for entrants
  std::vector<std::int64_t> cash;          // USD
  std::vector<std::int64_t> other_income;  // USD per step, outside money
  std::vector<double> operating_income;    // USD, each firm's operating cash flow before step 0
  std::vector<double> fab_capacity, hbm_capacity, installed_compute, data_stock;
  // [firm] packaging capacity reserved, accelerator units per step; doubles per firm of the
  // capacity pipelines.
  std::vector<double> packaging_capacity;
  std::int64_t capacity_plan_stride = 0;
  std::vector<double> training_compute, capability;
  std::array<std::vector<double>, kUpstreamMarkets> initial_price;  // [firm]
  std::array<std::vector<std::int32_t>, kUpstreamMarkets> buyers;   // firm indices
  std::array<std::vector<std::int32_t>, kUpstreamMarkets> sellers;  // firm indices
  std::array<double, kUpstreamMarkets> price_floor{};               // USD per unit
  std::array<std::uint8_t, layout::kRegionPairs> export_blocked{};  // [seller][buyer region]
};

// What a scenario event changes between steps (docs/CONFIG.md [[event]]).
struct ScenarioUpdate {
  RegionLevers levers{};
  UtilityLevers utility_levers{};  // home procurement, closed stacks and their penalty
  std::array<std::uint8_t, layout::kRegionPairs> export_blocked{};  // [seller][buyer region]
  std::array<double, kRegions> entry_boost{};                       // extra entrants per step
  std::array<std::uint8_t, kArchetypes> entry_boost_archetype{};    // 1: boost may fill it
};

// The state a recorded step reads back from the device.
struct EnsembleSnapshot {
  std::vector<std::int32_t> tally;          // [replicate][segment][firm] uses
  std::vector<std::int32_t> region_tally;   // [replicate][region][firm] primary providers
  std::vector<std::int32_t> adopters;       // [replicate][segment] customers with a provider
  std::vector<std::int64_t> sold, revenue;  // [replicate][market][firm] fixed point, USD
  std::vector<std::int64_t> bought, paid;   // [replicate][market][firm] fixed point, USD
  std::vector<double> price;                // [replicate][market][firm] USD per unit
  std::vector<double> service_price;        // [replicate][segment][firm] r, USD per user-month
  std::vector<double> service_quality;      // [replicate][segment][firm]
  std::vector<double> capability, data_stock, installed_compute;  // [replicate][firm]
  std::vector<double> rd_stock;                                   // [replicate][firm] USD M
  std::vector<std::int64_t> cash;                                 // [replicate][firm] USD
  std::vector<std::int64_t> service_revenue, external_cost;       // [replicate][firm] USD, step
  std::vector<std::int64_t> funding;  // [replicate][firm] USD raised in the step (outside money)
  std::vector<std::uint8_t> alive;    // [replicate][firm]
  std::vector<std::int32_t> acquired_by;  // [replicate][firm] acquirer, or -1

  // Data (kernels/data_stocks.hpp): data_stock above is general text = public_held +
  // licensed_held; [replicate][firm] T tokens, domain_* [replicate][segment][firm].
  std::vector<double> public_held, licensed_held, general_acquired, data_licensed;
  std::vector<double> domain_data, domain_acquired;
  // [replicate][firm] fab, HBM and packaging capacity, units per step.
  std::vector<double> fab_capacity, hbm_capacity, packaging_capacity;
  std::vector<double> capex;  // [replicate][firm] USD put into capacity in the step
  // [replicate][firm] USD, the step's operating cash flow (kernels/funding_rounds.hpp).
  std::vector<double> operating_income;
};

// The sizes that decide what an engine allocates (backend/ensemble_engine.inl), all known from
// the config before anything is built.
struct EngineSizes {
  std::int64_t replicates = 0;
  std::int64_t customers = 0;            // per replicate
  std::int64_t firms = 0;                // firm slots: named, synthetic and free
  std::int64_t services = 1;             // demand.max_services: services per customer
  bool initial_customers = false;        // population.initial_adoption > 0 in some segment
  bool sampled_consideration = false;    // demand.consideration_set in [1, firms)
  bool adaptation = false;               // strategy.adapt_every > 0
  bool rest_calibration = false;         // demand.calibration_rounds > 0
  std::int64_t calibration_classes = 1;  // MarketSetup::calibration_classes

  // Doubles per firm and replicate of the capacity pipelines (kernels/capacity_investment.hpp).
  std::int64_t capacity_plan_stride = 0;
};

// Bytes an engine allocates for its arrays (device memory on CUDA, host memory on the CPU
// backend), and the largest host buffer it fills while building one of them (freed before
// the next).
struct EngineFootprint {
  double arrays = 0.0;
  double staging = 0.0;
};

// The same for either backend: both compile the one engine of backend/ensemble_engine.inl.
EngineFootprint engine_footprint(const EngineSizes& sizes);

struct PhaseTime {
  std::string phase;
  double seconds = 0.0;
};

class EnsembleBackend {
 public:
  virtual ~EnsembleBackend() = default;
  virtual const char* name() const = 0;
  // Advances every replicate by one step (step index t, 0-based): advance_firms(t), then
  // finish_step(t).
  void step(std::int64_t t) {
    advance_firms(t);
    finish_step(t);
  }
  // The firms' part of step t, up to their service offer (nothing when frozen).
  virtual void advance_firms(std::int64_t t) = 0;
  // The rest of step t: market aggregates, customer choice, entry, finance, acquisition,
  // adaptation.
  virtual void finish_step(std::int64_t t) = 0;
  // The utility inversion's measurement (kernels/rest_calibration.hpp): every customer
  // chooses once with round `round`'s draws and nobody moves; `chosen` receives the adopters'
  // choices, `kept` those that stay in the chooser's calibration group (set_rest_groups) and
  // `adopted` the non-adopters' choices as newcomers, all [replicate][segment][region][firm]
  // (the chooser's market). Needs MarketSetup::rest_calibration.
  virtual void count_rest_choices(std::uint32_t round, std::vector<std::int32_t>& chosen,
                                  std::vector<std::int32_t>& kept,
                                  std::vector<std::int32_t>& adopted) = 0;
  // Each firm's calibration group per (segment, region) market, [segment][region][firm]
  // (-1: none).
  virtual void set_rest_groups(const std::vector<std::int32_t>& group) = 0;
  // Replaces the utility offsets xi, [class][segment][region][firm].
  virtual void set_utility_offset(const std::vector<double>& offset) = 0;
  // Customers per provider: [replicate][segment][firm].
  virtual void read_tallies(std::vector<std::int32_t>& tally) = 0;
  // Everything a recorded step needs (and what the accounting tests check).
  virtual void read_snapshot(EnsembleSnapshot& snapshot) = 0;
  // Every customer's provider (-1 = none): [replicate][customer]. For tests and checks.
  virtual void read_providers(std::vector<std::int32_t>& provider) = 0;
  // Every customer's other services (multi-homing; -1 = empty slot):
  // [replicate][customer][demand.max_services - 1], empty when single-homing. For tests.
  virtual void read_other_services(std::vector<std::int32_t>& others) = 0;
  // True once any firm's money or units left the int64 range (kernels/checked_int.hpp);
  // cheap enough to ask after every step.
  virtual bool overflowed() = 0;
  // Every firm's first overflow, [replicate][firm]: 0 none, else step * kOverflowQuantities
  // + its OverflowQuantity (kernels/value_chain_state.hpp).
  virtual void read_overflow(std::vector<std::int64_t>& overflow) = 0;
  // Changes the scenario's levers from the next step on.
  virtual void apply_scenario(const ScenarioUpdate& update) = 0;
  // Bytes of device memory held per customer-replicate by the customer state.
  virtual double customer_state_bytes() const = 0;
  // Bytes the engine's arrays hold (device memory on CUDA, host memory on the CPU backend):
  // the sum over its owners of device state. engine_footprint is this, counted before
  // anything is built, with the lists of firm indices at their largest.
  virtual double array_bytes() const = 0;

  // Phase timing for benchmarks: when on, step() accumulates wall-clock seconds per phase
  // (each phase ends with its launches complete, so the times are device times too).
  void set_phase_timing(bool on) { phase_timing_ = on; }
  const std::vector<PhaseTime>& phase_seconds() const { return phase_seconds_; }

 protected:
  // Adds `seconds` to the named phase (in the order phases first appear).
  void add_phase_time(const char* phase, double seconds);
  bool phase_timing_ = false;

 private:
  std::vector<PhaseTime> phase_seconds_;
};

std::unique_ptr<EnsembleBackend> make_cpu_backend(const MarketSetup& setup);
std::unique_ptr<EnsembleBackend> make_cuda_backend(const MarketSetup& setup);

// True when the CUDA backend was built and a GPU with a working driver is present; otherwise
// false with one sentence in *why_not.
bool cuda_backend_usable(std::string* why_not);
// Free and total memory of the GPU the CUDA backend uses (cudaMemGetInfo); false without one.
bool cuda_memory_info(std::size_t* free_bytes, std::size_t* total_bytes);
// Name, compute capability and memory of the GPU the CUDA backend uses ("" without one).
std::string cuda_device_description();

// Sets the number of CPU threads the CPU backend uses (0 = OpenMP's default).
void set_cpu_threads(int threads);
// The number of CPU threads the CPU backend will use.
int cpu_threads();

}  // namespace aimarket
