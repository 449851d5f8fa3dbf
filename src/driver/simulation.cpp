#include "driver/simulation.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <utility>

#include "kernels/data_stocks.hpp"
#include "version.hpp"

namespace aimarket {
namespace {

std::atomic<int> g_stop_signal{0};
extern "C" void request_stop(int signal_number) { g_stop_signal.store(signal_number); }

// True for the CUDA backend, false for the CPU one; throws BackendUnavailable for --backend
// cuda without a usable GPU.
bool choose_cuda(BackendChoice choice, std::string* note) {
  std::string why_not;
  const bool gpu = cuda_backend_usable(&why_not);
  if (choice == BackendChoice::kCuda && !gpu) {
    throw BackendUnavailable("--backend cuda: " + why_not);
  }
  if (choice == BackendChoice::kCuda || (choice == BackendChoice::kAuto && gpu)) {
    if (note) *note = "backend: cuda (" + cuda_device_description() + ")";
    return true;
  }
  if (note) {
    *note = "backend: cpu, " + std::to_string(cpu_threads()) + " threads";
    if (choice == BackendChoice::kAuto) *note += " (CUDA not used: " + why_not + ")";
  }
  return false;
}

// The estimate, or InsufficientMemory when the run does not fit.
MemoryEstimate admit(const Config& config, bool cuda) {
  MemoryEstimate estimate = estimate_memory(config, cuda);
  const std::string shortfall = memory_shortfall(estimate);
  if (!shortfall.empty()) throw InsufficientMemory(shortfall);
  return estimate;
}

// Frames alive at once while running: the two the trajectory writer queues, the one it is
// writing, and the one the step loop is handing over (TrajectoryWriter::push blocks).
constexpr double kFramesInFlight = 4.0;
// Host bytes per firm slot outside the engine: the firm table (about 400 B: names, region,
// quality, price and shares per segment, strategy, starting state), the set-up copies the
// engine is built from (about 520 B) and the firm names of the output file (about 100 B).
constexpr double kHostBytesPerFirm = 1024.0;

// The first number in the file at `path` after `key` (a /proc or /sys text file), or -1.
double number_in_file(const char* path, const std::string& key) {
  std::FILE* file = std::fopen(path, "r");
  if (file == nullptr) return -1.0;
  char line[256];
  double value = -1.0;
  while (std::fgets(line, sizeof line, file) != nullptr) {
    const std::string text(line);
    if (text.compare(0, key.size(), key) != 0) continue;
    char* end = nullptr;
    const double parsed = std::strtod(text.c_str() + key.size(), &end);
    if (end != text.c_str() + key.size()) value = parsed;
    break;
  }
  std::fclose(file);
  return value;
}

// Progress on stderr: a redrawn bar on a terminal, a plain line every tenth of the run
// otherwise (logs and CI), nothing in kNone.
class ProgressReporter {
 public:
  ProgressReporter(ProgressMode mode, std::int64_t total) : total_(total) {
    if (mode == ProgressMode::kAuto)
      mode = isatty(STDERR_FILENO) ? ProgressMode::kBar : ProgressMode::kLines;
    mode_ = mode;
    start_ = std::chrono::steady_clock::now();
  }
  void update(std::int64_t done) {
    const double elapsed = seconds();
    if (mode_ == ProgressMode::kBar) {
      if (done != total_ && elapsed - last_draw_ < 0.1) return;
      last_draw_ = elapsed;
      constexpr int kWidth = 40;
      const int filled = static_cast<int>(kWidth * done / total_);
      std::fprintf(stderr, "\r[%-*s] %lld/%lld steps  %.1f s", kWidth,
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   static_cast<long long>(done), static_cast<long long>(total_), elapsed);
      if (done == total_) std::fprintf(stderr, "\n");
      std::fflush(stderr);
    } else if (mode_ == ProgressMode::kLines) {
      const std::int64_t every = total_ >= 10 ? total_ / 10 : 1;
      if (done % every != 0 && done != total_) return;
      std::fprintf(stderr, "step %lld/%lld (%.0f%%) %.1f s\n", static_cast<long long>(done),
                   static_cast<long long>(total_), 100.0 * done / total_, elapsed);
      std::fflush(stderr);
    }
  }
  void interrupted() {
    if (mode_ == ProgressMode::kBar) std::fprintf(stderr, "\n");
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  ProgressMode mode_;
  std::int64_t total_;
  std::chrono::steady_clock::time_point start_;
  double last_draw_ = -1.0;
};

}  // namespace

Simulation::Simulation(const Config& config, BackendChoice choice, std::string* note)
    : config_(config),
      cuda_(choose_cuda(choice, note)),
      memory_(admit(config_, cuda_)),
      firms_(build_firm_table(config)),
      customers_(build_customer_population(config.population)) {
  MarketSetup setup = make_market_setup(config_, firms_, customers_);
  draws_ = aimarket::parameter_draws(config_);
  if (!draws_.empty()) {
    setup.value_chain_by_replicate = value_chain_by_replicate(config_, draws_);
    setup.demand_by_replicate = demand_by_replicate(config_, draws_);
  }
  classes_ = calibration_classes(draws_, config_.run.replicates);
  setup.calibration_classes = classes_.count;
  setup.calibration_class = classes_.of_replicate;
  backend_ = cuda_ ? make_cuda_backend(setup) : make_cpu_backend(setup);
  if (setup.rest_calibration) {
    rest_problem_ =
        make_rest_problem(firms_, static_cast<std::int32_t>(config_.named_firms.size()), setup);
  }
  layout_.replicates = config_.run.replicates;
  layout_.firms = firms_.size();
  layout_.customer_weight = config_.population.customer_weight();
  layout_.firm_region = firms_.region;
  layout_.sells_data.assign(static_cast<std::size_t>(layout_.firms), 0);
  for (std::int32_t j = 0; j < layout_.firms; ++j) {
    const auto jj = static_cast<std::size_t>(j);
    layout_.sells_data[jj] = (firms_.layer_mask[jj] & kSellsDataBit) != 0 ? 1 : 0;
  }
  for (int layer = 0; layer < kLayers; ++layer) {
    layout_.sells[layer].assign(static_cast<std::size_t>(layout_.firms), 0);
  }
  for (int market = 0; market < kLayers - 1; ++market) {  // hbm, accelerator, cloud, model
    for (std::int32_t j : setup.sellers[market])
      layout_.sells[market][static_cast<std::size_t>(j)] = 1;
  }
  for (std::int32_t j = 0; j < layout_.firms; ++j) {
    bool serves_any = false;
    for (int s = 0; s < kSegments; ++s) {
      const auto cell = static_cast<std::size_t>(layout::segment_firm(s, j, layout_.firms));
      serves_any = serves_any || firms_.serves[cell];
    }
    layout_.sells[kLayers - 1][static_cast<std::size_t>(j)] = serves_any ? 1 : 0;
  }
}

void Simulation::step() {
  const bool calibrate = steps_done_ == 0 && config_.demand.calibration_rounds > 0;
  if (calibrate) {
    // The first step's firm decisions, without the levers that act on utility at once; the
    // utilities are then inverted at the offer customers are about to choose on (MODEL.md,
    // "Utilities calibrated from shares"), and those levers take effect from this step's
    // choice on.
    backend_->advance_firms(0);
    rest_fit_ =
        calibrate_utilities(*backend_, rest_problem_, classes_, config_.demand.calibration_rounds);
    backend_->apply_scenario(make_scenario_update(config_.scenario));
  }
  // Scenario events dated at this step (or before the run's start, at step 0) take effect
  // before it; each event holds the complete lever set in force from its date.
  for (const ScenarioEvent& event : config_.events) {
    if (event.step == steps_done_) backend_->apply_scenario(make_scenario_update(event.scenario));
  }
  if (calibrate) {
    backend_->finish_step(0);
  } else {
    backend_->step(steps_done_);
  }
  ++steps_done_;
}

RecordFrame Simulation::record_frame() {
  backend_->read_snapshot(snapshot_);
  return make_record_frame(steps_done_ - 1, snapshot_, layout_);
}

std::string Simulation::overflow_problem() {
  if (!backend_->overflowed()) return "";
  std::vector<std::int64_t> overflow;
  backend_->read_overflow(overflow);
  return find_overflow(overflow, layout_, firms_.name);
}

double record_frame_bytes(std::int64_t replicates, std::int64_t firms) {
  const double r = static_cast<double>(replicates);
  const double firm_cells = r * static_cast<double>(firms);
  const double layer_cells = r * kLayers;
  return firm_cells * kSegments * 4.0 +                          // customers
         r * kSegments * 4.0 +                                   // adopters
         3.0 * layer_cells * static_cast<double>(firms) * 8.0 +  // market/revenue share, price
         3.0 * layer_cells * 8.0 +                               // hhi, layer units, layer revenue
         layer_cells * kRegions * 8.0 +                          // region_share
         firm_cells * kRegions * 4.0 +                           // region_customers
         6.0 * firm_cells * 8.0 +        // quality, capability, data, compute, cash, funding
         2.0 * firm_cells * 8.0 +        // data price and revenue
         firm_cells * kSegments * 8.0 +  // domain data
         firm_cells * (1.0 + 4.0);       // alive, owner
}

double snapshot_bytes(std::int64_t replicates, std::int64_t firms) {
  const double firm_cells = static_cast<double>(replicates) * static_cast<double>(firms);
  const double market_cells = firm_cells * kUpstreamMarkets;
  return firm_cells * kSegments * 4.0 +                       // tally
         firm_cells * kRegions * 4.0 +                        // region_tally
         static_cast<double>(replicates) * kSegments * 4.0 +  // adopters
         market_cells * (4.0 * 8.0 + 8.0) +                   // sold, revenue, bought, paid; price
         firm_cells * kSegments * 2.0 * 8.0 +                 // service price and quality
         firm_cells * (4.0 * 8.0 + 4.0 * 8.0) +  // capability, data, compute, R&D; cash, flows
         firm_cells * 4.0 * 8.0 +                // public, licensed, acquired, vendor licensed
         firm_cells * kSegments * 2.0 * 8.0 +    // domain data and its ledger
         firm_cells * 5.0 * 8.0 +   // fab, HBM and packaging capacity; capex, operating cash flow
         firm_cells * (1.0 + 4.0);  // alive, acquired_by
}

double host_available_bytes() {
  const double kib = number_in_file("/proc/meminfo", "MemAvailable:");
  double available = kib >= 0.0 ? kib * 1024.0 : -1.0;
  if (available < 0.0) {
    const long pages = sysconf(_SC_AVPHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page_size > 0) {
      available = static_cast<double>(pages) * static_cast<double>(page_size);
    }
  }
  // A container's cgroup may allow less than the machine has free (v2, then v1; a v1 limit
  // without a setting reads as about 2^63).
  const std::pair<const char*, const char*> cgroups[] = {
      {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
      {"/sys/fs/cgroup/memory/memory.limit_in_bytes",
       "/sys/fs/cgroup/memory/memory.usage_in_bytes"}};
  for (const auto& [limit_path, usage_path] : cgroups) {
    const double limit = number_in_file(limit_path, "");
    const double usage = number_in_file(usage_path, "");
    if (limit <= 0.0 || usage < 0.0 || limit > 1e18) continue;
    const double left = limit > usage ? limit - usage : 0.0;
    available = available < 0.0 ? left : std::min(available, left);
  }
  return available;
}

MemoryEstimate estimate_memory(const Config& config, bool cuda) {
  EngineSizes sizes;
  sizes.replicates = config.run.replicates;
  sizes.customers = config.population.customers;
  sizes.firms = static_cast<std::int64_t>(config.named_firms.size()) +
                config.population.synthetic_firms + config.entry.free_slots;
  for (double adoption : config.population.initial_adoption) {
    sizes.initial_customers = sizes.initial_customers || adoption > 0.0;
  }
  sizes.sampled_consideration =
      config.demand.consideration_set > 0 && config.demand.consideration_set < sizes.firms;
  sizes.adaptation = config.strategy.adapt_every > 0;
  sizes.rest_calibration = config.demand.calibration_rounds > 0;
  sizes.services = config.demand.max_services;
  sizes.capacity_plan_stride = capacity_plan_stride(config);
  sizes.calibration_classes =
      calibration_classes(parameter_draws(config), config.run.replicates).count;
  const EngineFootprint engine = engine_footprint(sizes);

  const double customers = static_cast<double>(sizes.customers);
  const double population = 2.0 * customers;  // segment and region of every customer
  const double firm_tables = static_cast<double>(sizes.firms) * kHostBytesPerFirm;
  // While the engine is built: the set-up's copy of the population (and every customer's
  // starting provider), and the engine's staging buffer. While running: one snapshot and the
  // frames on their way to the file.
  const double building =
      2.0 * customers + (sizes.initial_customers ? 4.0 * customers : 0.0) + engine.staging;
  const double running = snapshot_bytes(sizes.replicates, sizes.firms) +
                         kFramesInFlight * record_frame_bytes(sizes.replicates, sizes.firms);

  MemoryEstimate estimate;
  estimate.config_path = config.source_path;
  estimate.cuda = cuda;
  estimate.host_bytes =
      population + firm_tables + (cuda ? 0.0 : engine.arrays) + std::max(building, running);
  estimate.device_bytes = cuda ? engine.arrays : 0.0;
  estimate.host_available = host_available_bytes();
  std::size_t free_bytes = 0, total_bytes = 0;
  if (cuda && cuda_memory_info(&free_bytes, &total_bytes)) {
    estimate.device_available = static_cast<double>(free_bytes);
  }
  return estimate;
}

std::string memory_text(double bytes) {
  static const char* const kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 6) {
    bytes /= 1024.0;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return text;
}

std::string memory_shortfall(const MemoryEstimate& estimate) {
  std::string what;
  if (estimate.host_available >= 0.0 && estimate.host_bytes > estimate.host_available) {
    what = "about " + memory_text(estimate.host_bytes) + " of host memory" +
           (estimate.cuda ? "" : " (the engine's arrays included, on the cpu backend)") + ", but " +
           memory_text(estimate.host_available) + " is available";
  } else if (estimate.device_available >= 0.0 &&
             estimate.device_bytes > estimate.device_available) {
    what = "about " + memory_text(estimate.device_bytes) +
           " of GPU memory for the engine's "
           "arrays, but " +
           memory_text(estimate.device_available) + " is free on the GPU";
  } else {
    return "";
  }
  return estimate.config_path + ": the run needs " + what +
         "; lower population.customers, run.replicates or the firm slots "
         "(population.synthetic_firms, entry.free_slots)";
}

RunMetadata Simulation::metadata() const {
  RunMetadata meta;
  meta.config_path = config_.source_path;
  meta.resolved_config = config_.resolved_toml;
  meta.seed = config_.run.seed;
  meta.program_version = kProgramVersion;
  meta.git_revision = kGitRevision;
  meta.backend = backend_->name();
  meta.start_month = config_.run.start;
  meta.steps = config_.run.steps;
  meta.record_every = config_.run.record_every;
  meta.replicates = config_.run.replicates;
  meta.customers_per_replicate = config_.population.customers;
  meta.customer_weight = config_.population.customer_weight();
  meta.firm_name = firms_.name;
  meta.firm_archetype = firms_.archetype;
  for (int r : firms_.region) meta.firm_region.push_back(kRegionNames[r]);
  meta.parameter_name = draws_.keys;
  meta.parameter_origin = draws_.origin;
  meta.parameter_value = draws_.values;
  return meta;
}

std::vector<double> Simulation::utility_offsets() const {
  const std::size_t cells = std::size_t{kMarkets} * static_cast<std::size_t>(firms_.size());
  std::vector<double> offsets(static_cast<std::size_t>(config_.run.replicates) * cells, 0.0);
  if (rest_fit_.offset.empty()) return offsets;
  for (std::int64_t r = 0; r < config_.run.replicates; ++r) {
    const auto from = rest_fit_.offset.begin() +
                      static_cast<std::ptrdiff_t>(static_cast<std::size_t>(classes_.of(r)) * cells);
    std::copy(from, from + static_cast<std::ptrdiff_t>(cells),
              offsets.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r) * cells));
  }
  return offsets;
}

bool is_recorded_step(std::int64_t step, std::int64_t record_every, std::int64_t steps) {
  return (step + 1) % record_every == 0 || step == steps - 1;
}

RecordFrame make_record_frame(std::int64_t step, const EnsembleSnapshot& snapshot,
                              const RecordLayout& record) {
  const std::int64_t replicates = record.replicates;
  const std::int32_t firms = record.firms;
  const auto firm_cells = static_cast<std::size_t>(replicates * firms);
  const auto layer_cells = static_cast<std::size_t>(replicates * kLayers);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  RecordFrame frame;
  frame.step = step;
  frame.customers = snapshot.tally;
  frame.region_customers = snapshot.region_tally;
  frame.service_quality.assign(firm_cells, nan);
  frame.adopters.assign(static_cast<std::size_t>(replicates * kSegments), 0);
  frame.market_share.assign(layer_cells * static_cast<std::size_t>(firms), 0.0);
  frame.revenue_share.assign(layer_cells * static_cast<std::size_t>(firms), 0.0);
  frame.hhi.assign(layer_cells, 0.0);
  frame.layer_units.assign(layer_cells, 0.0);
  frame.layer_revenue.assign(layer_cells, 0.0);
  frame.region_share.assign(layer_cells * kRegions, 0.0);
  frame.price.assign(layer_cells * static_cast<std::size_t>(firms), nan);
  frame.capability = snapshot.capability;
  // Data held: general text (public and licensed, trained on) plus domain data in every
  // segment; the data market's price and revenue of each vendor.
  frame.data_stock = snapshot.data_stock;
  frame.domain_data = snapshot.domain_data;
  frame.data_price.assign(firm_cells, nan);
  frame.data_revenue.assign(firm_cells, 0.0);
  for (std::int64_t r = 0; r < replicates; ++r) {
    for (std::int32_t j = 0; j < firms; ++j) {
      const auto k = static_cast<std::size_t>(layout::replicate_firm(r, j, firms));
      for (int seg = 0; seg < kSegments; ++seg) {
        frame.data_stock[k] += snapshot.domain_data[static_cast<std::size_t>(
            layout::replicate_segment_firm(r, seg, j, firms))];
      }
      const auto market =
          static_cast<std::size_t>(layout::replicate_market_firm(r, kMarketData, j, firms));
      if (record.sells_data[static_cast<std::size_t>(j)]) {
        frame.data_price[k] = snapshot.price[market] / kDataUnitTokens;  // USD per T tokens
        frame.data_revenue[k] = static_cast<double>(snapshot.revenue[market]);
      }
    }
  }
  frame.compute = snapshot.installed_compute;
  frame.cash.resize(firm_cells);
  frame.funding.resize(firm_cells);
  for (std::size_t k = 0; k < firm_cells; ++k) {
    frame.cash[k] = static_cast<double>(snapshot.cash[k]) / 1e6;
    frame.funding[k] = static_cast<double>(snapshot.funding[k]) / 1e6;
  }
  frame.alive = snapshot.alive;
  frame.owner = snapshot.acquired_by;

  std::vector<double> units(static_cast<std::size_t>(firms)),
      revenue(static_cast<std::size_t>(firms));
  for (std::int64_t r = 0; r < replicates; ++r) {
    for (int layer = 0; layer < kLayers; ++layer) {
      const bool service = layer == kLayers - 1;
      const auto out_row =
          static_cast<std::size_t>(layout::replicate_layer_firm(r, layer, 0, firms));
      for (std::int32_t j = 0; j < firms; ++j) {
        const auto jj = static_cast<std::size_t>(j);
        if (service) {
          // Service: customers (real ones) and what they paid, summed over segments; the
          // price is what a customer pays on average (service_price: paid conversion x list
          // price), the customer-weighted mean (the plain mean while it has no customers), so
          // that revenue = price x units.
          // Quality likewise, over its customers (the plain mean while it has none).
          double agents = 0.0, paid = 0.0, price_sum = 0.0, quality = 0.0, quality_sum = 0.0;
          const int served = kSegments;
          for (int s = 0; s < kSegments; ++s) {
            const auto cell =
                static_cast<std::size_t>(layout::replicate_segment_firm(r, s, j, firms));
            const double n = snapshot.tally[cell];
            agents += n;
            paid += n * snapshot.service_price[cell];
            price_sum += snapshot.service_price[cell];
            quality += n * snapshot.service_quality[cell];
            quality_sum += snapshot.service_quality[cell];
          }
          units[jj] = agents * record.customer_weight;
          revenue[jj] = paid * record.customer_weight;
          if (record.sells[layer][jj]) {
            frame.price[out_row + jj] = agents > 0.0 ? paid / agents : price_sum / served;
            const auto firm_cell = static_cast<std::size_t>(layout::replicate_firm(r, j, firms));
            frame.service_quality[firm_cell] =
                agents > 0.0 ? quality / agents : quality_sum / served;
          }
        } else {
          // Layers 0-3 are the upstream markets of the same index.
          const auto cell =
              static_cast<std::size_t>(layout::replicate_market_firm(r, layer, j, firms));
          units[jj] = static_cast<double>(snapshot.sold[cell]) / kUnitScale;
          revenue[jj] = static_cast<double>(snapshot.revenue[cell]);
          if (record.sells[layer][jj]) frame.price[out_row + jj] = snapshot.price[cell];
        }
      }
      double total_units = 0.0, total_revenue = 0.0;
      for (std::int32_t j = 0; j < firms; ++j) {
        total_units += units[static_cast<std::size_t>(j)];
        total_revenue += revenue[static_cast<std::size_t>(j)];
      }
      const auto layer_cell = static_cast<std::size_t>(layout::replicate_layer(r, layer));
      frame.layer_units[layer_cell] = total_units;
      frame.layer_revenue[layer_cell] = total_revenue;
      double hhi = 0.0;
      for (std::int32_t j = 0; j < firms; ++j) {
        const auto jj = static_cast<std::size_t>(j);
        if (total_units > 0.0) {
          const double share = units[jj] / total_units;
          frame.market_share[out_row + jj] = share;
          hhi += share * share;
          frame.region_share[static_cast<std::size_t>(
              layout::replicate_layer_region(r, layer, record.firm_region[jj]))] += share;
        }
        if (total_revenue > 0.0) frame.revenue_share[out_row + jj] = revenue[jj] / total_revenue;
      }
      frame.hhi[layer_cell] = hhi;
    }
    // Customers with a provider (with multi-homing fewer than the uses in `customers`).
    for (int s = 0; s < kSegments; ++s) {
      const auto cell = static_cast<std::size_t>(layout::replicate_segment(r, s));
      frame.adopters[cell] = snapshot.adopters[cell];
    }
  }
  return frame;
}

std::string find_non_finite_state(const RecordFrame& frame, const RecordLayout& record,
                                  const std::vector<std::string>& firm_names) {
  const std::int32_t firms = record.firms;
  const auto describe = [&](std::int64_t replicate, std::int32_t firm, const std::string& what) {
    return "non-finite " + what + " at step " + std::to_string(frame.step) + ", replicate " +
           std::to_string(replicate) + ", firm '" + firm_names[static_cast<std::size_t>(firm)] +
           "'";
  };
  const std::pair<const std::vector<double>*, const char*> per_firm[] = {
      {&frame.capability, "capability"},
      {&frame.data_stock, "data stock"},
      {&frame.compute, "installed compute"},
      {&frame.cash, "cash"}};
  for (const auto& [values, what] : per_firm) {
    for (std::size_t k = 0; k < values->size(); ++k) {
      if (std::isfinite((*values)[k])) continue;
      const layout::ReplicateFirm at =
          layout::split_replicate_firm(static_cast<std::int64_t>(k), firms);
      return describe(at.replicate, at.firm, what);
    }
  }
  for (std::size_t k = 0; k < frame.price.size(); ++k) {
    const layout::ReplicateLayerFirm at =
        layout::split_replicate_layer_firm(static_cast<std::int64_t>(k), firms);
    if (record.sells[at.layer][at.firm] && !std::isfinite(frame.price[k])) {
      return describe(at.replicate, at.firm, std::string(kLayerNames[at.layer]) + " price");
    }
  }
  return "";
}

namespace {

// What an OverflowQuantity (kernels/value_chain_state.hpp) counts, in words.
std::string overflow_quantity_name(int quantity) {
  switch (quantity) {
    case kOverflowCash:
      return "cash";
    case kOverflowServiceRevenue:
      return "service revenue";
    case kOverflowExternalCost:
      return "costs paid outside the economy";
    case kOverflowAcquisition:
      return "acquisition payment";
    default:
      break;
  }
  static const char* const kMarketNames[kUpstreamMarkets] = {"HBM", "accelerator", "cloud",
                                                             "model API", "data"};
  static const char* const kWhat[kOverflowPerMarket] = {"units sold", "sales revenue",
                                                        "units bought", "payments"};
  const int offset = quantity - kOverflowMarket;
  if (offset < 0 || offset >= kOverflowPerMarket * kUpstreamMarkets) {
    return "quantity " + std::to_string(quantity);
  }
  return std::string(kWhat[offset % kOverflowPerMarket]) + " in the " +
         kMarketNames[offset / kOverflowPerMarket] + " market";
}

}  // namespace

std::string find_overflow(const std::vector<std::int64_t>& overflow, const RecordLayout& layout,
                          const std::vector<std::string>& firm_names) {
  const auto firms = static_cast<std::size_t>(layout.firms);
  std::size_t first = overflow.size();
  for (std::size_t k = 0; k < overflow.size(); ++k) {
    // Codes grow with the step, so the smallest set one is the earliest step.
    if (overflow[k] != 0 &&
        (first == overflow.size() ||
         overflow[k] / kOverflowQuantities < overflow[first] / kOverflowQuantities)) {
      first = k;
    }
  }
  if (first == overflow.size()) return "";
  const std::int64_t step = overflow[first] / kOverflowQuantities;
  const int quantity = static_cast<int>(overflow[first] % kOverflowQuantities);
  return overflow_quantity_name(quantity) + " out of the int64 range at step " +
         std::to_string(step) + ", replicate " + std::to_string(first / firms) + ", firm '" +
         firm_names[first % firms] +
         "' (beyond +-9.2e18 USD or 2^-16 units, or not a finite number)";
}

RunSummary run_simulation(const Config& config, const RunOptions& options) {
  namespace fs = std::filesystem;
  const fs::path out(options.out_path);
  std::error_code ec;
  if (fs::exists(out, ec) && !options.overwrite) {
    throw std::runtime_error("output file '" + options.out_path +
                             "' exists; pass --overwrite to replace it");
  }
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    throw std::runtime_error("output folder '" + parent.string() + "' does not exist");
  }

