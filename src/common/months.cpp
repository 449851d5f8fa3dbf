#include "common/months.hpp"

#include <cstdio>
#include <stdexcept>

#include "common/text.hpp"

namespace aimarket {

std::optional<std::int64_t> parse_month(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  for (std::size_t i : {0, 1, 2, 3, 5, 6}) {
    if (!digit(i)) return std::nullopt;
  }
  const auto value = [&](std::size_t i) { return text[i] - '0'; };
  const int year = value(0) * 1000 + value(1) * 100 + value(2) * 10 + value(3);
  const int month = value(5) * 10 + value(6);
  if (month < 1 || month > 12) return std::nullopt;
  return std::int64_t{year} * 12 + (month - 1);
}

std::int64_t month_index(std::string_view text) {
  const std::optional<std::int64_t> index = parse_month(text);
  if (!index) throw std::invalid_argument(quoted(text) + " is not a month YYYY-MM");
  return *index;
}

std::string format_month(std::int64_t month_index) {
  char text[32];
  std::snprintf(text, sizeof text, "%04lld-%02d", static_cast<long long>(month_index / 12),
                static_cast<int>(month_index % 12) + 1);
  return text;
}

}  // namespace aimarket
