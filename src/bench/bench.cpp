#include "bench/bench.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>

#include "backend/backend.hpp"
#include "common/timestamp.hpp"
#include "output/trajectory_writer.hpp"
#include "version.hpp"

namespace aimarket {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  const int length = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string text(static_cast<std::size_t>(std::max(length, 0)) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), fmt, args);
  va_end(args);
  text.resize(static_cast<std::size_t>(std::max(length, 0)));
  return text;
}

// 1000000 -> "1,000,000", for sizes a reader compares at a glance.
std::string with_thousands(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string cpu_model_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) break;
    const std::size_t first = line.find_first_not_of(" \t", colon + 1);
    return first == std::string::npos ? "" : line.substr(first);
  }
  return "";
}

std::array<double, 3> load_average() {
  std::array<double, 3> load{};
  if (getloadavg(load.data(), 3) != 3) load = {0.0, 0.0, 0.0};
  return load;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double peak_resident_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;  // Linux reports kilobytes
}

// Free device memory in bytes, or a negative value where it cannot be asked.
double device_free_bytes() {
  std::size_t free_bytes = 0, total_bytes = 0;
  if (cuda_memory_info(&free_bytes, &total_bytes)) return static_cast<double>(free_bytes);
  return -1.0;
}

// The scratch HDF5 file of one repetition, removed however the repetition ends.
class ScratchFile {
 public:
  explicit ScratchFile(int repetition)
      : path_(std::filesystem::temp_directory_path() /
              ("aimarket-bench-" + std::to_string(getpid()) + "-" + std::to_string(repetition) +
               ".h5")) {}
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

void add_seconds(PhaseSplit& split, const std::string& phase, double seconds) {
  for (PhaseTime& p : split) {
    if (p.phase == phase) {
      p.seconds += seconds;
      return;
    }
  }
  split.push_back(PhaseTime{phase, seconds});
}

struct RepetitionResult {
  BenchRepetition timing;
  std::string backend;
  std::string backend_note;
  std::int32_t firms = 0;  // as the simulation built them
  double customer_state_bytes = 0.0;
  double device_bytes = -1.0;  // negative: not measured
};

RepetitionResult run_repetition(const Config& config, const BenchOptions& options, int repetition,
                                bool output) {
  RepetitionResult result;
  // The context must exist before the "before" reading, or its own allocation would be
  // counted as the engine's; asking for free memory creates it.
  std::string why_not;
  const bool may_use_gpu =
      options.backend == BackendChoice::kCuda ||
      (options.backend == BackendChoice::kAuto && cuda_backend_usable(&why_not));
  const double free_before = may_use_gpu ? device_free_bytes() : -1.0;

  Simulation sim(config, options.backend, &result.backend_note);
  result.backend = sim.backend().name();
  result.firms = sim.firms().size();
  result.customer_state_bytes = sim.backend().customer_state_bytes();
  const bool on_gpu = result.backend == std::string("cuda") && free_before >= 0.0;
  double least_free = on_gpu ? device_free_bytes() : -1.0;

  // Declared before the writer so that the file outlives it.
  std::unique_ptr<ScratchFile> scratch;
  std::unique_ptr<TrajectoryWriter> writer;
  if (output) {
    scratch = std::make_unique<ScratchFile>(repetition);
    writer = std::make_unique<TrajectoryWriter>(scratch->path(), sim.metadata(), true,
                                                config.run.flush_seconds);
  }

  for (std::int64_t t = 0; t < options.warmup; ++t) {
    sim.step();
    RecordFrame frame = sim.record_frame();
    if (writer) writer->push(std::move(frame));
  }

  sim.backend().set_phase_timing(true);
  double record_seconds = 0.0, output_seconds = 0.0;
  const double cpu_start = process_cpu_seconds();
  const Clock::time_point start = Clock::now();
  for (std::int64_t t = 0; t < options.steps; ++t) {
    sim.step();
    const Clock::time_point record_start = Clock::now();
    RecordFrame frame = sim.record_frame();
    record_seconds += seconds_since(record_start);
    if (writer) {
      const Clock::time_point push_start = Clock::now();
      writer->push(std::move(frame));
      output_seconds += seconds_since(push_start);
    }
  }
  if (writer) {
    // Frames still queued are part of the cost of writing them.
    const Clock::time_point finish_start = Clock::now();
    writer->finish("complete");
    output_seconds += seconds_since(finish_start);
  }
  const double total = seconds_since(start);
  const double cpu_seconds = process_cpu_seconds() - cpu_start;
  sim.backend().set_phase_timing(false);

  if (on_gpu) {
    least_free = std::min(least_free, device_free_bytes());
    result.device_bytes = std::max(0.0, free_before - least_free);
  }

  BenchRepetition& timing = result.timing;
  timing.repetition = repetition;
  timing.output = output;
  timing.seconds = total;
  timing.cpu_seconds = cpu_seconds;
  const double steps = static_cast<double>(options.steps);
  timing.seconds_per_step = total / steps;
  timing.customer_updates_per_second =
      updates_per_second(config.population.customers, config.run.replicates, options.steps, total);
  timing.firm_updates_per_second =
      updates_per_second(sim.firms().size(), config.run.replicates, options.steps, total);
  for (const PhaseTime& p : sim.backend().phase_seconds()) {
    add_seconds(timing.phase_seconds_per_step, p.phase, p.seconds / steps);
  }
  add_seconds(timing.phase_seconds_per_step, "record", record_seconds / steps);
  if (output) add_seconds(timing.phase_seconds_per_step, "output", output_seconds / steps);
  return result;
}

BenchModeSummary summarise(const std::vector<BenchRepetition>& runs, bool output) {
  BenchModeSummary summary;
  summary.output = output;
  std::vector<double> per_step, customer_rate, firm_rate;
  for (const BenchRepetition& run : runs) {
    if (run.output != output) continue;
    per_step.push_back(run.seconds_per_step);
    customer_rate.push_back(run.customer_updates_per_second);
    firm_rate.push_back(run.firm_updates_per_second);
    for (const PhaseTime& p : run.phase_seconds_per_step) {
      if (std::find(summary.phase_names.begin(), summary.phase_names.end(), p.phase) ==
          summary.phase_names.end()) {
        summary.phase_names.push_back(p.phase);
      }
    }
  }
  summary.seconds_per_step = spread_of(per_step);
  summary.customer_updates_per_second = spread_of(customer_rate);
  summary.firm_updates_per_second = spread_of(firm_rate);
  for (const std::string& name : summary.phase_names) {
    std::vector<double> values;
    for (const BenchRepetition& run : runs) {
      if (run.output != output) continue;
      double seconds = 0.0;  // a phase that did not run in a repetition took no time
      for (const PhaseTime& p : run.phase_seconds_per_step) {
        if (p.phase == name) seconds = p.seconds;
      }
      values.push_back(seconds);
    }
    summary.phase_seconds_per_step.push_back(spread_of(values));
  }
  return summary;
}

// ---- JSON ----------------------------------------------------------------------------------

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          out += format("\\u%04x", c);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  return std::isfinite(value) ? format("%.9g", value) : "null";
}

