// The customer market, one thread per (replicate, pair of customers): MODEL.md section 4,
// step 7. One Philox block per pair gives both customers their two uniforms (below).
//
// A customer whose provider exited becomes a non-adopter; one whose provider was acquired moves
// to the acquirer (kernels/acquisition.hpp) if it serves the segment.
// A non-adopter in segment s and region r adopts with its market's Bass hazard
// h_{s,r} = p + q F_{s,r}; an adopter chooses again with probability `reconsider_rate`. A
// chooser draws a consideration set of k firms from its market's awareness sampler (with
// replacement, duplicates dropped, the current provider always kept; k = 0 means every firm serving
// s) and picks firm j by multinomial logit on
//
//   u_j = xi_{s,r_i,j} + beta_quality q_{s,j} - beta_price tau_i log(1 + p_{s,j} / p_ref)
//         + beta_home [region_j = r_i] + beta_language fit_{j,r_i}
//         + beta_network log(1 + share_{s,j})
//         - switching_cost [j != current provider] + taste_sd z_ij + Gumbel noise,
//
// i.e. P(j) = exp(v_j) / sum_{k in set} exp(v_k), sampled by inverse CDF with one uniform.
// xi_{s,r,j} is the utility offset the inversion calibrates from the starting shares of the
// (segment, region) market (kernels/rest_calibration.hpp; 0 when demand.calibration_rounds =
// 0); it absorbs the home and language terms of a firm with a starting share there.
// tau_i = exp(price_taste_sd z_i) is the customer's persistent price taste and z_ij its
// persistent taste for firm j (standard normals drawn from the customer's own timeless
// counter, so they need no storage and are the same at every choice of the customer; drawn
// per replicate, so replicates stay independent). Conditional on z the choice is a logit, so
// the model is a mixed logit (Train 2009, ch. 6). A switch moves one unit between the integer
// tallies (per segment and per (segment, customer region) market) with atomic adds, which
// makes the tallies independent of thread order. The Bass hazard and the awareness sampler are
// those of the customer's market (segment, region): kernels/segment_state.hpp.
// Cost per chooser: O(k) with sampling (one Philox block per candidate for its taste), O(firms)
// with k = 0: three passes over the firms, each drawing one Philox block (1.05 on average,
// for the polar method's rejections), one log and one square root per pair of firms, so
// about 1.5 F blocks for F firms when taste_sd > 0 (none when it is 0).
#pragma once

#include <cstdint>

#include "kernels/alias_table.hpp"
#include "kernels/counter_rng.hpp"
#include "kernels/demand_params.hpp"
#include "kernels/det_math.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "kernels/market_state.hpp"
#include "kernels/normal_draw.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// The standard normals z_{i,2b} and z_{i,2b+1} of customer i's persistent tastes for the pair
// of firms 2b, 2b + 1 in a replicate: both normals of one polar pair, so one Philox block
// (usually) serves two firms.
AIMARKET_HD inline NormalPair firm_taste_pair(std::uint64_t seed, std::int64_t replicate,
                                              std::int64_t customer, std::int32_t firm_pair) {
  return timeless_normal_pair(seed, static_cast<std::uint32_t>(replicate),
                              static_cast<std::uint32_t>(customer), DrawPurpose::kFirmTaste,
                              static_cast<std::uint32_t>(firm_pair));
}

// z_ij alone (tests and one-off uses; the choice kernel keeps the pair).
AIMARKET_HD inline double firm_taste(std::uint64_t seed, std::int64_t replicate,
                                     std::int64_t customer, std::int32_t firm) {
  const NormalPair z = firm_taste_pair(seed, replicate, customer, firm / 2);
  return firm % 2 == 0 ? z.first : z.second;
}

struct CustomerChoiceStep {
  std::uint64_t seed;
  std::uint32_t step;
  // The config's demand parameters, for those every replicate shares (reconsider_rate and the
  // Bass terms, which the utility inversion's targets use; the sizes max_services and
  // consideration_set); `replicate_demand` for the tastes and weights a replicate may draw.
  DemandParams demand;
  const DemandParams* replicate_demand;  // [replicate]
  bool consider_all_firms;               // consideration_set == 0 or >= firms
  CustomerView customer;
  FirmView firm;
  SegmentMarketView market;
  // First block index of the consideration draws: 0 for a step's choice; a customer's added
  // service (multi-homing) draws from kMaxConsiderationSet on, so its set is independent.
  std::uint32_t consideration_block = 0;

