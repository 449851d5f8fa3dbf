// HDF5 trajectory writer: the file layout is in docs/OUTPUT.md, the names in output_schema.hpp.
//
// Where the file is written. The file is created under a hidden temporary name in the
// target's folder (output_path.hpp) and renamed over the target once its first frame has been
// flushed, so that the target name only ever holds a file HDF5 opens: a run refused, failing
// or killed before that leaves the target as it was (with --overwrite, the old file) and at
// most a stray temporary. From the rename on, the writer works on the file in place.
//
// Crash safety without SWMR. A file is only as good as its last flush, so the aim is that
// nothing written between two flushes can spoil the state the last flush left on disk:
//  * Metadata (object headers with the dataset extents, chunk B-trees, the global heap, the
//    superblock) is written only by H5Fflush: the metadata cache is configured with
//    evictions disabled, so it never writes a dirty entry behind our back. (Were a split
//    B-tree node evicted without its parent, a killed run would lose recorded steps.)
//  * Raw data written between flushes goes where the last flush's state does not look: each
//    compressed chunk of a data variable holds one step and is written exactly once, to new
//    space, and the `step`/`date` chunks are uncompressed, so a new entry is written in place
//    past the entries the flush counted. No chunk is ever freed, so no freed space is reused.
//  * `steps_recorded` (the number of frames whose every dataset was extended and written)
//    is set after the flush that writes those frames, and reaches the disk in a second flush
//    of its own, so after a flush it equals the extent of `step`, and a kill during the
//    first flush leaves it at the count of the flush before.
// A SIGKILL during H5Fflush itself can still damage the file: the cache writes its dirty
// entries in address order, so an old chunk-index node may reach the disk pointing at a new
// one that does not (a node that splits hands its newest entries to a new node; a root that
// splits moves to a new address). Only SWMR orders those writes, and it needs the latest file
// format. The window is kept short: with no chunk cache, a flush writes metadata only (a few
// ms), and the space it writes is allocated beforehand (see "Disk space"), so the file's
// size always covers what its superblock says and it opens.
//
// Disk space. A flush that runs out of space part way would leave the same kind of damage, so
// before each flush the writer allocates the disk blocks of everything the flush can write
// (every hole below HDF5's end of allocation, and up to it): a full disk then fails that
// allocation, before anything is written, instead of the flush. The file on disk still holds
// the last flush; the writer closes it without writing more (hdf5::detach_from_disk), cuts
// it back to the size of that flush, opens it again and records the failure in `status`. A
// small reserve of disk blocks kept past the end of the file after each flush leaves room for
// that. A failure before the rename removes the temporary instead.
//
// Threads: the constructor creates the file on the caller's thread before the writer thread
// starts; from then on only the writer thread calls HDF5 for this file, including the final
// flush and close, so no HDF5 handle is shared between threads.
#include "output/trajectory_writer.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <exception>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/hdf5_support.hpp"
#include "common/months.hpp"
#include "common/timestamp.hpp"
#include "model/dimensions.hpp"
#include "output/output_path.hpp"
#include "output/output_schema.hpp"

