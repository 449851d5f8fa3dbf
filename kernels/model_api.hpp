// The open model-API market and inference compute (MODEL.md, "The model-API market").
//
// Inference compute. A real customer of a service uses u tokens a month (tokens_per_customer,
// in M tokens, prompt and response together). A model with N active parameters spends 2 N FLOP
// per token (one forward pass), so serving one M tokens takes
//   c(N) = 2 N 1e6 / F_inf   H100e-months,
// F_inf = inference_flop_per_h100e_month (an H100e's FLOP in a month at inference
// utilisation), and a customer served by that model needs u c(N) H100e-months a month: a
// bigger model costs more per customer, and compute demand grows with customers and usage.
// N is the parameter count the scaling law gives the firm's model (kernels/scaling_law.hpp:
// compute-optimal, or data-limited) at its effective training compute deflated by algorithmic
// progress, C / 2^(t / T_algo): effective compute counts algorithmic gains, which buy
// capability without parameters.
//
// Supplier choice. A service firm i that does not run its own model gets the tokens its
// customers use from a model developer j's API at p_j USD per M tokens, or self-hosts the best
// open-weight model it may adopt at compute cost, p_0i = c(N_open) x its compute price (what it
// paid per H100e-month last step; its own cloud's price if it has one). Logit utilities, in the
// customers' units (b = beta_quality x quality_per_capability, utility per capability unit):
//   u_ij = b K_j - sigma ln p_j + o_j + bonus [j = model_source of i] + ln a_ij,
//   u_i0 = b min(K_open + fine-tuning gain of i, K_frontier) - sigma ln p_0i + ln a_i,open,
// a_ij = 1 for a supplier of i's own region and global_model_access a_g of i's region g for a
// foreign one (access to global models is a property of the region: every firm in it, service
// firm or lab, faces the same a_g; 0 excludes foreign models, a closed stack counts as 0).
// Fine-tuning on domain data adapts a model but cannot lift it above the world's frontier
// K_frontier (the best capability of any living model developer): adopting a model never makes
// its adopter better than the best model there is.
// sigma = api_price_sensitivity, bonus = api_partner_bonus (a preference for a partner, not
// exclusivity), o_j the lab's offset: calibrated at the start so that a buyer without partner
// or self-hosting splits its API spending in the sourced shares (api_share), 0 for labs
// without one (src/population/population.cpp). Shares s_ij = exp(u_ij) / (exp(u_i0) + sum_k
// exp(u_ik)). The share s_i0 of the firm's tokens is self-hosted (it rents s_i0 u c(N_open)
// H100e-months per customer in the cloud market); the rest, (1 - s_i0) u per customer, is its
// demand in the model-API market, which MarketClearing splits with weights w_ij = exp(u_ij), i.e.
// in the same logit shares. The capability its service is built on is the share-weighted one,
//   K_i = sum_j s_ij K_j + s_i0 (K_open + fine-tuning gain).
// The choice is evaluated on the state the firm sees: prices and capabilities of the last
// market round, which are those the next round clears at.
//
// Supply. Lab j holds H = own compute kept (cloud_self_use x installed) + compute rented this
// step. Its own customers take u c(N_j) each; of the rest R = H - that, its training_share (a
// strategy parameter, StrategyParameter kTrainingShare) is kept for training and
// (1 - training_share) R is offered to the API market: capacity (1 - training_share) R / c(N_j)
// M tokens, so the market's price rule p <- p (D / S)^eta
// applies, with the floor c(N_j) x the lab's compute price (what serving costs it). Compute the
// market does not take trains too: training = R - tokens sold x c(N_j).
#pragma once

#include <cstdint>

#include "kernels/det_math.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "kernels/scaling_law.hpp"
#include "kernels/value_chain_params.hpp"
#include "kernels/value_chain_state.hpp"