  set_cpu_threads(options.threads);
  std::string note;
  Simulation sim(config, options.backend, &note);
  std::fprintf(stderr, "%s\n", note.c_str());
  TrajectoryWriter writer(options.out_path, sim.metadata(), options.overwrite,
                          config.run.flush_seconds);

  g_stop_signal.store(0);
  auto previous_int = std::signal(SIGINT, request_stop);
  auto previous_term = std::signal(SIGTERM, request_stop);
  ProgressReporter progress(options.progress, config.run.steps);
  RunSummary summary;
  summary.backend = sim.backend().name();
  bool offsets_recorded = false;
  try {
    for (std::int64_t t = 0; t < config.run.steps; ++t) {
      if (g_stop_signal.load() != 0) {
        summary.interrupted = true;
        break;
      }
      sim.step();
      if (t == 0 && config.demand.calibration_rounds > 0) {
        std::fprintf(stderr, "%s\n", rest_fit_summary(sim.rest_problem(), sim.rest_fit()).c_str());
      }
      // The step that overflowed is not written: the file keeps every recorded step before it.
      const std::string overflow = sim.overflow_problem();
      if (!overflow.empty()) throw std::runtime_error(overflow);
      if (is_recorded_step(t, config.run.record_every, config.run.steps)) {
        RecordFrame frame = sim.record_frame();
        const std::string problem =
            find_non_finite_state(frame, sim.record_layout(), sim.firms().name);
        // The bad step is not written: the file keeps every finite step before it.
        if (!problem.empty()) throw std::runtime_error(problem);
        // The calibrated utilities go into the file once, with its first step.
        if (!offsets_recorded) frame.utility_offset = sim.utility_offsets();
        offsets_recorded = true;
        writer.push(std::move(frame));
      }
      progress.update(t + 1);
    }
    summary.steps_done = sim.steps_done();
    if (summary.interrupted) {
      progress.interrupted();
      writer.finish("interrupted after step " + std::to_string(summary.steps_done) + " of " +
                    std::to_string(config.run.steps));
    } else {
      writer.finish("complete");
    }
  } catch (const std::exception& e) {
    std::signal(SIGINT, previous_int);
    std::signal(SIGTERM, previous_term);
    try {
      writer.finish(std::string("failed: ") + e.what());
    } catch (...) {
      // The original error is the one worth reporting.
    }
    throw;
  }
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  summary.seconds = progress.seconds();
  summary.customer_updates_per_second =
      summary.seconds > 0.0 ? static_cast<double>(config.run.replicates) *
                                  static_cast<double>(config.population.customers) *
                                  static_cast<double>(summary.steps_done) / summary.seconds
                            : 0.0;
  return summary;
}

}  // namespace aimarket