std::string json_spread(const Spread& s) {
  return "{\"median\": " + json_number(s.median) + ", \"min\": " + json_number(s.min) +
         ", \"max\": " + json_number(s.max) + "}";
}

std::string json_load(const std::array<double, 3>& load) {
  return "[" + json_number(load[0]) + ", " + json_number(load[1]) + ", " + json_number(load[2]) +
         "]";
}

// ---- table ---------------------------------------------------------------------------------

std::string spread_text(const Spread& s, const char* number_format) {
  return format(number_format, s.median) + " (" + format(number_format, s.min) + " - " +
         format(number_format, s.max) + ")";
}

std::string megabytes(double bytes) { return format("%.1f MB", bytes / 1.0e6); }

}  // namespace

Spread spread_of(std::vector<double> values) {
  Spread s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  s.min = values.front();
  s.max = values.back();
  s.median = n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  return s;
}

double updates_per_second(std::int64_t agents, std::int64_t replicates, std::int64_t steps,
                          double seconds) {
  if (!(seconds > 0.0)) return 0.0;
  return static_cast<double>(agents) * static_cast<double>(replicates) *
         static_cast<double>(steps) / seconds;
}

double bytes_per_customer(double bytes, std::int64_t customers, std::int64_t replicates) {
  const double cells = static_cast<double>(customers) * static_cast<double>(replicates);
  return cells > 0.0 ? bytes / cells : 0.0;
}

