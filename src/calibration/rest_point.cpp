#include "calibration/rest_point.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kernels/layout.hpp"
#include "model/dimensions.hpp"

namespace aimarket {
namespace {

// One round's choices per group, summed over the replicates of a calibration class: chosen
// into the group, and of those kept within it (the chooser's current provider in the same
// group); and each market's adopters.
struct RoundCounts {
  std::vector<double> chosen, kept, adopted;  // [group]
  std::vector<double> market;                 // adopters per (segment, region) market
  std::vector<double> newcomers;              // non-adopters with a choice, per market
};

std::vector<RoundCounts> count_round(EnsembleBackend& engine, const RestProblem& problem,
                                     const CalibrationClasses& classes, std::uint32_t round) {
  std::vector<std::int32_t> chosen, kept, adopted;
  engine.count_rest_choices(round, chosen, kept, adopted);
  std::vector<RoundCounts> per_class(static_cast<std::size_t>(classes.count));
  for (RoundCounts& out : per_class) {
    out.chosen.assign(problem.groups.size(), 0.0);
    out.kept.assign(problem.groups.size(), 0.0);
    out.adopted.assign(problem.groups.size(), 0.0);
    out.market.assign(std::size_t{kMarkets}, 0.0);
    out.newcomers.assign(out.market.size(), 0.0);
  }
  const std::int32_t n = problem.firms;
  for (std::int64_t rep = 0; rep < classes.replicates(); ++rep) {
    RoundCounts& out = per_class[static_cast<std::size_t>(classes.of(rep))];
    for (int s = 0; s < kSegments; ++s) {
      for (int r = 0; r < kRegions; ++r) {
        for (std::int32_t j = 0; j < n; ++j) {
          const auto cell =
              static_cast<std::size_t>(layout::replicate_segment_region_firm(rep, s, r, j, n));
          const auto m = static_cast<std::size_t>(layout::segment_region(s, r));
          out.market[m] += chosen[cell];
          out.newcomers[m] += adopted[cell];
          const std::int32_t g =
              problem.group[static_cast<std::size_t>(layout::segment_region_firm(s, r, j, n))];
          if (g < 0) continue;
          out.chosen[static_cast<std::size_t>(g)] += chosen[cell];
          out.kept[static_cast<std::size_t>(g)] += kept[cell];
          out.adopted[static_cast<std::size_t>(g)] += adopted[cell];
        }
      }
    }
  }
  return per_class;
}

// Group g's expected one-step flows in a round (kernels/rest_calibration.hpp), in customers
// per step: adopters choose again at rate rho, the market's non-adopters adopt at its Bass
// hazard h, and the group keeps its share when inflow = outflow.
struct Flows {
  double adopters = 0.0;   // the market's adopters (every one chose in the round)
  double newcomers = 0.0;  // the market's non-adopters with a choice
  double start = 0.0;      // the group's starting customers
  double stock_in = 0.0, stock_out = 0.0, kept = 0.0;  // adopters' moves (unweighted)
  double adopted = 0.0;                                // newcomers into the group (unweighted)
  double rho = 0.0, h = 0.0;
  double inflow() const { return rho * stock_in + h * adopted; }
  double outflow(double target) const { return rho * stock_out + target * h * newcomers; }
};

Flows group_flows(const RoundCounts& counts, const RestProblem& problem, std::size_t g) {
  const RestProblem::Group& group = problem.groups[g];
  const auto m = static_cast<std::size_t>(layout::segment_region(group.segment, group.region));
  Flows f;
  f.adopters = counts.market[m];
  f.newcomers = counts.newcomers[m];
  f.start = group.target * f.adopters;
  f.kept = counts.kept[g];
  f.stock_in = counts.chosen[g] - counts.kept[g];
  f.stock_out = f.start - counts.kept[g];
  f.adopted = counts.adopted[g];
  f.rho = problem.reconsider_rate;
  f.h = problem.adoption_hazard[m];
  return f;
}

// Offsets per (class, segment, region, firm) from each class's group offsets, [class][group].
std::vector<double> spread(const RestProblem& problem,
                           const std::vector<std::vector<double>>& group_offset) {
  const std::size_t cells = problem.group.size();
  std::vector<double> offset(group_offset.size() * cells, 0.0);
  for (std::size_t c = 0; c < group_offset.size(); ++c) {
    for (std::size_t cell = 0; cell < cells; ++cell) {
      const std::int32_t g = problem.group[cell];
      if (g >= 0)
        offset[c * cells + cell] =
            group_offset[c][static_cast<std::size_t>(g)] + problem.anchor[cell];
    }
  }
  return offset;
}

}  // namespace

RestProblem make_rest_problem(const FirmTable& firms, std::int32_t named_firms,
                              const MarketSetup& setup) {
  RestProblem problem;
  const std::int32_t n = firms.size();
  problem.firms = n;
  problem.group.assign(std::size_t{kMarkets} * static_cast<std::size_t>(n), -1);
  problem.anchor.assign(problem.group.size(), 0.0);
  problem.reconsider_rate = setup.demand.reconsider_rate;
  problem.adoption_hazard.assign(std::size_t{kMarkets}, 0.0);
  if (setup.initial_market_tally.empty()) return problem;  // nobody starts as a customer
  for (int s = 0; s < kSegments; ++s) {
    for (int r = 0; r < kRegions; ++r) {
      const auto cell_of = [&](std::int32_t j) {
        return static_cast<std::size_t>(layout::segment_region_firm(s, r, j, n));
      };
      double adopters = 0.0;
      for (std::int32_t j = 0; j < n; ++j) adopters += setup.initial_market_tally[cell_of(j)];
      // The first step's Bass hazard of the market (kernels/segment_state.hpp).
      const auto m = static_cast<std::size_t>(layout::segment_region(s, r));
      const auto size = static_cast<double>(setup.customers_in_market[m]);
      problem.adoption_hazard[m] =
          setup.demand.bass_p + setup.demand.bass_q * (size > 0.0 ? adopters / size : 0.0);
      if (adopters <= 0.0) continue;
      // A firm's quality term in the segment: what a fringe member's anchor matches.
      const auto quality_term = [&](std::int32_t j) {
        return setup.quality_term[static_cast<std::size_t>(layout::segment_firm(s, j, n))];
      };
      // Named firms with a starting share in the market: a group each. The fringe: the other
      // firms serving the segment; its mean quality term is that of its unnamed members.
      double fringe_customers = 0.0, fringe_quality = 0.0, unnamed = 0.0;
      std::vector<std::int32_t> fringe;
      for (std::int32_t j = 0; j < n; ++j) {
        if (!firms.serves[static_cast<std::size_t>(layout::segment_firm(s, j, n))]) continue;
        const double customers = setup.initial_market_tally[cell_of(j)];
        const bool named = j < named_firms;
        const bool named_with_share = named && setup.initial_market_share[cell_of(j)] > 0.0;
        if (named_with_share && customers > 0.0) {
          problem.group[cell_of(j)] = static_cast<std::int32_t>(problem.groups.size());
          problem.groups.push_back(
              {s, r, firms.name[static_cast<std::size_t>(j)], customers / adopters});
        } else if (!named_with_share) {
          fringe.push_back(j);
          fringe_customers += customers;
          if (!named && firms.alive[static_cast<std::size_t>(j)]) {
            fringe_quality += quality_term(j);
            unnamed += 1.0;
          }
        }
      }
      if (fringe_customers <= 0.0) continue;
      const auto g = static_cast<std::int32_t>(problem.groups.size());
      problem.groups.push_back({s, r, "other firms", fringe_customers / adopters, true});
      const double mean_quality = unnamed > 0.0 ? fringe_quality / unnamed : 0.0;
      for (std::int32_t j : fringe) {
        problem.group[cell_of(j)] = g;
        // A named firm in the fringe: utility of the fringe's mean (see the header).
        if (j < named_firms && unnamed > 0.0)
          problem.anchor[cell_of(j)] = mean_quality - quality_term(j);
      }
    }
  }
  return problem;
}

RestFit calibrate_utilities(EnsembleBackend& engine, const RestProblem& problem,
                            const CalibrationClasses& classes, std::int64_t rounds) {
  const std::size_t groups = problem.groups.size();
  const auto class_count = static_cast<std::size_t>(classes.count);
  std::vector<std::vector<double>> offset(class_count, std::vector<double>(groups, 0.0));
  std::vector<std::vector<double>> average = offset;
  // Rounds from `first_averaged` on enter the average (the second half).
  const std::int64_t first_averaged = rounds / 2;
  engine.set_rest_groups(problem.group);
  for (std::int64_t round = 0; round < rounds; ++round) {
    engine.set_utility_offset(spread(problem, offset));
    const std::vector<RoundCounts> counts =
        count_round(engine, problem, classes, static_cast<std::uint32_t>(round));
    for (std::size_t c = 0; c < class_count; ++c) {
      for (std::size_t g = 0; g < groups; ++g) {
        const Flows f = group_flows(counts[c], problem, g);
        const double weight = std::max(f.rho, f.h);        // of the larger flow
        if (f.adopters <= 0.0 || weight <= 0.0) continue;  // nobody chooses: nothing to match
        // A flow nobody made this round counts as half a customer of the larger flow, so the
        // step stays finite.
        const double inflow = std::max(f.inflow(), 0.5 * weight);
        const double outflow = std::max(f.outflow(problem.groups[g].target), 0.5 * weight);
        // Newton's step: the derivative of log(inflow) in the offset is about 1 - P(an
        // outsider joins) for the adopters' part and 1 - P(a newcomer joins) for the
        // newcomers', that of -log(outflow) about P(a member stays) times the adopters' part
        // of the outflow; 1 for plain logit, up to 2 with switching costs, where a full step
        // would overshoot.
        const double outsiders = f.adopters - f.start;
        const double joins = outsiders > 0.0 ? f.stock_in / outsiders : 0.0;
        const double newcomer_joins = f.newcomers > 0.0 ? f.adopted / f.newcomers : 0.0;
        const double stays = f.start > 0.0 ? f.kept / f.start : 0.0;
        const double slope_in =
            (f.rho * f.stock_in * (1.0 - joins) + f.h * f.adopted * (1.0 - newcomer_joins)) /
            inflow;
        const double slope_out = f.rho * std::max(f.stock_out, 0.0) * stays / outflow;
        const double slope = std::clamp(slope_in + slope_out, 0.5, 2.5);
        offset[c][g] += (std::log(outflow) - std::log(inflow)) / slope;
      }
      if (round >= first_averaged) {
        for (std::size_t g = 0; g < groups; ++g) average[c][g] += offset[c][g];
      }
    }
  }
  const auto averaged_rounds = static_cast<double>(rounds - first_averaged);
  for (std::vector<double>& class_average : average) {
    for (double& a : class_average) a /= averaged_rounds;
    // Only differences within a market matter to its customers' choices, so each market's
    // level is free: set its fringe's offset to 0, which makes a named firm's offset its
    // utility above the fringe's level beyond what its quality, price and region terms say.
    std::vector<double> level(std::size_t{kMarkets}, 0.0);
    for (std::size_t g = 0; g < groups; ++g) {
      const RestProblem::Group& group = problem.groups[g];
      if (group.fringe)
        level[static_cast<std::size_t>(layout::segment_region(group.segment, group.region))] =
            class_average[g];
    }
    for (std::size_t g = 0; g < groups; ++g) {
      const RestProblem::Group& group = problem.groups[g];
      class_average[g] -=
          level[static_cast<std::size_t>(layout::segment_region(group.segment, group.region))];
    }
  }

  RestFit fit;
  fit.rounds = rounds;
  fit.classes = classes.count;
  fit.offset = spread(problem, average);
  engine.set_utility_offset(fit.offset);
  // One more round, with draws no round used, measures how well the averaged offsets hold.
  const std::vector<RoundCounts> check =
      count_round(engine, problem, classes, static_cast<std::uint32_t>(rounds));
  fit.measured.assign(class_count * groups, 0.0);
  fit.z.assign(class_count * groups, 0.0);
  for (std::size_t c = 0; c < class_count; ++c) {
    for (std::size_t g = 0; g < groups; ++g) {
      const Flows f = group_flows(check[c], problem, g);
      const double target = problem.groups[g].target;
      // The group's share after the expected one-step flows, and the net flow's sampling sd:
      // binomial counts of the adopters' and the newcomers' choices (target share in each).
      const double after = f.adopters + f.h * f.newcomers;
      const double net = f.inflow() - f.outflow(target);
      const std::size_t at = c * groups + g;
      fit.measured[at] = after > 0.0 ? (f.start + f.inflow() - f.rho * f.stock_out) / after : 0.0;
      const double variance =
          target * (1.0 - target) * (f.rho * f.rho * f.adopters + f.h * f.h * f.newcomers);
      fit.z[at] = variance > 0.0 ? net / std::sqrt(variance) : 0.0;
      fit.max_abs_z = std::max(fit.max_abs_z, std::abs(fit.z[at]));
    }
  }
  return fit;
}

std::string rest_fit_summary(const RestProblem& problem, const RestFit& fit) {
  std::size_t worst = 0;
  for (std::size_t g = 0; g < fit.z.size(); ++g) {
    if (std::abs(fit.z[g]) > std::abs(fit.z[worst])) worst = g;
  }
  char line[512];
  if (fit.z.empty()) {
    std::snprintf(line, sizeof line, "utility inversion: no starting customers to calibrate on");
    return line;
  }
  const RestProblem::Group& w = problem.groups[worst % problem.groups.size()];
  const std::string classes =
      fit.classes > 1 ? " in each of " + std::to_string(fit.classes) +
                            " calibration classes (replicates with their own parameters)"
                      : std::string();
  std::snprintf(line, sizeof line,
                "utility inversion: %zu groups%s in %lld rounds; in a check round the furthest, "
                "%s in %s (%s), would hold %.4f after one step against a start of %.4f (%.1f sd)",
                problem.groups.size(), classes.c_str(), static_cast<long long>(fit.rounds),
                w.name.c_str(), kSegmentNames[w.segment], kRegionNames[w.region],
                fit.measured[worst], w.target, fit.z[worst]);
  return line;
}

}  // namespace aimarket
