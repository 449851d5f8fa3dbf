// Calendar months as the config and the output files write them, "YYYY-MM", and as the code
// counts them, months since January of year 0 (so that step arithmetic is plain addition).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aimarket {

// Months since year 0 of a "YYYY-MM" text (four digits, '-', two digits, month 01 to 12), or
// nothing when the text is not one; the caller says where the text came from.
std::optional<std::int64_t> parse_month(std::string_view text);

// As parse_month, for a text that must be a month; std::invalid_argument naming the text when
// it is not one.
std::int64_t month_index(std::string_view text);

// "YYYY-MM" of a month index (parse_month's inverse; years past 9999 get more digits).
std::string format_month(std::int64_t month_index);

}  // namespace aimarket