BenchReport run_bench(const Config& config, const BenchOptions& options) {
  if (options.steps < 1) throw std::invalid_argument("bench: steps must be at least 1");
  if (options.warmup < 0) throw std::invalid_argument("bench: warmup must not be negative");
  if (options.repetitions < 1) {
    throw std::invalid_argument("bench: repetitions must be at least 1");
  }
  if (config.run.steps < options.warmup + options.steps) {
    throw std::invalid_argument("bench: run.steps (" + std::to_string(config.run.steps) +
                                ") is less than warmup + steps");
  }

  BenchReport report;
  report.config_path = config.source_path;
  report.command_line = options.command_line;
  report.program_version = kProgramVersion;
  report.git_revision = kGitRevision;
  report.date_utc = utc_now_iso8601();
  report.cpu_model = cpu_model_name();
  report.logical_cpus = static_cast<int>(std::thread::hardware_concurrency());
  report.load_average_start = load_average();
  report.customers = config.population.customers;
  report.replicates = config.run.replicates;
  report.consideration_set = config.demand.consideration_set;
  report.steps = options.steps;
  report.warmup = options.warmup;
  report.repetitions = options.repetitions;
  report.output = options.output;

  set_cpu_threads(options.threads);
  // Output off and on alternate within each repetition, so that a change in machine load
  // during the bench falls on both modes alike.
  for (int r = 1; r <= options.repetitions; ++r) {
    for (const bool output : {false, true}) {
      if (output && !options.output) continue;
      const RepetitionResult result = run_repetition(config, options, r, output);
      report.backend = result.backend;
      report.backend_note = result.backend_note;
      report.firms = result.firms;
      report.customer_state_bytes = result.customer_state_bytes;
      if (result.device_bytes >= 0.0) {
        report.device_memory_measured = true;
        report.device_bytes = std::max(report.device_bytes, result.device_bytes);
      }
      report.runs.push_back(result.timing);
    }
  }
  report.threads = report.backend == "cpu" ? cpu_threads() : 0;
  report.load_average_end = load_average();
  report.peak_host_bytes = peak_resident_bytes();

  report.summaries.push_back(summarise(report.runs, false));
  if (options.output) {
    report.summaries.push_back(summarise(report.runs, true));
    std::vector<double> ratios;  // paired: on and off of the same repetition
    for (std::size_t i = 0; i + 1 < report.runs.size(); i += 2) {
      if (report.runs[i].seconds > 0.0) {
        ratios.push_back(report.runs[i + 1].seconds / report.runs[i].seconds);
      }
    }
    report.output_time_ratio = spread_of(ratios);
  }
  return report;
}

