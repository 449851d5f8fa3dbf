#include "analysis/attribution.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace aimarket::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mid-ranks of the values (ties share their mean rank).
std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double mid = 0.5 * static_cast<double>(i + j);
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = mid;
    i = j + 1;
  }
  return rank;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0.0 && sbb > 0.0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

// Residual sum of squares of the least-squares fit of y on the columns of x (centred, so the
// intercept is implicit), by Householder QR: numerically sound for the few, nearly orthogonal
// columns of independent draws. `x` is column-major, n rows.
double residual_sum_of_squares(std::vector<double> y, std::vector<std::vector<double>> x) {
  const std::size_t n = y.size();
  for (std::size_t k = 0; k < x.size(); ++k) {
    std::vector<double>& col = x[k];
    double norm = 0.0;
    for (std::size_t i = k; i < n; ++i) norm += col[i] * col[i];
    norm = std::sqrt(norm);
    if (norm == 0.0) continue;
    const double alpha = col[k] > 0.0 ? -norm : norm;
    std::vector<double> v(n, 0.0);
    for (std::size_t i = k; i < n; ++i) v[i] = col[i];
    v[k] -= alpha;
    double vv = 0.0;
    for (std::size_t i = k; i < n; ++i) vv += v[i] * v[i];
    if (vv == 0.0) continue;
    const auto reflect = [&](std::vector<double>& c) {
      double dot = 0.0;
      for (std::size_t i = k; i < n; ++i) dot += v[i] * c[i];
      const double f = 2.0 * dot / vv;
      for (std::size_t i = k; i < n; ++i) c[i] -= f * v[i];
    };
    for (std::size_t j = k; j < x.size(); ++j) reflect(x[j]);
    reflect(y);
  }
  // The residual is what lies below the first (columns) rows of the rotated y.
  double rss = 0.0;
  for (std::size_t i = x.size(); i < n; ++i) rss += y[i] * y[i];
  return rss;
}

}  // namespace

Attribution attribute_difference(const std::vector<double>& differences,
                                 const std::vector<std::string>& keys,
                                 const std::vector<double>& values) {
  Attribution out;
  out.parameter_share = kNaN;
  const std::size_t p = keys.size();
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < differences.size(); ++r) {
    if (std::isfinite(differences[r])) rows.push_back(r);
  }
  out.n = static_cast<std::int64_t>(rows.size());
  if (rows.size() < 3 || p == 0) return out;
  std::vector<double> d;
  d.reserve(rows.size());
  for (std::size_t r : rows) d.push_back(differences[r]);
  const double mean = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size());
  double tss = 0.0;
  for (double& v : d) {
    v -= mean;
    tss += v * v;
  }
  std::vector<std::vector<double>> columns;
  const std::vector<double> d_rank = ranks(d);
  for (std::size_t k = 0; k < p; ++k) {
    std::vector<double> col;
    col.reserve(rows.size());
    for (std::size_t r : rows) col.push_back(values[r * p + k]);
    const double m = std::accumulate(col.begin(), col.end(), 0.0) / static_cast<double>(col.size());
    double ss = 0.0;
    for (double& v : col) {
      v -= m;
      ss += v * v;
    }
    if (!(ss > 0.0)) continue;  // the key does not vary: nothing to attribute to it
    for (double& v : col) v /= std::sqrt(ss);
    out.drivers.push_back({keys[k], tss > 0.0 ? pearson(d_rank, ranks(col)) : 0.0});
    columns.push_back(std::move(col));
  }
  std::stable_sort(out.drivers.begin(), out.drivers.end(), [](const Driver& a, const Driver& b) {
    return std::fabs(a.rho) > std::fabs(b.rho);
  });
  const std::size_t n = d.size();
  const std::size_t m = columns.size();
  if (!(tss > 0.0) || n < m + 3) return out;
  const double rss = residual_sum_of_squares(d, columns);
  // Adjusted R^2: corrects the share for the m fitted slopes, which explain about m / (n - 1)
  // of pure noise.
  const double adjusted =
      1.0 - (rss / static_cast<double>(n - m - 1)) / (tss / static_cast<double>(n - 1));
  out.parameter_share = std::clamp(adjusted, 0.0, 1.0);
  return out;
}

std::string drivers_text(const Attribution& attribution, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < attribution.drivers.size() && i < count; ++i) {
    char rho[32];
    std::snprintf(rho, sizeof rho, "%.2f", attribution.drivers[i].rho);
    text += (i > 0 ? ", " : "") + attribution.drivers[i].key + " (rho " + rho + ")";
  }
  return text;
}

}  // namespace aimarket::analysis
