// Reading aimarket trajectory files with the HDF5 C API (see trajectory_reader.hpp). Names
// of datasets and attributes come from output_schema.hpp, the writer's own list, so a rename
// there reaches the reader. Strings are read whether stored variable-length (as the writer
// does) or fixed-length.
//
// A file given to `compare` may be damaged or made to harm, so nothing in it is trusted: every
// attribute and dataset is checked for its shape (rank, size) and type class before it is
// read into a buffer, the attributes are checked against the datasets' extents, and no read
// may claim more memory than the file could hold compressed. Where HDF5 1.10 itself trusts the
// file to the point of crashing (the global heap of variable-length strings) the file is
// checked before HDF5 reads it. Every identifier is owned by a Handle, so every error path
// closes it.
#include "analysis/trajectory_reader.hpp"

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <type_traits>
#include <utility>

#include "common/hdf5_support.hpp"
#include "common/text.hpp"
#include "output/output_schema.hpp"

namespace aimarket::analysis {
namespace {

namespace schema = output_schema;
using hdf5::Handle;

// Deflate (RFC 1951) expands at most 1032-fold (a 258-byte match costs 2 bits at best);
// shuffle and Fletcher32 do not expand. A dataset therefore cannot hold more bytes than 1032
// times its storage, plus what it reads as fill values where nothing is stored.
constexpr hsize_t kMaxInflation = 1032;
// Bytes a dataset may declare beyond kMaxInflation times its storage: unwritten chunks and
// never-written small coordinates read as fill values.
constexpr hsize_t kUnstoredBytes = hsize_t{1} << 20;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw InputError(quoted(path) + ": " + what + hdf5::failure_cause());
}

// HDF5's automatic error printing off for good: every HDF5 error the reader meets becomes an
// InputError naming the file. Not restored afterwards, because HDF5 consults the same switch
// when the program exits, to print "infinite loop closing library" when reading a corrupt
// file left allocations inside the library; the message would follow the program's own.
void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// a * b, or false when it overflows hsize_t.
bool multiply(hsize_t a, hsize_t b, hsize_t* product) {
  if (a != 0 && b > std::numeric_limits<hsize_t>::max() / a) return false;
  *product = a * b;
  return true;
}

// Global heap collections (variable-length strings live there) carry no checksum, and HDF5
// 1.10 trusts the object sizes in them: an object that runs past its collection makes it copy
// past its buffer (a crash), a free-space object of size 0 makes it loop forever. So every
// collection in the file is checked before HDF5 reads one: each object must lie within its
// collection, the collection within the file. A collection is found by its signature "GCOL",
// version 1 and three zero bytes (8 bytes: the chance of meeting them in other data is nil).
// Layout (HDF5 file format specification, "Global Heap"): signature, version, 3 reserved,
// collection size (L bytes, L = "size of lengths" of the superblock); then objects: index (2),
// reference count (2), reserved (4), size (L), data padded to a multiple of 8; index 0 is the
// free space, whose size includes its header.
// The objects of the global heap: collection address -> object index -> object size.
using GlobalHeaps = std::map<hsize_t, std::map<unsigned, hsize_t>>;

GlobalHeaps check_global_heaps(const std::string& path, hsize_t file_size,
                               std::size_t length_bytes) {
  static constexpr std::array<char, 8> kSignature = {'G', 'C', 'O', 'L', 1, 0, 0, 0};
  const auto align8 = [](hsize_t x) { return (x + 7) / 8 * 8; };
  const hsize_t header = align8(8 + length_bytes);
  const hsize_t object_header = 8 + length_bytes;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(quoted(path) + ": cannot be read");
  const auto read_at = [&](hsize_t offset, char* out, std::size_t n) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    return static_cast<bool>(in.read(out, static_cast<std::streamsize>(n)));
  };
  const auto decode_length = [&](const unsigned char* p, hsize_t* value) {
    *value = 0;
    for (std::size_t i = length_bytes; i-- > 0;) {
      if (i >= sizeof(hsize_t)) {
        if (p[i] != 0) return false;
        continue;
      }
      *value = (*value << 8) | p[i];
    }
    return true;
  };
  const auto corrupt = [&](hsize_t at, const std::string& what) {
    throw InputError(quoted(path) + ": is damaged: the global heap collection at byte " +
                     std::to_string(at) + " (where strings are stored) " + what);
  };
  GlobalHeaps heaps;
  const auto check_collection = [&](hsize_t at) {
    std::map<unsigned, hsize_t>& objects = heaps[at];
    std::vector<unsigned char> head(header);
    if (!read_at(at, reinterpret_cast<char*>(head.data()), head.size())) {
      corrupt(at, "runs past the end of the file");
    }
    hsize_t size = 0;
    if (!decode_length(head.data() + 8, &size) || size < header || size > file_size - at) {
      corrupt(at, "has an impossible size");
    }
    std::vector<unsigned char> collection(static_cast<std::size_t>(size));
    if (!read_at(at, reinterpret_cast<char*>(collection.data()), collection.size())) {
      corrupt(at, "runs past the end of the file");
    }
    hsize_t p = header;
    while (p < size && size - p >= object_header) {
      const unsigned char* object = collection.data() + p;
      const unsigned index = object[0] | (object[1] << 8u);
      hsize_t object_size = 0;
      if (!decode_length(object + 8, &object_size)) corrupt(at, "has an impossible object size");
      hsize_t need = object_size;  // free space: its size includes its header
      if (index > 0) {
        if (object_size > size - p - object_header) {
          corrupt(at, "has an object that runs past its end");
        }
        need = object_header + align8(object_size);
        objects[index] = object_size;
      }
      if (need < object_header || need > size - p) {
        corrupt(at, "has an object that runs past its end");
      }
      p += need;
    }
  };

