// Where each element of the engine's flat arrays lives. Every array is row-major over the
// dimensions of its shape, the replicate outermost wherever there is one, so that all replicates
// of an ensemble share one allocation and advance in the same launches. Offsets are computed in
// std::int64_t whatever the argument types, so that no product of 32-bit counts can wrap.
//
//   shape                          offset                    arrays (where)
//   Per replicate:
//   [replicate][customer]          replicate_customer        provider (CustomerView)
//   [replicate][firm]              replicate_firm            firm state (FirmDynamic), alive,
//                                                            awareness, growth; per-firm frame
//                                                            arrays (capability, cash, ...)
//   [replicate][segment]           replicate_segment         adopters (SegmentMarketView);
//                                                            frame
//   [replicate][segment][region]   replicate_segment_region  adoption hazard, supply flag
//                                                            (a (segment, region) market)
//   [replicate][segment][firm]     replicate_segment_firm    tallies, network term, quality
//                                                            and price terms, service and base
//                                                            quality and price
//   [replicate][segment][region][firm]
//                                  replicate_segment_region_firm  market tallies, alias tables,
//                                                            the inversion's counts
//   [replicate][region][firm]      replicate_region_firm     customers by region (the frame)
//   [replicate][market][firm]      replicate_market_firm     upstream markets (MarketArrays)
//   [replicate][parameter][firm]   replicate_parameter_firm  strategy parameters, adapted copy
//   [replicate][layer]             replicate_layer           HHI, layer units and revenue
//   [replicate][layer][firm]       replicate_layer_firm      market and revenue shares, prices
//   [replicate][layer][region]     replicate_layer_region    regional shares
//   The same in every replicate:
//   [segment][firm]                segment_firm              serves, starting quality, price
//                                                            and tallies (MarketSetup, FirmTable)
//   [region][firm]                 region_firm               starting region tallies
//   [segment][region][firm]        segment_region_firm       utility offsets xi, inversion
//                                                            groups, starting market tallies
//   [parameter][firm]              parameter_firm            starting strategy parameters
//   [firm][region]                 firm_region               region term of utility, language fit
//   [firm][segment]                firm_segment              starting shares; entrants' counters
//   [firm][parameter]              firm_parameter            mutation draw counters
//   [segment][region]              segment_region            customer population cells
//   [seller region][buyer region]  seller_buyer_region       export controls
// The layer arrays belong to the record frame and the output file (src/driver/simulation.hpp);
// the rest to the device (kernels/market_state.hpp, value_chain_state.hpp) and its setup
// (src/backend/backend.hpp, src/population).
//
// A launch over a per-replicate shape numbers its threads by the same offsets; the split_*
// functions turn a thread's flat index (or any flat index) back into its coordinates.
#pragma once

#include <cstdint>

#include "kernels/hd.hpp"
#include "model/dimensions.hpp"

