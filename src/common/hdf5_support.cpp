#include "common/hdf5_support.hpp"

#include <cstdlib>
#include <system_error>

namespace aimarket::hdf5 {

std::string innermost_error() {
  std::string message;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned depth, const H5E_error2_t* error, void* out) -> herr_t {
        if (depth == 0 && error->desc != nullptr) *static_cast<std::string*>(out) = error->desc;
        return 0;
      },
      &message);
  H5Eclear2(H5E_DEFAULT);
  return message;
}

std::string system_error_in(const std::string& hdf5_message) {
  const std::string marker = "errno = ";
  const std::size_t at = hdf5_message.find(marker);
  if (at == std::string::npos) return "";
  const int error = std::atoi(hdf5_message.c_str() + at + marker.size());
  return error > 0 ? std::generic_category().message(error) : "";
}

std::string cause_suffix(const std::string& hdf5_message) {
  const std::string system_error = system_error_in(hdf5_message);
  if (!system_error.empty()) return " (" + system_error + ")";
  if (!hdf5_message.empty()) return " (HDF5: " + hdf5_message + ")";
  return "";
}

}  // namespace aimarket::hdf5