  // The file in blocks, each overlapping the previous by a signature's length less one.
  constexpr std::size_t kBlock = std::size_t{1} << 20;
  std::vector<char> block(kBlock + kSignature.size());
  std::vector<hsize_t> found;
  hsize_t base = 0;
  std::size_t carried = 0;
  in.clear();
  in.seekg(0);
  while (true) {
    in.read(block.data() + carried, static_cast<std::streamsize>(kBlock));
    const std::size_t got = static_cast<std::size_t>(in.gcount());
    const std::size_t filled = carried + got;
    const char* const begin = block.data();
    const char* const end = block.data() + filled;
    // memchr for the first byte, then the rest: several times faster than std::search, so a
    // file of gigabytes costs a fraction of a second.
    for (const char* hit = begin;
         (hit = static_cast<const char*>(
              std::memchr(hit, kSignature[0], static_cast<std::size_t>(end - hit)))) != nullptr;
         ++hit) {
      if (static_cast<std::size_t>(end - hit) >= kSignature.size() &&
          std::memcmp(hit, kSignature.data(), kSignature.size()) == 0) {
        found.push_back(base + static_cast<hsize_t>(hit - begin));
      }
    }
    if (got < kBlock) break;
    carried = std::min(filled, kSignature.size() - 1);
    std::memmove(block.data(), end - carried, carried);
    base += filled - carried;
  }
  for (const hsize_t at : found) check_collection(at);
  return heaps;
}

// An open dataset or attribute with its dataspace and file type.
struct Object {
  Handle id, space, type;
};

// Reads `count` strings of a dataset or attribute whose type is `file_type` (checked to be a
// string type of a sane size by the caller); `read` does the H5Dread/H5Aread with the memory
// type it is given.
template <typename Read>
std::vector<std::string> read_strings(hid_t file_type, hid_t space, std::size_t count, Read&& read,
                                      const std::string& path, const std::string& what) {
  std::vector<std::string> out;
  if (H5Tis_variable_str(file_type) > 0) {
    Handle memory_type = hdf5::utf8_string_type();
    std::vector<char*> texts(count, nullptr);
    if (count > 0 && read(memory_type.get(), texts.data()) < 0) fail(path, "reading " + what);
    for (char* text : texts) out.emplace_back(text != nullptr ? text : "");
    if (count > 0) H5Dvlen_reclaim(memory_type.get(), space, H5P_DEFAULT, texts.data());
  } else {
    const std::size_t size = H5Tget_size(file_type);
    Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
    if (size == 0 || H5Tset_size(memory_type.get(), size) < 0) {
      fail(path, what + " has a string type of no size");
    }
    std::vector<char> buffer(count * size + 1, '\0');
    if (count > 0 && read(memory_type.get(), buffer.data()) < 0) fail(path, "reading " + what);
    for (std::size_t i = 0; i < count; ++i) {
      const char* begin = buffer.data() + i * size;
      out.emplace_back(begin, strnlen(begin, size));
    }
  }
  return out;
}

