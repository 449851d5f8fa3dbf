// libFuzzer target: a config and its --set overrides, as `aimarket validate` loads them
// (load_config). The input is TOML text, then optionally a line "---" and one --set value
// (KEY=VALUE) per line. The TOML is written to configs/scenarios/ of a private copy of the
// repository's configs, so that `base = "../baseline.toml"` resolves as in the repository.
// ConfigError is the command's bad-input exit (2) and is fine; anything else escaping, a
// crash, a sanitizer report, a leak or a hang is a finding.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace {

namespace fs = std::filesystem;

std::string folder;
std::string input_path;

void remove_folder() {
  std::error_code ignored;
  fs::remove_all(folder, ignored);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  folder = (fs::temp_directory_path() / "aimarket-fuzz-config-XXXXXX").string();
  if (::mkdtemp(folder.data()) == nullptr) {
    std::perror("aimarket fuzz_config: mkdtemp");
    std::abort();
  }
  fs::copy(fs::path(AIMARKET_SOURCE_DIR) / "configs", fs::path(folder) / "configs",
           fs::copy_options::recursive);
  std::atexit(remove_folder);
  input_path = (fs::path(folder) / "configs" / "scenarios" / "fuzz-input.toml").string();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSeparator = "\n---\n";
  const std::size_t split = input.find(kSeparator);
  const std::string_view toml = input.substr(0, split);
  std::vector<aimarket::ConfigOverride> overrides;
  if (split != std::string_view::npos) {
    std::string_view rest = input.substr(split + kSeparator.size());
    while (!rest.empty()) {
      const std::size_t end = rest.find('\n');
      const std::string line(rest.substr(0, end));
      if (!line.empty()) overrides.push_back({line, "--set " + line});
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }
  std::FILE* file = std::fopen(input_path.c_str(), "wb");
  if (file == nullptr) return 0;
  const bool written = std::fwrite(toml.data(), 1, toml.size(), file) == toml.size();
  if (std::fclose(file) != 0 || !written) return 0;
  try {
    aimarket::load_config(input_path, overrides);
  } catch (const aimarket::ConfigError&) {
    // Refused as bad input, as it should be.
  }
  return 0;
}
