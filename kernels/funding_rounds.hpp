// Budgets from cash flow and funding, and venture funding rounds (MODEL.md "Budgets and
// funding"; the step's plan and settlement in kernels/firm_dynamics.hpp call these).
//
// Budget. A firm's operating cash flow of a step is what it earned before its discretionary
// spending,
//   OCF = customer revenue + sales in the upstream markets + other_income
//         - production and operating costs (HBM, accelerators, cloud operation, the fixed cost,
//           regulation) - purchases of inputs it needs whatever its budget (HBM for its chips,
//           model API fees, and inference compute of a service firm without a model),
// and the next step's budget is
//   cash-flow firm (big tech, chip and memory makers, clouds):  b = rho_j max(0, OCF),
//   venture firm (labs, start-ups):    b = min(s_j C_round, cash) + max(0, OCF),
// rho_j the firm's `reinvestment_rate`, s_j its strategy's `spend_rate` (1 / the months of
// runway it plans), C_round the cash it held after its last round (or at the start or its
// entry). A cash-flow firm's spending follows its income, not its cash pile, and it pays out
// (1 - rho_j) max(0, OCF) to its shareholders (kernels/firm_dynamics.hpp, SettleFinance); a
// venture firm reinvests what it earns and draws down what it raised at the burn it planned
// when it raised, so its runway shortens month by month until it raises again (a burn that
// were a share of the cash left would keep the runway at 1 / s_j months for ever, and no
// firm would ever run short).
//
// Funding round. A venture firm whose cash after a step covers fewer than M months of that
// step's burn B, cash < M B, tries to raise (M = `raise_runway_months`). B is the cash the
// step cost it less the spending of the previous step's earnings, which its budget
// reinvests (round_burn below): what it draws on raised money, its planned draw plus any
// operating loss. (The cash lost alone would count a one-off sale's income, spent the next
// month, as a month of burn, and size a round for it.) The round closes with odds
//   p / (1 - p) = p0 / (1 - p0) * 10^(edge / 400) * growth,
//   edge = the firm's quality margin over the typical firm of its market, max over the
//     segments it serves of q_js - mean_k q_ks (unweighted mean over the live firms serving
//     s; Elo points, so 10^(edge / 400) is its odds of winning a comparison with the typical
//     firm); 0 for a firm without a service,
//   growth = R / R_bar, R this step's revenue (customers and sales), R_bar its exponential
//     average with time constant `revenue_trend_months` (1 before any revenue),
// p0 = `round_success`, the chance of a typical firm with flat revenue. A closed round brings
// S = B / s_j - cash from outside the economy: the firm then holds 1 / s_j months of this burn,
// the runway its spending rate plans for. (A round of B / s_j on top of the cash left would
// grow the planned burn by a fixed factor at every round, (M + 1 / s_j) s_j = 1.36 at
// M = 6, s_j = 0.06, whatever the firm's traction: exponential funding for ever.) A raise that
// fails leaves a firm without revenue with less than a month of cash to close down; every firm
// exits when its cash is negative.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/counter_rng.hpp"
#include "kernels/det_math.hpp"
#include "kernels/hd.hpp"
#include "kernels/layout.hpp"
#include "kernels/value_chain_params.hpp"
#include "kernels/value_chain_state.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// The budget of a step (above) from last step's operating cash flow and the cash at hand.
AIMARKET_HD inline double planned_budget(bool cash_flow_funded, double reinvestment_rate,
                                         double operating_income, double cash, double cash_at_round,
                                         double spend_rate) {
  const double income = operating_income > 0.0 ? operating_income : 0.0;
  if (cash_flow_funded) return reinvestment_rate * income;
  double burn = cash_at_round > 0.0 ? spend_rate * cash_at_round : 0.0;
  if (burn > cash) burn = cash > 0.0 ? cash : 0.0;
  return burn + income;
}

// A strategy's budget shares, with those the firm has no use for handed to the others in
// proportion to theirs (MODEL.md, "Budgets and funding"): a compute budget needs a layer that
// spends one (model: rented compute; cloud: accelerators; chip and memory makers: capacity),
// a data budget a model or a service to train or tune. A pure service firm rents its
// customers' inference by need, outside the budget, so its compute share goes to data, R&D
// and marketing; a capacity maker's data share to its capex, R&D and marketing. Nothing is
// left silently unspent; shares a firm can use all come back unchanged.
struct BudgetShares {
  double compute, data, rd, marketing;
};
AIMARKET_HD inline BudgetShares usable_budget_shares(std::uint8_t layer_mask, BudgetShares s) {
  const bool uses_compute =
      (layer_mask & (kLayerBitModel | kLayerBitCloud | kLayerBitAccelerator | kLayerBitHbm)) != 0;
  const bool uses_data = (layer_mask & (kLayerBitModel | kLayerBitService)) != 0;
  if (uses_compute && uses_data) return s;
  if (!uses_compute) s.compute = 0.0;
  if (!uses_data) s.data = 0.0;
  const double total = s.compute + s.data + s.rd + s.marketing;
  if (!(total > 0.0)) return BudgetShares{0.0, 0.0, 0.0, 0.0};
  return BudgetShares{s.compute / total, s.data / total, s.rd / total, s.marketing / total};
}

