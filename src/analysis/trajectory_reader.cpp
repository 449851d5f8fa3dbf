// Reading aimarket trajectory files with the HDF5 C API (see trajectory_reader.hpp). Names
// of datasets and attributes come from output_schema.hpp, the writer's own list, so a rename
// there reaches the reader. Strings are read whether stored variable-length (as the writer
// does) or fixed-length.
#include "analysis/trajectory_reader.hpp"

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "output/hdf5_support.hpp"
#include "output/output_schema.hpp"

namespace aimarket::analysis {
namespace {

namespace schema = output_schema;
using hdf5::Handle;

std::string quoted(const std::string& text) { return "'" + text + "'"; }

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  std::string message = quoted(path) + ": " + what;
  const std::string cause = hdf5::innermost_error();
  if (!cause.empty()) message += " (HDF5: " + cause + ")";
  throw InputError(message);
}

// Reads `count` strings of a dataset or attribute whose type is `file_type`; `read` does the
// H5Dread/H5Aread with the memory type it is given.
template <typename Read>
std::vector<std::string> read_strings(hid_t file_type, hid_t space, std::size_t count,
                                      Read&& read, const std::string& path,
                                      const std::string& what) {
  std::vector<std::string> out;
  if (H5Tget_class(file_type) != H5T_STRING) fail(path, what + " is not a string");
  if (H5Tis_variable_str(file_type) > 0) {
    Handle memory_type = hdf5::utf8_string_type();
    std::vector<char*> texts(count, nullptr);
    if (count > 0 && read(memory_type.get(), texts.data()) < 0) fail(path, "reading " + what);
    for (char* text : texts) out.emplace_back(text != nullptr ? text : "");
    if (count > 0) H5Dvlen_reclaim(memory_type.get(), space, H5P_DEFAULT, texts.data());
  } else {
    const std::size_t size = H5Tget_size(file_type);
    Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory_type.get(), size);
    std::vector<char> buffer(count * size + 1, '\0');
    if (count > 0 && read(memory_type.get(), buffer.data()) < 0) fail(path, "reading " + what);
    for (std::size_t i = 0; i < count; ++i) {
      const char* begin = buffer.data() + i * size;
      out.emplace_back(begin, strnlen(begin, size));
    }
  }
  return out;
}

}  // namespace

struct TrajectoryReader::File {
  Handle file;
};

bool TrajectoryInfo::complete() const { return status == schema::kStatusComplete; }

std::size_t TrajectoryInfo::layer_index(const std::string& name) const {
  const auto it = std::find(layer.begin(), layer.end(), name);
  if (it == layer.end()) throw InputError(quoted(path) + ": has no layer " + quoted(name));
  return static_cast<std::size_t>(it - layer.begin());
}

std::size_t TrajectoryInfo::region_index(const std::string& name) const {
  const auto it = std::find(region.begin(), region.end(), name);
  if (it == region.end()) throw InputError(quoted(path) + ": has no region " + quoted(name));
  return static_cast<std::size_t>(it - region.begin());
}

std::int64_t TrajectoryInfo::date_index(const std::string& date_text) const {
  const auto it = std::find(date.begin(), date.end(), date_text);
  return it == date.end() ? -1 : static_cast<std::int64_t>(it - date.begin());
}

bool is_trajectory_path(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".h5" || extension == ".hdf5" || extension == ".nc") return true;
  // The HDF5 signature at offset 0 (a file with a user block has it later; aimarket writes
  // none).
  static constexpr std::array<unsigned char, 8> kSignature = {0x89, 'H', 'D', 'F',
                                                              '\r', '\n', 0x1a, '\n'};
  std::ifstream in(path, std::ios::binary);
  std::array<char, 8> head{};
  if (!in.read(head.data(), head.size())) return false;
  return std::memcmp(head.data(), kSignature.data(), kSignature.size()) == 0;
}