// What the reader needs of the open file to check what it reads.
struct FileContext {
  std::string path;
  hid_t file = H5I_INVALID_HID;
  hsize_t size = 0;  // bytes
  // Global heap objects (check_global_heaps) and the superblock's size of addresses, to check
  // references to strings; null where the file's strings are not checked that way.
  const GlobalHeaps* heaps = nullptr;
  std::size_t address_bytes = 8;
};

// A variable-length string is stored as its length (4 bytes), the address of its global heap
// collection and its index there (4 bytes). HDF5 1.10 trusts the length: it allocates and clears
// that many bytes (up to 4 GiB) before it reads the object, and copies the whole object into
// them however short the length. So, where the raw references can be read (a contiguous or
// unfiltered chunked dataset, as the writer stores its string coordinates), the first `count`
// are checked against the heap before HDF5 reads them: each must name an object of a checked
// collection, with the object's length (0 and no object for an empty string).
void check_string_references(const FileContext& file, hid_t dataset, hsize_t count,
                             const std::string& what) {
  if (file.heaps == nullptr || count == 0) return;
  const std::size_t element = 4 + file.address_bytes + 4;
  // Extents of raw data holding references: (file offset, first element, elements).
  struct Extent {
    hsize_t offset, first, elements;
  };
  std::vector<Extent> extents;
  Handle plist(H5Dget_create_plist(dataset), H5Pclose);
  if (!plist.valid()) fail(file.path, "cannot read the storage of " + what);
  const H5D_layout_t layout = H5Pget_layout(plist.get());
  if (layout == H5D_CONTIGUOUS) {
    const haddr_t offset = H5Dget_offset(dataset);
    if (offset == HADDR_UNDEF) return;  // nothing stored: every entry reads as ""
    extents.push_back({offset, 0, count});
  } else if (layout == H5D_CHUNKED && H5Pget_nfilters(plist.get()) == 0) {
    Handle space(H5Dget_space(dataset), H5Sclose);
    hsize_t chunks = 0;
    if (!space.valid() || H5Dget_num_chunks(dataset, space.get(), &chunks) < 0) {
      fail(file.path, "cannot list the chunks of " + what);
    }
    hsize_t chunk_length = 0;
    if (H5Pget_chunk(plist.get(), 1, &chunk_length) != 1) {
      fail(file.path, "cannot read the chunks of " + what);
    }
    for (hsize_t i = 0; i < chunks; ++i) {
      hsize_t first = 0;
      unsigned filter_mask = 0;
      haddr_t offset = HADDR_UNDEF;
      hsize_t bytes = 0;
      if (H5Dget_chunk_info(dataset, space.get(), i, &first, &filter_mask, &offset, &bytes) < 0) {
        fail(file.path, "cannot read the chunks of " + what);
      }
      if (first >= count || offset == HADDR_UNDEF) continue;
      extents.push_back({offset, first, std::min(chunk_length, count - first)});
    }
  } else {
    return;  // compact or compressed: the references cannot be read raw
  }

  std::ifstream in(file.path, std::ios::binary);
  std::vector<unsigned char> raw;
  for (const Extent& extent : extents) {
    hsize_t bytes = 0;
    if (!multiply(extent.elements, element, &bytes) || extent.offset > file.size ||
        bytes > file.size - extent.offset) {
      throw InputError(quoted(file.path) + ": is damaged: the strings of " + what +
                       " lie past the end of the file");
    }
    raw.resize(static_cast<std::size_t>(bytes));
    in.seekg(static_cast<std::streamoff>(extent.offset));
    if (!in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(bytes))) {
      throw InputError(quoted(file.path) + ": cannot read the strings of " + what);
    }
    for (hsize_t e = 0; e < extent.elements; ++e) {
      const unsigned char* p = raw.data() + e * element;
      const auto little_endian = [](const unsigned char* q, std::size_t n) {
        hsize_t value = 0;
        for (std::size_t i = n; i-- > 0;) value = (value << 8) | q[i];
        return value;
      };
      const hsize_t length = little_endian(p, 4);
      const hsize_t address = little_endian(p + 4, std::min<std::size_t>(file.address_bytes, 8));
      const unsigned index = static_cast<unsigned>(little_endian(p + 4 + file.address_bytes, 4));
      bool sound = address == 0 && length == 0;
      if (address != 0) {
        const auto collection = file.heaps->find(address);
        if (collection != file.heaps->end()) {
          const auto object = collection->second.find(index);
          sound = object != collection->second.end() && object->second == length;
        }
      }
      if (!sound) {
        throw InputError(quoted(file.path) + ": is damaged: entry " +
                         std::to_string(extent.first + e) + " of " + what +
                         " does not match the string it refers to");
      }
    }
  }
}

