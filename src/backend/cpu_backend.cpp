// The CPU backend: the shared step code compiled by the host compiler for Thrust's OpenMP
// device system (this target is built with THRUST_DEVICE_SYSTEM=OMP).
#include <omp.h>
#include <thrust/system/omp/execution_policy.h>

#include "backend/step_includes.hpp"

namespace aimarket {
namespace cpu {
constexpr const char* kBackendName = "cpu";
#define AIMARKET_EXEC thrust::omp::par
// No range labels on the CPU (the CUDA backend's are NVTX ranges).
#define AIMARKET_RANGE_PUSH(label) static_cast<void>(label)
#define AIMARKET_RANGE_POP() static_cast<void>(0)
#include "backend/ensemble_engine.inl"
#undef AIMARKET_RANGE_POP
#undef AIMARKET_RANGE_PUSH
#undef AIMARKET_EXEC
}  // namespace cpu

EngineFootprint engine_footprint(const EngineSizes& sizes) { return cpu::Engine::footprint(sizes); }

std::unique_ptr<EnsembleBackend> make_cpu_backend(const MarketSetup& setup) {
  return std::make_unique<cpu::Engine>(setup);
}

void set_cpu_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

int cpu_threads() { return omp_get_max_threads(); }

}  // namespace aimarket
