// Fixed dimensions of the model: customer segments, regions and value-chain layers.
// Their order is the order of every array indexed by them, in memory and in the output file.
#pragma once

namespace aimarket {

constexpr int kSegments = 6;
constexpr const char* kSegmentNames[kSegments] = {"consumer",   "enterprise", "finance",
                                                  "healthcare", "legal",      "manufacturing"};

constexpr int kRegions = 5;
constexpr const char* kRegionNames[kRegions] = {"US", "KR", "EU", "CN", "ROW"};
// (segment, region) markets: the customers of one segment living in one region.
constexpr int kMarkets = kSegments * kRegions;

constexpr int kArchetypes = 10;
constexpr const char* kArchetypeNames[kArchetypes] = {
    "big_tech", "model_lab",  "chip_vendor", "memory_vendor", "npu_startup",
    "cloud",    "kr_service", "vertical_ai", "consumer_ai",   "data_vendor"};

// How a firm pays for its spending (MODEL.md "Budgets and funding"): "venture" draws down the
// cash it raised and raises rounds; "cash_flow" reinvests a share of its operating cash flow.
constexpr int kFinancingModes = 2;
constexpr const char* kFinancingNames[kFinancingModes] = {"venture", "cash_flow"};
constexpr int kCashFlowFinancing = 1;
// Archetypes funded by their operating cash flow (the others, start-ups and labs, by venture
// rounds): big tech, chip and memory makers, clouds.
constexpr bool archetype_funded_by_cash_flow(int archetype) {
  return archetype == 0 || archetype == 2 || archetype == 3 || archetype == 5;
}

// Layers of the value chain (markets 0-3 of kernels/value_chain_state.hpp share their index).
constexpr int kLayers = 5;
constexpr const char* kLayerNames[kLayers] = {"hbm", "accelerator", "cloud", "model", "service"};
constexpr int kServiceLayer = 4;

// Upstream markets (kernels/value_chain_state.hpp UpstreamMarket): the four layers below the
// service layer, and data.
constexpr int kUpstreamMarkets = 5;

// Firm strategies users compare (MODEL.md section 5; presets in configs/strategies/), after
// "none" (a firm then spends by the [firms] settings).
constexpr int kStrategyChoices = 10;
constexpr const char* kStrategyChoiceNames[kStrategyChoices] = {"none",
                                                                "vertical_integration",
                                                                "open_weight",
                                                                "closed_frontier",
                                                                "partner",
                                                                "adopt_global_base",
                                                                "sovereign_full_stack",
                                                                "vertical_niche",
                                                                "memory_specialist",
                                                                "npu_challenger"};
constexpr int kStrategies = kStrategyChoices - 1;  // presets (all but "none")

// Parameters of a strategy preset, in kernels/value_chain_state.hpp StrategyParameter order.
constexpr int kStrategyParameters = 7;
constexpr const char* kStrategyParameterNames[kStrategyParameters] = {
    "spend_rate",      "compute_share", "data_share",    "rd_share",
    "marketing_share", "markup",        "training_share"};

// Largest consideration set (demand.consideration_set): it sizes the candidate arrays on each
// device thread's stack (kernels/customer_choice.hpp), so the config may not exceed it.
constexpr int kMaxConsiderationSet = 64;

// Most services a customer uses at once (demand.max_services): its primary provider and up to
// kMaxServices - 1 others, 4 bytes each per customer-replicate (16 bytes with the segment and
// region bytes at most).
constexpr int kMaxServices = 3;

}  // namespace aimarket
