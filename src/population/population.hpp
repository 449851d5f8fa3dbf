// Who is in the market at the start of a run: the firm table (named firms from the config,
// then synthetic firms drawn from documented distributions) and the customer population.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "config/config.hpp"

namespace aimarket {

struct FirmTable {
  std::vector<std::string> name;
  std::vector<std::string> archetype;
  std::vector<int> region;              // index into kRegionNames
  std::vector<double> quality;          // [segment][firm]
  std::vector<double> price;            // [segment][firm] list price of the paid tier
  std::vector<double> paid_conversion;  // [segment][firm] share of users who pay it
  std::vector<std::uint8_t> serves;     // [segment][firm]
  std::vector<double> awareness;        // [firm]
  std::vector<double> language_fit;     // [firm][region]
  // The value chain.
  std::vector<std::uint8_t> layer_mask;      // [firm] kLayerBit* | kSellsDataBit
  std::vector<std::uint8_t> in_house_chips;  // [firm] big tech's own accelerators
  std::vector<std::uint8_t> open_weights;    // [firm]
  std::vector<std::int32_t> model_source;    // [firm] kOwnModel, kOpenModel or partner index
  std::vector<double> chip_performance;      // [firm]
  // Strategy parameters at start, [StrategyParameter][firm] (kernels/value_chain_state.hpp).
  std::array<std::vector<double>, kStrategyParameters> strategy;
  std::vector<double> initial_share;   // [firm][segment] share of adopters at step 0
  std::vector<double> cloud_self_use;  // [firm] share of own compute not rented out
  std::vector<double> api_price;       // [firm] API price at step 0, USD per M tokens
  std::vector<double> api_share;       // [firm] API spending share at start, or -1 (none)
  std::vector<double> cash_musd, fab_capacity, hbm_capacity;  // [firm] starting state
  std::vector<double> installed_compute, data_stock, training_compute;
  std::vector<double> other_income_musd;       // [firm] per step
  std::vector<std::uint8_t> cash_flow_funded;  // [firm] 1: financing "cash_flow", 0: "venture"
  std::vector<double> reinvestment_rate;       // [firm] share of operating cash flow spent
  std::vector<std::uint8_t> alive;             // [firm] at step 0; 0: a free slot for entrants
  std::int32_t size() const { return static_cast<std::int32_t>(name.size()); }
};

// Named firms in config order, then `population.synthetic_firms` synthetic ones, then
// `entry.free_slots` slots "slot-NNNNN", dead at start, that entrants fill. A synthetic
// firm's region follows population.region_shares (kr_service: KR), its archetype
// population.synthetic_mix, its size a Pareto(1) multiple of firms.synthetic_cash (Zipf), its
// layers and segments its archetype's (docs/MODEL.md); its quality in each segment served is
// Normal(synthetic_quality_mean, synthetic_quality_sd) and its price LogNormal(log
// synthetic_price_median, synthetic_price_log_sd). Draws come from
// the counter-based generator keyed by the run seed, so a seed gives the same firms anywhere.
FirmTable build_firm_table(const Config& config);

// Customer agents of one replicate (the same in every replicate). Each (segment, region) cell
// gets round(customers * segment_share * region_share) agents by the largest-remainder method,
// so cell sizes match the shares exactly up to one agent; agents are stored cell by cell.
struct CustomerPopulation {
  std::vector<std::uint8_t> segment;
  std::vector<std::uint8_t> region;
  std::array<std::int64_t, kSegments> customers_in_segment{};
  std::array<std::int64_t, kMarkets> customers_in_market{};  // [segment][region]
};
CustomerPopulation build_customer_population(const PopulationSettings& population);

// What a scenario's levers mean on the device: the levers on utility (home procurement, a
// closed stack and its penalty abroad, which the customers' choice adds to each firm's region
// term), export controls, region levers and entry boosts. make_market_setup uses the
// config's [scenario]; events use theirs.
ScenarioUpdate make_scenario_update(const ScenarioSettings& scenario);

// The device-side inputs: utility terms premultiplied by their coefficients. With
// demand.calibration_rounds > 0 the levers acting on utility at once (home procurement, closed
// stack, global model access) start at 0; the driver applies the config's after calibrating
// utilities (src/driver/simulation.cpp).
MarketSetup make_market_setup(const Config& config, const FirmTable& firms,
                              const CustomerPopulation& customers);

}  // namespace aimarket
