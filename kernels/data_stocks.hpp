// Finite data (docs/MODEL.md, "Data: finite, priced, per segment"): the closed forms the step
// functors use.
//
// Public text. The world's stock of public human text is finite and grows slowly:
//   W(t) = public_text_stock x (1 + public_text_growth)^(t / 12),   t in months,
// (Epoch AI's ~300 T tokens effective stock, ~7 %/yr growth). It is non-rival: every lab
// scrapes it, at public_data_rate T tokens a month, and none can hold more of it than exists:
//   P_j(t) = min(W(t), P_j(t-1) (1 - delta) + scrape),   delta = data.depreciation.
// Licensed text. Each data vendor holds rights to a corpus that grows with the world's text,
//   V(t) = vendor_corpus x (1 + public_text_growth)^(t / 12),
// and licenses each of its tokens once: its capacity on the data market in step t is what is
// left of it, S_v(t) = max(0, V(t) - sold_v), sold_v the tokens it licensed before t. The
// market's proportional rationing and price adjustment (kernels/market_clearing.hpp) then make
// the price rise as corpora run out: scarcity, not a fixed price.
#pragma once

#include "kernels/det_math.hpp"
#include "kernels/hd.hpp"
#include "kernels/value_chain_params.hpp"

namespace aimarket {

// The data market trades units of a million tokens (1e-6 T tokens), counted like every traded
// quantity in 2^-16 of a unit: 15 tokens, so that a small buyer's purchase from one of many
// vendors does not round to nothing at any price (in T tokens the step, 15 M tokens, cost up to
// a million USD). Prices on the market are USD per unit; the config and the output say USD per
// T tokens.
constexpr double kDataUnitTokens = 1e-6;  // T tokens per traded data unit

// Growth factor of the world's text since the start, (1 + g)^(t / 12), at month `step`.
AIMARKET_HD inline double text_growth_factor(const ValueChainParams& p, double step) {
  return det_exp(p.public_text_log_growth * step);
}

// W(t): the public text that exists at month `step`, T tokens.
AIMARKET_HD inline double public_text_stock(const ValueChainParams& p, double step) {
  return p.public_text_stock * text_growth_factor(p, step);
}

// S_v(t): what a vendor that has licensed `sold` T tokens may still license at month `step`.
AIMARKET_HD inline double licensable_corpus_left(const ValueChainParams& p, double step,
                                                 double sold) {
  const double corpus = p.vendor_corpus * text_growth_factor(p, step);
  return corpus > sold ? corpus - sold : 0.0;
}

// P_j(t): public text held after a step's depreciation and scraping, never above what exists.
AIMARKET_HD inline double next_public_held(double held, double scraped, double stock,
                                           double depreciation) {
  const double next = held * (1.0 - depreciation) + scraped;
  return next < stock ? next : stock;
}

}  // namespace aimarket