std::string class_name(H5T_class_t type_class) {
  switch (type_class) {
    case H5T_INTEGER:
      return "an integer";
    case H5T_FLOAT:
      return "a floating-point number";
    case H5T_STRING:
      return "a string";
    default:
      return "neither a number nor a string";
  }
}

// A root attribute that holds one value of the given type class (H5T_FLOAT also takes
// integers). InputError naming the file and attribute if it is missing or holds anything else.
Object open_root_attribute(const FileContext& file, const char* name, H5T_class_t wanted) {
  const std::string what = std::string("root attribute ") + quoted(name);
  if (H5Aexists(file.file, name) <= 0) fail(file.path, "has no " + what);
  Object a;
  a.id = Handle(H5Aopen(file.file, name, H5P_DEFAULT), H5Aclose);
  if (!a.id.valid()) fail(file.path, "cannot open " + what);
  a.space = Handle(H5Aget_space(a.id.get()), H5Sclose);
  a.type = Handle(H5Aget_type(a.id.get()), H5Tclose);
  if (!a.space.valid() || !a.type.valid()) fail(file.path, "cannot read the shape of " + what);
  // One value: a scalar, or an array of one element (as netCDF tools write attributes).
  const H5S_class_t space_class = H5Sget_simple_extent_type(a.space.get());
  const hssize_t points = H5Sget_simple_extent_npoints(a.space.get());
  if (space_class == H5S_NULL || points != 1) {
    throw InputError(quoted(file.path) + ": " + what + " holds " +
                     (points < 0
                          ? std::string("no readable value")
                          : std::to_string(space_class == H5S_NULL ? 0 : points) + " values") +
                     "; expected one");
  }
  const H5T_class_t type_class = H5Tget_class(a.type.get());
  const bool accepted = type_class == wanted || (wanted == H5T_FLOAT && type_class == H5T_INTEGER);
  if (!accepted) {
    throw InputError(quoted(file.path) + ": " + what + " is " + class_name(type_class) + ", not " +
                     class_name(wanted));
  }
  if (type_class == H5T_STRING && H5Tis_variable_str(a.type.get()) <= 0 &&
      H5Tget_size(a.type.get()) > file.size) {
    throw InputError(quoted(file.path) + ": " + what + " claims a string longer than the file");
  }
  return a;
}

std::string string_attribute(const FileContext& file, const char* name) {
  const Object a = open_root_attribute(file, name, H5T_STRING);
  return read_strings(
             a.type.get(), a.space.get(), 1,
             [&](hid_t memory_type, void* buffer) {
               return H5Aread(a.id.get(), memory_type, buffer);
             },
             file.path, std::string("root attribute ") + quoted(name))
      .front();
}

template <typename T>
T numeric_attribute(const FileContext& file, const char* name, hid_t memory_type) {
  const Object a =
      open_root_attribute(file, name, std::is_floating_point_v<T> ? H5T_FLOAT : H5T_INTEGER);
  T value{};
  // HDF5 converts the stored type, clipping values outside T's range.
  if (H5Aread(a.id.get(), memory_type, &value) < 0) {
    fail(file.path, std::string("reading root attribute ") + quoted(name));
  }
  return value;
}

