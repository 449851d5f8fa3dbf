// Ensemble statistics for `aimarket compare` (see statistics.hpp): sample moments in long
// double, quantiles of the Student t and normal distributions from Boost.Math.
#include "analysis/statistics.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace aimarket::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_level(double level) {
  if (!(level > 0.0 && level < 1.0)) {
    throw std::invalid_argument("confidence level must be in (0, 1)");
  }
}

// Two-sided critical value of Student's t with `df` degrees of freedom at `level`.
double t_critical(double df, double level) {
  const boost::math::students_t distribution(df);
  return boost::math::quantile(boost::math::complement(distribution, (1.0 - level) / 2.0));
}

}  // namespace

Summary::Summary() : mean(kNaN), sd(kNaN), ci_low(kNaN), ci_high(kNaN) {}

Summary summarize(const std::vector<double>& values, double level) {
  check_level(level);
  Summary s;
  long double sum = 0.0L;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++s.n;
  }
  if (s.n == 0) return s;
  const long double mean = sum / static_cast<long double>(s.n);
  s.mean = static_cast<double>(mean);
  if (s.n < 2) return s;
  long double squares = 0.0L;
  for (double v : values) {
    if (std::isnan(v)) continue;
    const long double d = static_cast<long double>(v) - mean;
    squares += d * d;
  }
  s.sd = static_cast<double>(std::sqrt(squares / static_cast<long double>(s.n - 1)));
  const double half_width =
      t_critical(static_cast<double>(s.n - 1), level) * s.sd / std::sqrt(static_cast<double>(s.n));
  s.ci_low = s.mean - half_width;
  s.ci_high = s.mean + half_width;
  return s;
}

Summary paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                          double level) {
  if (a.size() != b.size()) {
    throw std::invalid_argument("paired difference of samples of different sizes (" +
                                std::to_string(a.size()) + " and " + std::to_string(b.size()) +
                                ")");
  }
  std::vector<double> differences(a.size(), kNaN);
  for (std::size_t r = 0; r < a.size(); ++r) {
    if (!std::isnan(a[r]) && !std::isnan(b[r])) differences[r] = b[r] - a[r];
  }
  return summarize(differences, level);
}

Summary welch_difference(const std::vector<double>& a, const std::vector<double>& b, double level) {
  const Summary sa = summarize(a, level);
  const Summary sb = summarize(b, level);
  Summary d;
  d.n = std::min(sa.n, sb.n);
  if (sa.n == 0 || sb.n == 0) return d;
  d.mean = sb.mean - sa.mean;
  if (sa.n < 2 || sb.n < 2) return d;
  const double va = sa.sd * sa.sd / static_cast<double>(sa.n);
  const double vb = sb.sd * sb.sd / static_cast<double>(sb.n);
  d.sd = std::sqrt(va + vb);
  if (d.sd == 0.0) {
    d.ci_low = d.ci_high = d.mean;
    return d;
  }
  // Welch-Satterthwaite degrees of freedom.
  const double df =
      (va + vb) * (va + vb) /
      (va * va / static_cast<double>(sa.n - 1) + vb * vb / static_cast<double>(sb.n - 1));
  const double half_width = t_critical(df, level) * d.sd;
  d.ci_low = d.mean - half_width;
  d.ci_high = d.mean + half_width;
  return d;
}

ProportionInterval wilson_interval(std::int64_t successes, std::int64_t trials, double level) {
  check_level(level);
  if (trials <= 0) return {kNaN, kNaN};
  if (successes < 0 || successes > trials) {
    throw std::invalid_argument("Wilson interval: successes " + std::to_string(successes) +
                                " not in [0, " + std::to_string(trials) + "]");
  }
  const double z = boost::math::quantile(
      boost::math::complement(boost::math::normal_distribution<double>(), (1.0 - level) / 2.0));
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
  const double half_width = z / (1.0 + z2 / n) * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
  // Clamp the rounding at the ends (0 and 1 successes-fractions give exactly 0 and 1).
  return {std::max(0.0, centre - half_width), std::min(1.0, centre + half_width)};
}

}  // namespace aimarket::analysis
