// Tests of the HDF5 trajectory writer: a small file written and read back with the HDF5 C
// API (values, extents, dimension scales, attributes), overwrite refusal, frame validation,
// errors met by the writer thread, and what a killed run leaves behind.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "model/dimensions.hpp"
#include "output/output_schema.hpp"
#include "output/trajectory_writer.hpp"

namespace aimarket {
namespace {

namespace fs = std::filesystem;
namespace schema = output_schema;

constexpr std::int64_t kReplicates = 2;
constexpr std::int64_t kFirms = 3;
// Real customers per agent in the sample runs.
constexpr double kCustomerWeight = 2500.0;

RunMetadata SampleMetadata() {
  RunMetadata meta;
  meta.config_path = "configs/sample.toml";
  meta.resolved_config = "[run]\nsteps = 4\nstart = \"2024-11\"\n";
  meta.seed = 18446744073709551557ULL;  // above INT64_MAX: the attribute must be unsigned
  meta.program_version = "0.1.0";
  meta.git_revision = "abcdef123456";
  meta.backend = "cpu";
  meta.start_month = "2024-11";  // two steps later the year turns
  meta.steps = 4;
  meta.record_every = 1;
  meta.replicates = kReplicates;
  meta.customers_per_replicate = 1000;
  meta.customer_weight = kCustomerWeight;
  meta.firm_name = {"OpenAI", "Naver", "Mistral"};
  meta.firm_archetype = {"model_lab", "kr_service", "model_lab"};
  meta.firm_region = {"US", "KR", "EU"};
  return meta;
}

static_assert(std::string_view(kLayerNames[kServiceLayer]) == "service");

// Home region of firm f in the sample frames: US, KR, EU in turn, as SampleMetadata's table.
int SampleRegion(std::int64_t f) { return static_cast<int>(f % 3); }

// Recomputable values that vary with every index and obey the model's identities (the Python
// format checks test them on the file):
//  * adopters are the sum of customers over firms;
//  * in every layer, market_share is each firm's units over the layer's units, revenue_share
//    its revenue (units x price) over the layer's revenue, hhi the sum of squared
//    market_share, and region_share the market_share summed over the firms of each region;
//  * in `service`, the units are real customers (agents x customer weight), so market_share
//    is the firm's customers over all adopters;
//  * a firm that sells nothing in a layer has price NaN there; a layer with no units in the
//    step (hbm at step 0) has every share, hhi, units and revenue 0.
RecordFrame SampleFrame(std::int64_t step, std::int64_t replicates = kReplicates,
                        std::int64_t firms = kFirms) {
  RecordFrame frame;
  frame.step = step;
  const auto F = static_cast<std::size_t>(firms);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto step_value = static_cast<double>(step);
  for (std::int64_t r = 0; r < replicates; ++r) {
    std::vector<std::int64_t> firm_customers(F, 0);
    for (std::int64_t s = 0; s < kSegments; ++s) {
      std::int64_t segment_adopters = 0;
      for (std::int64_t f = 0; f < firms; ++f) {
        const std::int64_t customers = 100 * step + 10 * r + 3 * s + f;
        frame.customers.push_back(static_cast<std::int32_t>(customers));
        // Domain data per segment, summing to less than data_stock below.
        frame.domain_data.push_back(0.01 * static_cast<double>(s + 1) + 0.001 * step_value +
                                    0.0001 * static_cast<double>(f + r));
        firm_customers[static_cast<std::size_t>(f)] += customers;
        segment_adopters += customers;
      }
      frame.adopters.push_back(static_cast<std::int32_t>(segment_adopters));
    }
    for (int l = 0; l < kLayers; ++l) {
      std::vector<double> units(F, 0.0);
      std::vector<double> price(F, nan);
      for (std::int64_t f = 0; f < firms; ++f) {
        const auto i = static_cast<std::size_t>(f);
        if (l == kServiceLayer) {
          units[i] = static_cast<double>(firm_customers[i]) * kCustomerWeight;
          price[i] = 20.0 + static_cast<double>(f) + 0.125 * static_cast<double>(step);
        } else if ((f + l) % 3 != 2 && !(l == 0 && step == 0)) {
          units[i] = static_cast<double>((step + 1) * (r + 1) * (l + 1) * (f + 2) * 10);
          price[i] = 100.0 * (l + 1) + 7.0 * static_cast<double>(f) +
                     0.5 * static_cast<double>(step) + static_cast<double>(r);
        }
      }
      double layer_units = 0.0;
      double layer_revenue = 0.0;
      for (std::size_t i = 0; i < F; ++i) {
        layer_units += units[i];
        if (units[i] > 0.0) layer_revenue += units[i] * price[i];
      }
      double hhi = 0.0;
      std::vector<double> region_share(kRegions, 0.0);
      for (std::size_t i = 0; i < F; ++i) {
        const double share = layer_units > 0.0 ? units[i] / layer_units : 0.0;
        const double revenue = units[i] > 0.0 ? units[i] * price[i] : 0.0;
        frame.market_share.push_back(share);
        frame.revenue_share.push_back(layer_revenue > 0.0 ? revenue / layer_revenue : 0.0);
        frame.price.push_back(price[i]);
        hhi += share * share;
        region_share[static_cast<std::size_t>(SampleRegion(static_cast<std::int64_t>(i)))] += share;
      }
      frame.hhi.push_back(hhi);
      frame.layer_units.push_back(layer_units);
      frame.layer_revenue.push_back(layer_revenue);
      frame.region_share.insert(frame.region_share.end(), region_share.begin(), region_share.end());
    }
    for (std::int64_t g = 0; g < kRegions; ++g) {
      for (std::int64_t f = 0; f < firms; ++f) {
        frame.region_customers.push_back(static_cast<std::int32_t>(7 * step + 5 * r + 3 * g + f));
      }
    }
    for (std::int64_t f = 0; f < firms; ++f) {
      const auto t = static_cast<double>(step);
      frame.service_quality.push_back(0.5 * static_cast<double>(f) - 0.25 * t +
                                      static_cast<double>(r));
      frame.capability.push_back(0.125 * t - 0.25 * static_cast<double>(f) +
                                 0.0625 * static_cast<double>(r));
      frame.data_stock.push_back(1.5 + t + 0.25 * static_cast<double>(f) + static_cast<double>(r));
      frame.data_price.push_back(f % 2 == 0 ? nan : 7.5e8 + 1e6 * t + static_cast<double>(f + r));
      frame.data_revenue.push_back(f % 2 == 0 ? 0.0 : 6e7 + t + static_cast<double>(f + r));
      frame.compute.push_back(1000.0 * static_cast<double>(f + 1) + 10.0 * t +
                              static_cast<double>(r));
      frame.cash.push_back(-5.0 + 20.5 * static_cast<double>(f) + t - static_cast<double>(r));
      frame.funding.push_back((step + f) % 3 == 0 ? 12.5 * static_cast<double>(f + r) : 0.0);
      frame.alive.push_back((step + r + f) % 4 == 3 ? 0 : 1);
      frame.owner.push_back((step + r + f) % 4 == 3 ? static_cast<std::int32_t>((f + 1) % firms)
                                                    : -1);
    }
  }
  return frame;
}

// A per-test directory for the files a test writes; removed after a passing test, kept after
// a failing one for a look.
std::string TestDirectory() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return (fs::path(::testing::TempDir()) /
          ("aimarket_writer_" + std::to_string(::getpid()) + "_" + info->name()))
      .string();
}

class TrajectoryWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(TestDirectory());
    fs::create_directories(TestDirectory());
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(TestDirectory());
  }
};