// Refuses a dataset whose declared size the file cannot back: filters other than the ones
// that cannot expand data without bound, storage larger than the file, or more elements (or
// a larger chunk) than its storage can hold at deflate's largest ratio.
void check_storage(const FileContext& file, const Object& d, const std::string& name) {
  const std::string what = "dataset " + quoted(name);
  Handle plist(H5Dget_create_plist(d.id.get()), H5Pclose);
  if (!plist.valid()) fail(file.path, "cannot read the storage of " + what);
  const int filters = H5Pget_nfilters(plist.get());
  if (filters < 0) fail(file.path, "cannot read the filters of " + what);
  std::vector<H5Z_filter_t> seen;
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0;
    std::size_t elements = 0;
    unsigned config = 0;
    const H5Z_filter_t filter = H5Pget_filter2(plist.get(), static_cast<unsigned>(i), &flags,
                                               &elements, nullptr, 0, nullptr, &config);
    // Deflate applied twice could expand a million-fold.
    const bool known = filter == H5Z_FILTER_DEFLATE || filter == H5Z_FILTER_SHUFFLE ||
                       filter == H5Z_FILTER_FLETCHER32;
    if (!known || std::find(seen.begin(), seen.end(), filter) != seen.end()) {
      throw InputError(quoted(file.path) + ": " + what +
                       " is stored with filters other than deflate, shuffle and fletcher32 "
                       "(each at most once)");
    }
    seen.push_back(filter);
  }
  const hsize_t stored = H5Dget_storage_size(d.id.get());
  if (stored > file.size) {
    throw InputError(quoted(file.path) + ": " + what + " claims " + std::to_string(stored) +
                     " bytes of storage in a file of " + std::to_string(file.size));
  }
  const hsize_t limit = kUnstoredBytes + kMaxInflation * stored;
  const std::size_t element_bytes = H5Tget_size(d.type.get());
  const hssize_t points = H5Sget_simple_extent_npoints(d.space.get());
  hsize_t declared = 0;
  if (element_bytes == 0 || points < 0 ||
      !multiply(static_cast<hsize_t>(points), element_bytes, &declared) || declared > limit) {
    throw InputError(quoted(file.path) + ": " + what + " declares more data than its " +
                     std::to_string(stored) + " bytes of storage can hold");
  }
  if (H5Pget_layout(plist.get()) == H5D_CHUNKED) {
    const int rank = H5Pget_chunk(plist.get(), 0, nullptr);
    std::vector<hsize_t> chunk(static_cast<std::size_t>(std::max(rank, 0)));
    hsize_t chunk_bytes = element_bytes;
    bool sane =
        rank > 0 && rank <= H5S_MAX_RANK && H5Pget_chunk(plist.get(), rank, chunk.data()) == rank;
    for (std::size_t i = 0; sane && i < chunk.size(); ++i) {
      sane = multiply(chunk_bytes, chunk[i], &chunk_bytes);
    }
    if (!sane || chunk_bytes > limit) {
      throw InputError(quoted(file.path) + ": " + what + " declares chunks larger than its " +
                       std::to_string(stored) + " bytes of storage can hold");
    }
  }
}

// A dataset of the file, its storage checked, with its dataspace and type.
Object open_dataset(const FileContext& file, const std::string& name) {
  if (H5Lexists(file.file, name.c_str(), H5P_DEFAULT) <= 0) {
    fail(file.path, "has no dataset " + quoted(name));
  }
  Object d;
  d.id = Handle(H5Dopen2(file.file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.id.valid()) fail(file.path, "opening dataset " + quoted(name));
  d.space = Handle(H5Dget_space(d.id.get()), H5Sclose);
  d.type = Handle(H5Dget_type(d.id.get()), H5Tclose);
  if (!d.space.valid() || !d.type.valid()) {
    fail(file.path, "cannot read the shape of dataset " + quoted(name));
  }
  check_storage(file, d, name);
  return d;
}

// The extents of a dataset of rank `min_rank` to `max_rank`; InputError otherwise.
std::vector<hsize_t> extents(const FileContext& file, const Object& d, const std::string& name,
                             int min_rank, int max_rank, const char* expected) {
  const int rank = H5Sget_simple_extent_ndims(d.space.get());
  if (H5Sget_simple_extent_type(d.space.get()) != H5S_SIMPLE || rank < min_rank ||
      rank > max_rank) {
    throw InputError(quoted(file.path) + ": dataset " + quoted(name) + " is not " + expected);
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (H5Sget_simple_extent_dims(d.space.get(), dims.data(), nullptr) != rank) {
    fail(file.path, "cannot read the extent of dataset " + quoted(name));
  }
  return dims;
}

// The first `count` entries (all if more) of a 1-D string dataset.
std::vector<std::string> string_coordinate(const FileContext& file, const char* name,
                                           hsize_t count) {
  const Object d = open_dataset(file, name);
  const std::string what = std::string("dataset ") + quoted(name);
  count = std::min(count, extents(file, d, name, 1, 1, "a list (1-D)")[0]);
  if (H5Tget_class(d.type.get()) != H5T_STRING) {
    throw InputError(quoted(file.path) + ": " + what + " does not hold strings");
  }
  if (H5Tis_variable_str(d.type.get()) > 0) check_string_references(file, d.id.get(), count, what);
  Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  Handle file_space(H5Dget_space(d.id.get()), H5Sclose);
  const hsize_t start = 0;
  if (!memory_space.valid() || !file_space.valid() ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr) < 0) {
    fail(file.path, "selecting the entries of " + what);
  }
  return read_strings(
      d.type.get(), memory_space.get(), static_cast<std::size_t>(count),
      [&](hid_t memory_type, void* buffer) {
        return H5Dread(d.id.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT,
                       buffer);
      },
      file.path, what);
}

}  // namespace