  // Customers per pair of a replicate (the last pair of an odd count has one customer).
  AIMARKET_HD std::int64_t pairs_per_replicate() const { return (customer.customers + 1) / 2; }

  // One thread per (replicate, pair of customers 2p and 2p + 1): one Philox block keyed by
  // the pair holds the decision and logit uniforms of both (words 0-1 and 2-3), halving the
  // counter-based draws of the step's commonest path (a customer that does not choose).
  AIMARKET_HD void operator()(std::int64_t pair_index) const {
    const layout::ReplicateEntry at =
        layout::split_replicate_entry(pair_index, pairs_per_replicate());
    const std::int64_t replicate = at.replicate;
    const std::int64_t pair = at.entry;
    const DrawBlock decision =
        draw_block(seed, static_cast<std::uint32_t>(replicate), step,
                   static_cast<std::uint32_t>(pair), DrawPurpose::kAdoptOrReconsider, 0);
    const std::int64_t first = 2 * pair;
    update(replicate, first, decision.word[0], decision.word[1]);
    if (first + 1 < customer.customers)
      update(replicate, first + 1, decision.word[2], decision.word[3]);
  }

  // The firm customer c of the replicate picks when it chooses, given its current provider
  // (-1: none), with `logit_uniform` for the logit draw: the consideration set (drawn with
  // this functor's `step`) and the logit of the header. Also used by the utility inversion
  // (kernels/rest_calibration.hpp) with its own step values and uniforms.
  AIMARKET_HD std::int32_t choose(std::int64_t replicate, std::int64_t c, std::int32_t current,
                                  int segment, double logit_uniform) const {
    Chooser who;
    who.replicate = replicate;
    who.customer = c;
    who.segment = segment;
    who.region = customer.region[c];
    who.current = current;
    const DemandParams& own = replicate_demand[replicate];
    who.taste_sd = own.taste_sd;
    who.switching_cost = own.switching_cost;
    who.beta_home = own.beta_home;
    who.beta_language = own.beta_language;
    who.price_weight = own.beta_price;
    if (own.price_taste_sd > 0.0) {
      const double z = standard_normal(seed, static_cast<std::uint32_t>(replicate), kTimelessStep,
                                       static_cast<std::uint32_t>(c), DrawPurpose::kPriceTaste);
      who.price_weight = own.beta_price * det_exp(own.price_taste_sd * z);
    }
    if (consider_all_firms) return choose_among_all(who, logit_uniform);
    return choose_among_sampled(who, logit_uniform);
  }

