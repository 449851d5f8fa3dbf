// libFuzzer target: the bytes of an .h5 file given to `aimarket compare`. The file is read by
// the same code as the command's (compare_files: TrajectoryReader, then every measure at the
// last recorded date). InputError is the command's bad-input exit (2) and is fine; anything
// else escaping (another exception: exit 1), a crash, a sanitizer report, a leak or a hang is
// a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "analysis/trajectory_reader.hpp"

namespace {

// HDF5 reads files by name, so each input is written to one file of this process, removed
// when the process exits.
std::string path_of_input;

void remove_input() {
  std::error_code ignored;
  std::filesystem::remove(path_of_input, ignored);
}

const std::string& input_path() {
  if (path_of_input.empty()) {
    path_of_input = (std::filesystem::temp_directory_path() /
                     ("aimarket-fuzz-trajectory-" + std::to_string(::getpid()) + ".h5"))
                        .string();
    std::atexit(remove_input);
  }
  return path_of_input;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = input_path();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  const bool written = std::fwrite(data, 1, size, file) == size;
  if (std::fclose(file) != 0 || !written) return 0;
  try {
    std::vector<std::string> warnings;
    aimarket::analysis::compare_files({{"fuzz", path, {}}}, {}, warnings);
  } catch (const aimarket::analysis::InputError&) {
    // Refused as bad input, as it should be.
  }
  return 0;
}