std::string bench_table(const BenchReport& report) {
  std::string out;
  out += format("aimarket bench: %s\n", report.config_path.c_str());
  out += format("  %s\n", report.backend_note.c_str());  // "backend: cpu, N threads ..."
  out +=
      format("  %s customers x %s replicates x %s firms, consideration set %lld%s\n",
             with_thousands(report.customers).c_str(), with_thousands(report.replicates).c_str(),
             with_thousands(report.firms).c_str(), static_cast<long long>(report.consideration_set),
             report.consideration_set == 0 ? " (all firms)" : "");
  out += format("  %lld timed steps after %lld warm-up steps, %d repetitions, output %s\n",
                static_cast<long long>(report.steps), static_cast<long long>(report.warmup),
                report.repetitions, report.output ? "off and on (alternating)" : "off");
  out += format("  machine: %s, %d logical CPUs; load average %.2f at start, %.2f at end\n",
                report.cpu_model.empty() ? "unknown CPU" : report.cpu_model.c_str(),
                report.logical_cpus, report.load_average_start[0], report.load_average_end[0]);
  out += format("  aimarket %s (%s), %s\n\n", report.program_version.c_str(),
                report.git_revision.c_str(), report.date_utc.c_str());

  // CPU use: processor time over wall time x threads; well below 100 % means other programs
  // held the cores (or, on cuda, the host thread waited for the GPU).
  const double workers = report.threads > 0 ? report.threads : 1;
  out += format("%-10s %-6s %12s %20s %16s %8s\n", "repetition", "output", "s/step",
                "customer-updates/s", "firm-updates/s", "CPU use");
  for (const BenchRepetition& run : report.runs) {
    out += format("%-10d %-6s %12.4g %20.3e %16.3e %7.0f%%\n", run.repetition,
                  run.output ? "on" : "off", run.seconds_per_step, run.customer_updates_per_second,
                  run.firm_updates_per_second,
                  run.seconds > 0.0 ? 100.0 * run.cpu_seconds / (run.seconds * workers) : 0.0);
  }

  for (const BenchModeSummary& mode : report.summaries) {
    out += format("\nmedian (min - max) over %d repetitions, output %s:\n", report.repetitions,
                  mode.output ? "on" : "off");
    out += format("  %-22s %s\n", "customer-updates/s",
                  spread_text(mode.customer_updates_per_second, "%.3e").c_str());
    if (report.threads > 0) {
      const Spread& c = mode.customer_updates_per_second;
      const double t = static_cast<double>(report.threads);
      out += format("  %-22s %s\n", "  per CPU thread",
                    spread_text(Spread{c.median / t, c.min / t, c.max / t}, "%.3e").c_str());
    }
    out += format("  %-22s %s\n", "firm-updates/s",
                  spread_text(mode.firm_updates_per_second, "%.3e").c_str());
    out += format("  %-22s %s s\n", "time per step",
                  spread_text(mode.seconds_per_step, "%.4g").c_str());
    for (std::size_t i = 0; i < mode.phase_names.size(); ++i) {
      const Spread& p = mode.phase_seconds_per_step[i];
      const double percent = mode.seconds_per_step.median > 0.0
                                 ? 100.0 * p.median / mode.seconds_per_step.median
                                 : 0.0;
      out += format("    %-20s %s s  %5.1f %%\n", mode.phase_names[i].c_str(),
                    spread_text(p, "%.4g").c_str(), percent);
    }
  }
  if (report.output) {
    out += format("\noutput on / output off time: %s (paired repetitions)\n",
                  spread_text(report.output_time_ratio, "%.3f").c_str());
  }

  out += "\nmemory:\n";
  out += format("  peak host resident    %s (%.2f bytes per customer-replicate)\n",
                megabytes(report.peak_host_bytes).c_str(),
                bytes_per_customer(report.peak_host_bytes, report.customers, report.replicates));
  out += format("  customer state        %.2f bytes per customer-replicate (engine's account)\n",
                report.customer_state_bytes);
  if (report.device_memory_measured) {
    out += format(
        "  device memory         %s (%.2f bytes per customer-replicate), "
        "free-memory drop while the engine ran\n",
        megabytes(report.device_bytes).c_str(),
        bytes_per_customer(report.device_bytes, report.customers, report.replicates));
  } else {
    out += format("  device memory         not measured (%s)\n",
                  report.backend == "cuda" ? "cudaMemGetInfo failed"
                                           : "cpu backend: the engine's arrays are host memory, "
                                             "within the peak above");
  }
  return out;
}

