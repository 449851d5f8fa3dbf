// Counter-based random numbers (Random123 Philox4x32-10), identical on host and device.
//
// Every draw is a pure function of (seed, replicate, step, agent, purpose, block): there is no
// generator state to carry, so results do not depend on thread count, launch shape or the order
// in which agents are processed. The 64-bit seed is the Philox key; the counter is
//   c0 = agent index, c1 = replicate, c2 = step, c3 = purpose << 16 | block,
// where `block` numbers successive groups of four 32-bit draws for the same purpose.
#pragma once

#include <cstdint>

#include "kernels/hd.hpp"

#if defined(__CUDACC__) && !defined(R123_CUDA_DEVICE)
// Random123 marks its functions __device__ only under nvcc; the step code also runs on the
// host side of the CUDA build, so make them callable from both.
#define R123_CUDA_DEVICE __host__ __device__
#endif
#include <Random123/philox.h>

namespace aimarket {

// What a draw is for: distinct purposes give independent streams.
enum class DrawPurpose : std::uint32_t {
  kAdoptOrReconsider = 1,   // whether a customer chooses this step, and the logit draw
  kConsiderationSet = 2,    // which firms a chooser considers
  kPriceTaste = 3,          // a customer's persistent price sensitivity
  kSyntheticFirm = 4,       // attributes of a synthetic firm (host, at set-up)
  kEntrySlot = 5,           // region of a free entry slot (host, at set-up)
  kEntryCount = 6,          // how many firms enter a replicate in a step (Poisson)
  kEntrantFunding = 7,      // an entrant's venture funding (its starting cash)
  kEntrantQuality = 8,      // an entrant's base quality per segment
  kEntrantPrice = 9,        // an entrant's base price per segment
  kAcquisitionBid = 10,     // whether an acquirer bids in a step
  kAcquisitionTarget = 11,  // which start-ups it looks at
  kAdaptation = 12,         // strategy review: which peer, whether to imitate
  kMutation = 13,           // strategy mutation noise
  kEntrantRegion = 14,      // extra entrants of a region (scenario entry boost)
  kFirmTaste = 15,          // a customer's persistent taste for each firm
  kRestCalibration = 20,    // a calibration round's logit draw (kernels/rest_calibration.hpp)
  kMultiHoming = 21,        // whether a customer drops or adds a service, which, and its logit
  kFundingRound = 30,       // whether a venture-funded firm's raise closes in a step
  kParameterDraw = 40,      // a replicate's value of an uncertain parameter (host, at set-up)
};

// A step value for draws that do not change over time (persistent tastes, set-up).
constexpr std::uint32_t kTimelessStep = 0xffffffffu;

// Step values of the utility inversion's rounds (kernels/rest_calibration.hpp), counted down
// from just below kTimelessStep: far above any run's steps (the schema caps run.steps at
// 10^7 and demand.calibration_rounds at 1000), so a round's draws, consideration sets
// included, never repeat a step's.
AIMARKET_HD constexpr std::uint32_t rest_calibration_step(std::uint32_t round) {
  return kTimelessStep - 1u - round;
}

struct DrawBlock {
  std::uint32_t word[4];
};

AIMARKET_HD inline DrawBlock draw_block(std::uint64_t seed, std::uint32_t replicate,
                                        std::uint32_t step, std::uint32_t agent,
                                        DrawPurpose purpose, std::uint32_t block) {
  r123::Philox4x32 philox;
  r123::Philox4x32::ctr_type counter = {
      {agent, replicate, step, (static_cast<std::uint32_t>(purpose) << 16) | (block & 0xffffu)}};
  r123::Philox4x32::key_type key = {
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  const r123::Philox4x32::ctr_type out = philox(counter, key);
  return DrawBlock{{out.v[0], out.v[1], out.v[2], out.v[3]}};
}

// A uniform double in the open interval (0, 1) from one 32-bit word: (x + 1/2) / 2^32.
AIMARKET_HD inline double uniform_open01(std::uint32_t word) {
  return (static_cast<double>(word) + 0.5) * 2.3283064365386962890625e-10;
}

// An integer uniform in [0, n) from one 32-bit word, by the multiply-shift map (exact integer
// arithmetic, bias below n / 2^32).
AIMARKET_HD inline std::uint32_t uniform_index(std::uint32_t word, std::uint32_t n) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(word) * n) >> 32);
}

}  // namespace aimarket