namespace aimarket {
namespace layout {

// ---- Per replicate ----

AIMARKET_HD constexpr std::int64_t replicate_customer(std::int64_t replicate, std::int64_t customer,
                                                      std::int64_t customers) {
  return replicate * customers + customer;
}

AIMARKET_HD constexpr std::int64_t replicate_firm(std::int64_t replicate, std::int64_t firm,
                                                  std::int64_t firms) {
  return replicate * firms + firm;
}

AIMARKET_HD constexpr std::int64_t replicate_segment(std::int64_t replicate, std::int64_t segment) {
  return replicate * kSegments + segment;
}

// [replicate][segment][region]: a (segment, region) market of a replicate.
AIMARKET_HD constexpr std::int64_t replicate_segment_region(std::int64_t replicate,
                                                            std::int64_t segment,
                                                            std::int64_t region) {
  return (replicate * kSegments + segment) * kRegions + region;
}

AIMARKET_HD constexpr std::int64_t replicate_segment_firm(std::int64_t replicate,
                                                          std::int64_t segment, std::int64_t firm,
                                                          std::int64_t firms) {
  return (replicate * kSegments + segment) * firms + firm;
}

AIMARKET_HD constexpr std::int64_t replicate_region_firm(std::int64_t replicate,
                                                         std::int64_t region, std::int64_t firm,
                                                         std::int64_t firms) {
  return (replicate * kRegions + region) * firms + firm;
}

// [replicate][segment][region][firm]: a (segment, region) market's firms.
AIMARKET_HD constexpr std::int64_t replicate_segment_region_firm(std::int64_t replicate,
                                                                 std::int64_t segment,
                                                                 std::int64_t region,
                                                                 std::int64_t firm,
                                                                 std::int64_t firms) {
  return ((replicate * kSegments + segment) * kRegions + region) * firms + firm;
}

AIMARKET_HD constexpr std::int64_t replicate_market_firm(std::int64_t replicate,
                                                         std::int64_t market, std::int64_t firm,
                                                         std::int64_t firms) {
  return (replicate * kUpstreamMarkets + market) * firms + firm;
}

AIMARKET_HD constexpr std::int64_t replicate_parameter_firm(std::int64_t replicate,
                                                            std::int64_t parameter,
                                                            std::int64_t firm, std::int64_t firms) {
  return (replicate * kStrategyParameters + parameter) * firms + firm;
}

AIMARKET_HD constexpr std::int64_t replicate_layer(std::int64_t replicate, std::int64_t layer) {
  return replicate * kLayers + layer;
}

AIMARKET_HD constexpr std::int64_t replicate_layer_firm(std::int64_t replicate, std::int64_t layer,
                                                        std::int64_t firm, std::int64_t firms) {
  return (replicate * kLayers + layer) * firms + firm;
}

AIMARKET_HD constexpr std::int64_t replicate_layer_region(std::int64_t replicate,
                                                          std::int64_t layer, std::int64_t region) {
  return (replicate * kLayers + layer) * kRegions + region;
}

// ---- The same in every replicate ----

AIMARKET_HD constexpr std::int64_t segment_firm(std::int64_t segment, std::int64_t firm,
                                                std::int64_t firms) {
  return segment * firms + firm;
}

// [segment][region][firm]: a (segment, region) market's firms.
AIMARKET_HD constexpr std::int64_t segment_region_firm(std::int64_t segment, std::int64_t region,
                                                       std::int64_t firm, std::int64_t firms) {
  return (segment * kRegions + region) * firms + firm;
}

AIMARKET_HD constexpr std::int64_t region_firm(std::int64_t region, std::int64_t firm,
                                               std::int64_t firms) {
  return region * firms + firm;
}

AIMARKET_HD constexpr std::int64_t parameter_firm(std::int64_t parameter, std::int64_t firm,
                                                  std::int64_t firms) {
  return parameter * firms + firm;
}

AIMARKET_HD constexpr std::int64_t firm_region(std::int64_t firm, std::int64_t region) {
  return firm * kRegions + region;
}

AIMARKET_HD constexpr std::int64_t firm_segment(std::int64_t firm, std::int64_t segment) {
  return firm * kSegments + segment;
}

AIMARKET_HD constexpr std::int64_t firm_parameter(std::int64_t firm, std::int64_t parameter) {
  return firm * kStrategyParameters + parameter;
}

AIMARKET_HD constexpr std::int64_t segment_region(std::int64_t segment, std::int64_t region) {
  return segment * kRegions + region;
}

AIMARKET_HD constexpr std::int64_t seller_buyer_region(std::int64_t seller_region,
                                                       std::int64_t buyer_region) {
  return seller_region * kRegions + buyer_region;
}

// Entries of the [region][region] export-control table.
constexpr int kRegionPairs = kRegions * kRegions;

// ---- A thread's flat index back to its coordinates ----

// A thread of a launch over [replicate][firm].
struct ReplicateFirm {
  std::int64_t replicate;
  std::int32_t firm;
};
AIMARKET_HD inline ReplicateFirm split_replicate_firm(std::int64_t index, std::int64_t firms) {
  const std::int64_t replicate = index / firms;
  return ReplicateFirm{replicate, static_cast<std::int32_t>(index - replicate * firms)};
}

// A thread of a launch over [replicate][segment].
struct ReplicateSegment {
  std::int64_t replicate;
  int segment;
};
AIMARKET_HD inline ReplicateSegment split_replicate_segment(std::int64_t index) {
  const std::int64_t replicate = index / kSegments;
  return ReplicateSegment{replicate, static_cast<int>(index - replicate * kSegments)};
}

// A thread of a launch over [replicate][segment][region].
struct ReplicateSegmentRegion {
  std::int64_t replicate;
  int segment;
  int region;
};
AIMARKET_HD inline ReplicateSegmentRegion split_replicate_segment_region(std::int64_t index) {
  const std::int64_t row = index / kRegions;  // replicate * kSegments + segment
  const std::int64_t replicate = row / kSegments;
  return ReplicateSegmentRegion{replicate, static_cast<int>(row - replicate * kSegments),
                                static_cast<int>(index - row * kRegions)};
}

// A thread of a launch over [replicate][segment][firm].
struct ReplicateSegmentFirm {
  std::int64_t replicate;
  int segment;
  std::int32_t firm;
};
AIMARKET_HD inline ReplicateSegmentFirm split_replicate_segment_firm(std::int64_t index,
                                                                     std::int64_t firms) {
  const std::int64_t row = index / firms;  // replicate * kSegments + segment
  const std::int64_t replicate = row / kSegments;
  return ReplicateSegmentFirm{replicate, static_cast<int>(row - replicate * kSegments),
                              static_cast<std::int32_t>(index - row * firms)};
}

// An element of a [replicate][layer][firm] array (the record frame's per-layer arrays).
struct ReplicateLayerFirm {
  std::int64_t replicate;
  int layer;
  std::int32_t firm;
};
AIMARKET_HD inline ReplicateLayerFirm split_replicate_layer_firm(std::int64_t index,
                                                                 std::int64_t firms) {
  const std::int64_t row = index / firms;  // replicate * kLayers + layer
  const std::int64_t replicate = row / kLayers;
  return ReplicateLayerFirm{replicate, static_cast<int>(row - replicate * kLayers),
                            static_cast<std::int32_t>(index - row * firms)};
}

// A thread of a launch over [replicate][entry] for a list of `entries` per replicate (a
// market's buyers or sellers, pairs of customers).
struct ReplicateEntry {
  std::int64_t replicate;
  std::int64_t entry;
};
AIMARKET_HD inline ReplicateEntry split_replicate_entry(std::int64_t index, std::int64_t entries) {
  const std::int64_t replicate = index / entries;
  return ReplicateEntry{replicate, index - replicate * entries};
}

}  // namespace layout
}  // namespace aimarket