namespace aimarket {

// Algorithmic progress 2^(t / T_algo) at step t.
AIMARKET_HD inline double algorithmic_progress(double step, const ValueChainParams& p) {
  return doubling_factor(step, p.algorithmic_doubling_months);
}

// Active parameters N of the model a lab serves, trained on `training_flop` effective FLOP with
// `data_t` T tokens at step t (0 without a model): the scaling law's size, at most
// max_served_parameters (a lab serves a distilled or mixture-of-experts model, not its whole
// accumulated training run).
AIMARKET_HD inline double active_parameters(double training_flop, double data_t, double step,
                                            const ValueChainParams& p) {
  if (!(training_flop > 0.0)) return 0.0;
  const double flop = training_flop / algorithmic_progress(step, p);
  const double n =
      model_parameters(flop, data_t > 0.0 ? data_t * 1e12 : 1e300, p.tokens_per_parameter);
  return n < p.max_served_parameters ? n : p.max_served_parameters;
}

// c(N): H100e-months to serve one M tokens on a model of N active parameters.
AIMARKET_HD inline double compute_per_mtokens(double parameters, const ValueChainParams& p) {
  return 2.0 * parameters * 1e6 / p.inference_flop_per_h100e_month;
}

// c(N) of the model firm `idx` ([replicate][firm] cell) serves at step t.
AIMARKET_HD inline double served_compute_per_mtokens(const FirmDynamic& dyn, std::int64_t idx,
                                                     double step, const ValueChainParams& p) {
  return compute_per_mtokens(
      active_parameters(dyn.training_compute[idx], dyn.data_stock[idx], step, p), p);
}

// The attraction exp(b K - sigma ln p + o) of a supplier of capability K at price p (> 0) with
// offset o (0 for self-hosting).
AIMARKET_HD inline double api_attraction(double capability, double price, const ValueChainParams& p,
                                         double offset = 0.0) {
  const double b = p.beta_quality * p.quality_per_capability;
  return det_exp(b * capability - p.api_price_sensitivity * det_log(price) + offset);
}

// What a service firm's supplier choice adds up to (weights w = exp(u), see above).
struct ApiChoice {
  double api_weight = 0.0;       // sum_j w_ij over the labs it may buy from
  double api_capability = 0.0;   // sum_j w_ij K_j
  double api_spend = 0.0;        // sum_j w_ij p_j
  double self_weight = 0.0;      // w_i0; 0 when no open-weight model may be adopted
  double self_capability = 0.0;  // K_open + fine-tuning gain
  double self_compute = 0.0;     // c(N_open), H100e-months per M tokens
  AIMARKET_HD double self_share() const {
    const double total = api_weight + self_weight;
    return total > 0.0 ? self_weight / total : 0.0;
  }
  // Share-weighted capability; with no supplier at all, the fine-tuning gain alone.
  AIMARKET_HD double capability() const {
    const double total = api_weight + self_weight;
    if (!(total > 0.0)) return self_capability;
    return (api_capability + self_weight * self_capability) / total;
  }
  // Mean API price over the labs, weighted by the shares (USD per M tokens).
  AIMARKET_HD double api_price() const { return api_weight > 0.0 ? api_spend / api_weight : 0.0; }
};

// Best capability of any living model developer in the replicate: the world's frontier, the
// ceiling of what adopting and fine-tuning a model can reach.
AIMARKET_HD inline double world_frontier(const FirmStatic& firm, const FirmDynamic& dyn,
                                         std::int64_t replicate) {
  double best = 0.0;
  for (std::int32_t k = 0; k < firm.model_developer_count; ++k) {
    const std::int64_t idx =
        layout::replicate_firm(replicate, firm.model_developers[k], firm.firms);
    if (dyn.alive[idx] && dyn.capability[idx] > best) best = dyn.capability[idx];
  }
  return best;
}

// Access weight a_ij of buyer region `region` to a model of a developer in `supplier_region`:
// 1 at home, the region's global_model_access abroad, 0 abroad for a closed stack.
AIMARKET_HD inline double model_access(const RegionLevers& levers, int region,
                                       int supplier_region) {
  if (supplier_region == region) return 1.0;
  if (levers.closed_stack[region] != 0) return 0.0;
  return levers.global_model_access[region];
}

// Firm i's supplier choice in the replicate, at compute price `compute_price` (USD per
// H100e-month) and fine-tuning gain `finetune`.
AIMARKET_HD inline ApiChoice choose_api_supplier(const ValueChainParams& p,
                                                 const RegionLevers& levers, const FirmStatic& firm,
                                                 const FirmDynamic& dyn, const MarketArrays& m,
                                                 double step, std::int64_t replicate,
                                                 std::int32_t i, double compute_price,
                                                 double finetune) {
  const std::int32_t n = firm.firms;
  const int region = firm.region[i];
  ApiChoice choice;
  const double partner_factor = det_exp(p.api_partner_bonus);
  for (std::int32_t k = 0; k < firm.model_developer_count; ++k) {
    const std::int32_t j = firm.model_developers[k];
    if (j == i) continue;
    const std::int64_t idx = layout::replicate_firm(replicate, j, n);
    const double access = model_access(levers, region, firm.region[j]);
    if (!dyn.alive[idx] || !(access > 0.0)) continue;
    const double price = m.price[layout::replicate_market_firm(replicate, kMarketModel, j, n)];
    double w = api_attraction(dyn.capability[idx], price, p, firm.api_offset[j]);
    if (firm.model_source[i] == j) w *= partner_factor;
    // exp(ln a) = a: full access leaves the weight as it is (bit for bit).
    if (access < 1.0) w *= access;
    choice.api_weight += w;
    choice.api_capability += w * dyn.capability[idx];
    choice.api_spend += w * price;
  }
  // The best open-weight model it may adopt (foreign ones only with access to them).
  std::int32_t open = -1;
  double best = 0.0;
  for (std::int32_t k = 0; k < firm.open_weight_count; ++k) {
    const std::int32_t f = firm.open_weight_firms[k];
    if (!(model_access(levers, region, firm.region[f]) > 0.0)) continue;
    const std::int64_t idx = layout::replicate_firm(replicate, f, n);
    if (dyn.alive[idx] && (open < 0 || dyn.capability[idx] > best)) {
      open = f;
      best = dyn.capability[idx];
    }
  }
  // Fine-tuned, but never above the frontier.
  const double frontier = world_frontier(firm, dyn, replicate);
  const double tuned = best + finetune;
  choice.self_capability = open >= 0 && tuned > frontier ? frontier : tuned;
  if (open >= 0) {
    choice.self_compute =
        served_compute_per_mtokens(dyn, layout::replicate_firm(replicate, open, n), step, p);
    const double self_price = choice.self_compute * compute_price;
    if (self_price > 0.0) {
      choice.self_weight = api_attraction(choice.self_capability, self_price, p);
      const double access = model_access(levers, region, firm.region[open]);
      if (access < 1.0) choice.self_weight *= access;
    }
  }
  return choice;
}

}  // namespace aimarket