std::string bench_json(const BenchReport& report) {
  std::string out = "{\n";
  out += "  \"command\": " + json_string(report.command_line) + ",\n";
  out += "  \"config\": " + json_string(report.config_path) + ",\n";
  out += "  \"program_version\": " + json_string(report.program_version) + ",\n";
  out += "  \"git_revision\": " + json_string(report.git_revision) + ",\n";
  out += "  \"date_utc\": " + json_string(report.date_utc) + ",\n";
  out += "  \"machine\": {\"cpu_model\": " + json_string(report.cpu_model) +
         ", \"logical_cpus\": " + std::to_string(report.logical_cpus) +
         ", \"load_average_start\": " + json_load(report.load_average_start) +
         ", \"load_average_end\": " + json_load(report.load_average_end) + "},\n";
  out += "  \"backend\": " + json_string(report.backend) + ",\n";
  out += "  \"backend_note\": " + json_string(report.backend_note) + ",\n";
  out += "  \"threads\": " + std::to_string(report.threads) + ",\n";
  out += format(
      "  \"size\": {\"customers\": %lld, \"replicates\": %lld, \"firms\": %d, "
      "\"consideration_set\": %lld, \"steps\": %lld, \"warmup\": %lld, "
      "\"repetitions\": %d, \"output\": %s},\n",
      static_cast<long long>(report.customers), static_cast<long long>(report.replicates),
      report.firms, static_cast<long long>(report.consideration_set),
      static_cast<long long>(report.steps), static_cast<long long>(report.warmup),
      report.repetitions, report.output ? "true" : "false");

  out += "  \"repetitions\": [\n";
  for (std::size_t i = 0; i < report.runs.size(); ++i) {
    const BenchRepetition& run = report.runs[i];
    out += format("    {\"repetition\": %d, \"output\": %s, \"seconds\": ", run.repetition,
                  run.output ? "true" : "false");
    out += json_number(run.seconds) + ", \"cpu_seconds\": " + json_number(run.cpu_seconds) +
           ", \"seconds_per_step\": " + json_number(run.seconds_per_step) +
           ", \"customer_updates_per_second\": " + json_number(run.customer_updates_per_second) +
           ", \"firm_updates_per_second\": " + json_number(run.firm_updates_per_second) +
           ", \"phase_seconds_per_step\": {";
    for (std::size_t k = 0; k < run.phase_seconds_per_step.size(); ++k) {
      const PhaseTime& p = run.phase_seconds_per_step[k];
      out += (k ? ", " : "") + json_string(p.phase) + ": " + json_number(p.seconds);
    }
    out += std::string("}}") + (i + 1 < report.runs.size() ? "," : "") + "\n";
  }
  out += "  ],\n";

  out += "  \"summary\": {\n";
  for (std::size_t m = 0; m < report.summaries.size(); ++m) {
    const BenchModeSummary& mode = report.summaries[m];
    out += std::string("    \"") + (mode.output ? "output_on" : "output_off") + "\": {";
    out += "\"seconds_per_step\": " + json_spread(mode.seconds_per_step) +
           ", \"customer_updates_per_second\": " + json_spread(mode.customer_updates_per_second) +
           ", \"firm_updates_per_second\": " + json_spread(mode.firm_updates_per_second);
    if (report.threads > 0) {
      const Spread& c = mode.customer_updates_per_second;
      const double t = static_cast<double>(report.threads);
      out += ", \"customer_updates_per_second_per_thread\": " +
             json_spread(Spread{c.median / t, c.min / t, c.max / t});
    }
    out += ", \"phase_seconds_per_step\": {";
    for (std::size_t k = 0; k < mode.phase_names.size(); ++k) {
      out += (k ? ", " : "") + json_string(mode.phase_names[k]) + ": " +
             json_spread(mode.phase_seconds_per_step[k]);
    }
    out += std::string("}}") + (m + 1 < report.summaries.size() ? "," : "") + "\n";
  }
  out += "  },\n";
  out += "  \"output_time_ratio\": " +
         (report.output ? json_spread(report.output_time_ratio) : std::string("null")) + ",\n";

  out +=
      "  \"memory\": {\"peak_host_bytes\": " + json_number(report.peak_host_bytes) +
      ", \"host_bytes_per_customer\": " +
      json_number(bytes_per_customer(report.peak_host_bytes, report.customers, report.replicates)) +
      ", \"customer_state_bytes\": " + json_number(report.customer_state_bytes) +
      ", \"device_memory_measured\": " + (report.device_memory_measured ? "true" : "false") +
      ", \"device_bytes\": " +
      (report.device_memory_measured ? json_number(report.device_bytes) : "null") +
      ", \"device_bytes_per_customer\": " +
      (report.device_memory_measured
           ? json_number(
                 bytes_per_customer(report.device_bytes, report.customers, report.replicates))
           : "null") +
      "}\n";
  out += "}\n";
  return out;
}

}  // namespace aimarket