// A fresh path in the test's directory.
std::string TestPath(const std::string& name) {
  return (fs::path(TestDirectory()) / name).string();
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// --- Reading back with the HDF5 C API ---------------------------------------------------------

// Closes an HDF5 identifier at scope exit.
class Id {
 public:
  Id(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~Id() {
    if (id_ >= 0) closer_(id_);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

std::string ReadStringAttribute(hid_t location, const char* name) {
  Id attribute(H5Aopen(location, name, H5P_DEFAULT), H5Aclose);
  if (attribute.get() < 0) return "<missing " + std::string(name) + ">";
  Id file_type(H5Aget_type(attribute.get()), H5Tclose);
  EXPECT_EQ(H5Tget_class(file_type.get()), H5T_STRING) << name;
  EXPECT_TRUE(H5Tis_variable_str(file_type.get())) << name;
  EXPECT_EQ(H5Tget_cset(file_type.get()), H5T_CSET_UTF8) << name;
  Id memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(memory_type.get(), H5T_VARIABLE);
  H5Tset_cset(memory_type.get(), H5T_CSET_UTF8);
  char* text = nullptr;
  if (H5Aread(attribute.get(), memory_type.get(), &text) < 0 || text == nullptr) return "";
  std::string value(text);
  H5free_memory(text);
  return value;
}

template <typename T>
T ReadScalarAttribute(hid_t location, const char* name, hid_t memory_type) {
  T value{};
  Id attribute(H5Aopen(location, name, H5P_DEFAULT), H5Aclose);
  EXPECT_GE(attribute.get(), 0) << name;
  EXPECT_GE(H5Aread(attribute.get(), memory_type, &value), 0) << name;
  return value;
}

std::int64_t ReadInt64Attribute(hid_t location, const char* name) {
  return ReadScalarAttribute<std::int64_t>(location, name, H5T_NATIVE_INT64);
}

std::vector<hsize_t> Extent(hid_t file, const char* name) {
  Id dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  Id space(H5Dget_space(dataset.get()), H5Sclose);
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.get())));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

template <typename T>
std::vector<T> ReadAll(hid_t file, const char* name, hid_t memory_type) {
  Id dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  Id space(H5Dget_space(dataset.get()), H5Sclose);
  std::vector<T> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (!values.empty()) {
    EXPECT_GE(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0)
        << name;
  }
  return values;
}

std::vector<std::string> ReadStrings(hid_t file, const char* name) {
  Id memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(memory_type.get(), H5T_VARIABLE);
  H5Tset_cset(memory_type.get(), H5T_CSET_UTF8);
  std::vector<char*> texts = ReadAll<char*>(file, name, memory_type.get());
  std::vector<std::string> values;
  for (char* text : texts) {
    values.emplace_back(text == nullptr ? "" : text);
    H5free_memory(text);
  }
  return values;
}

// Equal values, or both NaN (price is NaN where a firm does not sell).
template <typename T>
bool SameValue(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) && std::isnan(b)) return true;
  }
  return a == b;
}

// Compares a data variable (replicate, step, ...) with the field of the frames it was written
// from ([replicate][...] each).
template <typename T>
void ExpectVariable(hid_t file, const char* name, hid_t memory_type,
                    const std::vector<RecordFrame>& frames, std::vector<T> RecordFrame::*field) {
  const std::vector<T> values = ReadAll<T>(file, name, memory_type);
  const auto steps = frames.size();
  ASSERT_GT(steps, 0u);
  const std::size_t per_frame = (frames[0].*field).size();
  ASSERT_EQ(values.size(), per_frame * steps) << name;
  const std::vector<hsize_t> extent = Extent(file, name);
  ASSERT_EQ(extent[1], steps) << name;
  const std::size_t replicates = extent[0];
  const std::size_t row = per_frame / replicates;  // values of one replicate in one step
  for (std::size_t t = 0; t < steps; ++t) {
    const std::vector<T>& expected = frames[t].*field;
    for (std::size_t r = 0; r < replicates; ++r) {
      for (std::size_t i = 0; i < row; ++i) {
        const T actual = values[(r * steps + t) * row + i];
        const T wanted = expected[r * row + i];
        if (!SameValue(actual, wanted)) {
          FAIL() << name << ": replicate " << r << " step " << t << " element " << i << " is "
                 << +actual << ", expected " << +wanted;
        }
      }
    }
  }
}

// The values a file must hold for SampleFrame(0 .. steps-1), in the file's layout.
void ExpectSampleFrames(hid_t file, std::int64_t steps, std::int64_t replicates = kReplicates) {
  std::vector<RecordFrame> frames;
  for (std::int64_t t = 0; t < steps; ++t) frames.push_back(SampleFrame(t, replicates));
  ExpectVariable(file, schema::kCustomers.name, H5T_NATIVE_INT32, frames, &RecordFrame::customers);
  ExpectVariable(file, schema::kAdopters.name, H5T_NATIVE_INT32, frames, &RecordFrame::adopters);
  ExpectVariable(file, schema::kRegionCustomers.name, H5T_NATIVE_INT32, frames,
                 &RecordFrame::region_customers);
  const std::vector<std::pair<const char*, std::vector<double> RecordFrame::*>> doubles = {
      {schema::kMarketShare.name, &RecordFrame::market_share},
      {schema::kRevenueShare.name, &RecordFrame::revenue_share},
      {schema::kHhi.name, &RecordFrame::hhi},
      {schema::kLayerUnits.name, &RecordFrame::layer_units},
      {schema::kLayerRevenue.name, &RecordFrame::layer_revenue},
      {schema::kRegionShare.name, &RecordFrame::region_share},
      {schema::kPrice.name, &RecordFrame::price},
      {schema::kServiceQuality.name, &RecordFrame::service_quality},
      {schema::kCapability.name, &RecordFrame::capability},
      {schema::kDataStock.name, &RecordFrame::data_stock},
      {schema::kDomainData.name, &RecordFrame::domain_data},
      {schema::kDataPrice.name, &RecordFrame::data_price},
      {schema::kDataRevenue.name, &RecordFrame::data_revenue},
      {schema::kCompute.name, &RecordFrame::compute},
      {schema::kCash.name, &RecordFrame::cash},
  };
  for (const auto& [name, field] : doubles) {
    ExpectVariable(file, name, H5T_NATIVE_DOUBLE, frames, field);
  }
  ExpectVariable(file, schema::kAlive.name, H5T_NATIVE_UINT8, frames, &RecordFrame::alive);
  ExpectVariable(file, schema::kOwner.name, H5T_NATIVE_INT32, frames, &RecordFrame::owner);
}

hid_t OpenReadOnly(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  return H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
}

// --- Tests -------------------------------------------------------------------------------------