TrajectoryReader::TrajectoryReader(const std::string& path) : file_(std::make_unique<File>()) {
  info_.path = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(quoted(path) + ": no such file");
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(quoted(path) + ": is a folder, not a file");
  }
  const hdf5::QuietErrors quiet;
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    hdf5::innermost_error();  // clear
    throw InputError(quoted(path) + ": not an HDF5 file, so not an aimarket output");
  }
  file_->file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file_->file.valid()) fail(path, "HDF5 cannot open it");
  const hid_t root = file_->file.get();

  // Root attributes.
  const auto has_attribute = [&](const char* name) { return H5Aexists(root, name) > 0; };
  const auto string_attribute = [&](const char* name) -> std::string {
    if (!has_attribute(name)) fail(path, std::string("has no root attribute ") + quoted(name));
    Handle attribute(H5Aopen(root, name, H5P_DEFAULT), H5Aclose);
    Handle type(H5Aget_type(attribute.get()), H5Tclose);
    Handle space(H5Aget_space(attribute.get()), H5Sclose);
    const auto values = read_strings(
        type.get(), space.get(), 1,
        [&](hid_t memory_type, void* buffer) { return H5Aread(attribute.get(), memory_type, buffer); },
        path, std::string("root attribute ") + quoted(name));
    return values.at(0);
  };
  const auto numeric_attribute = [&](const char* name, hid_t memory_type, void* value) {
    if (!has_attribute(name)) fail(path, std::string("has no root attribute ") + quoted(name));
    Handle attribute(H5Aopen(root, name, H5P_DEFAULT), H5Aclose);
    if (H5Aread(attribute.get(), memory_type, value) < 0) {
      fail(path, std::string("reading root attribute ") + quoted(name));
    }
  };

  const std::string title = has_attribute(schema::kTitleAttr) ? string_attribute(schema::kTitleAttr)
                                                               : std::string();
  if (title != schema::kTitle) {
    throw InputError(quoted(path) + ": not an aimarket output (its 'title' attribute is " +
                     (title.empty() ? std::string("missing") : quoted(title)) + ", not '" +
                     schema::kTitle + "')");
  }
  info_.status = string_attribute(schema::kStatusAttr);
  info_.config = string_attribute(schema::kConfigAttr);
  info_.config_path = string_attribute(schema::kConfigPathAttr);
  info_.program_version = string_attribute(schema::kProgramVersionAttr);
  info_.start_month = string_attribute(schema::kStartMonthAttr);
  numeric_attribute(schema::kSeedAttr, H5T_NATIVE_UINT64, &info_.seed);
  numeric_attribute(schema::kReplicatesAttr, H5T_NATIVE_INT64, &info_.replicates);
  numeric_attribute(schema::kStepsRequestedAttr, H5T_NATIVE_INT64, &info_.steps_requested);
  numeric_attribute(schema::kRecordEveryAttr, H5T_NATIVE_INT64, &info_.record_every);
  numeric_attribute(schema::kCustomerWeightAttr, H5T_NATIVE_DOUBLE, &info_.customer_weight);
  std::int64_t steps_recorded = 0;
  numeric_attribute(schema::kStepsRecordedAttr, H5T_NATIVE_INT64, &steps_recorded);

  // 1-D coordinates.
  const auto extent = [&](hid_t dataset) {
    Handle space(H5Dget_space(dataset), H5Sclose);
    hsize_t size = 0;
    if (H5Sget_simple_extent_ndims(space.get()) != 1) return hsize_t{0};
    H5Sget_simple_extent_dims(space.get(), &size, nullptr);
    return size;
  };
  const auto open = [&](const char* name) {
    if (H5Lexists(root, name, H5P_DEFAULT) <= 0) fail(path, std::string("has no dataset ") + quoted(name));
    Handle dataset(H5Dopen2(root, name, H5P_DEFAULT), H5Dclose);
    if (!dataset.valid()) fail(path, std::string("opening dataset ") + quoted(name));
    return dataset;
  };
  const auto strings = [&](const char* name, hsize_t count) {
    Handle dataset = open(name);
    count = std::min(count, extent(dataset.get()));
    Handle type(H5Dget_type(dataset.get()), H5Tclose);
    Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
    Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
    const hsize_t start = 0;
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
    return read_strings(
        type.get(), memory_space.get(), count,
        [&](hid_t memory_type, void* buffer) {
          return H5Dread(dataset.get(), memory_type, memory_space.get(), file_space.get(),
                         H5P_DEFAULT, buffer);
        },
        path, std::string("dataset ") + quoted(name));
  };
  constexpr hsize_t kAll = ~hsize_t{0};
  info_.firm_name = strings(schema::kFirmName.name, kAll);
  info_.firm_archetype = strings(schema::kFirmArchetype.name, kAll);
  info_.firm_region = strings(schema::kFirmRegion.name, kAll);
  if (info_.firm_archetype.size() != info_.firms() || info_.firm_region.size() != info_.firms()) {
    throw InputError(quoted(path) + ": its firm table is ragged (firm_name, firm_archetype and "
                                    "firm_region differ in length)");
  }
  info_.layer = strings(schema::kLayer.name, kAll);
  info_.region = strings(schema::kRegion.name, kAll);
  info_.segment = strings(schema::kSegment.name, kAll);

  // Recorded steps: those every step-indexed coordinate holds and the last flush counted.
  Handle step_dataset = open(schema::kStep.name);
  hsize_t steps = std::min<hsize_t>(extent(step_dataset.get()),
                                    static_cast<hsize_t>(std::max<std::int64_t>(0, steps_recorded)));
  info_.step.resize(steps);
  if (steps > 0) {
    Handle memory_space(H5Screate_simple(1, &steps, nullptr), H5Sclose);
    Handle file_space(H5Dget_space(step_dataset.get()), H5Sclose);
    const hsize_t start = 0;
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &steps, nullptr);
    if (H5Dread(step_dataset.get(), H5T_NATIVE_INT64, memory_space.get(), file_space.get(),
                H5P_DEFAULT, info_.step.data()) < 0) {
      fail(path, "reading dataset 'step'");
    }
  }
  info_.date = strings(schema::kDate.name, steps);
  if (info_.date.size() != info_.step.size()) {
    throw InputError(quoted(path) + ": 'date' holds " + std::to_string(info_.date.size()) +
                     " entries but 'step' " + std::to_string(info_.step.size()));
  }
}

