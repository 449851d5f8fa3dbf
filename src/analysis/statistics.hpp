// Ensemble statistics for `aimarket compare`: the mean, sample standard deviation and
// Student-t confidence interval of a measure across Monte Carlo replicates, the paired (common
// random numbers) and unpaired (Welch) intervals of a difference between two scenarios, and
// the Wilson score interval of a proportion. Quantiles come from Boost.Math, so the intervals
// are exact for their stated assumptions at any replicate count.
//
// NaN marks a replicate where a measure is undefined (e.g. a layer with no trade); every
// function here ignores NaN values (and, for paired differences, any pair with a NaN) and
// reports how many values it used in `n`.
#pragma once

#include <cstdint>
#include <vector>

namespace aimarket::analysis {

// Summary of a sample: n finite values, their mean, sample standard deviation (n - 1 in the
// denominator) and a two-sided confidence interval for the mean. With n == 0 everything is
// NaN; with n == 1 the mean is the value and sd and the interval are NaN (no spread to
// estimate). A sample with sd == 0 has the zero-width interval [mean, mean].
struct Summary {
  std::int64_t n = 0;
  double mean;
  double sd;
  double ci_low;
  double ci_high;
  Summary();
};

// Mean, sd and the Student-t interval mean +- t_{1-(1-level)/2, n-1} * sd / sqrt(n).
Summary summarize(const std::vector<double>& values, double level = 0.95);

// Paired difference `b - a` of two samples over the same replicates (common random numbers):
// the t interval of the per-replicate differences b[r] - a[r], over the replicates where both
// are finite. The samples must have the same length (std::invalid_argument otherwise).
Summary paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                          double level = 0.95);

// Unpaired difference mean(b) - mean(a) of independent samples: Welch's t interval, with the
// Welch-Satterthwaite degrees of freedom. `n` is the smaller of the two sample sizes and `sd`
// the standard error of the difference. The interval is NaN when either sample has fewer
// than two values, and [d, d] when both samples have zero spread.
Summary welch_difference(const std::vector<double>& a, const std::vector<double>& b,
                         double level = 0.95);

// Wilson score interval of a proportion of `successes` in `trials`
// (Wilson 1927; Newcombe 1998, method 3). NaN bounds for trials == 0.
struct ProportionInterval {
  double low;
  double high;
};
ProportionInterval wilson_interval(std::int64_t successes, std::int64_t trials,
                                   double level = 0.95);

}  // namespace aimarket::analysis
