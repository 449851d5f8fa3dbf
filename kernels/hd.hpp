// Host/device portability for the step code, which is written once and compiled twice:
// by nvcc for the CUDA backend and by the host compiler for the CPU (OpenMP) backend.
// Thrust no longer defines __host__/__device__ for a non-CUDA compiler, hence our own macro.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define AIMARKET_HD __host__ __device__
#else
#define AIMARKET_HD
#endif

namespace aimarket {

// Adds `delta` to an integer tally shared by many threads. Integer addition is associative,
// so the final tally does not depend on the order in which threads arrive: this is what keeps
// customer counts bitwise identical across thread counts and between CPU and GPU.
AIMARKET_HD inline void atomic_add_tally(std::int32_t* tally, std::int32_t delta) {
#if defined(__CUDA_ARCH__)
  atomicAdd(reinterpret_cast<int*>(tally), static_cast<int>(delta));
#else
  __atomic_fetch_add(tally, delta, __ATOMIC_RELAXED);
#endif
}

// Sets a flag that many threads may set at once (to the same value).
AIMARKET_HD inline void raise_flag(std::uint32_t* flag) {
#if defined(__CUDA_ARCH__)
  atomicOr(reinterpret_cast<unsigned int*>(flag), 1u);
#else
  __atomic_store_n(flag, 1u, __ATOMIC_RELAXED);
#endif
}

}  // namespace aimarket
