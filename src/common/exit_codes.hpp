// The program's exit statuses, the same for every command (README.md, "Exit status"): one
// definition, so that `run`, `validate`, `bench` and `compare` cannot drift apart.
#pragma once

namespace aimarket {

inline constexpr int kExitSuccess = 0;
// The run itself failed (or memory ran out, or an internal error occurred).
inline constexpr int kExitRunFailed = 1;
// Bad input (command line, config, input file, output path): nothing is run or written.
inline constexpr int kExitBadInput = 2;
// Interrupted by a signal (128 + SIGINT); what was recorded is kept.
inline constexpr int kExitInterrupted = 130;

}  // namespace aimarket
