// What the parts of `aimarket compare` share beyond compare.hpp: measures
// (compare_measures.cpp), the comparison files (compare_outputs.cpp), scenarios and sweeps
// (compare_sweeps.cpp), and the command and the comparison itself (compare.cpp).
#pragma once

#include <limits>
#include <set>
#include <string>

namespace aimarket::analysis {

// A value that is not available (a measure whose inputs a file lacks, a replicate a scenario
// does not have): NaN in the table, "nan" in comparison.csv.
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// `base` made unique among `taken` by "-2", "-3", ..., and added to it: the stems of the
// scenarios' names and of the trajectory files compared.
std::string unique_name(const std::string& base, std::set<std::string>& taken);

}  // namespace aimarket::analysis