TEST_F(TrajectoryWriterTest, WritesFramesCoordinatesAndMetadata) {
  const std::string path = TestPath("sample.h5");
  constexpr std::int64_t kSteps = 4;
  {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, /*flush_seconds=*/2.0);
    for (std::int64_t t = 0; t < kSteps; ++t) writer.push(SampleFrame(t));
    writer.finish();
  }

  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  const hid_t f = file.get();

  // Root attributes.
  const RunMetadata meta = SampleMetadata();
  EXPECT_EQ(ReadStringAttribute(f, schema::kTitleAttr), "aimarket trajectory");
  EXPECT_EQ(ReadStringAttribute(f, schema::kConfigAttr), meta.resolved_config);
  EXPECT_EQ(ReadStringAttribute(f, schema::kConfigPathAttr), meta.config_path);
  EXPECT_EQ(ReadScalarAttribute<std::uint64_t>(f, schema::kSeedAttr, H5T_NATIVE_UINT64), meta.seed);
  {
    Id seed(H5Aopen(f, schema::kSeedAttr, H5P_DEFAULT), H5Aclose);
    Id type(H5Aget_type(seed.get()), H5Tclose);
    EXPECT_EQ(H5Tget_sign(type.get()), H5T_SGN_NONE);
    EXPECT_EQ(H5Tget_size(type.get()), 8u);
  }
  EXPECT_EQ(ReadStringAttribute(f, schema::kProgramVersionAttr), "0.1.0");
  EXPECT_EQ(ReadStringAttribute(f, schema::kGitRevisionAttr), "abcdef123456");
  EXPECT_EQ(ReadStringAttribute(f, schema::kBackendAttr), "cpu");
  EXPECT_EQ(ReadStringAttribute(f, schema::kStartMonthAttr), "2024-11");
  EXPECT_EQ(ReadInt64Attribute(f, schema::kStepsRequestedAttr), 4);
  EXPECT_EQ(ReadInt64Attribute(f, schema::kRecordEveryAttr), 1);
  EXPECT_EQ(ReadInt64Attribute(f, schema::kReplicatesAttr), kReplicates);
  EXPECT_EQ(ReadInt64Attribute(f, schema::kCustomersPerReplicateAttr), 1000);
  EXPECT_EQ(ReadScalarAttribute<double>(f, schema::kCustomerWeightAttr, H5T_NATIVE_DOUBLE), 2500.0);
  const std::string created = ReadStringAttribute(f, schema::kCreatedAttr);
  EXPECT_EQ(created.size(), 20u) << created;  // 2024-05-01T12:34:56Z
  EXPECT_EQ(created.substr(10, 1), "T") << created;
  EXPECT_EQ(created.substr(19, 1), "Z") << created;
  EXPECT_EQ(ReadInt64Attribute(f, schema::kStepsRecordedAttr), kSteps);
  EXPECT_EQ(ReadStringAttribute(f, schema::kStatusAttr), "complete");

  // Every data variable: its dimensions, file type and auxiliary coordinates.
  struct DataVariable {
    const schema::VariableSpec* spec;
    std::vector<const char*> dims;
    hid_t file_type;
    const char* coordinates;
  };
  const char* const kFirmCoordinates = "date firm_name firm_archetype firm_region";
  const char* const kLayerFirmCoordinates = "date layer_unit firm_name firm_archetype firm_region";
  const std::vector<DataVariable> data_variables = {
      {&schema::kCustomers,
       {"replicate", "step", "segment", "firm"},
       H5T_STD_I32LE,
       kFirmCoordinates},
      {&schema::kAdopters, {"replicate", "step", "segment"}, H5T_STD_I32LE, "date"},
      {&schema::kMarketShare,
       {"replicate", "step", "layer", "firm"},
       H5T_IEEE_F64LE,
       kLayerFirmCoordinates},
      {&schema::kRevenueShare,
       {"replicate", "step", "layer", "firm"},
       H5T_IEEE_F64LE,
       kLayerFirmCoordinates},
      {&schema::kHhi, {"replicate", "step", "layer"}, H5T_IEEE_F64LE, "date layer_unit"},
      {&schema::kLayerUnits, {"replicate", "step", "layer"}, H5T_IEEE_F64LE, "date layer_unit"},
      {&schema::kLayerRevenue, {"replicate", "step", "layer"}, H5T_IEEE_F64LE, "date layer_unit"},
      {&schema::kRegionShare,
       {"replicate", "step", "layer", "region"},
       H5T_IEEE_F64LE,
       "date layer_unit"},
      {&schema::kPrice,
       {"replicate", "step", "layer", "firm"},
       H5T_IEEE_F64LE,
       kLayerFirmCoordinates},
      {&schema::kRegionCustomers,
       {"replicate", "step", "region", "firm"},
       H5T_STD_I32LE,
       kFirmCoordinates},
      {&schema::kServiceQuality, {"replicate", "step", "firm"}, H5T_IEEE_F64LE, kFirmCoordinates},
      {&schema::kCapability, {"replicate", "step", "firm"}, H5T_IEEE_F64LE, kFirmCoordinates},
      {&schema::kDataStock, {"replicate", "step", "firm"}, H5T_IEEE_F64LE, kFirmCoordinates},
      {&schema::kDomainData,
       {"replicate", "step", "segment", "firm"},
       H5T_IEEE_F64LE,
       kFirmCoordinates},
      {&schema::kDataPrice, {"replicate", "step", "firm"}, H5T_IEEE_F64LE, kFirmCoordinates},
      {&schema::kDataRevenue, {"replicate", "step", "firm"}, H5T_IEEE_F64LE, kFirmCoordinates},
      {&schema::kCompute, {"replicate", "step", "firm"}, H5T_IEEE_F64LE, kFirmCoordinates},
      {&schema::kCash, {"replicate", "step", "firm"}, H5T_IEEE_F64LE, kFirmCoordinates},
      {&schema::kAlive, {"replicate", "step", "firm"}, H5T_STD_U8LE, kFirmCoordinates},
      {&schema::kOwner, {"replicate", "step", "firm"}, H5T_STD_I32LE, kFirmCoordinates},
  };
  const hsize_t T = kSteps;
  const std::map<std::string, hsize_t> sizes = {{"replicate", kReplicates}, {"step", T},
                                                {"firm", kFirms},           {"segment", kSegments},
                                                {"region", kRegions},       {"layer", kLayers}};
  const auto shape_of = [&sizes](const std::vector<const char*>& dims) {
    std::vector<hsize_t> shape;
    shape.reserve(dims.size());
    for (const char* dim : dims) shape.push_back(sizes.at(dim));
    return shape;
  };

  // Extents: `step` grew by one per frame and is unlimited; the others are fixed.
  for (const DataVariable& variable : data_variables) {
    EXPECT_EQ(Extent(f, variable.spec->name), shape_of(variable.dims)) << variable.spec->name;
  }
  {
    Id step(H5Dopen2(f, schema::kStep.name, H5P_DEFAULT), H5Dclose);
    Id space(H5Dget_space(step.get()), H5Sclose);
    hsize_t size = 0, max_size = 0;
    H5Sget_simple_extent_dims(space.get(), &size, &max_size);
    EXPECT_EQ(size, T);
    EXPECT_EQ(max_size, H5S_UNLIMITED);
  }

  // Coordinates and the firm table.
  EXPECT_EQ(ReadAll<std::int64_t>(f, schema::kReplicate.name, H5T_NATIVE_INT64),
            (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(ReadAll<std::int64_t>(f, schema::kStep.name, H5T_NATIVE_INT64),
            (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(ReadStrings(f, schema::kDate.name),
            (std::vector<std::string>{"2024-11", "2024-12", "2025-01", "2025-02"}));
  EXPECT_EQ(ReadAll<std::int64_t>(f, schema::kFirm.name, H5T_NATIVE_INT64),
            (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(ReadStrings(f, schema::kFirmName.name), meta.firm_name);
  EXPECT_EQ(ReadStrings(f, schema::kFirmArchetype.name), meta.firm_archetype);
  EXPECT_EQ(ReadStrings(f, schema::kFirmRegion.name), meta.firm_region);
  EXPECT_EQ(ReadStrings(f, schema::kSegment.name),
            std::vector<std::string>(kSegmentNames, kSegmentNames + kSegments));
  EXPECT_EQ(ReadStrings(f, schema::kRegion.name),
            std::vector<std::string>(kRegionNames, kRegionNames + kRegions));
  EXPECT_EQ(ReadStrings(f, schema::kLayer.name),
            (std::vector<std::string>{"hbm", "accelerator", "cloud", "model", "service"}));
  EXPECT_EQ(ReadStrings(f, schema::kLayerUnit.name),
            (std::vector<std::string>{"HBM stacks", "accelerator units", "H100e-months", "M tokens",
                                      "customers"}));

  // Every dimension of every variable has its coordinate attached as a dimension scale.
  std::vector<std::pair<const char*, std::vector<const char*>>> dims_of = {
      {schema::kDate.name, {"step"}},          {schema::kFirmName.name, {"firm"}},
      {schema::kFirmArchetype.name, {"firm"}}, {schema::kFirmRegion.name, {"firm"}},
      {schema::kLayerUnit.name, {"layer"}},
  };
  for (const DataVariable& variable : data_variables) {
    dims_of.emplace_back(variable.spec->name, variable.dims);
  }
  for (const auto& [variable, dims] : dims_of) {
    Id dataset(H5Dopen2(f, variable, H5P_DEFAULT), H5Dclose);
    ASSERT_GE(dataset.get(), 0) << variable;
    EXPECT_EQ(H5DSget_num_scales(dataset.get(), 0), 1) << variable;
    for (unsigned axis = 0; axis < dims.size(); ++axis) {
      Id scale(H5Dopen2(f, dims[axis], H5P_DEFAULT), H5Dclose);
      EXPECT_GT(H5DSis_scale(scale.get()), 0) << dims[axis];
      EXPECT_GT(H5DSis_attached(dataset.get(), scale.get(), axis), 0)
          << dims[axis] << " on axis " << axis << " of " << variable;
      char name[64] = {};
      H5DSget_scale_name(scale.get(), name, sizeof name);
      EXPECT_STREQ(name, dims[axis]);
    }
  }

  // Variable types, attributes, chunking and filters. A small market: every replicate in
  // one chunk, one step per chunk, inner dims whole.
  for (const DataVariable& variable : data_variables) {
    const schema::VariableSpec* spec = variable.spec;
    Id dataset(H5Dopen2(f, spec->name, H5P_DEFAULT), H5Dclose);
    Id type(H5Dget_type(dataset.get()), H5Tclose);
    EXPECT_GT(H5Tequal(type.get(), variable.file_type), 0) << spec->name;
    EXPECT_EQ(ReadStringAttribute(dataset.get(), schema::kUnitsAttr), spec->units);
    EXPECT_NE(std::string(spec->units), "") << spec->name;
    EXPECT_EQ(ReadStringAttribute(dataset.get(), schema::kLongNameAttr), spec->long_name);
    EXPECT_EQ(ReadStringAttribute(dataset.get(), schema::kCoordinatesAttr), variable.coordinates)
        << spec->name;
    EXPECT_EQ(H5Aexists(dataset.get(), "_FillValue"), 0) << spec->name;
    Id dcpl(H5Dget_create_plist(dataset.get()), H5Pclose);
    EXPECT_EQ(H5Pget_layout(dcpl.get()), H5D_CHUNKED) << spec->name;
    std::vector<hsize_t> chunk(variable.dims.size(), 0);
    ASSERT_EQ(H5Pget_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()),
              static_cast<int>(chunk.size()))
        << spec->name;
    std::vector<hsize_t> expected_chunk = shape_of(variable.dims);
    expected_chunk[1] = 1;
    EXPECT_EQ(chunk, expected_chunk) << spec->name;
    EXPECT_GT(H5Pall_filters_avail(dcpl.get()), 0);
    unsigned flags = 0;
    size_t n_values = 0;
    EXPECT_GE(H5Pget_filter_by_id2(dcpl.get(), H5Z_FILTER_SHUFFLE, &flags, &n_values, nullptr, 0,
                                   nullptr, nullptr),
              0)
        << spec->name;
    unsigned level = 0;
    n_values = 1;
    EXPECT_GE(H5Pget_filter_by_id2(dcpl.get(), H5Z_FILTER_DEFLATE, &flags, &n_values, &level, 0,
                                   nullptr, nullptr),
              0)
        << spec->name;
    EXPECT_EQ(level, schema::kDeflateLevel);
    const bool counts_agents = spec == &schema::kCustomers || spec == &schema::kAdopters;
    EXPECT_EQ(H5Aexists(dataset.get(), schema::kCustomerWeightAttr) > 0, counts_agents)
        << spec->name;
    if (counts_agents) {
      EXPECT_EQ(ReadScalarAttribute<double>(dataset.get(), schema::kCustomerWeightAttr,
                                            H5T_NATIVE_DOUBLE),
                kCustomerWeight);
    }
  }

  // The sample's NaN prices (firms that do not sell in a layer, and every firm in hbm at
  // step 0) read back as NaN: no fill value or conversion replaces them.
  {
    const std::vector<double> price = ReadAll<double>(f, schema::kPrice.name, H5T_NATIVE_DOUBLE);
    const std::vector<double> share =
        ReadAll<double>(f, schema::kMarketShare.name, H5T_NATIVE_DOUBLE);
    ASSERT_EQ(price.size(), share.size());
    std::size_t nans = 0;
    for (std::size_t i = 0; i < price.size(); ++i) {
      if (std::isnan(price[i])) {
        ++nans;
        EXPECT_EQ(share[i], 0.0) << "element " << i;
      }
    }
    EXPECT_GT(nans, 0u);
  }

  ExpectSampleFrames(f, kSteps);
}

TEST_F(TrajectoryWriterTest, RefusesToReplaceAnExistingFile) {
  const std::string path = TestPath("existing.h5");
  { std::ofstream(path) << "results of another run"; }
  try {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, 2.0);
    FAIL() << "an existing file was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()),
              "output file '" + path + "' exists; pass --overwrite to replace it");
  }
  EXPECT_EQ(ReadFileBytes(path), "results of another run");
}

TEST_F(TrajectoryWriterTest, OverwriteReplacesAnExistingFile) {
  const std::string path = TestPath("replaced.h5");
  { std::ofstream(path) << "results of another run"; }
  {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/true, 2.0);
    writer.push(SampleFrame(0));
    writer.finish();
  }
  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), 1);
  ExpectSampleFrames(file.get(), 1);
}