namespace aimarket {
namespace {

namespace schema = output_schema;

// Frames that may wait for the writer thread; push() blocks beyond this (double buffering).
constexpr std::size_t kMaxQueuedFrames = 2;

// With evictions disabled the metadata cache keeps every chunk-index node it ever touched:
// about 100 bytes per chunk as the cache counts them, five times that in memory. Above this
// many counted bytes the writer flushes (whatever the interval) and then closes and reopens
// the file, which empties the cache without writing anything the flush had not.
constexpr std::size_t kMaxCachedMetadataBytes = std::size_t{4} << 20;

// Longest flush interval honoured; longer ones (or infinity) mean "only after the first frame
// and at finish", and keep the steady_clock arithmetic from overflowing.
constexpr double kMaxFlushSeconds = 1.0e9;

// Disk blocks kept allocated past the end of the file after each flush (see "Disk space"
// above): recording a failure in `status` needs a new global heap collection (4 KiB) and the
// holes of the last flush; this leaves ample room.
constexpr off_t kReserveBytes = off_t{16} * 1024;

// HDF5 handles and error text: the helpers shared with the analysis code (hdf5_support.hpp).
using H5Handle = hdf5::Handle;

std::string SystemErrorText(int error) { return std::generic_category().message(error); }

// Reports failures as std::runtime_error naming the file and the operation.
class Hdf5Errors {
 public:
  explicit Hdf5Errors(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("output file '" + path_ + "': " + what + " failed" +
                             hdf5::failure_cause());
  }
  [[noreturn]] void fail_with(const std::string& what, int error) const {
    throw std::runtime_error("output file '" + path_ + "': " + what + " failed (" +
                             SystemErrorText(error) + ")");
  }
  hid_t check_id(hid_t id, const std::string& what) const {
    if (id < 0) fail(what);
    return id;
  }
  void check_status(herr_t status, const std::string& what) const {
    if (status < 0) fail(what);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Allocates the disk blocks of every byte of the file below `end` that has none (holes, and
// the stretch past the end of the file, which grows to `end`), so that writing below `end`
// needs no more disk space. Returns 0 or the errno value of the failure; EOPNOTSUPP where the
// file system cannot allocate ahead.
int AllocateBelow(int fd, off_t end) {
  off_t offset = 0;
  while (offset < end) {
    off_t hole = ::lseek(fd, offset, SEEK_HOLE);
    // ENXIO: `offset` is at or past the end of the file, all hole from here. Without
    // SEEK_HOLE support, the rest is allocated as if it were a hole (cheap where it is not).
    if (hole < 0) hole = offset;
    if (hole >= end) break;
    const off_t data = ::lseek(fd, hole, SEEK_DATA);
    const off_t stop = data <= hole || data > end ? end : data;
    int result = 0;
    do {
      result = ::fallocate(fd, 0, hole, stop - hole);
    } while (result != 0 && errno == EINTR);
    if (result != 0) return errno;
    offset = stop;
  }
  return 0;
}

// --- The data variables -------------------------------------------------------------------

// A dimension of a data variable after its leading (replicate, step). `firm`, where present,
// is the last.
enum class Axis { kSegment, kLayer, kRegion, kFirm };
using Axes = std::initializer_list<Axis>;
// Rank of the data variable with the most dimensions: (replicate, step, layer, firm).
constexpr std::size_t kMaxDataRank = 4;

// Calls visit(spec, axes, values) for every data variable, in the order the file defines
// them, with the RecordFrame field of the same name (`values`, [replicate][axes...]). The one
// list of the data variables: the writer creates, validates and appends through it.
template <typename Frame, typename Visit>
void ForEachDataField(Frame& frame, Visit&& visit) {
  using A = Axis;
  visit(schema::kCustomers, Axes{A::kSegment, A::kFirm}, frame.customers);
  visit(schema::kAdopters, Axes{A::kSegment}, frame.adopters);
  visit(schema::kMarketShare, Axes{A::kLayer, A::kFirm}, frame.market_share);
  visit(schema::kRevenueShare, Axes{A::kLayer, A::kFirm}, frame.revenue_share);
  visit(schema::kHhi, Axes{A::kLayer}, frame.hhi);
  visit(schema::kLayerUnits, Axes{A::kLayer}, frame.layer_units);
  visit(schema::kLayerRevenue, Axes{A::kLayer}, frame.layer_revenue);
  visit(schema::kRegionShare, Axes{A::kLayer, A::kRegion}, frame.region_share);
  visit(schema::kPrice, Axes{A::kLayer, A::kFirm}, frame.price);
  visit(schema::kRegionCustomers, Axes{A::kRegion, A::kFirm}, frame.region_customers);
  visit(schema::kServiceQuality, Axes{A::kFirm}, frame.service_quality);
  visit(schema::kCapability, Axes{A::kFirm}, frame.capability);
  visit(schema::kDataStock, Axes{A::kFirm}, frame.data_stock);
  visit(schema::kDomainData, Axes{A::kSegment, A::kFirm}, frame.domain_data);
  visit(schema::kDataPrice, Axes{A::kFirm}, frame.data_price);
  visit(schema::kDataRevenue, Axes{A::kFirm}, frame.data_revenue);
  visit(schema::kCompute, Axes{A::kFirm}, frame.compute);
  visit(schema::kCash, Axes{A::kFirm}, frame.cash);
  visit(schema::kFunding, Axes{A::kFirm}, frame.funding);
  visit(schema::kAlive, Axes{A::kFirm}, frame.alive);
  visit(schema::kOwner, Axes{A::kFirm}, frame.owner);
}

// Size of an axis for a run with `firms` firm slots.
std::size_t AxisSize(Axis axis, std::size_t firms) {
  switch (axis) {
    case Axis::kSegment:
      return kSegments;
    case Axis::kLayer:
      return kLayers;
    case Axis::kRegion:
      return kRegions;
    case Axis::kFirm:
      return firms;
  }
  return 0;
}

// Plural name of an axis, for error messages ("replicates x layers x firms").
const char* AxisNoun(Axis axis) {
  switch (axis) {
    case Axis::kSegment:
      return "segments";
    case Axis::kLayer:
      return "layers";
    case Axis::kRegion:
      return "regions";
    case Axis::kFirm:
      return "firms";
  }
  return "?";
}

bool HasAxis(Axes axes, Axis axis) {
  return std::find(axes.begin(), axes.end(), axis) != axes.end();
}

// HDF5 types of a RecordFrame element type: in the file (little-endian, as netCDF-4 writes)
// and in memory.
template <typename T>
struct ElementType;
template <>
struct ElementType<std::int32_t> {
  static hid_t file() { return H5T_STD_I32LE; }
  static hid_t memory() { return H5T_NATIVE_INT32; }
};
template <>
struct ElementType<std::uint8_t> {
  static hid_t file() { return H5T_STD_U8LE; }
  static hid_t memory() { return H5T_NATIVE_UINT8; }
};
template <>
struct ElementType<double> {
  static hid_t file() { return H5T_IEEE_F64LE; }
  static hid_t memory() { return H5T_NATIVE_DOUBLE; }
};

// Value of a data variable's `coordinates` attribute: the auxiliary coordinates along its
// dimensions (see output_schema.hpp).
std::string CoordinatesOf(Axes axes) {
  std::string coordinates = schema::kStepCoordinates;
  if (HasAxis(axes, Axis::kLayer)) coordinates += std::string(" ") + schema::kLayerCoordinates;
  if (HasAxis(axes, Axis::kFirm)) coordinates += std::string(" ") + schema::kFirmCoordinates;
  return coordinates;
}

// Everything the HDF5 side of the writer does. Not thread-safe: one thread at a time.
class TrajectoryFile {
 public:
  // Creates the file under `pending`'s temporary name, writes the root attributes,
  // coordinates and firm table, defines the data variables with no steps, and flushes. On
  // failure nothing stays open and the temporary is removed; the target is not touched.
  TrajectoryFile(PendingOutputFile& pending, const RunMetadata& meta,
                 std::int64_t start_month_index)
      : errors_(pending.path()),
        path_(pending.temporary_path()),
        replicates_(static_cast<hsize_t>(meta.replicates)),
        firms_(static_cast<hsize_t>(meta.firm_name.size())),
        start_month_index_(start_month_index) {
    try {
      create(meta, pending);
    } catch (...) {
      close_without_writing();
      pending.discard();
      throw;
    }
  }

  std::int64_t steps_written() const { return steps_written_; }

  // The file was renamed to `path` (it stays open).
  void moved_to(const std::string& path) { path_ = path; }

  // Extends every step-indexed dataset by one and writes the frame into the new slot. A
  // failure leaves the file fit only for close_without_writing(): what its last flush wrote
  // is what it keeps.
  void append(const RecordFrame& frame) {
    const hsize_t slot = static_cast<hsize_t>(steps_written_);
    std::size_t index = 0;
    ForEachDataField(frame, [&](const schema::VariableSpec& spec, Axes axes, const auto& values) {
      using Element = typename std::decay_t<decltype(values)>::value_type;
      // (replicate, step, axes...): every replicate, the new step, each axis whole.
      std::array<hsize_t, kMaxDataRank> extent{replicates_, slot + 1};
      std::array<hsize_t, kMaxDataRank> start{0, slot};
      std::array<hsize_t, kMaxDataRank> count{replicates_, 1};
      std::size_t rank = 2;
      for (const Axis axis : axes) {
        extent[rank] = count[rank] = AxisSize(axis, firms_);
        start[rank] = 0;
        ++rank;
      }
      write_slab(data_.at(index).dataset, spec.name, extent.data(), start.data(), count.data(),
                 static_cast<int>(rank), ElementType<Element>::memory(), values.data());
      ++index;
    });
    {
      const hsize_t extent = slot + 1;
      const hsize_t count = 1;
      write_slab(step_, schema::kStep.name, &extent, &slot, &count, 1, H5T_NATIVE_INT64,
                 &frame.step);
      const std::string date = format_month(start_month_index_ + frame.step);
      const char* date_text = date.c_str();
      H5Handle string_type = utf8_string_type();
      write_slab(date_, schema::kDate.name, &extent, &slot, &count, 1, string_type.get(),
                 &date_text);
    }
    if (!frame.utility_offset.empty()) write_utility_offset(frame.utility_offset);
    ++steps_written_;
  }

  // Writes everything to disk, then, in a second flush that writes little more than the root
  // attributes, how many steps the file holds (and `status`, if given): a kill during the
  // first leaves `steps_recorded` at the count of the flush before, all of whose steps were
  // written then.
  void flush(const std::string* status = nullptr) {
    flush_metadata(/*reserve=*/true);
    write_steps_recorded();
    if (status != nullptr) set_status(*status);
    flush_metadata(/*reserve=*/true);
    if (metadata_cache_is_full()) reopen();
  }

  // Closes the file without writing anything more to it (after a failure): on disk it stays
  // as its last flush left it. Never throws.
  void close_without_writing() noexcept {
    if (file_.valid()) hdf5::detach_from_disk(file_.get());
    close_all();
    H5Eclear2(H5E_DEFAULT);
  }

  // After close_without_writing(), on a file renamed to its target: cuts the file back to its
  // last flush (what was written since is referenced by nothing), opens it again and sets
  // `status`. Best effort: where even that fails, the file stays as its last flush left it.
  void record_status_after_failure(const std::string& status) noexcept {
    if (flushed_size_ <= 0) return;
    try {
      // Frees the space written since the flush, for the few KiB the status needs.
      if (!flush_failed_ && ::truncate(path_.c_str(), flushed_size_) != 0) {
        errors_.fail_with("cutting the file back to its last flush", errno);
      }
      H5Handle fapl = file_access_properties();
      file_ = H5Handle(errors_.check_id(H5Fopen(path_.c_str(), H5F_ACC_RDWR, fapl.get()),
                                        "reopening the file to record the failure"),
                       H5Fclose);
      set_status(status);
      flush_metadata(/*reserve=*/false);  // this flush is the last
      close();
    } catch (...) {
      close_without_writing();
    }
  }

  // After the last close: cuts the file to HDF5's end of allocation, as recorded in the file
  // (closing releases spare space that the flushes had already allocated on disk), and frees
  // the disk blocks reserved past it. Best effort: a longer file reads the same.
  void settle_on_disk() noexcept {
    haddr_t end = 0;
    {
      const H5Handle file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
      if (!file.valid() || H5Fget_eoa(file.get(), &end) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return;
      }
    }
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat status {};
    if (::fstat(fd, &status) == 0 && status.st_size >= static_cast<off_t>(end)) {
      const off_t size = static_cast<off_t>(end);
      [[maybe_unused]] const int truncated = ::ftruncate(fd, size);
      // Truncation frees the reserved blocks on some file systems, hole punching on others.
      if (reserved_end_ > size) {
        ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, size, reserved_end_ - size);
      }
    }
    ::close(fd);
  }

  // True when the metadata cache holds more than kMaxCachedMetadataBytes.
  bool metadata_cache_is_full() const {
    std::size_t max_size = 0;
    std::size_t min_clean_size = 0;
    std::size_t current_size = 0;
    int entries = 0;
    errors_.check_status(
        H5Fget_mdc_size(file_.get(), &max_size, &min_clean_size, &current_size, &entries),
        "reading the metadata cache size");
    return current_size > kMaxCachedMetadataBytes;
  }

  // Sets the root attribute `status`; it reaches the disk with the next flush.
  void set_status(const std::string& status) {
    H5Handle attribute(
        errors_.check_id(H5Aopen(file_.get(), schema::kStatusAttr, H5P_DEFAULT),
                         std::string("opening attribute '") + schema::kStatusAttr + "'"),
        H5Aclose);
    H5Handle string_type = utf8_string_type();
    const char* text = status.c_str();
    errors_.check_status(H5Awrite(attribute.get(), string_type.get(), &text),
                         std::string("writing attribute '") + schema::kStatusAttr + "'");
  }

  // Closes every dataset and the file; reports the first failure.
  void close() {
    if (close_all() < 0) errors_.fail("closing the file");
  }

 private:
  void create(const RunMetadata& meta, PendingOutputFile& pending) {
    // Creation order tracked, as netCDF-C does: readers list variables and attributes in the
    // order written here rather than alphabetically. It also gives the root group a version
    // 2 object header, whose dense attribute storage takes a config text over 64 KiB.
    H5Handle fcpl(errors_.check_id(H5Pcreate(H5P_FILE_CREATE), "creating properties"), H5Pclose);
    constexpr unsigned kTrackOrder = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    errors_.check_status(H5Pset_link_creation_order(fcpl.get(), kTrackOrder),
                         "setting link creation order");
    errors_.check_status(H5Pset_attr_creation_order(fcpl.get(), kTrackOrder),
                         "setting attribute creation order");
    H5Handle fapl = file_access_properties();
    // The temporary is created empty first, exclusively, so that it is known to be ours to
    // remove even if HDF5 fails part way through creating the file in it.
    ::close(pending.create_temporary());
    file_ =
        H5Handle(errors_.check_id(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()),
                                  "creating the file '" + path_ + "'"),
                 H5Fclose);

    write_root_attributes(meta);
    const LabelScales scales = create_coordinates(meta);
    create_data_variables(meta, scales);
    create_utility_offset(scales);
    if (!meta.parameter_name.empty()) create_parameter_values(meta, scales);
    flush();
  }

  // H5Fflush, after allocating the disk space it can write (see "Disk space" above) and, with
  // `reserve`, the reserve past it.
  void flush_metadata(bool reserve) {
    allocate_ahead(reserve);
    // A flush that fails part way (an I/O error: space was allocated) may have written some
    // of its metadata: the file is then left as it is, not cut back to the last flush.
    flush_failed_ = true;
    errors_.check_status(H5Fflush(file_.get(), H5F_SCOPE_LOCAL), "flushing the file");
    flush_failed_ = false;
    // The flush truncated or extended the file to the end of allocation.
    flushed_size_ = end_of_allocation();
  }

  // HDF5's end of allocation: the file's size once flushed.
  off_t end_of_allocation() const {
    haddr_t end = 0;
    errors_.check_status(H5Fget_eoa(file_.get(), &end), "reading the file's allocated size");
    return static_cast<off_t>(end);
  }

  // Allocates the disk blocks of every hole below the end of allocation and up to it, and
  // with `reserve` kReserveBytes past it, kept past the end of the file. Throws, having
  // written nothing, when the disk is full.
  void allocate_ahead(bool reserve) {
    const int fd = hdf5::file_descriptor(file_.get());
    if (fd < 0 || !allocate_ahead_) return;
    const off_t end = end_of_allocation();
    int error = AllocateBelow(fd, end);
    if (error == 0 && reserve) {
      while (::fallocate(fd, FALLOC_FL_KEEP_SIZE, end, kReserveBytes) != 0) {
        if (errno != EINTR) {
          error = errno;
          break;
        }
      }
    }
    if (error == EOPNOTSUPP) {
      allocate_ahead_ = false;  // this file system cannot: flushes go unguarded
    } else if (error != 0) {
      errors_.fail_with("allocating disk space for the next flush", error);
    } else if (reserve) {
      reserved_end_ = std::max(reserved_end_, end + kReserveBytes);
    }
  }

  H5Handle file_access_properties() const {
    H5Handle fapl(errors_.check_id(H5Pcreate(H5P_FILE_ACCESS), "creating properties"), H5Pclose);
    H5AC_cache_config_t cache{};
    cache.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    errors_.check_status(H5Pget_mdc_config(fapl.get(), &cache), "reading the cache config");
    // Evictions may only be disabled with every adaptive resize mode off.
    cache.evictions_enabled = false;
    cache.incr_mode = H5C_incr__off;
    cache.flash_incr_mode = H5C_flash_incr__off;
    cache.decr_mode = H5C_decr__off;
    errors_.check_status(H5Pset_mdc_config(fapl.get(), &cache), "configuring the metadata cache");
    // No raw-data chunk cache: every chunk is written whole and once, so caching gains nothing,
    // and chunks left for H5Fflush to compress and write would lengthen the flush, the one
    // moment a kill can damage the file.
    int unused_metadata_elements = 0;
    std::size_t chunk_slots = 0;
    std::size_t chunk_bytes = 0;
    double preemption = 0.0;
    errors_.check_status(H5Pget_cache(fapl.get(), &unused_metadata_elements, &chunk_slots,
                                      &chunk_bytes, &preemption),
                         "reading the chunk cache config");
    errors_.check_status(H5Pset_cache(fapl.get(), 0, chunk_slots, 0, preemption),
                         "configuring the chunk cache");
    return fapl;
  }

  // Empties the metadata cache (see kMaxCachedMetadataBytes). Only right after a flush, when
  // every cache entry is clean, so closing writes nothing new.
  void reopen() {
    close();
    H5Handle fapl = file_access_properties();
    file_ = H5Handle(
        errors_.check_id(H5Fopen(path_.c_str(), H5F_ACC_RDWR, fapl.get()), "reopening the file"),
        H5Fclose);
    for (const auto& [dataset, spec] : step_indexed()) {
      *dataset = H5Handle(errors_.check_id(H5Dopen2(file_.get(), spec->name, H5P_DEFAULT),
                                           std::string("reopening dataset '") + spec->name + "'"),
                          H5Dclose);
    }
    // Closing released HDF5's spare space and, with it, the reserve: the file may be shorter.
    flushed_size_ = end_of_allocation();
    allocate_ahead(true);
  }

  // The datasets that grow along `step`, which stay open while the run writes: the data
  // variables (those created so far), `step` and `date`.
  std::vector<std::pair<H5Handle*, const schema::VariableSpec*>> step_indexed() {
    std::vector<std::pair<H5Handle*, const schema::VariableSpec*>> datasets;
    for (DataVariable& variable : data_) datasets.emplace_back(&variable.dataset, variable.spec);
    datasets.emplace_back(&step_, &schema::kStep);
    datasets.emplace_back(&date_, &schema::kDate);
    return datasets;
  }

  static H5Handle utf8_string_type() { return hdf5::utf8_string_type(); }

  H5Handle scalar_space() const {
    return H5Handle(errors_.check_id(H5Screate(H5S_SCALAR), "creating a dataspace"), H5Sclose);
  }

  // A scalar attribute of a fixed-size type.
  void write_attribute(hid_t location, const char* name, hid_t file_type, hid_t memory_type,
                       const void* value) const {
    const std::string what = std::string("writing attribute '") + name + "'";
    H5Handle space = scalar_space();
    H5Handle attribute(
        errors_.check_id(
            H5Acreate2(location, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), what),
        H5Aclose);
    errors_.check_status(H5Awrite(attribute.get(), memory_type, value), what);
  }
  // A scalar variable-length UTF-8 string attribute: h5py reads it as str, netCDF as string.
  void write_attribute(hid_t location, const char* name, const std::string& value) const {
    H5Handle string_type = utf8_string_type();
    const char* text = value.c_str();
    write_attribute(location, name, string_type.get(), string_type.get(), &text);
  }
  void write_attribute(hid_t location, const char* name, std::int64_t value) const {
    write_attribute(location, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
  }
  void write_attribute(hid_t location, const char* name, std::uint64_t value) const {
    write_attribute(location, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
  }
  void write_attribute(hid_t location, const char* name, double value) const {
    write_attribute(location, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
  }

  void write_root_attributes(const RunMetadata& meta) const {
    const hid_t root = file_.get();
    write_attribute(root, schema::kTitleAttr, std::string(schema::kTitle));
    write_attribute(root, schema::kStatusAttr, std::string(schema::kStatusRunning));
    write_attribute(root, schema::kStepsRecordedAttr, std::int64_t{0});
    write_attribute(root, schema::kConfigPathAttr, meta.config_path);
    write_attribute(root, schema::kConfigAttr, meta.resolved_config);
    write_attribute(root, schema::kSeedAttr, meta.seed);
    write_attribute(root, schema::kProgramVersionAttr, meta.program_version);
    write_attribute(root, schema::kGitRevisionAttr, meta.git_revision);
    write_attribute(root, schema::kBackendAttr, meta.backend);
    write_attribute(root, schema::kStartMonthAttr, meta.start_month);
    write_attribute(root, schema::kStepsRequestedAttr, meta.steps);
    write_attribute(root, schema::kRecordEveryAttr, meta.record_every);
    write_attribute(root, schema::kReplicatesAttr, meta.replicates);
    write_attribute(root, schema::kCustomersPerReplicateAttr, meta.customers_per_replicate);
    write_attribute(root, schema::kCustomerWeightAttr, meta.customer_weight);
    write_attribute(root, schema::kCreatedAttr, utc_now_iso8601());
  }

  void write_steps_recorded() {
    const std::string what = std::string("writing attribute '") + schema::kStepsRecordedAttr + "'";
    H5Handle attribute(
        errors_.check_id(H5Aopen(file_.get(), schema::kStepsRecordedAttr, H5P_DEFAULT), what),
        H5Aclose);
    errors_.check_status(H5Awrite(attribute.get(), H5T_NATIVE_INT64, &steps_written_), what);
  }

  // Creates a variable with its `units` and `long_name`. `chunk` is null for contiguous
  // storage; `compress` adds shuffle + deflate.
  H5Handle create_variable(const schema::VariableSpec& spec, hid_t file_type, int rank,
                           const hsize_t* dims, const hsize_t* max_dims, const hsize_t* chunk,
                           bool compress, const double* fill = nullptr) const {
    const std::string what = std::string("creating dataset '") + spec.name + "'";
    H5Handle space(errors_.check_id(H5Screate_simple(rank, dims, max_dims), what), H5Sclose);
    H5Handle dcpl(errors_.check_id(H5Pcreate(H5P_DATASET_CREATE), what), H5Pclose);
    errors_.check_status(
        H5Pset_attr_creation_order(dcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        what);
    if (fill != nullptr) {
      errors_.check_status(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, fill), what);
    }
    if (chunk != nullptr) {
      errors_.check_status(H5Pset_chunk(dcpl.get(), rank, chunk), what);
      if (compress) {
        errors_.check_status(H5Pset_shuffle(dcpl.get()), what);
        errors_.check_status(H5Pset_deflate(dcpl.get(), schema::kDeflateLevel), what);
      }
    }
    H5Handle dataset(errors_.check_id(H5Dcreate2(file_.get(), spec.name, file_type, space.get(),
                                                 H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                                      what),
                     H5Dclose);
    if (spec.units[0] != '\0') {
      write_attribute(dataset.get(), schema::kUnitsAttr, std::string(spec.units));
    }
    write_attribute(dataset.get(), schema::kLongNameAttr, std::string(spec.long_name));
    return dataset;
  }

  // A fixed-size 1-D variable filled with the given values at once.
  H5Handle create_filled_variable(const schema::VariableSpec& spec,
                                  const std::vector<std::int64_t>& values) const {
    const hsize_t size = values.size();
    H5Handle dataset = create_variable(spec, H5T_STD_I64LE, 1, &size, nullptr, nullptr, false);
    errors_.check_status(
        H5Dwrite(dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
        std::string("writing dataset '") + spec.name + "'");
    return dataset;
  }
  H5Handle create_filled_variable(const schema::VariableSpec& spec,
                                  const std::vector<std::string>& values) const {
    const hsize_t size = values.size();
    H5Handle string_type = utf8_string_type();
    H5Handle dataset = create_variable(spec, string_type.get(), 1, &size, nullptr, nullptr, false);
    std::vector<const char*> texts;
    texts.reserve(values.size());
    for (const std::string& value : values) texts.push_back(value.c_str());
    errors_.check_status(
        H5Dwrite(dataset.get(), string_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()),
        std::string("writing dataset '") + spec.name + "'");
    return dataset;
  }

  // Makes a coordinate variable the dimension scale of the dimension it names.
  void make_dimension_scale(const H5Handle& dataset, const schema::VariableSpec& spec,
                            schema::DimensionId dim_id) const {
    const std::string what = std::string("making '") + spec.name + "' a dimension scale";
    errors_.check_status(H5DSset_scale(dataset.get(), spec.name), what);
    const std::int32_t id = dim_id;
    write_attribute(dataset.get(), schema::kNetcdfDimIdAttr, H5T_STD_I32LE, H5T_NATIVE_INT32, &id);
  }

  void attach_scales(const H5Handle& dataset, const char* name,
                     const std::vector<const H5Handle*>& scales) const {
    unsigned axis = 0;
    for (const H5Handle* scale : scales) {
      errors_.check_status(H5DSattach_scale(dataset.get(), scale->get(), axis),
                           std::string("attaching dimension scales to '") + name + "'");
      ++axis;
    }
  }

  // The fixed-size dimension scales, open while the data variables are attached to them.
  struct LabelScales {
    H5Handle replicate, firm, segment, region, layer;
  };

  LabelScales create_coordinates(const RunMetadata& meta) {
    LabelScales scales;
    std::vector<std::int64_t> indices(replicates_);
    for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<std::int64_t>(i);
    scales.replicate = create_filled_variable(schema::kReplicate, indices);
    make_dimension_scale(scales.replicate, schema::kReplicate, schema::kReplicateDimId);

    const hsize_t no_steps = 0;
    const hsize_t unlimited = H5S_UNLIMITED;
    const hsize_t step_chunk = schema::kStepCoordinateChunk;
    step_ =
        create_variable(schema::kStep, H5T_STD_I64LE, 1, &no_steps, &unlimited, &step_chunk, false);
    make_dimension_scale(step_, schema::kStep, schema::kStepDimId);
    {
      H5Handle string_type = utf8_string_type();
      date_ = create_variable(schema::kDate, string_type.get(), 1, &no_steps, &unlimited,
                              &step_chunk, false);
    }
    attach_scales(date_, schema::kDate.name, {&step_});

    indices.resize(firms_);
    for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<std::int64_t>(i);
    scales.firm = create_filled_variable(schema::kFirm, indices);
    make_dimension_scale(scales.firm, schema::kFirm, schema::kFirmDimId);
    for (const auto& [spec, values] : {std::pair{&schema::kFirmName, &meta.firm_name},
                                       std::pair{&schema::kFirmArchetype, &meta.firm_archetype},
                                       std::pair{&schema::kFirmRegion, &meta.firm_region}}) {
      H5Handle firm_table = create_filled_variable(*spec, *values);
      attach_scales(firm_table, spec->name, {&scales.firm});
    }

    // Label dimensions: the coordinate values are the names, so xarray users can write
    // ds.sel(segment="consumer").
    scales.segment = create_filled_variable(
        schema::kSegment, std::vector<std::string>(kSegmentNames, kSegmentNames + kSegments));
    make_dimension_scale(scales.segment, schema::kSegment, schema::kSegmentDimId);
    scales.region = create_filled_variable(
        schema::kRegion, std::vector<std::string>(kRegionNames, kRegionNames + kRegions));
    make_dimension_scale(scales.region, schema::kRegion, schema::kRegionDimId);
    scales.layer = create_filled_variable(
        schema::kLayer, std::vector<std::string>(kLayerNames, kLayerNames + kLayers));
    make_dimension_scale(scales.layer, schema::kLayer, schema::kLayerDimId);
    {
      H5Handle layer_unit = create_filled_variable(
          schema::kLayerUnit,
          std::vector<std::string>(schema::kLayerUnitNames, schema::kLayerUnitNames + kLayers));
      attach_scales(layer_unit, schema::kLayerUnit.name, {&scales.layer});
    }
    return scales;
  }

  // Firms per chunk so a chunk of (1 replicate, 1 step, inner..., firms) stays within
  // kMaxChunkBytes.
  hsize_t firm_chunk(std::size_t bytes_per_firm) const {
    const hsize_t fit = std::max<hsize_t>(1, schema::kMaxChunkBytes / bytes_per_firm);
    return std::min(firms_, fit);
  }

  // Replicates per chunk: as many as fit in kTargetChunkBytes, so that small markets do not
  // pay HDF5's per-chunk cost once per replicate and step. Every frame carries all replicates,
  // so a chunk is still written whole and once.
  hsize_t replicate_chunk(std::size_t bytes_per_replicate) const {
    const hsize_t fit = std::max<hsize_t>(1, schema::kTargetChunkBytes / bytes_per_replicate);
    return std::min(replicates_, fit);
  }

  // Defines every data variable with no steps: (replicate, step, axes...), chunked one step
  // a chunk, the firm dimension split at kMaxChunkBytes, and as many replicates a chunk as
  // fit in kTargetChunkBytes.
  void create_data_variables(const RunMetadata& meta, const LabelScales& scales) {
    const RecordFrame no_frame;
    ForEachDataField(
        no_frame, [&](const schema::VariableSpec& spec, Axes axes, const auto& values) {
          using Element = typename std::decay_t<decltype(values)>::value_type;
          std::vector<hsize_t> dims{replicates_, 0};
          std::vector<hsize_t> max_dims{replicates_, H5S_UNLIMITED};
          std::vector<hsize_t> chunk{0, 1};
          std::vector<const H5Handle*> dimension_scales{&scales.replicate, &step_};
          // Bytes of one replicate's row of a chunk, without the firm dimension.
          std::size_t row_bytes = sizeof(Element);
          for (const Axis axis : axes) {
            const hsize_t size = AxisSize(axis, firms_);
            dims.push_back(size);
            max_dims.push_back(size);
            switch (axis) {
              case Axis::kSegment:
                dimension_scales.push_back(&scales.segment);
                break;
              case Axis::kLayer:
                dimension_scales.push_back(&scales.layer);
                break;
              case Axis::kRegion:
                dimension_scales.push_back(&scales.region);
                break;
              case Axis::kFirm:
                dimension_scales.push_back(&scales.firm);
                break;
            }
            if (axis == Axis::kFirm) {
              chunk.push_back(firm_chunk(row_bytes));  // the firm dimension is the last
            } else {
              chunk.push_back(size);
            }
            row_bytes *= static_cast<std::size_t>(chunk.back());
          }
          chunk[0] = replicate_chunk(row_bytes);
          if (dims.size() > kMaxDataRank) {  // append() sizes its selections by kMaxDataRank
            throw std::logic_error(std::string("data variable '") + spec.name +
                                   "' has more dimensions than kMaxDataRank");
          }
          const int rank = static_cast<int>(dims.size());
          H5Handle dataset = create_variable(spec, ElementType<Element>::file(), rank, dims.data(),
                                             max_dims.data(), chunk.data(), true);
          attach_scales(dataset, spec.name, dimension_scales);
          if (&spec == &schema::kCustomers || &spec == &schema::kAdopters) {
            write_attribute(dataset.get(), schema::kCustomerWeightAttr, meta.customer_weight);
          }
          write_attribute(dataset.get(), schema::kCoordinatesAttr, CoordinatesOf(axes));
          data_.push_back(DataVariable{&spec, std::move(dataset)});
        });
  }

  // Extends a dataset along `step` and writes `count` at `start`.
  // utility_offset(replicate, segment, region, firm): fixed size, NaN until a frame carries
  // the values.
  void create_utility_offset(const LabelScales& scales) const {
    const std::array<hsize_t, 4> dims{replicates_, kSegments, kRegions, firms_};
    // Chunked and compressed like the data variables: the fringe's offsets repeat, and so do
    // the replicates' of one calibration class, so the array takes little room and its one
    // write adds little to the first step's.
    const std::size_t per_firm = sizeof(double) * kSegments * kRegions;
    const std::array<hsize_t, 4> chunk{
        replicate_chunk(per_firm * static_cast<std::size_t>(firm_chunk(per_firm))), kSegments,
        kRegions, firm_chunk(per_firm)};
    const double not_yet = std::numeric_limits<double>::quiet_NaN();
    H5Handle dataset = create_variable(schema::kUtilityOffset, H5T_IEEE_F64LE, 4, dims.data(),
                                       nullptr, chunk.data(), true, &not_yet);
    attach_scales(dataset, schema::kUtilityOffset.name,
                  {&scales.replicate, &scales.segment, &scales.region, &scales.firm});
    write_attribute(dataset.get(), schema::kCoordinatesAttr, std::string(schema::kFirmCoordinates));
  }

  // parameter(parameter), parameter_origin(parameter) and parameter_value(replicate,
  // parameter), all known before the first step.
  void create_parameter_values(const RunMetadata& meta, const LabelScales& scales) const {
    const auto parameters = static_cast<hsize_t>(meta.parameter_name.size());
    H5Handle parameter = create_filled_variable(schema::kParameter, meta.parameter_name);
    make_dimension_scale(parameter, schema::kParameter, schema::kParameterDimId);
    H5Handle origin = create_filled_variable(schema::kParameterOrigin, meta.parameter_origin);
    attach_scales(origin, schema::kParameterOrigin.name, {&parameter});
    const std::array<hsize_t, 2> dims{replicates_, parameters};
    H5Handle dataset = create_variable(schema::kParameterValue, H5T_IEEE_F64LE, 2, dims.data(),
                                       nullptr, nullptr, false);
    errors_.check_status(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                  meta.parameter_value.data()),
                         std::string("writing dataset '") + schema::kParameterValue.name + "'");
    attach_scales(dataset, schema::kParameterValue.name, {&scales.replicate, &parameter});
    write_attribute(dataset.get(), schema::kCoordinatesAttr,
                    std::string(schema::kParameterOrigin.name));
  }

  void write_utility_offset(const std::vector<double>& values) const {
    const std::string what = std::string("writing dataset '") + schema::kUtilityOffset.name + "'";
    H5Handle dataset(
        errors_.check_id(H5Dopen2(file_.get(), schema::kUtilityOffset.name, H5P_DEFAULT), what),
        H5Dclose);
    errors_.check_status(
        H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
        what);
  }

  void write_slab(const H5Handle& dataset, const char* name, const hsize_t* extent,
                  const hsize_t* start, const hsize_t* count, int rank, hid_t memory_type,
                  const void* values) const {
    errors_.check_status(H5Dset_extent(dataset.get(), extent),
                         std::string("extending dataset '") + name + "'");
    const std::string what = std::string("writing dataset '") + name + "'";
    H5Handle file_space(errors_.check_id(H5Dget_space(dataset.get()), what), H5Sclose);
    errors_.check_status(
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
        what);
    H5Handle memory_space(errors_.check_id(H5Screate_simple(rank, count, nullptr), what), H5Sclose);
    errors_.check_status(H5Dwrite(dataset.get(), memory_type, memory_space.get(), file_space.get(),
                                  H5P_DEFAULT, values),
                         what);
  }

  herr_t close_all() {
    herr_t status = 0;
    for (const auto& [dataset, spec] : step_indexed()) {
      status = std::min(status, dataset->reset());
    }
    return std::min(status, file_.reset());
  }

  Hdf5Errors errors_;  // names the file as the user gave it
  std::string path_;   // where the file is: the temporary name, then the target
  hsize_t replicates_;
  hsize_t firms_;
  std::int64_t start_month_index_;
  std::int64_t steps_written_ = 0;
  // Disk space: false where the file system cannot allocate ahead; whether H5Fflush failed;
  // the file's size after the last flush; the end of the blocks reserved past it.
  bool allocate_ahead_ = true;
  bool flush_failed_ = false;
  off_t flushed_size_ = 0;
  off_t reserved_end_ = 0;
  H5Handle file_;
  H5Handle step_, date_;
  // The data variables, in ForEachDataField's order.
  struct DataVariable {
    const schema::VariableSpec* spec;
    H5Handle dataset;
  };
  std::vector<DataVariable> data_;
};

std::string FrameSizeError(const RecordFrame& frame, const char* field, std::size_t actual,
                           std::size_t expected, const std::string& shape) {
  return "trajectory frame of step " + std::to_string(frame.step) + ": '" + field + "' has " +
         std::to_string(actual) + " values, expected " + std::to_string(expected) + " (" + shape +
         ")";
}

}  // namespace

struct TrajectoryWriter::Impl {
  Impl(const std::string& output_path, const RunMetadata& meta, bool overwrite,
       double flush_interval_seconds)
      : path(output_path),
        replicates(static_cast<std::size_t>(std::max<std::int64_t>(meta.replicates, 0))),
        firms(meta.firm_name.size()),
        flush_interval(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(
                std::isnan(flush_interval_seconds)
                    ? 0.0
                    : std::clamp(flush_interval_seconds, 0.0, kMaxFlushSeconds)))) {
    validate(meta);
    // Checked before HDF5 is asked anything, so a refused file is never touched.
    pending.emplace(path, overwrite);
    // Per thread in the thread-safe HDF5 build: the writer thread does the same.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    file.emplace(*pending, meta, month_index(meta.start_month));
    writer_thread = std::thread([this] { run_writer(); });
  }

  void validate(const RunMetadata& meta) const {
    const std::string prefix = "output file '" + path + "': ";
    if (meta.replicates < 1) {
      throw std::invalid_argument(prefix + "replicates must be at least 1, got " +
                                  std::to_string(meta.replicates));
    }
    if (firms == 0) throw std::invalid_argument(prefix + "the firm table is empty");
    if (meta.firm_archetype.size() != firms || meta.firm_region.size() != firms) {
      throw std::invalid_argument(prefix + "the firm table columns differ in length: firm_name " +
                                  std::to_string(firms) + ", firm_archetype " +
                                  std::to_string(meta.firm_archetype.size()) + ", firm_region " +
                                  std::to_string(meta.firm_region.size()));
    }
    if (!parse_month(meta.start_month)) {
      throw std::invalid_argument(prefix + "start_month '" + meta.start_month +
                                  "' is not a YYYY-MM month");
    }
    const std::size_t parameters = meta.parameter_name.size();
    if (meta.parameter_origin.size() != parameters ||
        meta.parameter_value.size() != static_cast<std::size_t>(meta.replicates) * parameters) {
      throw std::invalid_argument(
          prefix + "parameter_value holds " + std::to_string(meta.parameter_value.size()) +
          " values and parameter_origin " + std::to_string(meta.parameter_origin.size()) +
          " texts for " + std::to_string(meta.replicates) + " replicates x " +
          std::to_string(parameters) + " parameters");
    }
  }

  void validate(const RecordFrame& frame) const {
    ForEachDataField(frame, [&](const schema::VariableSpec& spec, Axes axes, const auto& values) {
      std::size_t expected = replicates;
      std::string nouns = "replicates";
      std::string sizes = std::to_string(replicates);
      for (const Axis axis : axes) {
        expected *= AxisSize(axis, firms);
        nouns += std::string(" x ") + AxisNoun(axis);
        sizes += " x " + std::to_string(AxisSize(axis, firms));
      }
      if (values.size() != expected) {
        throw std::invalid_argument(
            FrameSizeError(frame, spec.name, values.size(), expected, nouns + " = " + sizes));
      }
    });
    const std::size_t offsets = replicates * std::size_t{kMarkets} * firms;
    if (!frame.utility_offset.empty() && frame.utility_offset.size() != offsets) {
      throw std::invalid_argument(
          FrameSizeError(frame, schema::kUtilityOffset.name, frame.utility_offset.size(), offsets,
                         "replicates x segments x regions x firms = " + std::to_string(replicates) +
                             " x " + std::to_string(kSegments) + " x " + std::to_string(kRegions) +
                             " x " + std::to_string(firms)));
    }
    if (frame.step < 0 || frame.step <= last_pushed_step) {
      throw std::invalid_argument("trajectory frame: 'step' " + std::to_string(frame.step) +
                                  " does not follow the previous recorded step " +
                                  std::to_string(last_pushed_step));
    }
  }

  // Stores the writer thread's first error, drops the frames it will not write, and wakes a
  // push() waiting for room. Caller holds `mutex`.
  void record_error_locked(std::exception_ptr error) {
    if (!writer_error) writer_error = std::move(error);
    queue.clear();
    slot_freed.notify_all();
  }

  // Runs `work` (file I/O) without holding `mutex`, so push() can queue meanwhile. Returns
  // false, with the error recorded, if it threw. Caller holds `lock`; it is held again after.
  template <typename Work>
  bool with_lock_released(std::unique_lock<std::mutex>& lock, Work&& work) {
    lock.unlock();
    try {
      work();
    } catch (...) {
      lock.lock();
      record_error_locked(std::current_exception());
      return false;
    }
    lock.lock();
    return true;
  }

  void run_writer() {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    using Clock = std::chrono::steady_clock;
    Clock::time_point last_flush = Clock::now();
    bool unflushed = false;
    bool failed = false;
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      const auto ready = [this] { return !queue.empty() || finish_requested; };
      if (unflushed) {
        frame_queued.wait_until(lock, last_flush + flush_interval, ready);
      } else {
        frame_queued.wait(lock, ready);
      }
      if (!queue.empty()) {
        RecordFrame frame = std::move(queue.front());
        queue.pop_front();
        slot_freed.notify_all();
        if (failed) continue;  // frames pushed before the error was seen are dropped
        const bool first_frame = file->steps_written() == 0;
        failed = !with_lock_released(lock, [&] {
          file->append(frame);
          unflushed = true;
          // The first frame is flushed at once, so a run killed early still shows data.
          if (first_frame || Clock::now() - last_flush >= flush_interval ||
              file->metadata_cache_is_full()) {
            file->flush();
            last_flush = Clock::now();
            unflushed = false;
          }
          // With its first frame on disk the file takes the target's name.
          if (first_frame) commit();
        });
        if (failed) unflushed = false;  // nothing more is flushed before finishing
        continue;
      }
      if (finish_requested) break;
      // Woken by the deadline with frames not yet on disk.
      if (unflushed && !failed && Clock::now() - last_flush >= flush_interval) {
        failed = !with_lock_released(lock, [&] {
          file->flush();
          last_flush = Clock::now();
          unflushed = false;
        });
        if (failed) unflushed = false;
      }
    }
    // Finishing: the status says what happened, then the last flush and close.
    std::string status = final_status;
    const bool writing_failed = writer_error != nullptr;
    // A failed write is why the file ends where it does, unless the owner reports a failure
    // (which is usually that one, as push() handed it on).
    if (writing_failed && status.rfind("failed", 0) != 0) {
      status = "failed: " + ErrorText(writer_error);
    }
    lock.unlock();
    std::exception_ptr finish_error;
    if (!writing_failed) {
      try {
        file->flush(&status);
        file->close();
        commit();  // a run that recorded no frame: the file is whole now
        file->settle_on_disk();
      } catch (...) {
        finish_error = std::current_exception();
      }
    }
    if (writing_failed || finish_error) {
      // What the failed writes left in memory is dropped: the file keeps its last flush.
      file->close_without_writing();
      if (pending->committed()) {
        file->record_status_after_failure(finish_error ? "failed: " + ErrorText(finish_error)
                                                       : status);
        file->settle_on_disk();
      } else {
        pending->discard();  // the target is as it was
      }
    }
    if (finish_error) {
      lock.lock();
      if (!writer_error) writer_error = finish_error;
    }
  }

  // Renames the file over the target (once).
  void commit() {
    if (pending->committed()) return;
    pending->commit();
    file->moved_to(pending->target_path());
  }

  static std::string ErrorText(const std::exception_ptr& error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return e.what();
    } catch (...) {
      return "unknown error";
    }
  }

  // Hands the writer thread's error to the caller, once. Caller holds `mutex`.
  void rethrow_error_once_locked() {
    if (writer_error && !error_delivered) {
      error_delivered = true;
      std::rethrow_exception(writer_error);
    }
  }

  void push(RecordFrame frame) {
    validate(frame);
    std::unique_lock<std::mutex> lock(mutex);
    if (finish_requested) {
      throw std::logic_error("output file '" + path + "': frame pushed after finish()");
    }
    slot_freed.wait(lock, [this] { return queue.size() < kMaxQueuedFrames || writer_error; });
    rethrow_error_once_locked();
    if (writer_error) {
      throw std::runtime_error("output file '" + path +
                               "': no more steps are written after the earlier error");
    }
    last_pushed_step = frame.step;
    queue.push_back(std::move(frame));
    frame_queued.notify_one();
  }

  void finish(const std::string& status) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (finish_requested) return;
      finish_requested = true;
      final_status = status;
      frame_queued.notify_one();
    }
    writer_thread.join();
    std::lock_guard<std::mutex> lock(mutex);
    rethrow_error_once_locked();
  }