struct TrajectoryReader::File {
  Handle file;
  hsize_t size = 0;
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
  static constexpr std::array<unsigned char, 8> kSignature = {0x89, 'H',  'D',  'F',
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
  silence_hdf5_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    hdf5::innermost_error();  // clear
    throw InputError(quoted(path) + ": not an HDF5 file, so not an aimarket output");
  }
  file_->file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file_->file.valid()) fail(path, "HDF5 cannot open it");
  const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(quoted(path) + ": cannot read its size: " + ec.message());
  file_->size = static_cast<hsize_t>(bytes);
  Handle creation(H5Fget_create_plist(file_->file.get()), H5Pclose);
  std::size_t address_bytes = 0;
  std::size_t length_bytes = 0;
  hsize_t user_block = 0;
  if (!creation.valid() || H5Pget_sizes(creation.get(), &address_bytes, &length_bytes) < 0 ||
      H5Pget_userblock(creation.get(), &user_block) < 0) {
    fail(path, "cannot read its superblock");
  }
  const GlobalHeaps heaps = check_global_heaps(path, file_->size, length_bytes);
  FileContext file{path, file_->file.get(), file_->size};
  // Addresses inside the file count from the end of a user block; aimarket writes none.
  if (user_block == 0 && address_bytes <= 8) {
    file.heaps = &heaps;
    file.address_bytes = address_bytes;
  }
  const hid_t root = file.file;

  const std::string title = H5Aexists(root, schema::kTitleAttr) > 0
                                ? string_attribute(file, schema::kTitleAttr)
                                : std::string();
  if (title != schema::kTitle) {
    hdf5::innermost_error();  // clear
    throw InputError(quoted(path) + ": not an aimarket output (its 'title' attribute is " +
                     (title.empty() ? std::string("missing") : quoted(title)) + ", not '" +
                     schema::kTitle + "')");
  }
  info_.status = string_attribute(file, schema::kStatusAttr);
  info_.config = string_attribute(file, schema::kConfigAttr);
  info_.config_path = string_attribute(file, schema::kConfigPathAttr);
  info_.program_version = string_attribute(file, schema::kProgramVersionAttr);
  info_.start_month = string_attribute(file, schema::kStartMonthAttr);
  info_.seed = numeric_attribute<std::uint64_t>(file, schema::kSeedAttr, H5T_NATIVE_UINT64);
  info_.replicates =
      numeric_attribute<std::int64_t>(file, schema::kReplicatesAttr, H5T_NATIVE_INT64);
  info_.steps_requested =
      numeric_attribute<std::int64_t>(file, schema::kStepsRequestedAttr, H5T_NATIVE_INT64);
  info_.record_every =
      numeric_attribute<std::int64_t>(file, schema::kRecordEveryAttr, H5T_NATIVE_INT64);
  info_.customer_weight =
      numeric_attribute<double>(file, schema::kCustomerWeightAttr, H5T_NATIVE_DOUBLE);
  const std::int64_t steps_recorded =
      numeric_attribute<std::int64_t>(file, schema::kStepsRecordedAttr, H5T_NATIVE_INT64);

  const auto bad_attribute = [&](const char* name, const std::string& value,
                                 const std::string& why) {
    throw InputError(quoted(path) + ": its root attribute " + quoted(name) + " is " + value + "; " +
                     why);
  };
  if (info_.replicates < 1) {
    bad_attribute(schema::kReplicatesAttr, std::to_string(info_.replicates),
                  "a run has at least 1 replicate");
  }
  if (info_.record_every < 1) {
    bad_attribute(schema::kRecordEveryAttr, std::to_string(info_.record_every),
                  "a run records at least every step");
  }
  if (info_.steps_requested < 1) {
    bad_attribute(schema::kStepsRequestedAttr, std::to_string(info_.steps_requested),
                  "a run has at least 1 step");
  }
  if (steps_recorded < 0) {
    bad_attribute(schema::kStepsRecordedAttr, std::to_string(steps_recorded),
                  "a count cannot be negative");
  }
  if (!std::isfinite(info_.customer_weight) || info_.customer_weight <= 0.0) {
    bad_attribute(schema::kCustomerWeightAttr, std::to_string(info_.customer_weight),
                  "customers per agent must be a positive number");
  }

  // The replicate dimension: every data variable's first extent (checked in read_step).
  {
    const Object replicate = open_dataset(file, schema::kReplicate.name);
    const hsize_t count =
        extents(file, replicate, schema::kReplicate.name, 1, 1, "a list (1-D)")[0];
    if (count != static_cast<hsize_t>(info_.replicates)) {
      throw InputError(quoted(path) + ": its root attribute 'replicates' says " +
                       std::to_string(info_.replicates) + " but the 'replicate' dimension holds " +
                       std::to_string(count));
    }
  }

  // 1-D coordinates.
  constexpr hsize_t kAll = ~hsize_t{0};
  info_.firm_name = string_coordinate(file, schema::kFirmName.name, kAll);
  info_.firm_archetype = string_coordinate(file, schema::kFirmArchetype.name, kAll);
  info_.firm_region = string_coordinate(file, schema::kFirmRegion.name, kAll);
  if (info_.firm_archetype.size() != info_.firms() || info_.firm_region.size() != info_.firms()) {
    throw InputError(quoted(path) +
                     ": its firm table is ragged (firm_name, firm_archetype and "
                     "firm_region differ in length)");
  }
  info_.layer = string_coordinate(file, schema::kLayer.name, kAll);
  info_.region = string_coordinate(file, schema::kRegion.name, kAll);
  info_.segment = string_coordinate(file, schema::kSegment.name, kAll);

  // Recorded steps: as many as the last flush counted, which `step` and `date` must hold.
  const Object step = open_dataset(file, schema::kStep.name);
  const hsize_t step_extent = extents(file, step, schema::kStep.name, 1, 1, "a list (1-D)")[0];
  if (H5Tget_class(step.type.get()) != H5T_INTEGER) {
    throw InputError(quoted(path) + ": dataset 'step' does not hold integers");
  }
  hsize_t steps = static_cast<hsize_t>(steps_recorded);
  if (steps > step_extent) {
    throw InputError(quoted(path) + ": its root attribute 'steps_recorded' says " +
                     std::to_string(steps_recorded) + " but dataset 'step' holds " +
                     std::to_string(step_extent));
  }
  info_.step.resize(static_cast<std::size_t>(steps));
  if (steps > 0) {
    Handle memory_space(H5Screate_simple(1, &steps, nullptr), H5Sclose);
    Handle file_space(H5Dget_space(step.id.get()), H5Sclose);
    const hsize_t start = 0;
    if (!memory_space.valid() || !file_space.valid() ||
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &steps, nullptr) <
            0 ||
        H5Dread(step.id.get(), H5T_NATIVE_INT64, memory_space.get(), file_space.get(), H5P_DEFAULT,
                info_.step.data()) < 0) {
      fail(path, "reading dataset 'step'");
    }
  }
  for (std::size_t i = 0; i < info_.step.size(); ++i) {
    if (info_.step[i] < 0 || info_.step[i] >= info_.steps_requested ||
        (i > 0 && info_.step[i] <= info_.step[i - 1])) {
      throw InputError(quoted(path) + ": dataset 'step' holds " + std::to_string(info_.step[i]) +
                       " at position " + std::to_string(i) +
                       "; recorded steps increase from 0 and stay below 'steps_requested' (" +
                       std::to_string(info_.steps_requested) + ")");
    }
  }
  info_.date = string_coordinate(file, schema::kDate.name, steps);
  if (info_.date.size() != info_.step.size()) {
    throw InputError(quoted(path) + ": 'date' holds " + std::to_string(info_.date.size()) +
                     " entries but 'step' " + std::to_string(info_.step.size()));
  }

  // Each replicate's values of the uncertain keys, where the run had any.
  silence_hdf5_errors();
  const bool has_parameters = H5Lexists(file.file, schema::kParameterValue.name, H5P_DEFAULT) > 0;
  hdf5::innermost_error();  // clear
  if (has_parameters) {
    info_.parameter = string_coordinate(file, schema::kParameter.name, kAll);
    const Object values = open_dataset(file, schema::kParameterValue.name);
    const std::vector<hsize_t> dims =
        extents(file, values, schema::kParameterValue.name, 2, 2, "a (replicate, parameter) table");
    if (dims[0] != static_cast<hsize_t>(info_.replicates) || dims[1] != info_.parameter.size()) {
      throw InputError(quoted(path) + ": 'parameter_value' is " + std::to_string(dims[0]) + " x " +
                       std::to_string(dims[1]) + " but the file has " +
                       std::to_string(info_.replicates) + " replicates and " +
                       std::to_string(info_.parameter.size()) + " parameters");
    }
    if (H5Tget_class(values.type.get()) != H5T_FLOAT) {
      throw InputError(quoted(path) + ": dataset 'parameter_value' does not hold floats");
    }
    info_.parameter_value.resize(static_cast<std::size_t>(dims[0] * dims[1]));
    if (!info_.parameter_value.empty() &&
        H5Dread(values.id.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                info_.parameter_value.data()) < 0) {
      fail(path, "reading dataset 'parameter_value'");
    }
  }
}