TEST_F(TrajectoryWriterTest, UnwritableFileIsAnErrorNamingIt) {
  const std::string path = TestPath("no_such_directory") + "/run.h5";
  try {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, 2.0);
    FAIL() << "a file in a missing directory was created";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("output file '" + path + "'"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos) << error.what();
  }
}

// The hidden temporaries (.NAME.partial-PID) of `path` in its folder.
std::vector<std::string> TemporariesOf(const std::string& path) {
  const std::string prefix = "." + fs::path(path).filename().string() + ".partial-";
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(fs::path(path).parent_path())) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) == 0) found.push_back(name);
  }
  return found;
}

// The old file stays whole until the new one has its first frame on disk: the new file is
// written under a temporary name and renamed over it.
TEST_F(TrajectoryWriterTest, OverwriteKeepsTheOldFileUntilTheFirstFrameIsOnDisk) {
  const std::string path = TestPath("replaced_later.h5");
  { std::ofstream(path) << "results of another run"; }
  TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/true, 2.0);
  EXPECT_EQ(ReadFileBytes(path), "results of another run");
  EXPECT_EQ(TemporariesOf(path).size(), 1u);
  writer.push(SampleFrame(0));
  writer.push(SampleFrame(1));
  writer.finish();
  EXPECT_TRUE(TemporariesOf(path).empty());
  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  EXPECT_EQ(ReadStringAttribute(file.get(), schema::kStatusAttr), "complete");
  ExpectSampleFrames(file.get(), 2);
}

