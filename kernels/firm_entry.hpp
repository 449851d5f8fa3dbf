// Entry of start-ups into free firm slots (MODEL.md section 4, step 9, entry part).
//
// Firm capacity is fixed at start, so device memory never grows: entrants revive dead slots.
// One thread per replicate, after the customers chose and before finance settles:
//   K ~ Poisson(rate), drawn by inversion, P(K = k) = e^-rate rate^k / k!, in pieces of rate at
//     most 256 (so e^-piece never underflows), each piece with its own uniform;
//   a slot is free when it is an entry slot (index >= first_slot: synthetic firms and the
//     [entry] free_slots), dead, and has no customer left in any segment (customers of an
//     exited firm leave in the customer phase after its exit, so its slot is free from then);
//   the min(K, free slots) lowest-index free slots are revived; surplus entrants are lost;
//   a scenario's entry boost adds K_g ~ Poisson(region_boost_g) entrants into the free slots
//     of region g whose archetype the boost draws on (scenario.entry_boost_archetypes; any by
//     default), own counter per region, after the base draw;
//   a slot's archetype (drawn at set-up from entry.archetype_mix) gives the entrant its layers
//     and segments: a cloud, chip maker or model lab enters with no capacity, compute or
//     model and builds them from its funding like any firm of its kind;
//   an entrant's cash is its venture funding, funding * exp(funding_log_sd * z) USD M
//     (z standard normal, capped at kMaxEntrantCash), money from outside the economy; its
//     stocks (capacity, compute, data, training compute, capability, R&D, marketing) start at
//     0 (reset_data: its data and data ledgers too); its base quality per segment is
//     Normal(quality_mean, quality_sd) and base price LogNormal(log price_median, price_log_sd),
//     like a synthetic firm's (a list price, which the slot's paid_conversion,
//     firms.paid_conversion, of its users pay); its strategy parameters are the slot's starting
//     ones and it was acquired by no one.
// The thread walks the slots in index order, and every draw is keyed by (replicate, step,
// slot), so the result is the same on any thread count and on CPU and GPU.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/counter_rng.hpp"
#include "kernels/det_math.hpp"
#include "kernels/firm_dynamics.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "kernels/normal_draw.hpp"
#include "kernels/value_chain_params.hpp"
#include "kernels/value_chain_state.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// Largest Poisson mean drawn by one inversion: e^-256 is far above the smallest double.
constexpr double kPoissonPiece = 256.0;
// Largest starting cash of an entrant, USD: the largest cash a config may give a firm
// (1e7 USD M), so that a far tail draw cannot overflow the int64 cash.
constexpr double kMaxEntrantCash = 1e13;

// min(K, cap) for K ~ Poisson(rate), by inversion of the CDF, with one uniform per piece of
// mean rate / pieces <= kPoissonPiece (a sum of independent Poissons is Poisson). Stopping
// at the cap keeps the work bounded by what can be used.
AIMARKET_HD inline std::int64_t poisson_entrants(std::uint64_t seed, std::uint32_t replicate,
                                                 std::uint32_t step, double rate, std::int64_t cap,
                                                 DrawPurpose purpose = DrawPurpose::kEntryCount,
                                                 std::uint32_t agent = 0) {
  if (!(rate > 0.0) || cap <= 0) return 0;
  const auto pieces = static_cast<std::int64_t>(rate / kPoissonPiece) + 1;
  const double lambda = rate / static_cast<double>(pieces);
  const double p0 = det_exp(-lambda);
  std::int64_t total = 0;
  DrawBlock d{};
  for (std::int64_t piece = 0; piece < pieces && total < cap; ++piece) {
    if (piece % 4 == 0) {
      d = draw_block(seed, replicate, step, agent, purpose, static_cast<std::uint32_t>(piece / 4));
    }
    const double u = uniform_open01(d.word[piece % 4]);
    double p = p0;
    double cumulative = p0;
    std::int64_t k = 0;
    while (u > cumulative && total + k < cap) {
      ++k;
      p = p * lambda / static_cast<double>(k);
      const double next = cumulative + p;
      // Past the mode the terms can no longer move the rounded CDF: stop (probability of
      // getting here is that of u above the CDF's rounded top, about 1e-16).
      if (next == cumulative && static_cast<double>(k) > lambda) break;
      cumulative = next;
    }
    total += k;
  }
  return total < cap ? total : cap;
}

// One thread per replicate.
struct EnterFirms {
  FirmStepContext c;
  EntryParams e;
  std::uint64_t seed;
  std::uint32_t step;

  AIMARKET_HD bool slot_is_free(std::int64_t replicate, std::int32_t j) const {
    const std::int32_t n = c.firm.firms;
    if (c.dyn.alive[layout::replicate_firm(replicate, j, n)]) return false;
    for (int s = 0; s < kSegments; ++s) {
      if (c.tally[layout::replicate_segment_firm(replicate, s, j, n)] != 0) return false;
    }
    return true;
  }

  // A boosted entrant into region g may take slot j: in g, of an archetype the boost draws on.
  AIMARKET_HD bool boost_may_take(std::int32_t j, int g) const {
    return c.firm.region[j] == g && e.boost_archetype[c.firm.archetype[j]] != 0;
  }