  // Fixed at construction.
  const std::string path;
  const std::size_t replicates;
  const std::size_t firms;
  const std::chrono::steady_clock::duration flush_interval;
  // Used by the constructor, then only by the writer thread.
  std::optional<PendingOutputFile> pending;  // the temporary name and the target
  std::optional<TrajectoryFile> file;

  // Shared between the owner and the writer thread, guarded by `mutex`.
  std::mutex mutex;
  std::condition_variable frame_queued;  // a frame or the finish request arrived
  std::condition_variable slot_freed;    // the queue has room, or the writer failed
  std::deque<RecordFrame> queue;
  bool finish_requested = false;
  std::string final_status;
  std::exception_ptr writer_error;
  bool error_delivered = false;

  // Owner's thread only.
  std::int64_t last_pushed_step = -1;
  std::thread writer_thread;
};

TrajectoryWriter::TrajectoryWriter(const std::string& path, const RunMetadata& meta, bool overwrite,
                                   double flush_seconds)
    : impl_(std::make_unique<Impl>(path, meta, overwrite, flush_seconds)) {}

TrajectoryWriter::~TrajectoryWriter() {
  try {
    impl_->finish(output_schema::kStatusIncomplete);
  } catch (...) {
    // A destructor must not throw; the error was the run's to handle before this point.
  }
}

void TrajectoryWriter::push(RecordFrame frame) { impl_->push(std::move(frame)); }

void TrajectoryWriter::finish(const std::string& status) { impl_->finish(status); }

}  // namespace aimarket
