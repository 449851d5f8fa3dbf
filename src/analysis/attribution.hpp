// What drives a scenario's difference from the reference when the replicates carry parameter
// draws (docs/MODEL.md, "Parameter uncertainty"). Replicate r of every scenario runs the same
// draws x_r (paired), so the per-replicate differences d_r vary for two reasons: the
// parameters, and agent-sampling noise. A least-squares fit d_r = a + sum_k b_k z_rk on the
// standardized draws z splits the spread: its adjusted R^2 is the share of the variance of d
// the parameters explain linearly (a lower bound on their share: effects that are not linear
// in the draws are left with the noise); 1 - R^2 is sampling noise and what the linear fit
// misses. The parameters that drive d are ranked by |Spearman's rho| between d and each draw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace aimarket::analysis {

struct Driver {
  std::string key;
  double rho = 0.0;  // Spearman's rank correlation of the difference with the key's draws
};

struct Attribution {
  std::int64_t n = 0;            // replicates with a finite difference
  double parameter_share = 0.0;  // adjusted R^2 of the linear fit, in [0, 1]; NaN: no fit
  std::vector<Driver> drivers;   // the keys by |rho|, largest first (those that vary)
};

// `differences` [replicate] (NaN where undefined); `keys` [parameter] and `values`
// [replicate][parameter]. Keys whose values do not vary are left out. NaN share when fewer
// than (varying keys + 3) replicates have a finite difference, or the difference does not vary.
Attribution attribute_difference(const std::vector<double>& differences,
                                 const std::vector<std::string>& keys,
                                 const std::vector<double>& values);

// "x.y (rho 0.62), ..." of the first `count` drivers.
std::string drivers_text(const Attribution& attribution, std::size_t count);

}  // namespace aimarket::analysis