// A run that records nothing (stopped before its first recorded step) still leaves its file.
// Each replicate's values of the uncertain keys are written with the file, (replicate,
// parameter); metadata whose sizes disagree is refused before the file exists.
TEST_F(TrajectoryWriterTest, ParameterValuesAreWrittenAtCreation) {
  const std::string path = TestPath("parameters.h5");
  RunMetadata meta = SampleMetadata();
  meta.parameter_name = {"firms.awareness_max", "compute.target_utilization"};
  meta.parameter_origin = {"log_uniform(8.25, 33): s", "parameter file d.csv"};
  for (std::int64_t r = 0; r < meta.replicates; ++r) {
    meta.parameter_value.push_back(10.0 + static_cast<double>(r));
    meta.parameter_value.push_back(0.5 + 0.1 * static_cast<double>(r));
  }
  RunMetadata bad = meta;
  bad.parameter_value.pop_back();
  EXPECT_THROW(TrajectoryWriter(path, bad, /*overwrite=*/false, 2.0), std::invalid_argument);
  EXPECT_FALSE(fs::exists(path));
  {
    TrajectoryWriter writer(path, meta, /*overwrite=*/false, 2.0);
    writer.push(SampleFrame(0));
    writer.finish();
  }
  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  EXPECT_EQ(ReadAll<double>(file.get(), schema::kParameterValue.name, H5T_NATIVE_DOUBLE),
            meta.parameter_value);
}

TEST_F(TrajectoryWriterTest, RunWithoutFramesLeavesItsFileAtTheEnd) {
  const std::string path = TestPath("no_frames.h5");
  TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, 2.0);
  EXPECT_FALSE(fs::exists(path));
  writer.finish("interrupted after step 0 of 4");
  EXPECT_TRUE(TemporariesOf(path).empty());
  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  EXPECT_EQ(ReadStringAttribute(file.get(), schema::kStatusAttr), "interrupted after step 0 of 4");
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), 0);
  // No step, no calibration written: the utility offsets read as their fill value, NaN.
  const std::vector<double> offsets =
      ReadAll<double>(file.get(), schema::kUtilityOffset.name, H5T_NATIVE_DOUBLE);
  ASSERT_EQ(offsets.size(),
            static_cast<std::size_t>(SampleMetadata().replicates) * std::size_t{kMarkets} * 3);
  for (double xi : offsets) EXPECT_TRUE(std::isnan(xi));
}

// The utility offsets come with the frame that carries them, once, as (replicate, segment,
// region, firm), and a frame with the wrong number of them is refused naming the field.
TEST_F(TrajectoryWriterTest, UtilityOffsetsAreWrittenOnceFromTheFrameThatCarriesThem) {
  const std::string path = TestPath("offsets.h5");
  const auto replicates = static_cast<std::size_t>(SampleMetadata().replicates);
  std::vector<double> offsets(replicates * std::size_t{kMarkets} * 3);
  for (std::size_t k = 0; k < offsets.size(); ++k) offsets[k] = 0.25 * static_cast<double>(k) - 3.0;
  {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, 2.0);
    RecordFrame bad = SampleFrame(0);
    bad.utility_offset.assign(offsets.size() - 1, 0.0);
    try {
      writer.push(bad);
      ADD_FAILURE() << "a frame with too few utility offsets was accepted";
    } catch (const std::invalid_argument& e) {
      const std::string expected =
          "'utility_offset' has " + std::to_string(offsets.size() - 1) + " values, expected " +
          std::to_string(offsets.size()) +
          " (replicates x segments x regions x firms = " + std::to_string(replicates) +
          " x 6 x 5 x 3)";
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    RecordFrame first = SampleFrame(0);
    first.utility_offset = offsets;
    writer.push(first);
    writer.push(SampleFrame(1));  // no offsets: the written ones stay
    writer.finish();
  }
  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  EXPECT_EQ(ReadAll<double>(file.get(), schema::kUtilityOffset.name, H5T_NATIVE_DOUBLE), offsets);
  Id dataset(H5Dopen2(file.get(), schema::kUtilityOffset.name, H5P_DEFAULT), H5Dclose);
  EXPECT_EQ(ReadStringAttribute(dataset.get(), schema::kUnitsAttr), "utility");
}

// A folder, a named pipe or a device at the path is never replaced, not even with overwrite,
// and is left as it was.
TEST_F(TrajectoryWriterTest, RefusesToReplaceWhatIsNotARegularFile) {
  const std::string pipe = TestPath("pipe.h5");
  ASSERT_EQ(::mkfifo(pipe.c_str(), 0600), 0);
  const std::string folder = TestPath("folder.h5");
  fs::create_directory(folder);
  for (const std::string& path : {pipe, folder}) {
    try {
      TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/true, 2.0);
      FAIL() << path << " was accepted as an output file";
    } catch (const std::runtime_error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("output file '" + path + "'"), std::string::npos) << message;
      EXPECT_NE(message.find("never replaced"), std::string::npos) << message;
    }
    EXPECT_TRUE(TemporariesOf(path).empty());
  }
  EXPECT_TRUE(fs::is_fifo(pipe));
  EXPECT_TRUE(fs::is_directory(folder));
}

