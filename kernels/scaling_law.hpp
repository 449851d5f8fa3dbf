// Model capability from training compute and data: the Chinchilla scaling law
// (Hoffmann et al. 2022), L(N, D) = E + A / N^alpha + B / D^beta, N parameters, D tokens.
//
// Compute C (FLOP) is spent compute-optimally, C = 6 N D with D = tokens_per_parameter * N,
// so N = sqrt(C / (6 tpp)); when the firm holds fewer tokens than that D, it trains on all it
// has and puts the rest of C into parameters, N = C / (6 D). Capability is the log reduction
// of the reducible loss against a reference model trained compute-optimally on
// reference_compute FLOP: capability = log((L_ref - E) / (L - E)). It is 0 at the reference,
// grows by about 0.36 per tenfold compute on the compute-optimal path, and is what service
// quality is built from (docs/MODEL.md).
#pragma once

#include <cmath>

#include "kernels/det_math.hpp"
#include "kernels/hd.hpp"

namespace aimarket {

// Parameters N of the model chinchilla_loss trains: sqrt(C / (6 tpp)), or C / (6 D) when the
// firm holds fewer tokens D than the compute-optimal tpp N.
AIMARKET_HD inline double model_parameters(double compute_flop, double data_tokens,
                                           double tokens_per_parameter) {
  const double parameters = std::sqrt(compute_flop / (6.0 * tokens_per_parameter));
  if (data_tokens < tokens_per_parameter * parameters) return compute_flop / (6.0 * data_tokens);
  return parameters;
}

AIMARKET_HD inline double chinchilla_loss(double compute_flop, double data_tokens, double E,
                                          double A, double B, double alpha, double beta,
                                          double tokens_per_parameter) {
  double parameters = std::sqrt(compute_flop / (6.0 * tokens_per_parameter));
  double tokens = tokens_per_parameter * parameters;
  if (data_tokens < tokens) {
    tokens = data_tokens;
    parameters = compute_flop / (6.0 * tokens);
  }
  return E + A * det_exp(-alpha * det_log(parameters)) + B * det_exp(-beta * det_log(tokens));
}

}  // namespace aimarket

// Below chinchilla_loss: value_chain_params.hpp's conversion from the config (reference_loss)
// calls it, and includes this header, whichever of the two a file includes first.
#include "kernels/value_chain_params.hpp"

namespace aimarket {

// Capability of a model trained on `compute_flop` effective FLOP with `data_tokens` tokens.
AIMARKET_HD inline double model_capability(double compute_flop, double data_tokens,
                                           const ValueChainParams& p) {
  const double loss =
      chinchilla_loss(compute_flop, data_tokens, p.chinchilla_E, p.chinchilla_A, p.chinchilla_B,
                      p.chinchilla_alpha, p.chinchilla_beta, p.tokens_per_parameter);
  return det_log((p.reference_loss - p.chinchilla_E) / (loss - p.chinchilla_E));
}

}  // namespace aimarket