  AIMARKET_HD void operator()(std::int64_t replicate) const {
    const std::int32_t n = c.firm.firms;
    std::int64_t free_slots = 0;
    for (std::int32_t j = e.first_slot; j < n; ++j)
      free_slots += slot_is_free(replicate, j) ? 1 : 0;
    const auto r = static_cast<std::uint32_t>(replicate);
    std::int64_t entrants = poisson_entrants(seed, r, step, e.rate, free_slots);
    for (std::int32_t j = e.first_slot; j < n && entrants > 0; ++j) {
      if (!slot_is_free(replicate, j)) continue;
      enter(replicate, j);
      --entrants;
    }
    // A scenario's entry boost: extra entrants into the free slots of one region each.
    for (int g = 0; g < kRegions; ++g) {
      if (!(e.region_boost[g] > 0.0)) continue;
      std::int64_t free_in_region = 0;
      for (std::int32_t j = e.first_slot; j < n; ++j) {
        if (boost_may_take(j, g) && slot_is_free(replicate, j)) ++free_in_region;
      }
      std::int64_t extra =
          poisson_entrants(seed, r, step, e.region_boost[g], free_in_region,
                           DrawPurpose::kEntrantRegion, static_cast<std::uint32_t>(g));
      for (std::int32_t j = e.first_slot; j < n && extra > 0; ++j) {
        if (!boost_may_take(j, g) || !slot_is_free(replicate, j)) continue;
        enter(replicate, j);
        --extra;
      }
    }
  }

 private:
  AIMARKET_HD void enter(std::int64_t replicate, std::int32_t j) const {
    const std::int32_t n = c.firm.firms;
    const std::int64_t index = layout::replicate_firm(replicate, j, n);
    const auto r = static_cast<std::uint32_t>(replicate);
    const auto slot = static_cast<std::uint32_t>(j);
    const double z = standard_normal(seed, r, step, slot, DrawPurpose::kEntrantFunding);
    double funding = e.funding_musd * 1e6 * det_exp(e.funding_log_sd * z);
    if (funding > kMaxEntrantCash) funding = kMaxEntrantCash;
    c.dyn.alive[index] = 1;
    c.dyn.cash[index] = static_cast<std::int64_t>(std::floor(funding + 0.5));
    c.dyn.cash_at_review[index] = c.dyn.cash[index];
    c.dyn.cash_at_round[index] = c.dyn.cash[index];  // its seed round
    c.dyn.acquired_by[index] = -1;
    for (int p = 0; p < kStrategyParameters; ++p) {
      c.dyn.strategy_of(replicate, p, n, j) = c.firm.base_strategy[layout::parameter_firm(p, j, n)];
    }
    c.dyn.fab_capacity[index] = 0.0;
    c.dyn.hbm_capacity[index] = 0.0;
    c.dyn.packaging_capacity[index] = 0.0;
    {
      // A fresh firm has no capacity on order and no demand history.
      double* plan = c.capacity_plan(index);
      const std::int64_t stride = CapacityPlanLayout{c.p(replicate).pipeline_slots}.stride();
      for (std::int64_t k = 0; k < stride; ++k) plan[k] = 0.0;
    }
    c.dyn.installed_compute[index] = 0.0;
    reset_data(c, replicate, j);
    c.dyn.training_compute[index] = 0.0;
    c.dyn.capability[index] = 0.0;
    c.dyn.rd_stock[index] = 0.0;
    c.dyn.marketing_stock[index] = 0.0;
    c.dyn.rd_budget[index] = 0.0;
    c.dyn.marketing_budget[index] = 0.0;
    c.dyn.capex[index] = 0.0;
    c.dyn.external_cost[index] = 0;
    c.dyn.service_revenue[index] = 0;
    c.dyn.operating_income[index] = 0.0;  // its budget: its venture funding alone, at first
    c.dyn.revenue_trend[index] = 0.0;
    c.dyn.awareness[index] = c.firm.base_awareness[j];
    for (int s = 0; s < kSegments; ++s) {
      // One counter per (slot, segment): the agent field numbers them.
      const auto agent = static_cast<std::uint32_t>(layout::firm_segment(j, s));
      const double zq = standard_normal(seed, r, step, agent, DrawPurpose::kEntrantQuality);
      const double zp = standard_normal(seed, r, step, agent, DrawPurpose::kEntrantPrice);
      const double quality = e.quality_mean + e.quality_sd * zq;
      const double price = e.price_median * det_exp(e.price_log_sd * zp);
      const std::int64_t cell = layout::replicate_segment_firm(replicate, s, j, n);
      c.dyn.base_quality[cell] = quality;
      c.dyn.base_price[cell] = price;
      // Its quality moves from here: the endogenous quality of its fresh stocks at entry.
      c.dyn.quality_start[cell] = UpdateServiceOffer{c}.endogenous_quality(replicate, j, s);
      // The offer until the next step's service update recomputes it from the value chain.
      c.dyn.quality_term[cell] = c.p(replicate).beta_quality * quality;
      c.dyn.service_quality[cell] = quality;
      // What a user pays until then: conversion x list price, no cost passed through yet.
      const double paid =
          revenue_per_user(price, 0.0, c.firm.paid_conversion[layout::segment_firm(s, j, n)]);
      c.dyn.service_price[cell] = paid;
      c.dyn.price_term[cell] = aimarket::price_term(paid, c.p(replicate).reference_price);
    }
  }
};

}  // namespace aimarket