TEST_F(TrajectoryWriterTest, WrongSizeFrameIsAnErrorNamingTheField) {
  const std::string path = TestPath("wrong_size.h5");
  TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, 2.0);
  const auto expect_rejected = [&writer](RecordFrame frame, const std::string& field,
                                         const std::string& shape = "") {
    try {
      writer.push(std::move(frame));
      ADD_FAILURE() << "a frame with a wrong '" << field << "' was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("'" + field + "'"), std::string::npos)
          << error.what();
      EXPECT_NE(std::string(error.what()).find(shape), std::string::npos) << error.what();
    }
  };
  RecordFrame frame = SampleFrame(0);
  frame.customers.pop_back();
  expect_rejected(frame, "customers",
                  "has 35 values, expected 36 (replicates x segments x firms = 2 x 6 x 3)");
  frame = SampleFrame(0);
  frame.adopters.push_back(1);
  expect_rejected(frame, "adopters", "(replicates x segments = 2 x 6)");
  // Every per-layer and per-firm field: one value short, then one too many.
  const std::vector<std::pair<std::vector<double> RecordFrame::*, std::string>> doubles = {
      {&RecordFrame::market_share, "market_share"},
      {&RecordFrame::revenue_share, "revenue_share"},
      {&RecordFrame::hhi, "hhi"},
      {&RecordFrame::layer_units, "layer_units"},
      {&RecordFrame::layer_revenue, "layer_revenue"},
      {&RecordFrame::region_share, "region_share"},
      {&RecordFrame::price, "price"},
      {&RecordFrame::capability, "capability"},
      {&RecordFrame::data_stock, "data_stock"},
      {&RecordFrame::domain_data, "domain_data"},
      {&RecordFrame::data_price, "data_price"},
      {&RecordFrame::data_revenue, "data_revenue"},
      {&RecordFrame::compute, "installed_compute"},
      {&RecordFrame::cash, "cash"},
      {&RecordFrame::funding, "funding"},
  };
  for (const auto& [field, name] : doubles) {
    frame = SampleFrame(0);
    (frame.*field).pop_back();
    expect_rejected(frame, name);
    frame = SampleFrame(0);
    (frame.*field).push_back(0.0);
    expect_rejected(frame, name);
  }
  frame = SampleFrame(0);
  frame.market_share.resize(kReplicates * kFirms);  // the old single-layer size
  expect_rejected(frame, "market_share", "(replicates x layers x firms = 2 x 5 x 3)");
  frame = SampleFrame(0);
  frame.hhi.clear();
  expect_rejected(frame, "hhi", "(replicates x layers = 2 x 5)");
  frame = SampleFrame(0);
  frame.region_share.resize(kReplicates * kLayers);
  expect_rejected(frame, "region_share", "(replicates x layers x regions = 2 x 5 x 5)");
  frame = SampleFrame(0);
  frame.region_customers.pop_back();
  expect_rejected(frame, "region_customers", "(replicates x regions x firms = 2 x 5 x 3)");
  frame = SampleFrame(0);
  frame.capability.pop_back();
  expect_rejected(frame, "capability", "(replicates x firms = 2 x 3)");
  frame = SampleFrame(0);
  frame.alive.clear();
  expect_rejected(frame, "alive", "has 0 values, expected 6 (replicates x firms = 2 x 3)");
  // A rejected frame leaves the writer usable.
  writer.push(SampleFrame(0));
  expect_rejected(SampleFrame(0), "step");  // steps must increase
  writer.finish();

  Id file(OpenReadOnly(path), H5Fclose);
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), 1);
  ExpectSampleFrames(file.get(), 1);
}

TEST_F(TrajectoryWriterTest, InvalidMetadataIsRejectedBeforeCreatingTheFile) {
  const std::string path = TestPath("bad_metadata.h5");
  RunMetadata meta = SampleMetadata();
  meta.start_month = "2024-13";
  EXPECT_THROW(TrajectoryWriter(path, meta, false, 2.0), std::invalid_argument);
  meta = SampleMetadata();
  meta.firm_region.pop_back();
  EXPECT_THROW(TrajectoryWriter(path, meta, false, 2.0), std::invalid_argument);
  meta = SampleMetadata();
  meta.replicates = 0;
  EXPECT_THROW(TrajectoryWriter(path, meta, false, 2.0), std::invalid_argument);
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(TrajectoryWriterTest, FinishIsIdempotentAndRecordsTheGivenStatus) {
  const std::string path = TestPath("failed_run.h5");
  {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, 2.0);
    writer.push(SampleFrame(0));
    writer.push(SampleFrame(1));
    writer.finish("numerical guard: NaN in firm state at step 2");
    writer.finish("complete");  // ignored: the file is already closed
    EXPECT_THROW(writer.push(SampleFrame(2)), std::logic_error);
  }
  Id file(OpenReadOnly(path), H5Fclose);
  EXPECT_EQ(ReadStringAttribute(file.get(), schema::kStatusAttr),
            "numerical guard: NaN in firm state at step 2");
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), 2);
  ExpectSampleFrames(file.get(), 2);
}

TEST_F(TrajectoryWriterTest, DestructorWithoutFinishMarksTheFileIncomplete) {
  const std::string path = TestPath("unfinished.h5");
  {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, 1000.0);
    for (std::int64_t t = 0; t < 3; ++t) writer.push(SampleFrame(t));
  }
  Id file(OpenReadOnly(path), H5Fclose);
  EXPECT_EQ(ReadStringAttribute(file.get(), schema::kStatusAttr), schema::kStatusIncomplete);
  // Queued frames are completed steps: they are written, not dropped.
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), 3);
  ExpectSampleFrames(file.get(), 3);
}

// Many firms: the firm dimension is split so a chunk stays within 4 MiB. A config text over
// 64 KiB (the limit of an attribute stored in an object header) is kept whole.
TEST_F(TrajectoryWriterTest, LargeRunsSplitFirmChunksAndKeepLongConfigs) {
  const std::string path = TestPath("many_firms.h5");
  constexpr std::int64_t kManyFirms = 200000;
  RunMetadata meta = SampleMetadata();
  meta.replicates = 1;
  meta.firm_name.assign(kManyFirms, "synthetic");
  meta.firm_archetype.assign(kManyFirms, "consumer_ai");
  meta.firm_region.assign(kManyFirms, "KR");
  meta.resolved_config = std::string(200000, '#') + "\n";
  {
    TrajectoryWriter writer(path, meta, /*overwrite=*/false, 2.0);
    writer.push(SampleFrame(0, 1, kManyFirms));
    writer.finish();
  }
  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  EXPECT_EQ(ReadStringAttribute(file.get(), schema::kConfigAttr), meta.resolved_config);
  const auto chunk_of = [&file](const char* name) {
    Id dataset(H5Dopen2(file.get(), name, H5P_DEFAULT), H5Dclose);
    Id dcpl(H5Dget_create_plist(dataset.get()), H5Pclose);
    std::vector<hsize_t> chunk(4, 0);
    chunk.resize(static_cast<std::size_t>(H5Pget_chunk(dcpl.get(), 4, chunk.data())));
    return chunk;
  };
  const hsize_t customers_firms = schema::kMaxChunkBytes / (kSegments * sizeof(std::int32_t));
  EXPECT_EQ(chunk_of(schema::kCustomers.name),
            (std::vector<hsize_t>{1, 1, static_cast<hsize_t>(kSegments), customers_firms}));
  // (layer, firm) doubles: 40 bytes a firm.
  const hsize_t layer_firms = schema::kMaxChunkBytes / (kLayers * sizeof(double));
  for (const schema::VariableSpec* spec :
       {&schema::kMarketShare, &schema::kRevenueShare, &schema::kPrice}) {
    EXPECT_EQ(chunk_of(spec->name),
              (std::vector<hsize_t>{1, 1, static_cast<hsize_t>(kLayers), layer_firms}))
        << spec->name;
  }
  // Per-firm state: all 200,000 firms fit in 4 MiB, as doubles and as bytes.
  for (const schema::VariableSpec* spec : {&schema::kCapability, &schema::kCash, &schema::kAlive}) {
    EXPECT_EQ(chunk_of(spec->name), (std::vector<hsize_t>{1, 1, static_cast<hsize_t>(kManyFirms)}))
        << spec->name;
  }
  EXPECT_EQ(
      chunk_of(schema::kRegionShare.name),
      (std::vector<hsize_t>{1, 1, static_cast<hsize_t>(kLayers), static_cast<hsize_t>(kRegions)}));
  const RecordFrame frame = SampleFrame(0, 1, kManyFirms);
  EXPECT_EQ(ReadAll<std::int32_t>(file.get(), schema::kCustomers.name, H5T_NATIVE_INT32),
            frame.customers);
  // Values span chunk boundaries along `firm` intact (NaN prices compared as such).
  const std::vector<double> price =
      ReadAll<double>(file.get(), schema::kPrice.name, H5T_NATIVE_DOUBLE);
  ASSERT_EQ(price.size(), frame.price.size());
  for (std::size_t i = 0; i < price.size(); ++i) {
    ASSERT_TRUE(SameValue(price[i], frame.price[i])) << "element " << i;
  }
  EXPECT_EQ(ReadAll<std::uint8_t>(file.get(), schema::kAlive.name, H5T_NATIVE_UINT8), frame.alive);
}