TrajectoryReader::~TrajectoryReader() = default;
TrajectoryReader::TrajectoryReader(TrajectoryReader&&) noexcept = default;
TrajectoryReader& TrajectoryReader::operator=(TrajectoryReader&&) noexcept = default;

bool TrajectoryReader::has(const std::string& name) const {
  const hdf5::QuietErrors quiet;
  const bool exists = H5Lexists(file_->file.get(), name.c_str(), H5P_DEFAULT) > 0;
  hdf5::innermost_error();  // clear
  return exists;
}

std::vector<double> TrajectoryReader::read_step(const std::string& name, std::int64_t index,
                                                std::vector<std::size_t>* inner) const {
  const std::string& path = info_.path;
  const hdf5::QuietErrors quiet;
  if (!has(name)) throw InputError(quoted(path) + ": has no dataset " + quoted(name));
  Handle dataset(H5Dopen2(file_->file.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) fail(path, "opening dataset " + quoted(name));
  Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(file_space.get());
  if (rank < 2 || rank > H5S_MAX_RANK) {
    throw InputError(quoted(path) + ": dataset " + quoted(name) +
                     " is not a (replicate, step, ...) variable");
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(file_space.get(), dims.data(), nullptr);
  if (index < 0 || static_cast<hsize_t>(index) >= dims[1]) {
    throw InputError(quoted(path) + ": dataset " + quoted(name) + " holds " +
                     std::to_string(dims[1]) + " steps; step position " + std::to_string(index) +
                     " is not among them");
  }
  std::vector<hsize_t> start(dims.size(), 0);
  std::vector<hsize_t> count = dims;
  start[1] = static_cast<hsize_t>(index);
  count[1] = 1;
  std::size_t total = 1;
  for (hsize_t c : count) total *= static_cast<std::size_t>(c);
  if (inner != nullptr) inner->assign(dims.begin() + 2, dims.end());
  std::vector<double> values(total);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                      nullptr);
  Handle memory_space(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
  // HDF5 converts the stored type (int32, uint8, float64) to double.
  if (H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(),
              H5P_DEFAULT, values.data()) < 0) {
    fail(path, "reading dataset " + quoted(name));
  }
  return values;
}

}  // namespace aimarket::analysis
