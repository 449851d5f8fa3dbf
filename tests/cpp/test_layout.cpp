// The array layouts of kernels/layout.hpp: each offset is row-major in the order its name
// gives, the thread-index splits invert the offsets, and nothing wraps at 32 bits.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "kernels/layout.hpp"

namespace aimarket {
namespace {

// Walking the coordinates in nested loops, outermost first, must visit offsets 0, 1, 2, ...:
// that is row-major order with the extents the shape names.
TEST(Layout, PerReplicateOffsetsAreRowMajorInTheNamedOrder) {
  const std::int32_t replicates = 3, firms = 7, customers = 11;
  std::int64_t next[12] = {};
  for (std::int32_t r = 0; r < replicates; ++r) {
    for (std::int32_t c = 0; c < customers; ++c) {
      EXPECT_EQ(layout::replicate_customer(r, c, customers), next[0]++);
    }
    for (std::int32_t j = 0; j < firms; ++j) {
      EXPECT_EQ(layout::replicate_firm(r, j, firms), next[1]++);
    }
    for (int s = 0; s < kSegments; ++s) {
      EXPECT_EQ(layout::replicate_segment(r, s), next[2]++);
      for (std::int32_t j = 0; j < firms; ++j) {
        EXPECT_EQ(layout::replicate_segment_firm(r, s, j, firms), next[3]++);
      }
      for (int g = 0; g < kRegions; ++g) {
        EXPECT_EQ(layout::replicate_segment_region(r, s, g), next[11]++);
        for (std::int32_t j = 0; j < firms; ++j) {
          EXPECT_EQ(layout::replicate_segment_region_firm(r, s, g, j, firms), next[10]++);
        }
      }
    }
    for (int g = 0; g < kRegions; ++g) {
      for (std::int32_t j = 0; j < firms; ++j) {
        EXPECT_EQ(layout::replicate_region_firm(r, g, j, firms), next[4]++);
      }
    }
    for (int m = 0; m < kUpstreamMarkets; ++m) {
      for (std::int32_t j = 0; j < firms; ++j) {
        EXPECT_EQ(layout::replicate_market_firm(r, m, j, firms), next[5]++);
      }
    }
    for (int p = 0; p < kStrategyParameters; ++p) {
      for (std::int32_t j = 0; j < firms; ++j) {
        EXPECT_EQ(layout::replicate_parameter_firm(r, p, j, firms), next[6]++);
      }
    }
    for (int l = 0; l < kLayers; ++l) {
      EXPECT_EQ(layout::replicate_layer(r, l), next[7]++);
      for (std::int32_t j = 0; j < firms; ++j) {
        EXPECT_EQ(layout::replicate_layer_firm(r, l, j, firms), next[8]++);
      }
      for (int g = 0; g < kRegions; ++g) {
        EXPECT_EQ(layout::replicate_layer_region(r, l, g), next[9]++);
      }
    }
  }
}

TEST(Layout, SharedOffsetsAreRowMajorInTheNamedOrder) {
  const std::int32_t firms = 7;
  std::int64_t next[9] = {};
  for (int s = 0; s < kSegments; ++s) {
    for (std::int32_t j = 0; j < firms; ++j) {
      EXPECT_EQ(layout::segment_firm(s, j, firms), next[0]++);
    }
    for (int g = 0; g < kRegions; ++g) {
      EXPECT_EQ(layout::segment_region(s, g), next[1]++);
      for (std::int32_t j = 0; j < firms; ++j) {
        EXPECT_EQ(layout::segment_region_firm(s, g, j, firms), next[8]++);
      }
    }
  }
  for (int g = 0; g < kRegions; ++g) {
    for (std::int32_t j = 0; j < firms; ++j) EXPECT_EQ(layout::region_firm(g, j, firms), next[2]++);
    for (int h = 0; h < kRegions; ++h) EXPECT_EQ(layout::seller_buyer_region(g, h), next[3]++);
  }
  for (int p = 0; p < kStrategyParameters; ++p) {
    for (std::int32_t j = 0; j < firms; ++j) {
      EXPECT_EQ(layout::parameter_firm(p, j, firms), next[4]++);
    }
  }
  for (std::int32_t j = 0; j < firms; ++j) {
    for (int g = 0; g < kRegions; ++g) EXPECT_EQ(layout::firm_region(j, g), next[5]++);
    for (int s = 0; s < kSegments; ++s) EXPECT_EQ(layout::firm_segment(j, s), next[6]++);
    for (int p = 0; p < kStrategyParameters; ++p) {
      EXPECT_EQ(layout::firm_parameter(j, p), next[7]++);
    }
  }
  EXPECT_EQ(next[3], layout::kRegionPairs);
}

TEST(Layout, SplitsInvertTheOffsets) {
  const std::int64_t replicates = 3, firms = 7, entries = 5;
  for (std::int64_t index = 0; index < replicates * firms; ++index) {
    const layout::ReplicateFirm at = layout::split_replicate_firm(index, firms);
    EXPECT_GE(at.firm, 0);
    EXPECT_LT(at.firm, firms);
    EXPECT_EQ(layout::replicate_firm(at.replicate, at.firm, firms), index);
  }
  for (std::int64_t index = 0; index < replicates * kSegments; ++index) {
    const layout::ReplicateSegment at = layout::split_replicate_segment(index);
    EXPECT_GE(at.segment, 0);
    EXPECT_LT(at.segment, kSegments);
    EXPECT_EQ(layout::replicate_segment(at.replicate, at.segment), index);
  }
  for (std::int64_t index = 0; index < replicates * kSegments * kRegions; ++index) {
    const layout::ReplicateSegmentRegion at = layout::split_replicate_segment_region(index);
    EXPECT_GE(at.segment, 0);
    EXPECT_LT(at.segment, kSegments);
    EXPECT_GE(at.region, 0);
    EXPECT_LT(at.region, kRegions);
    EXPECT_EQ(layout::replicate_segment_region(at.replicate, at.segment, at.region), index);
  }
  for (std::int64_t index = 0; index < replicates * kSegments * firms; ++index) {
    const layout::ReplicateSegmentFirm at = layout::split_replicate_segment_firm(index, firms);
    EXPECT_GE(at.segment, 0);
    EXPECT_LT(at.segment, kSegments);
    EXPECT_GE(at.firm, 0);
    EXPECT_LT(at.firm, firms);
    EXPECT_EQ(layout::replicate_segment_firm(at.replicate, at.segment, at.firm, firms), index);
  }
  for (std::int64_t index = 0; index < replicates * kLayers * firms; ++index) {
    const layout::ReplicateLayerFirm at = layout::split_replicate_layer_firm(index, firms);
    EXPECT_GE(at.layer, 0);
    EXPECT_LT(at.layer, kLayers);
    EXPECT_GE(at.firm, 0);
    EXPECT_LT(at.firm, firms);
    EXPECT_EQ(layout::replicate_layer_firm(at.replicate, at.layer, at.firm, firms), index);
  }
  for (std::int64_t index = 0; index < replicates * entries; ++index) {
    const layout::ReplicateEntry at = layout::split_replicate_entry(index, entries);
    EXPECT_GE(at.entry, 0);
    EXPECT_LT(at.entry, entries);
    EXPECT_EQ(at.replicate * entries + at.entry, index);
  }
}

// 32-bit coordinates and extents whose offsets lie far beyond 2^31: a product taken in int
// would wrap (to a negative or a small offset), and the split would not give them back.
TEST(Layout, OffsetsOf32BitCountsDoNotWrap) {
  const std::int32_t replicates = 100000, firms = 50000, customers = 2000000000;
  const std::int32_t r = replicates - 1, j = firms - 1;
  const int s = kSegments - 1;
  const std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();

  const std::int64_t cell = layout::replicate_segment_firm(r, s, j, firms);
  EXPECT_GT(cell, int32_max);
  const layout::ReplicateSegmentFirm at = layout::split_replicate_segment_firm(cell, firms);
  EXPECT_EQ(at.replicate, r);
  EXPECT_EQ(at.segment, s);
  EXPECT_EQ(at.firm, j);

  const std::int64_t firm_cell = layout::replicate_firm(r, j, firms);
  EXPECT_GT(firm_cell, int32_max);
  const layout::ReplicateFirm by_firm = layout::split_replicate_firm(firm_cell, firms);
  EXPECT_EQ(by_firm.replicate, r);
  EXPECT_EQ(by_firm.firm, j);

  const std::int64_t customer_cell = layout::replicate_customer(r, customers - 1, customers);
  EXPECT_GT(customer_cell, int32_max);
  const layout::ReplicateEntry by_customer =
      layout::split_replicate_entry(customer_cell, customers);
  EXPECT_EQ(by_customer.replicate, r);
  EXPECT_EQ(by_customer.entry, customers - 1);

  // Each further shape: the last element is one before the shape's size, computed in 64 bits.
  const std::int64_t reps = replicates;
  EXPECT_EQ(layout::replicate_region_firm(r, kRegions - 1, j, firms), reps * kRegions * firms - 1);
  EXPECT_EQ(layout::replicate_market_firm(r, kUpstreamMarkets - 1, j, firms),
            reps * kUpstreamMarkets * firms - 1);
  EXPECT_EQ(layout::replicate_parameter_firm(r, kStrategyParameters - 1, j, firms),
            reps * kStrategyParameters * firms - 1);
  EXPECT_EQ(layout::replicate_layer_firm(r, kLayers - 1, j, firms), reps * kLayers * firms - 1);
}

}  // namespace
}  // namespace aimarket