 private:
  // Customer c of the replicate: exit or acquisition of its provider, then adoption or
  // reconsideration with the uniform `decision_word`, choice with `logit_word`.
  AIMARKET_HD void update(std::int64_t replicate, std::int64_t c, std::uint32_t decision_word,
                          std::uint32_t logit_word) const {
    const std::int64_t index = layout::replicate_customer(replicate, c, customer.customers);
    std::int32_t current = customer.provider[index];
    const int segment = customer.segment[c];
    const std::int32_t n = firm.firms;
    // The customer's row of the [replicate][segment][firm] tally (uses) and its other
    // services (none when single-homing).
    std::int32_t* const tally =
        market.tally + layout::replicate_segment_firm(replicate, segment, 0, n);
    std::int32_t* const others = customer.secondary_slots > 0
                                     ? customer.secondary + index * customer.secondary_slots
                                     : nullptr;
    if (current >= 0 && !firm.alive[layout::replicate_firm(replicate, current, n)]) {
      // The provider is gone. Acquired: its customers move to the acquirer where it serves
      // the segment. Exited (or an acquirer that does not serve it): they return to the
      // market as non-adopters.
      const std::int32_t owner = firm.acquired_by[layout::replicate_firm(replicate, current, n)];
      const bool moves = owner >= 0 && firm.alive[layout::replicate_firm(replicate, owner, n)] &&
                         firm.serves[layout::segment_firm(segment, owner, n)];
      const std::int32_t next = moves ? owner : -1;
      std::int32_t* const market_tally = market_tally_row(replicate, segment, c);
      customer.provider[index] = next;
      atomic_add_tally(tally + current, -1);
      atomic_add_tally(market_tally + current, -1);
      if (moves) {
        // Already one of its other services: it is used once, as the primary.
        drop_other(others, next, tally);
        atomic_add_tally(tally + next, 1);
        atomic_add_tally(market_tally + next, 1);
      }
      current = next;
    }
    if (others != nullptr) current = settle_others(replicate, c, index, segment, current, others);

    const double chance = current < 0 ? market.adoption_hazard[layout::replicate_segment_region(
                                            replicate, segment, customer.region[c])]
                                      : demand.reconsider_rate;
    if (uniform_open01(decision_word) < chance) {
      const std::int32_t chosen =
          choose(replicate, c, current, segment, uniform_open01(logit_word));
      if (chosen >= 0 && chosen != current) {
        customer.provider[index] = chosen;
        std::int32_t* const market_tally = market_tally_row(replicate, segment, c);
        atomic_add_tally(market_tally + chosen, 1);
        if (current >= 0) atomic_add_tally(market_tally + current, -1);
        // Multi-homing: a service it already used becomes its primary, and the old primary
        // takes its slot; the uses do not change. Otherwise the new one replaces the old.
        const int slot = slot_of(others, chosen);
        if (slot >= 0) {
          others[slot] = current;
        } else {
          atomic_add_tally(tally + chosen, 1);
          if (current >= 0) atomic_add_tally(tally + current, -1);
        }
        current = chosen;
      }
    }
    if (others != nullptr && current >= 0) add_or_drop(replicate, c, segment, current, others);
  }

  // Multi-homing (docs/MODEL.md, "Multi-homing"): the slot of `f` among the customer's other
  // services, or -1.
  AIMARKET_HD int slot_of(const std::int32_t* others, std::int32_t f) const {
    if (others == nullptr || f < 0) return -1;
    for (int k = 0; k < customer.secondary_slots; ++k) {
      if (others[k] == f) return k;
    }
    return -1;
  }

  // Removes `f` from the customer's other services, if there, and its use.
  AIMARKET_HD void drop_other(std::int32_t* others, std::int32_t f, std::int32_t* tally) const {
    const int slot = slot_of(others, f);
    if (slot < 0) return;
    others[slot] = -1;
    atomic_add_tally(tally + f, -1);
  }

  // The other services of a customer whose provider state is settled: each whose firm is gone
  // moves to its acquirer (where it serves the segment and the customer does not use it
  // already) or is dropped; then, if the customer has no primary provider, its first other
  // service becomes it. Returns the primary provider.
  AIMARKET_HD std::int32_t settle_others(std::int64_t replicate, std::int64_t c, std::int64_t index,
                                         int segment, std::int32_t current,
                                         std::int32_t* others) const {
    const std::int32_t n = firm.firms;
    std::int32_t* const tally =
        market.tally + layout::replicate_segment_firm(replicate, segment, 0, n);
    for (int k = 0; k < customer.secondary_slots; ++k) {
      const std::int32_t f = others[k];
      if (f < 0 || firm.alive[layout::replicate_firm(replicate, f, n)]) continue;
      const std::int32_t owner = firm.acquired_by[layout::replicate_firm(replicate, f, n)];
      others[k] = -1;
      atomic_add_tally(tally + f, -1);
      const bool moves = owner >= 0 && owner != current &&
                         firm.alive[layout::replicate_firm(replicate, owner, n)] &&
                         firm.serves[layout::segment_firm(segment, owner, n)] &&
                         slot_of(others, owner) < 0;
      if (moves) {
        others[k] = owner;
        atomic_add_tally(tally + owner, 1);
      }
    }
    if (current >= 0) return current;
    for (int k = 0; k < customer.secondary_slots; ++k) {
      if (others[k] < 0) continue;
      current = others[k];
      others[k] = -1;
      customer.provider[index] = current;  // still one use; now the primary
      atomic_add_tally(market_tally_row(replicate, segment, c) + current, 1);
      break;
    }
    return current;
  }

