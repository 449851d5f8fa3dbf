// Stand-in for the CUDA backend in builds configured with AIMARKET_CUDA=OFF.
#include <stdexcept>
#include <string>

#include "backend/backend.hpp"

namespace aimarket {

bool cuda_backend_usable(std::string* why_not) {
  if (why_not) {
    *why_not =
        "this aimarket was built without the CUDA backend (configure with "
        "-DAIMARKET_CUDA=ON where nvcc is installed).";
  }
  return false;
}

std::string cuda_device_description() { return ""; }

bool cuda_memory_info(std::size_t*, std::size_t*) { return false; }

std::unique_ptr<EnsembleBackend> make_cuda_backend(const MarketSetup&) {
  throw std::runtime_error("this aimarket was built without the CUDA backend");
}

}  // namespace aimarket
