// The two backends behind one interface. The step code in kernels/ is compiled once for the
// CPU (Thrust's OpenMP system, cpu_backend.cpp) and once for CUDA (cuda_backend.cu); each copy
// lives in its own namespace and is reached only through the factories below.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/demand_params.hpp"
#include "model/dimensions.hpp"

namespace aimarket {

// Everything the device needs to run the customer market, as flat host arrays.
struct MarketSetup {
  std::int64_t replicates = 0;
  std::int64_t customers = 0;  // per replicate
  std::int32_t firms = 0;
  std::uint64_t seed = 0;
  DemandParams demand{};
  std::vector<std::uint8_t> customer_segment;  // [customer]
  std::vector<std::uint8_t> customer_region;   // [customer]
  std::array<std::int64_t, kSegments> customers_in_segment{};
  std::vector<double> quality_term;            // [segment][firm]
  std::vector<double> log_price;               // [segment][firm]
  std::vector<std::uint8_t> serves;            // [segment][firm]
  std::vector<double> region_term;             // [firm][region]
  std::vector<double> awareness;               // [firm]
};

struct PhaseTime {
  std::string phase;
  double seconds = 0.0;
};

class EnsembleBackend {
 public:
  virtual ~EnsembleBackend() = default;
  virtual const char* name() const = 0;
  // Advances every replicate by one step (step index t, 0-based).
  virtual void step(std::int64_t t) = 0;
  // Customers per provider: [replicate][segment][firm].
  virtual void read_tallies(std::vector<std::int32_t>& tally) = 0;
  // Every customer's provider (-1 = none): [replicate][customer]. For tests and checks.
  virtual void read_providers(std::vector<std::int32_t>& provider) = 0;
  // Bytes of device memory held per customer-replicate by the customer state.
  virtual double customer_state_bytes() const = 0;

  // Phase timing for benchmarks: when on, step() accumulates wall-clock seconds per phase
  // (each phase ends with its launches complete, so the times are device times too).
  void set_phase_timing(bool on) { phase_timing_ = on; }
  const std::vector<PhaseTime>& phase_seconds() const { return phase_seconds_; }

 protected:
  // Adds `seconds` to the named phase (in the order phases first appear).
  void add_phase_time(const char* phase, double seconds);
  bool phase_timing_ = false;

 private:
  std::vector<PhaseTime> phase_seconds_;
};

std::unique_ptr<EnsembleBackend> make_cpu_backend(const MarketSetup& setup);
std::unique_ptr<EnsembleBackend> make_cuda_backend(const MarketSetup& setup);

// True when the CUDA backend was built and a GPU with a working driver is present; otherwise
// false with one sentence in *why_not.
bool cuda_backend_usable(std::string* why_not);
// Name, compute capability and memory of the GPU the CUDA backend uses ("" without one).
std::string cuda_device_description();

// Sets the number of CPU threads the CPU backend uses (0 = OpenMP's default).
void set_cpu_threads(int threads);
// The number of CPU threads the CPU backend will use.
int cpu_threads();

}  // namespace aimarket