  // An adopter drops one of its other services (drawn uniformly) with probability
  // drop_service_rate, and, using fewer than max_services, adds one with probability
  // add_service_rate: it chooses as a newcomer would (no provider kept, no switching cost),
  // from a consideration set of its own; a pick it already uses adds nothing.
  AIMARKET_HD void add_or_drop(std::int64_t replicate, std::int64_t c, int segment,
                               std::int32_t current, std::int32_t* others) const {
    const std::int32_t n = firm.firms;
    std::int32_t* const tally =
        market.tally + layout::replicate_segment_firm(replicate, segment, 0, n);
    const DrawBlock d = draw_block(seed, static_cast<std::uint32_t>(replicate), step,
                                   static_cast<std::uint32_t>(c), DrawPurpose::kMultiHoming, 0);
    int used = 0;
    for (int k = 0; k < customer.secondary_slots; ++k) used += others[k] >= 0 ? 1 : 0;
    if (used > 0 && uniform_open01(d.word[0]) < replicate_demand[replicate].drop_service_rate) {
      int pick = static_cast<int>(uniform_open01(d.word[1]) * used);
      pick = pick < used ? pick : used - 1;
      for (int k = 0; k < customer.secondary_slots; ++k) {
        if (others[k] < 0) continue;
        if (pick-- == 0) {
          atomic_add_tally(tally + others[k], -1);
          others[k] = -1;
          --used;
          break;
        }
      }
    }
    if (used >= customer.secondary_slots) return;
    if (!(uniform_open01(d.word[2]) < replicate_demand[replicate].add_service_rate)) return;
    CustomerChoiceStep adder = *this;
    adder.consideration_block = kMaxConsiderationSet;
    const std::int32_t added = adder.choose(replicate, c, -1, segment, uniform_open01(d.word[3]));
    if (added < 0 || added == current || slot_of(others, added) >= 0) return;
    for (int k = 0; k < customer.secondary_slots; ++k) {
      if (others[k] >= 0) continue;
      others[k] = added;
      atomic_add_tally(tally + added, 1);
      return;
    }
  }

  // The customer's row of the [replicate][segment][region][firm] market tally.
  AIMARKET_HD std::int32_t* market_tally_row(std::int64_t replicate, int segment,
                                             std::int64_t c) const {
    return market.market_tally + layout::replicate_segment_region_firm(
                                     replicate, segment, customer.region[c], 0, firm.firms);
  }

  struct Chooser {
    std::int64_t replicate;
    std::int64_t customer;
    int segment;
    int region;
    std::int32_t current;
    double price_weight;  // beta_price * tau_i
    // The replicate's taste sd and switching cost, read once per choice rather than once per
    // firm compared.
    double taste_sd;
    double switching_cost;
    double beta_home;
    double beta_language;
  };

  // The chooser's taste term taste_sd z_ij, keeping the last pair of firms drawn: a pass over
  // firms in order draws each pair's block once.
  struct TasteCache {
    std::int32_t pair = -1;
    NormalPair z{0.0, 0.0};
  };

  AIMARKET_HD double taste(const Chooser& who, std::int32_t j, TasteCache& cache) const {
    if (j / 2 != cache.pair) {
      cache.pair = j / 2;
      cache.z = firm_taste_pair(seed, who.replicate, who.customer, cache.pair);
    }
    return who.taste_sd * (j % 2 == 0 ? cache.z.first : cache.z.second);
  }

  // The utility with the persistent taste; without durable tastes (taste_sd = 0) no draw is
  // made, so such runs cost what they did before tastes existed.
  AIMARKET_HD double tasted_utility(const Chooser& who, std::int32_t j, TasteCache& cache) const {
    const double u = utility(who, j);
    return who.taste_sd > 0.0 ? u + taste(who, j, cache) : u;
  }

