// Small text helpers for messages and command-line values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aimarket {

// The text in single quotes, as messages name paths, keys and values.
inline std::string quoted(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result += '\'';
  result += text;
  result += '\'';
  return result;
}
// Exact matches for std::string arguments (otherwise argument-dependent lookup would prefer
// the std::quoted template of <iomanip>, which returns a stream manipulator, not a string) and
// for C strings (which convert to either of the others).
inline std::string quoted(const std::string& text) { return quoted(std::string_view(text)); }
inline std::string quoted(const char* text) { return quoted(std::string_view(text)); }

// The text without leading and trailing blanks (spaces and tabs; a command-line list such as
// "2024-01, 2025-01" or an override "key = value" may carry them).
inline std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// The items with `separator` between them.
inline std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += separator;
    text += items[i];
  }
  return text;
}

}  // namespace aimarket