// The revenue factor of a raise: R / R_bar; 1 while the trend is zero.
AIMARKET_HD inline double round_growth(double revenue, double trend) {
  if (!(trend > 0.0)) return 1.0;
  return revenue > 0.0 ? revenue / trend : 0.0;
}

// The chance that a raise closes: odds p0 / (1 - p0) x 10^(edge / 400) x growth.
AIMARKET_HD inline double round_chance(double p0, double edge, double growth) {
  if (!(p0 < 1.0)) return 1.0;
  const double odds =
      p0 / (1.0 - p0) * det_exp(edge * 0.005756462732485115) * growth;  // ln(10) / 400
  return odds / (1.0 + odds);
}

// A firm's best quality margin over the typical (mean) live firm among the segments it
// serves, in Elo points; 0 for a firm that serves no segment.
AIMARKET_HD inline double quality_edge_over_typical(const FirmStatic& firm, const FirmDynamic& dyn,
                                                    std::int64_t replicate, std::int32_t j) {
  const std::int32_t n = firm.firms;
  bool serves_any = false;
  double best_edge = -1e300;
  for (int s = 0; s < kSegments; ++s) {
    if (!firm.serves[layout::segment_firm(s, j, n)]) continue;
    serves_any = true;
    double sum = 0.0;
    std::int32_t count = 0;
    for (std::int32_t k = 0; k < n; ++k) {
      if (!firm.serves[layout::segment_firm(s, k, n)] ||
          !dyn.alive[layout::replicate_firm(replicate, k, n)]) {
        continue;
      }
      sum += dyn.service_quality[layout::replicate_segment_firm(replicate, s, k, n)];
      ++count;
    }
    const double mean = count > 0 ? sum / count : 0.0;
    const double edge =
        dyn.service_quality[layout::replicate_segment_firm(replicate, s, j, n)] - mean;
    if (edge > best_edge) best_edge = edge;
  }
  return serves_any ? best_edge : 0.0;
}

// What a venture firm's raise brings in a step (USD; 0 when it does not raise or the round
// fails), and whether it closes down after a failed raise. `cash` is after settlement, `burn`
// the cash the step cost it (> 0 when it burns), `revenue` its revenue of the step and
// `trend` the revenue trend before this step. Draw keyed by (replicate, step, firm).
// The burn a round is sized for: the cash the step cost (`cash_lost`) less the spending of
// the previous step's positive operating cash flow, which the budget reinvested, plus this
// step's, which the cash lost already netted out:
//   B = cash_lost - max(0, OCF_{t-1}) + max(0, OCF_t) = planned draw + max(0, -OCF_t)
// when the budget is spent (budget = draw + max(0, OCF_{t-1}), cash lost = budget - OCF_t).
AIMARKET_HD inline double round_burn(double cash_lost, double previous_income, double income) {
  return cash_lost - (previous_income > 0.0 ? previous_income : 0.0) +
         (income > 0.0 ? income : 0.0);
}

// Whether a venture firm tries to raise: it burns cash and has less than M months of it.
AIMARKET_HD inline bool seeks_round(const ValueChainParams& p, double cash, double burn) {
  return burn > 0.0 && cash < p.raise_runway_months * burn;
}

struct RoundOutcome {
  double raised;
  bool close_down;
};
AIMARKET_HD inline RoundOutcome venture_round(const ValueChainParams& p, double cash, double burn,
                                              double revenue, double trend, double edge,
                                              double spend_rate, std::uint64_t seed,
                                              std::uint32_t replicate, std::uint32_t step,
                                              std::uint32_t firm) {
  RoundOutcome out{0.0, false};
  if (!seeks_round(p, cash, burn)) return out;
  const double chance = round_chance(p.round_success, edge, round_growth(revenue, trend));
  const DrawBlock d = draw_block(seed, replicate, step, firm, DrawPurpose::kFundingRound, 0);
  if (spend_rate > 0.0 && uniform_open01(d.word[0]) < chance) {
    // Enough to hold 1 / spend_rate months of this burn: the runway it plans, topped up.
    const double raised = burn / spend_rate - (cash > 0.0 ? cash : 0.0);
    out.raised = raised > 0.0 ? raised : 0.0;
  } else if (!(revenue > 0.0) && cash < burn) {
    out.close_down = true;
  }
  return out;
}

}  // namespace aimarket
