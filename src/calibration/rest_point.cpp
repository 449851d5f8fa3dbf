#include "calibration/rest_point.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kernels/layout.hpp"
#include "model/dimensions.hpp"

namespace aimarket {
namespace {

// One round's choices per group, summed over replicates: chosen into the group, and of those
// kept within it (the chooser's current provider in the same group); and each segment's
// adopters.
struct RoundCounts {
  std::vector<double> chosen, kept;         // [group]
  std::array<double, kSegments> segment{};  // adopters of the segment
};

RoundCounts count_round(EnsembleBackend& engine, const RestProblem& problem,
                        std::int64_t replicates, std::uint32_t round) {
  std::vector<std::int32_t> chosen, kept;
  engine.count_rest_choices(round, chosen, kept);
  RoundCounts out;
  out.chosen.assign(problem.groups.size(), 0.0);
  out.kept.assign(problem.groups.size(), 0.0);
  const std::int32_t n = problem.firms;
  for (std::int64_t r = 0; r < replicates; ++r) {
    for (int s = 0; s < kSegments; ++s) {
      for (std::int32_t j = 0; j < n; ++j) {
        const auto cell = static_cast<std::size_t>(layout::replicate_segment_firm(r, s, j, n));
        out.segment[static_cast<std::size_t>(s)] += chosen[cell];
        const std::int32_t g =
            problem.group[static_cast<std::size_t>(layout::segment_firm(s, j, n))];
        if (g < 0) continue;
        out.chosen[static_cast<std::size_t>(g)] += chosen[cell];
        out.kept[static_cast<std::size_t>(g)] += kept[cell];
      }
    }
  }
  return out;
}

// Offsets per (segment, firm) from the groups' offsets.
std::vector<double> spread(const RestProblem& problem, const std::vector<double>& group_offset) {
  std::vector<double> offset(problem.group.size(), 0.0);
  for (std::size_t cell = 0; cell < problem.group.size(); ++cell) {
    const std::int32_t g = problem.group[cell];
    if (g >= 0) offset[cell] = group_offset[static_cast<std::size_t>(g)] + problem.anchor[cell];
  }
  return offset;
}

}  // namespace

RestProblem make_rest_problem(const FirmTable& firms, std::int32_t named_firms,
                              const MarketSetup& setup) {
  RestProblem problem;
  const std::int32_t n = firms.size();
  problem.firms = n;
  problem.group.assign(static_cast<std::size_t>(kSegments) * static_cast<std::size_t>(n), -1);
  problem.anchor.assign(problem.group.size(), 0.0);
  if (setup.initial_tally.empty()) return problem;  // nobody starts as a customer
  for (int s = 0; s < kSegments; ++s) {
    double adopters = 0.0;
    for (std::int32_t j = 0; j < n; ++j)
      adopters += setup.initial_tally[static_cast<std::size_t>(layout::segment_firm(s, j, n))];
    if (adopters <= 0.0) continue;
    // Named firms with starting customers: a group each. The fringe: the other firms
    // serving the segment; its mean quality term is that of its unnamed members.
    double fringe_customers = 0.0, fringe_quality = 0.0, unnamed = 0.0;
    std::vector<std::int32_t> fringe;
    for (std::int32_t j = 0; j < n; ++j) {
      const auto cell = static_cast<std::size_t>(layout::segment_firm(s, j, n));
      if (!firms.serves[cell]) continue;
      const double customers = setup.initial_tally[cell];
      const bool named = j < named_firms;
      const bool named_with_share =
          named && firms.initial_share[static_cast<std::size_t>(layout::firm_segment(j, s))] > 0.0;
      if (named_with_share && customers > 0.0) {
        problem.group[cell] = static_cast<std::int32_t>(problem.groups.size());
        problem.groups.push_back(
            {s, firms.name[static_cast<std::size_t>(j)], customers / adopters});
      } else if (!named_with_share) {
        fringe.push_back(j);
        fringe_customers += customers;
        if (!named && firms.alive[static_cast<std::size_t>(j)]) {
          fringe_quality += setup.quality_term[cell];
          unnamed += 1.0;
        }
      }
    }
    if (fringe_customers > 0.0) {
      const auto g = static_cast<std::int32_t>(problem.groups.size());
      problem.groups.push_back({s, "other firms", fringe_customers / adopters});
      const double mean_quality = unnamed > 0.0 ? fringe_quality / unnamed : 0.0;
      for (std::int32_t j : fringe) {
        const auto cell = static_cast<std::size_t>(layout::segment_firm(s, j, n));
        problem.group[cell] = g;
        // A named firm in the fringe: utility of the fringe's mean (see the header).
        if (j < named_firms && unnamed > 0.0)
          problem.anchor[cell] = mean_quality - setup.quality_term[cell];
      }
    }
  }
  return problem;
}

RestFit calibrate_utilities(EnsembleBackend& engine, const RestProblem& problem,
                            std::int64_t replicates, std::int64_t rounds) {
  const std::size_t groups = problem.groups.size();
  std::vector<double> offset(groups, 0.0), average(groups, 0.0);
  // Rounds from `first_averaged` on enter the average (the second half).
  const std::int64_t first_averaged = rounds / 2;
  engine.set_rest_groups(problem.group);
  for (std::int64_t round = 0; round < rounds; ++round) {
    engine.set_utility_offset(spread(problem, offset));
    const RoundCounts counts =
        count_round(engine, problem, replicates, static_cast<std::uint32_t>(round));
    for (std::size_t g = 0; g < groups; ++g) {
      const double adopters = counts.segment[static_cast<std::size_t>(problem.groups[g].segment)];
      if (adopters <= 0.0) continue;
      // The group's one-step flows out of the start (kernels/rest_calibration.hpp); a flow
      // nobody made this round counts as half a customer, so the step stays finite.
      const double start = problem.groups[g].target * adopters;
      const double inflow = std::max(counts.chosen[g] - counts.kept[g], 0.5);
      const double outflow = std::max(start - counts.kept[g], 0.5);
      // Newton's step: the derivative of log(inflow / outflow) in the offset is about
      // 1 - P(an outsider joins) + P(a member stays); 1 for plain logit, up to 2 with
      // switching costs, where a full step would overshoot.
      const double outsiders = adopters - start;
      const double joins = outsiders > 0.0 ? (counts.chosen[g] - counts.kept[g]) / outsiders : 0.0;
      const double stays = start > 0.0 ? counts.kept[g] / start : 0.0;
      const double slope = std::clamp(1.0 - joins + stays, 0.5, 2.5);
      offset[g] += (std::log(outflow) - std::log(inflow)) / slope;
    }
    if (round >= first_averaged) {
      for (std::size_t g = 0; g < groups; ++g) average[g] += offset[g];
    }
  }
  const auto averaged_rounds = static_cast<double>(rounds - first_averaged);
  for (double& a : average) a /= averaged_rounds;

  RestFit fit;
  fit.rounds = rounds;
  fit.offset = spread(problem, average);
  engine.set_utility_offset(fit.offset);
  // One more round, with draws no round used, measures how well the averaged offsets hold.
  const RoundCounts check =
      count_round(engine, problem, replicates, static_cast<std::uint32_t>(rounds));
  fit.measured.assign(groups, 0.0);
  fit.z.assign(groups, 0.0);
  for (std::size_t g = 0; g < groups; ++g) {
    const double adopters = check.segment[static_cast<std::size_t>(problem.groups[g].segment)];
    const double target = problem.groups[g].target;
    fit.measured[g] = adopters > 0.0 ? check.chosen[g] / adopters : 0.0;
    const double sd = std::sqrt(target * (1.0 - target) / std::max(adopters, 1.0));
    fit.z[g] = sd > 0.0 ? (fit.measured[g] - target) / sd : 0.0;
    fit.max_abs_z = std::max(fit.max_abs_z, std::abs(fit.z[g]));
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
  const RestProblem::Group& w = problem.groups[worst];
  std::snprintf(line, sizeof line,
                "utility inversion: %zu groups in %lld rounds; in a check round the furthest, "
                "%s in %s, chose %.4f against a start of %.4f (%.1f sd)",
                problem.groups.size(), static_cast<long long>(fit.rounds), w.name.c_str(),
                kSegmentNames[w.segment], fit.measured[worst], w.target, fit.z[worst]);
  return line;
}

}  // namespace aimarket