// Steps after which the chunk index has outgrown the metadata cache at least once. Every
// step adds a chunk to each of the 14 data variables (the sample's replicates share one), and
// HDF5 1.10 counts about 55 bytes a chunk: the cache passes kMaxCachedMetadataBytes (4 MiB)
// near step 4,700.
constexpr std::int64_t kStepsPastAReopen = 6000;

// Long enough for the chunk index to outgrow the metadata cache, which the writer then
// empties by flushing and reopening the file: the steps before and after read back intact.
// Flushing is left to the cache (and the first frame), so the reopen is the one flush between.
TEST_F(TrajectoryWriterTest, LongRunReadsBackAcrossReopens) {
  const std::string path = TestPath("long_run.h5");
  {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false,
                            /*flush_seconds=*/1.0e6);
    for (std::int64_t t = 0; t < kStepsPastAReopen; ++t) writer.push(SampleFrame(t));
    writer.finish();
  }
  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), kStepsPastAReopen);
  ExpectSampleFrames(file.get(), kStepsPastAReopen);
}

// Many replicates share a chunk, and a long run of them reads back intact.
TEST_F(TrajectoryWriterTest, ManyReplicatesShareChunks) {
  const std::string path = TestPath("many_replicates.h5");
  constexpr std::int64_t kManyReplicates = 50;
  constexpr std::int64_t kSteps = 400;
  RunMetadata meta = SampleMetadata();
  meta.replicates = kManyReplicates;
  {
    TrajectoryWriter writer(path, meta, /*overwrite=*/false, /*flush_seconds=*/0.0);
    for (std::int64_t t = 0; t < kSteps; ++t) writer.push(SampleFrame(t, kManyReplicates));
    writer.finish();
  }
  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), kSteps);
  Id customers(H5Dopen2(file.get(), schema::kCustomers.name, H5P_DEFAULT), H5Dclose);
  Id dcpl(H5Dget_create_plist(customers.get()), H5Pclose);
  hsize_t chunk[4] = {};
  ASSERT_EQ(H5Pget_chunk(dcpl.get(), 4, chunk), 4);
  EXPECT_EQ(chunk[0], static_cast<hsize_t>(kManyReplicates));
  ExpectSampleFrames(file.get(), kSteps, kManyReplicates);
}

// --- Failures and kills, in a child process -----------------------------------------------

// Runs `body` in a forked child and returns how the child ended (waitpid status). With
// `exit_normally` the child ends through exit(), running atexit handlers (HDF5's closes what
// is still open), as a program does.
template <typename Body>
int RunInChild(Body body, bool exit_normally = false) {
  const pid_t child = ::fork();
  if (child == 0) {
    int code = 0;
    try {
      code = body();
    } catch (...) {
      code = 99;
    }
    if (exit_normally) std::exit(code);
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return status;
}

// Size of the file of a run with `meta` that records no step: its metadata alone.
std::uintmax_t MetadataFileSize(const RunMetadata& meta, const std::string& path) {
  {
    TrajectoryWriter writer(path, meta, /*overwrite=*/false, 2.0);
    writer.finish();
  }
  return fs::file_size(path);
}

// Limits the size of files this process writes (a full disk without one), as `ulimit -S -f`
// does: a write past the limit fails with EFBIG instead of raising SIGXFSZ.
bool LimitFileSize(std::uintmax_t bytes) {
  ::signal(SIGXFSZ, SIG_IGN);
  rlimit limit{};
  if (::getrlimit(RLIMIT_FSIZE, &limit) != 0) return false;
  limit.rlim_cur = static_cast<rlim_t>(bytes);
  return ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
}

RunMetadata ManyFirmsMetadata(std::int64_t firms) {
  RunMetadata meta = SampleMetadata();
  meta.firm_name.assign(static_cast<std::size_t>(firms), "firm");
  meta.firm_archetype.assign(static_cast<std::size_t>(firms), "consumer_ai");
  meta.firm_region.assign(static_cast<std::size_t>(firms), "US");
  return meta;
}

// No room even for the metadata: the writer reports it naming the file, leaves no file (not
// even an empty one that would block a rerun) and closes everything, so the process exits
// cleanly (an HDF5 identifier left open made HDF5's exit handler crash).
TEST_F(TrajectoryWriterTest, NoRoomForTheMetadataLeavesNoFileAndExitsCleanly) {
  const std::string path = TestPath("no_room.h5");
  const int status = RunInChild(
      [&path] {
        if (!LimitFileSize(2048)) return 2;
        try {
          TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, 2.0);
        } catch (const std::runtime_error& error) {
          const std::string message = error.what();
          if (message.find("output file '" + path + "'") == std::string::npos) return 3;
          if (message.find("File too large") == std::string::npos) return 4;
          return 0;
        }
        return 5;
      },
      /*exit_normally=*/true);
  ASSERT_TRUE(WIFEXITED(status)) << "child status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(TemporariesOf(path).empty());
}

// No room for the first frame: the target keeps the file it had (the run was told to
// overwrite it), and no temporary stays behind.
TEST_F(TrajectoryWriterTest, NoRoomForTheFirstFrameLeavesTheOldFile) {
  constexpr std::int64_t kManyFirms = 20000;
  const RunMetadata meta = ManyFirmsMetadata(kManyFirms);
  const std::uintmax_t metadata_bytes = MetadataFileSize(meta, TestPath("metadata_only.h5"));
  const std::string path = TestPath("kept.h5");
  { std::ofstream(path) << "results of another run"; }
  const int status = RunInChild(
      [&] {
        // Room for the metadata (and its reserve), not for a frame of 20,000 firms.
        if (!LimitFileSize(metadata_bytes + 64 * std::uintmax_t{1024})) return 2;
        TrajectoryWriter writer(path, meta, /*overwrite=*/true, /*flush_seconds=*/0.0);
        try {
          writer.push(SampleFrame(0, kReplicates, kManyFirms));
          writer.finish();
        } catch (const std::runtime_error& error) {
          const std::string message = error.what();
          return message.find("File too large") == std::string::npos ? 3 : 0;
        }
        return 4;
      },
      /*exit_normally=*/true);
  ASSERT_TRUE(WIFEXITED(status)) << "child status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ReadFileBytes(path), "results of another run");
  EXPECT_TRUE(TemporariesOf(path).empty());
}

