// Firm state of the value chain as the step functors see it: structure of arrays, indexed
// [replicate][firm] (or [replicate][market][firm]); static firm attributes are [firm].
#pragma once

#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// Upstream markets. The first four are the value-chain layers of the same index in
// kLayerNames (hbm, accelerator, cloud, model); data is traded but is not a layer.
enum UpstreamMarket : int {
  kMarketHbm = 0,
  kMarketAccelerator = 1,
  kMarketCloud = 2,
  kMarketModel = 3,
  kMarketData = 4,
};
static_assert(kMarketData + 1 == kUpstreamMarkets, "one UpstreamMarket per market");

// Layer bits of FirmStatic::layer_mask (bit l = layer l of kLayerNames), and data selling.
constexpr std::uint8_t kLayerBitHbm = 1u << 0;
constexpr std::uint8_t kLayerBitAccelerator = 1u << 1;
constexpr std::uint8_t kLayerBitCloud = 1u << 2;
constexpr std::uint8_t kLayerBitModel = 1u << 3;
constexpr std::uint8_t kLayerBitService = 1u << 4;
constexpr std::uint8_t kSellsDataBit = 1u << 5;

// Fixed-point scale of traded quantities: units are counted in 2^-16 of a unit, as int64, so
// that what a seller sells and what its buyers receive are sums of the same integers.
constexpr double kUnitScale = 65536.0;

// A firm's strategy parameters (MODEL.md section 5; configs/strategies/), per replicate
// because strategy adaptation moves them: [replicate][parameter][firm].
enum StrategyParameter : int {
  kSpendRate = 0,     // share of the cash after the last round spent per step
  kComputeShare = 1,  // shares of the budget: compute (or capacity), data, R&D, marketing
  kDataShare = 2,
  kRdShare = 3,
  kMarketingShare = 4,
  kMarkup = 5,         // service price markup over unit cost
  kTrainingShare = 6,  // share of a lab's spare compute kept for training (kernels/model_api.hpp)
};
static_assert(kTrainingShare + 1 == kStrategyParameters,
              "one StrategyParameter per name in kStrategyParameterNames");

// What overflowed the int64 range (kernels/checked_int.hpp) in a firm's money or units.
enum OverflowQuantity : int {
  kOverflowCash = 1,
  kOverflowServiceRevenue = 2,  // customers x price in a step
  kOverflowExternalCost = 3,    // costs paid outside the economy in a step
  kOverflowAcquisition = 4,     // an acquirer's price, cash or costs
  // Upstream market m: kOverflowMarket + kOverflowPerMarket * m + one of these four.
  kOverflowMarket = 8,
};
enum MarketOverflow : int {
  kOverflowUnitsSold = 0,
  kOverflowSalesRevenue = 1,
  kOverflowUnitsBought = 2,
  kOverflowPayments = 3,
};
constexpr int kOverflowPerMarket = 4;
constexpr int kOverflowQuantities = kOverflowMarket + kOverflowPerMarket * kUpstreamMarkets;

// Where the kernels record int64 overflows. `first` holds each firm's first one in its
// [replicate][firm] cell: 0 for none, else step * kOverflowQuantities + the OverflowQuantity;
// a later one does not replace it. In every launch one thread owns a cell, so the record does
// not depend on the thread count or the backend. `any` is set to 1 as well, so that the
// driver, which stops the run at the step it happened (src/driver/simulation.cpp), reads one
// word per step.
struct OverflowRecord {
  std::int64_t* first;  // [replicate][firm]
  std::uint32_t* any;
  AIMARKET_HD void record(std::int64_t cell, std::int64_t step, int quantity) const {
    if (first[cell] == 0) first[cell] = step * kOverflowQuantities + quantity;
    raise_flag(any);
  }
};

// model_source codes (>= 0: the partner firm's index).
constexpr std::int32_t kOwnModel = -1;
constexpr std::int32_t kOpenModel = -2;

struct FirmStatic {
  std::int32_t firms;
  const std::uint8_t* layer_mask;         // [firm]
  const std::uint8_t* in_house_chips;     // [firm] 1: accelerators for its own use only
  const std::uint8_t* region;             // [firm]
  const std::uint8_t* archetype;          // [firm], index into kArchetypeNames
  const double* chip_performance;         // [firm] H100e per unit at step 0
  const std::int32_t* model_source;       // [firm]
  const std::uint8_t* open_weights;       // [firm]
  const double* base_awareness;           // [firm]
  const std::int64_t* other_income;       // [firm] USD per step from outside the model
  const std::uint8_t* cash_flow_funded;   // [firm] 1: budget from operating cash flow
  const double* reinvestment_rate;        // [firm] share of operating cash flow spent
  const std::uint8_t* serves;             // [segment][firm]
  const double* paid_conversion;          // [segment][firm] share of users who pay the price
  const std::int32_t* open_weight_firms;  // indices of firms releasing open weights
  std::int32_t open_weight_count;
  const std::int32_t* model_developers;  // indices of firms with layer model
  std::int32_t model_developer_count;
  const double* base_strategy;   // [parameter][firm] at start (an entrant's too)
  const double* cloud_self_use;  // [firm] share of own compute not rented out
  const double* api_offset;      // [firm] supplier-logit offset o_j (kernels/model_api.hpp)
};

