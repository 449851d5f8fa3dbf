// The current UTC time as ISO 8601 ("2026-11-28T21:33:00Z"), for provenance in output files
// and benchmark reports.
#pragma once

#include <ctime>
#include <string>

namespace aimarket {

inline std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace aimarket
