// The CUDA backend: the shared step code compiled by nvcc for Thrust's CUDA system.
#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>
#include <thrust/system/cuda/execution_policy.h>

#include <cstdio>
#include <string>

#include "backend/step_includes.hpp"

namespace aimarket {
namespace cuda {
constexpr const char* kBackendName = "cuda";
#define AIMARKET_EXEC thrust::cuda::par
// Phases and launches as NVTX ranges (header-only NVTX 3 from the CUDA toolkit): free unless
// a profiler such as Nsight Systems is attached.
#define AIMARKET_RANGE_PUSH(label) nvtxRangePushA(label)
#define AIMARKET_RANGE_POP() nvtxRangePop()
#include "backend/ensemble_engine.inl"
#undef AIMARKET_RANGE_POP
#undef AIMARKET_RANGE_PUSH
#undef AIMARKET_EXEC
}  // namespace cuda

bool cuda_backend_usable(std::string* why_not) {
  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  if (status != cudaSuccess) {
    // Clear the error so that a later CUDA call does not see it.
    (void)cudaGetLastError();
    if (why_not) {
      *why_not = std::string("no usable CUDA GPU: ") + cudaGetErrorString(status) + ".";
    }
    return false;
  }
  if (devices == 0) {
    if (why_not) *why_not = "no usable CUDA GPU: the driver reports no device.";
    return false;
  }
  return true;
}

std::string cuda_device_description() {
  int device = 0;
  cudaDeviceProp prop;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return "";
  }
  char text[320];
  std::snprintf(text, sizeof text, "%s, sm_%d%d, %.0f GiB", prop.name, prop.major, prop.minor,
                static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

bool cuda_memory_info(std::size_t* free_bytes, std::size_t* total_bytes) {
  if (cudaMemGetInfo(free_bytes, total_bytes) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return true;
}

std::unique_ptr<EnsembleBackend> make_cuda_backend(const MarketSetup& setup) {
  return std::make_unique<cuda::Engine>(setup);
}

}  // namespace aimarket