TrajectoryReader::~TrajectoryReader() = default;
TrajectoryReader::TrajectoryReader(TrajectoryReader&&) noexcept = default;
TrajectoryReader& TrajectoryReader::operator=(TrajectoryReader&&) noexcept = default;

bool TrajectoryReader::has(const std::string& name) const {
  silence_hdf5_errors();
  const bool exists = H5Lexists(file_->file.get(), name.c_str(), H5P_DEFAULT) > 0;
  hdf5::innermost_error();  // clear
  return exists;
}

std::vector<double> TrajectoryReader::read_step(const std::string& name, std::int64_t index,
                                                std::vector<std::size_t>* inner) const {
  const std::string& path = info_.path;
  silence_hdf5_errors();
  if (!has(name)) throw InputError(quoted(path) + ": has no dataset " + quoted(name));
  const FileContext file{path, file_->file.get(), file_->size};
  const Object d = open_dataset(file, name);
  const std::vector<hsize_t> dims =
      extents(file, d, name, 2, H5S_MAX_RANK, "a (replicate, step, ...) variable");
  const H5T_class_t type_class = H5Tget_class(d.type.get());
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT) {
    throw InputError(quoted(path) + ": dataset " + quoted(name) + " does not hold numbers");
  }
  if (dims[0] != static_cast<hsize_t>(info_.replicates)) {
    throw InputError(quoted(path) + ": dataset " + quoted(name) + " holds " +
                     std::to_string(dims[0]) + " replicates but the root attribute " +
                     "'replicates' says " + std::to_string(info_.replicates));
  }
  if (index < 0 || static_cast<hsize_t>(index) >= dims[1] ||
      static_cast<std::size_t>(index) >= info_.step.size()) {
    throw InputError(quoted(path) + ": dataset " + quoted(name) + " holds " +
                     std::to_string(dims[1]) + " steps; step position " + std::to_string(index) +
                     " is not among them");
  }
  std::vector<hsize_t> start(dims.size(), 0);
  std::vector<hsize_t> count = dims;
  start[1] = static_cast<hsize_t>(index);
  count[1] = 1;
  // Within what check_storage allowed for the whole dataset, so no overflow.
  std::size_t total = 1;
  for (hsize_t c : count) total *= static_cast<std::size_t>(c);
  if (inner != nullptr) inner->assign(dims.begin() + 2, dims.end());
  std::vector<double> values(total);
  Handle file_space(H5Dget_space(d.id.get()), H5Sclose);
  Handle memory_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                      H5Sclose);
  if (!file_space.valid() || !memory_space.valid() ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                          nullptr) < 0) {
    fail(path, "selecting step position " + std::to_string(index) + " of dataset " + quoted(name));
  }
  // HDF5 converts the stored type (int32, uint8, float64) to double.
  if (H5Dread(d.id.get(), H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(), H5P_DEFAULT,
              values.data()) < 0) {
    fail(path, "reading dataset " + quoted(name));
  }
  return values;
}

}  // namespace aimarket::analysis