// No room part way through the run: the file keeps every step of its last flush, its extents
// agree with `steps_recorded`, and `status` says why it ends there.
TEST_F(TrajectoryWriterTest, NoRoomMidRunKeepsTheFlushedStepsAndSaysWhy) {
  const std::uintmax_t metadata_bytes =
      MetadataFileSize(SampleMetadata(), TestPath("metadata_only.h5"));
  const std::string path = TestPath("cut_short.h5");
  constexpr std::int64_t kPushed = 400;
  const int status = RunInChild(
      [&] {
        // Room for the metadata and the first frames (whose chunk indexes take ~100 KiB).
        if (!LimitFileSize(metadata_bytes + 256 * std::uintmax_t{1024})) return 2;
        TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false,
                                /*flush_seconds=*/0.0);
        try {
          for (std::int64_t t = 0; t < kPushed; ++t) writer.push(SampleFrame(t));
          writer.finish();
        } catch (const std::runtime_error&) {
          return 0;
        }
        return 3;  // 400 frames do not fit
      },
      /*exit_normally=*/true);
  ASSERT_TRUE(WIFEXITED(status)) << "child status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(TemporariesOf(path).empty());
  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0) << "the file is unreadable";
  const std::string file_status = ReadStringAttribute(file.get(), schema::kStatusAttr);
  EXPECT_EQ(file_status.rfind("failed: output file '" + path + "'", 0), 0u) << file_status;
  EXPECT_NE(file_status.find("File too large"), std::string::npos) << file_status;
  const std::int64_t recorded = ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr);
  EXPECT_GE(recorded, 1);
  EXPECT_LT(recorded, kPushed);
  const auto steps = static_cast<hsize_t>(recorded);
  EXPECT_EQ(Extent(file.get(), schema::kStep.name), std::vector<hsize_t>{steps});
  EXPECT_EQ(Extent(file.get(), schema::kDate.name), std::vector<hsize_t>{steps});
  EXPECT_EQ(Extent(file.get(), schema::kCustomers.name)[1], steps);
  EXPECT_EQ(Extent(file.get(), schema::kOwner.name)[1], steps);
  ExpectSampleFrames(file.get(), recorded);
}

// A run killed between flushes leaves a file HDF5 opens with exactly the steps of the last
// flush: here only the first frame, which is flushed at once, although many more frames
// (enough to split chunk-index nodes) were written after it.
TEST_F(TrajectoryWriterTest, KilledRunKeepsEveryStepUpToTheLastFlush) {
  const std::string path = TestPath("killed.h5");
  const int status = RunInChild([&path] {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false,
                            /*flush_seconds=*/1.0e6);
    for (std::int64_t t = 0; t < 1500; ++t) writer.push(SampleFrame(t));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::raise(SIGKILL);
    return 1;
  });
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0) << "a killed run left a file HDF5 cannot open";
  EXPECT_EQ(ReadStringAttribute(file.get(), schema::kStatusAttr), "running");
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), 1);
  EXPECT_EQ(Extent(file.get(), schema::kStep.name), std::vector<hsize_t>{1});
  ExpectSampleFrames(file.get(), 1);
}

// A run killed after the metadata cache filled up: the writer flushed (and reopened the file)
// on its own, with no flush interval due, so the file holds the steps of that flush: more
// than the first, fewer than were written.
TEST_F(TrajectoryWriterTest, KilledRunKeepsTheStepsOfACacheDrivenFlush) {
  const std::string path = TestPath("killed_after_reopen.h5");
  const int status = RunInChild([&path] {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false,
                            /*flush_seconds=*/1.0e6);
    for (std::int64_t t = 0; t < kStepsPastAReopen; ++t) writer.push(SampleFrame(t));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::raise(SIGKILL);
    return 1;
  });
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0) << "a killed run left a file HDF5 cannot open";
  EXPECT_EQ(ReadStringAttribute(file.get(), schema::kStatusAttr), "running");
  const std::int64_t recorded = ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr);
  EXPECT_GT(recorded, 1) << "no flush after the first: the metadata cache never filled";
  EXPECT_LT(recorded, kStepsPastAReopen);
  EXPECT_EQ(Extent(file.get(), schema::kStep.name),
            std::vector<hsize_t>{static_cast<hsize_t>(recorded)});
  ExpectSampleFrames(file.get(), recorded);
}

// A frame that arrives after a flush reaches the disk within `flush_seconds` even when no
// further frame follows (a slow step, a stalled GPU), not only with the next frame.
TEST_F(TrajectoryWriterTest, KilledRunKeepsAFrameOlderThanTheFlushInterval) {
  const std::string path = TestPath("killed_idle.h5");
  const int status = RunInChild([&path] {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, /*flush_seconds=*/0.2);
    writer.push(SampleFrame(0));  // flushed at once, as the first frame
    writer.push(SampleFrame(1));  // flushed 0.2 s after the first flush
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    ::raise(SIGKILL);
    return 1;
  });
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0);
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), 2);
  ExpectSampleFrames(file.get(), 2);
}

// Flushing after every frame: a run killed while its writer waits for the next step leaves
// every pushed step, and `steps_recorded` agrees with the extent of every step-indexed
// dataset. (A kill during a flush itself is the one window this writer cannot close.)
TEST_F(TrajectoryWriterTest, KilledRunFlushedEveryFrameIsConsistent) {
  const std::string path = TestPath("killed_flushing.h5");
  constexpr std::int64_t kPushed = 300;
  const int status = RunInChild([&path] {
    TrajectoryWriter writer(path, SampleMetadata(), /*overwrite=*/false, /*flush_seconds=*/0.0);
    for (std::int64_t t = 0; t < kPushed; ++t) writer.push(SampleFrame(t));
    // The last frames take milliseconds to write; this leaves ample time on a loaded machine.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ::raise(SIGKILL);
    return 1;
  });
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  Id file(OpenReadOnly(path), H5Fclose);
  ASSERT_GE(file.get(), 0) << "a killed run left a file HDF5 cannot open";
  EXPECT_EQ(ReadStringAttribute(file.get(), schema::kStatusAttr), "running");
  EXPECT_EQ(ReadInt64Attribute(file.get(), schema::kStepsRecordedAttr), kPushed);
  const auto steps = static_cast<hsize_t>(kPushed);
  EXPECT_EQ(Extent(file.get(), schema::kStep.name), std::vector<hsize_t>{steps});
  EXPECT_EQ(Extent(file.get(), schema::kDate.name), std::vector<hsize_t>{steps});
  EXPECT_EQ(Extent(file.get(), schema::kHhi.name)[1], steps);
  EXPECT_EQ(Extent(file.get(), schema::kAdopters.name)[1], steps);
  EXPECT_EQ(Extent(file.get(), schema::kMarketShare.name)[1], steps);
  EXPECT_EQ(Extent(file.get(), schema::kCustomers.name)[1], steps);
  ExpectSampleFrames(file.get(), kPushed);
}

// An HDF5 failure in the writer thread (here: the file may not grow) reaches the owner through
// the next push(), once, as an error naming the file; later pushes fail too, and finish()
// does not throw the same error again.
TEST_F(TrajectoryWriterTest, WriterThreadErrorReachesTheOwnerOnce) {
  const std::string path = TestPath("file_too_large.h5");
  // Big frames, so the first one outgrows the limit.
  constexpr std::int64_t kManyFirms = 20000;
  const RunMetadata meta = ManyFirmsMetadata(kManyFirms);
  const std::uintmax_t metadata_bytes = MetadataFileSize(meta, TestPath("metadata_only.h5"));
  const int status = RunInChild([&] {
    if (!LimitFileSize(metadata_bytes + 64 * std::uintmax_t{1024})) return 2;
    TrajectoryWriter writer(path, meta, /*overwrite=*/false, /*flush_seconds=*/0.0);
    int errors_naming_the_file = 0;
    int other_errors = 0;
    for (std::int64_t t = 0; t < 20; ++t) {
      try {
        writer.push(SampleFrame(t, kReplicates, kManyFirms));
      } catch (const std::runtime_error& error) {
        const std::string message = error.what();
        if (message.find("output file '" + path + "'") == std::string::npos) return 3;
        if (message.find("after the earlier error") == std::string::npos) {
          ++errors_naming_the_file;
        } else {
          ++other_errors;
        }
      }
    }
    if (errors_naming_the_file != 1 || other_errors == 0) return 4;
    try {
      writer.finish("failed: file too large");
    } catch (...) {
      return 5;  // the error was delivered already
    }
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << "child status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace aimarket
