// Small HDF5 C API helpers shared by the trajectory writer (trajectory_writer.cpp) and the
// analysis code that reads trajectories and writes comparison files (src/analysis/): an owning
// handle, the cause of a failure as HDF5's error stack tells it, the variable-length UTF-8
// string type
// every aimarket file uses for its strings (h5py reads them as str, netCDF-C as string), and
// the file's descriptor, for closing a file that writing failed on without writing more.
#pragma once

#include <hdf5.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>

namespace aimarket::hdf5 {

// Owns an HDF5 identifier and releases it with the matching H5?close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);

  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) {
    other.id_ = H5I_INVALID_HID;
  }
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now; returns the close function's status (negative on failure).
  herr_t reset() {
    herr_t status = 0;
    if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// The innermost message on the calling thread's HDF5 error stack (the most specific cause),
// and clears the stack.
std::string innermost_error();

// The operating system's error inside an HDF5 message ("..., errno = 28, error message =
// 'No space left on device', ..."), as its plain text; "" when the message has none.
std::string system_error_in(const std::string& hdf5_message);

// How a message reports the HDF5 failure `hdf5_message` (innermost_error()) as its cause: " ("
// + the system error in plain words + ")" where there is one (a full disk: HDF5's own text of
// it spans lines), else " (HDF5: " + the message + ")"; "" for no message.
std::string cause_suffix(const std::string& hdf5_message);

// cause_suffix of the failure on the calling thread's error stack, which it clears.
inline std::string failure_cause() { return cause_suffix(innermost_error()); }

// Variable-length UTF-8 string type, as the trajectory writer stores strings.
inline Handle utf8_string_type() {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

// The operating system's descriptor of an open file, or -1 where the file does not go through
// HDF5's default (sec2) driver.
inline int file_descriptor(hid_t file) {
  const Handle fapl(H5Fget_access_plist(file), H5Pclose);
  if (!fapl.valid() || H5Pget_driver(fapl.get()) != H5FD_SEC2) return -1;
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file, fapl.get(), &handle) < 0 || handle == nullptr) return -1;
  return *static_cast<int*>(handle);
}

// Makes sure nothing more written to `file` reaches its disk file, so that it can be closed
// after writing to it failed (a full disk) and the disk file stays as its last flush left it.
// H5Fclose flushes first; were that to fail, HDF5 1.10 would free the file but keep its
// identifier, and close it again, on freed memory, at exit. So the file's descriptor is
// pointed at an anonymous in-memory file, where the closing flush succeeds. Call it, then
// close the file's objects and the file as usual.
inline void detach_from_disk(hid_t file) {
  const int fd = file_descriptor(file);
  if (fd < 0) return;
  // A file size limit (ulimit -f) applies to the in-memory file too: the soft limit is lifted
  // to the hard one, as any process may, so that failing writes cannot make closing fail.
  rlimit limit{};
  if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  const int sink = ::memfd_create("aimarket-discarded", MFD_CLOEXEC);
  if (sink < 0) {  // no memfd: an unlinked temporary file
    if (std::FILE* scratch = std::tmpfile()) {
      ::dup2(::fileno(scratch), fd);
      std::fclose(scratch);
    }
    return;
  }
  ::dup2(sink, fd);
  ::close(sink);
}

// Turns HDF5's automatic error printing off for the calling scope (errors are reported by
// the caller, naming the file), and back on at the end.
class QuietErrors {
 public:
  QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &function_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, function_, data_); }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t function_ = nullptr;
  void* data_ = nullptr;
};

}  // namespace aimarket::hdf5
