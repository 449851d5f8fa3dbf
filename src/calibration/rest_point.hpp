// Utilities calibrated from shares: the inversion of Berry (1994) on the model's own choice
// (docs/MODEL.md, "Utilities calibrated from shares").
//
// A market is a (segment, region) pair: the customers of one segment living in one region.
// Its starting customers (population.initial_adoption spread by the starting shares of
// src/population, where home_share gives a firm's share at home) are a rest point of the
// customer market when one step's expected flows, adopters choosing again and non-adopters
// adopting at the Bass hazard, leave every firm's share of its market's adopters where it is.
// The inversion finds utility offsets xi that make it so: one per
// (market, named firm with a starting share there) and one per market shared by every other
// firm serving the segment (the fringe: synthetic firms, named firms without a share there,
// and the entry slots, whose entrants draw from the same distribution), so the fringe's base
// utilities keep the dispersion they were drawn with (quality, home and language terms) and
// only their level is pinned, by the fringe's starting share. A named firm's offset in a
// market absorbs its home and language terms there: its utility in each region is what its
// share there says. A named firm without a starting share in a market has no share to be
// inverted from: it is taken to be a typical member of the fringe there in quality, keeping
// its own home and language terms (its offset is the fringe's plus the fringe's mean quality
// term less its own), so a Korean-language service abroad is a fringe firm with a foreign
// firm's poorer fit. Each round measures the one-step choices on the device
// (kernels/rest_calibration.hpp) and moves each group's offset by log(outflow) - log(inflow)
// of its customers, Berry's (1994) contraction on the flows (Newton's step for plain logit);
// the offsets of the second half of the rounds are averaged, which damps the rounds' sampling
// noise.
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
  std::vector<std::int32_t> group;  // [segment][region][firm]: index into the groups, -1 none
  std::vector<double> anchor;       // [segment][region][firm]: offset = its group's + this
  struct Group {
    int segment = 0;
    int region = 0;       // of the customers: the group's market is (segment, region)
    std::string name;     // the firm's name, or "other firms"
    double target = 0.0;  // share of the market's starting adopters
    bool fringe = false;  // the market's fringe (its offset is set to 0 at the end)
  };
  std::vector<Group> groups;
  // The flows' rates (kernels/rest_calibration.hpp): adopters choose again at
  // reconsider_rate, a market's non-adopters adopt at its first step's Bass hazard.
  double reconsider_rate = 0.0;
  std::vector<double> adoption_hazard;  // [segment][region]
};

// Groups and targets from the firm table and the starting customers the setup assigns
// (MarketSetup::initial_market_tally and initial_market_share, [segment][region][firm];
// quality terms from MarketSetup::quality_term):
// a fringe with no starting customer has no target an offset could reach and is left out (its
// firms keep offset 0).
RestProblem make_rest_problem(const FirmTable& firms, std::int32_t named_firms,
                              const MarketSetup& setup);

// Which replicates are calibrated together: those that run with the same parameters (all of
// them without parameter uncertainty) share a class, whose choices are pooled and whose
// offsets they share; each replicate with its own parameter values is its own class, so that
// its starting shares are a rest point of its own economy (src/uncertainty).
struct CalibrationClasses {
  std::int32_t count = 1;
  std::vector<std::int32_t> of_replicate;  // [replicate]
  std::int64_t replicates() const { return static_cast<std::int64_t>(of_replicate.size()); }
  std::int32_t of(std::int64_t replicate) const {
    return of_replicate[static_cast<std::size_t>(replicate)];
  }
};

// What the inversion found.
struct RestFit {
  // [class][segment][region][firm] utility offsets xi; in each market the fringe's is 0 (only
  // differences within a market matter).
  std::vector<double> offset;
  std::int64_t rounds = 0;
  std::int32_t classes = 1;
  // Per class and group, [class][group]: its share after the expected one-step flows measured
  // with the final offsets in one more round, and the net flow in binomial standard deviations
  // of that round.
  std::vector<double> measured;
  std::vector<double> z;
  double max_abs_z = 0.0;
};

// Runs `rounds` rounds on `engine` (built with MarketSetup::rest_calibration, at the state of
// the step about to choose), leaves the averaged offsets in the engine and returns them.
RestFit calibrate_utilities(EnsembleBackend& engine, const RestProblem& problem,
                            const CalibrationClasses& classes, std::int64_t rounds);

// One line for the run's log: groups, rounds, and the group furthest from its target in the
// check round (in binomial standard deviations).
std::string rest_fit_summary(const RestProblem& problem, const RestFit& fit);

}  // namespace aimarket