  AIMARKET_HD double utility(const Chooser& who, std::int32_t j) const {
    const std::int64_t cell =
        layout::replicate_segment_firm(who.replicate, who.segment, j, firm.firms);
    double u = firm.quality_term[cell] - who.price_weight * firm.price_term[cell];
    u = u + firm.region_term(j, who.region, who.beta_home, who.beta_language);
    u = u + firm.offset(who.replicate, who.segment, who.region, j);
    u = u + market.network_term[cell];
    if (who.current >= 0 && j != who.current) {
      u = u - who.switching_cost;
    }
    return u;
  }

  // k = 0: every firm serving the segment. Three passes (max, normaliser, inverse CDF) keep
  // memory O(1) per customer, at the price of drawing the tastes once per pass; exp is taken
  // of u - max so large utilities cannot overflow.
  AIMARKET_HD std::int32_t choose_among_all(const Chooser& who, double logit_uniform) const {
    const std::uint8_t* serves = firm.serves + layout::segment_firm(who.segment, 0, firm.firms);
    const std::uint8_t* alive = firm.alive + layout::replicate_firm(who.replicate, 0, firm.firms);
    double best = 0.0;
    bool any = false;
    TasteCache first_pass, second_pass, third_pass;
    for (std::int32_t j = 0; j < firm.firms; ++j) {
      if (!serves[j] || !alive[j]) continue;
      const double u = tasted_utility(who, j, first_pass);
      if (!any || u > best) best = u;
      any = true;
    }
    if (!any) return -1;
    double total = 0.0;
    for (std::int32_t j = 0; j < firm.firms; ++j) {
      if (serves[j] && alive[j]) total += det_exp(tasted_utility(who, j, second_pass) - best);
    }
    const double target = logit_uniform * total;
    double cumulative = 0.0;
    std::int32_t last = -1;
    for (std::int32_t j = 0; j < firm.firms; ++j) {
      if (!serves[j] || !alive[j]) continue;
      cumulative += det_exp(tasted_utility(who, j, third_pass) - best);
      last = j;
      if (target < cumulative) return j;
    }
    return last;  // only reached through rounding at the very top of the CDF
  }

  AIMARKET_HD std::int32_t choose_among_sampled(const Chooser& who, double logit_uniform) const {
    std::int32_t candidate[kMaxConsiderationSet + 1];
    double value[kMaxConsiderationSet + 1];
    int n = 0;
    if (who.current >= 0) candidate[n++] = who.current;
    if (market.segment_has_supply[layout::replicate_segment_region(who.replicate, who.segment,
                                                                   who.region)]) {
      const std::int64_t table = layout::replicate_segment_region_firm(who.replicate, who.segment,
                                                                       who.region, 0, firm.firms);
      const int draws = demand.consideration_set;
      for (int block = 0; 2 * block < draws; ++block) {
        const DrawBlock d =
            draw_block(seed, static_cast<std::uint32_t>(who.replicate), step,
                       static_cast<std::uint32_t>(who.customer), DrawPurpose::kConsiderationSet,
                       consideration_block + static_cast<std::uint32_t>(block));
        // Two draws per block, each from a pair of words (first, first + 1).
        for (int first = 0; first < 4 && 2 * block + first / 2 < draws; first += 2) {
          const std::int32_t j =
              sample_alias_table(firm.firms, market.alias_prob + table, market.alias_index + table,
                                 d.word[first], d.word[first + 1]);
          bool seen = false;
          for (int m = 0; m < n; ++m) seen = seen || candidate[m] == j;
          if (!seen) candidate[n++] = j;
        }
      }
    }
    if (n == 0) return -1;
    double best = 0.0;
    TasteCache cache;  // candidates come in random order: the cache helps only by chance
    for (int m = 0; m < n; ++m) {
      value[m] = tasted_utility(who, candidate[m], cache);
      if (m == 0 || value[m] > best) best = value[m];
    }
    double total = 0.0;
    for (int m = 0; m < n; ++m) {
      value[m] = det_exp(value[m] - best);
      total += value[m];
    }
    const double target = logit_uniform * total;
    double cumulative = 0.0;
    for (int m = 0; m < n; ++m) {
      cumulative += value[m];
      if (target < cumulative) return candidate[m];
    }
    return candidate[n - 1];
  }
};

}  // namespace aimarket