struct FirmDynamic {
  std::uint8_t* alive;            // [replicate][firm]
  std::int64_t* cash;             // [replicate][firm] USD
  double* fab_capacity;           // [replicate][firm] accelerator units per step
  double* hbm_capacity;           // [replicate][firm] HBM stacks per step
  double* installed_compute;      // [replicate][firm] H100e
  double* data_stock;             // [replicate][firm] T tokens of general text (trained on)
  double* training_compute;       // [replicate][firm] cumulative effective FLOP
  double* capability;             // [replicate][firm]
  double* rd_stock;               // [replicate][firm] USD M
  double* marketing_stock;        // [replicate][firm] USD M, decaying sum of marketing spend
  double* rd_budget;              // [replicate][firm] USD this step
  double* marketing_budget;       // [replicate][firm] USD this step
  double* capex;                  // [replicate][firm] USD this step (capacity investment)
  std::int64_t* external_cost;    // [replicate][firm] USD paid outside the economy this step
  std::int64_t* service_revenue;  // [replicate][firm] USD from customers this step
  std::int64_t* funding;          // [replicate][firm] USD raised in a round this step
  // [replicate][firm] 1: the firm exits at the end of this step's settlement (ApplyExits), so
  // that every firm's settlement sees the same live firms whatever the thread order.
  std::uint8_t* leaving;
  double* operating_income;  // [replicate][firm] USD, last step's operating cash flow
  double* revenue_trend;     // [replicate][firm] USD, exponential average of revenue
  double* awareness;         // [replicate][firm] sampling awareness of the step
  double* quality_term;      // [replicate][segment][firm] beta_quality * quality
  double* price_term;        // [replicate][segment][firm] log(1 + r / p_ref)
  // What a user pays on average, r = paid_conversion x the paid tier's list price (USD per
  // customer-month; the list price itself when every user pays): revenue per user.
  double* service_price;    // [replicate][segment][firm]
  double* service_quality;  // [replicate][segment][firm] quality (Arena Elo points)
  // Base quality and price are per replicate because an entrant draws its own when it takes a
  // slot, and replicates fill the same slot at different steps with different entrants.
  double* base_quality;          // [replicate][segment][firm] (not multiplied by beta)
  double* base_price;            // [replicate][segment][firm] list price before costs, USD
  double* strategy;              // [replicate][parameter][firm] (StrategyParameter)
  double* subsidy;               // [replicate][firm] USD of budget top-ups this step
  std::int32_t* acquired_by;     // [replicate][firm] acquirer of a dead slot, or -1
  std::int64_t* cash_at_review;  // [replicate][firm] USD at the last strategy review
  // [replicate][firm] USD a venture firm held after its last round (or at start or entry): it
  // plans its burn on this, spend_rate x cash_at_round a step (kernels/funding_rounds.hpp).
  std::int64_t* cash_at_round;
  double* quality_start;  // [replicate][segment][firm] endogenous quality at start/entry (Elo)
  // Data (kernels/data_stocks.hpp): general text, trained on, is public_held + licensed_held
  // (data_stock); domain data counts only in its segment's quality.
  double* public_held;         // [replicate][firm] T tokens of public text held
  double* licensed_held;       // [replicate][firm] T tokens of licensed or released general text
  double* general_acquired;    // [replicate][firm] T tokens of general text ever licensed/released
  double* data_licensed;       // [replicate][firm] T tokens a data vendor has ever licensed out
  double* domain_data;         // [replicate][segment][firm] T tokens held
  double* domain_acquired;     // [replicate][segment][firm] T tokens ever gathered or bought
  double* packaging_capacity;  // [replicate][firm] accelerator units per step (reserved)
  // [replicate][firm][CapacityPlanLayout::stride()] pipelines of capacity orders and demand
  // estimates (kernels/capacity_investment.hpp).
  double* capacity_plan;
  // Accessor of a strategy parameter.
  AIMARKET_HD double& strategy_of(std::int64_t replicate, int parameter, std::int32_t firms,
                                  std::int32_t j) const {
    return strategy[layout::replicate_parameter_firm(replicate, parameter, j, firms)];
  }
};

// One upstream market's arrays, all [replicate][market][firm] (use `row` to offset).
struct MarketArrays {
  double* price;               // seller's price, USD per unit
  double* unit_demand;         // buyer's demand in units (bought at any price)
  double* budget;              // buyer's budget in USD (units = budget / price)
  double* weight_total;        // buyer's sum of seller weights
  double* capacity;            // seller's units on offer (negative: unlimited)
  double* demand_received;     // seller's total demand in units
  double* ration;              // seller's fill ratio min(1, capacity / demand)
  std::int64_t* sold;          // seller's units sold, fixed point
  std::int64_t* revenue;       // seller's revenue, USD
  std::int64_t* bought;        // buyer's units received, fixed point
  std::int64_t* paid;          // buyer's payments, USD
  double* performance_bought;  // buyer's units received times the seller's performance
  double* attraction;          // seller's weight before trade rules: S_j (p_j/perf_j)^-theta
  double* price_floor;         // seller's own price floor this step (model API: serving cost)
};

}  // namespace aimarket
