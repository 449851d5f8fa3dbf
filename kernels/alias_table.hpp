// Walker's alias method (Vose's construction): sample firm j with probability w_j / sum(w)
// in O(1), so that drawing a consideration set of k firms costs O(k), not O(firms).
//
// The table has one column per firm: column j keeps j with probability prob[j] and otherwise
// yields alias[j]; a uniform column and one uniform coin give the draw. Built in O(n) per
// (replicate, segment) each step, since awareness moves with installed base. Closed form the
// tests check: P(j) = (prob[j] + sum_{l: alias[l] = j} (1 - prob[l])) / n = w_j / sum(w).
#pragma once

#include <cstdint>

#include "kernels/counter_rng.hpp"
#include "kernels/hd.hpp"

namespace aimarket {

// Builds the table for `n` weights in place: on entry prob[j] holds w_j >= 0; on exit prob and
// alias hold the table. `small` and `large` are scratch of n entries. Returns false when every
// weight is zero (nothing can be drawn). Sequential and deterministic: the same inputs give
// the same table on every backend.
AIMARKET_HD inline bool build_alias_table(std::int32_t n, double* prob, std::int32_t* alias,
                                          std::int32_t* small, std::int32_t* large) {
  double total = 0.0;
  for (std::int32_t j = 0; j < n; ++j) total += prob[j];
  if (!(total > 0.0)) return false;
  const double scale = static_cast<double>(n) / total;
  std::int32_t n_small = 0;
  std::int32_t n_large = 0;
  for (std::int32_t j = 0; j < n; ++j) {
    prob[j] = prob[j] * scale;
    alias[j] = j;
    if (prob[j] < 1.0) {
      small[n_small++] = j;
    } else {
      large[n_large++] = j;
    }
  }
  while (n_small > 0 && n_large > 0) {
    const std::int32_t under = small[--n_small];
    const std::int32_t over = large[--n_large];
    alias[under] = over;
    prob[over] = (prob[over] + prob[under]) - 1.0;
    if (prob[over] < 1.0) {
      small[n_small++] = over;
    } else {
      large[n_large++] = over;
    }
  }
  // What is left is 1 up to rounding.
  while (n_large > 0) prob[large[--n_large]] = 1.0;
  while (n_small > 0) prob[small[--n_small]] = 1.0;
  return true;
}

// One draw from a built table, using two 32-bit words.
AIMARKET_HD inline std::int32_t sample_alias_table(std::int32_t n, const double* prob,
                                                   const std::int32_t* alias,
                                                   std::uint32_t column_word,
                                                   std::uint32_t coin_word) {
  const auto column =
      static_cast<std::int32_t>(uniform_index(column_word, static_cast<std::uint32_t>(n)));
  return uniform_open01(coin_word) < prob[column] ? column : alias[column];
}

}  // namespace aimarket
