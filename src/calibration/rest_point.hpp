// Utilities calibrated from shares: the inversion of Berry (1994) on the model's own choice
// (docs/MODEL.md, "Utilities calibrated from shares").
//
// The starting customers of each segment (population.initial_adoption spread by the named
// firms' initial_share, the rest over the other firms) are a rest point of the customer market
// when one more choice by every adopter leaves every firm's expected customers where they are.
// The inversion finds utility offsets xi that make it so: one per (segment, named firm with a
// starting share) and one per segment shared by every other firm serving it (the fringe:
// synthetic firms, named firms without a share, and the entry slots, whose entrants draw from
// the same distribution), so the fringe's base utilities keep the dispersion they were drawn
// with and only their level is pinned, by the fringe's starting share. A named firm without a
// starting share in a segment it serves has no share to be inverted from: it is taken to be a
// typical member of the fringe there, its utility the fringe's mean (its offset is the
// fringe's plus the fringe's mean quality term less its own). Each round measures the
// one-step choices on the device (kernels/rest_calibration.hpp) and moves each group's offset
// by log(outflow) - log(inflow) of its customers, Berry's (1994) contraction on the flows
// (Newton's step for plain logit); the offsets of
// the second half of the rounds are averaged, which damps the rounds' sampling noise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "population/population.hpp"

namespace aimarket {

// The groups whose starting shares the inversion matches.
struct RestProblem {
  std::int32_t firms = 0;
  std::vector<std::int32_t> group;  // [segment][firm]: index into the groups, -1 none
  std::vector<double> anchor;       // [segment][firm]: offset = its group's + this
  struct Group {
    int segment = 0;
    std::string name;     // the firm's name, or "other firms"
    double target = 0.0;  // share of the segment's starting adopters
  };
  std::vector<Group> groups;
};

// Groups and targets from the firm table and the starting customers the setup assigns
// (MarketSetup::initial_tally, [segment][firm]; quality terms from MarketSetup::quality_term):
// a fringe with no starting customer has no target an offset could reach and is left out (its
// firms keep offset 0).
RestProblem make_rest_problem(const FirmTable& firms, std::int32_t named_firms,
                              const MarketSetup& setup);

// What the inversion found.
struct RestFit {
  std::vector<double> offset;  // [segment][firm] utility offsets xi
  std::int64_t rounds = 0;
  // Per group: the share measured with the final offsets in one more round, and its
  // deviation from the target in binomial standard deviations of that round.
  std::vector<double> measured;
  std::vector<double> z;
  double max_abs_z = 0.0;
};

// Runs `rounds` rounds on `engine` (built with MarketSetup::rest_calibration, at the state of
// the step about to choose), leaves the averaged offsets in the engine and returns them.
RestFit calibrate_utilities(EnsembleBackend& engine, const RestProblem& problem,
                            std::int64_t replicates, std::int64_t rounds);

// One line for the run's log: groups, rounds, and the group furthest from its target in the
// check round (in binomial standard deviations).
std::string rest_fit_summary(const RestProblem& problem, const RestFit& fit);

}  // namespace aimarket
