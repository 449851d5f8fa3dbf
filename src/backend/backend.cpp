#include "backend/backend.hpp"

namespace aimarket {

void EnsembleBackend::add_phase_time(const char* phase, double seconds) {
  for (PhaseTime& p : phase_seconds_) {
    if (p.phase == phase) {
      p.seconds += seconds;
      return;
    }
  }
  phase_seconds_.push_back(PhaseTime{phase, seconds});
}

}  // namespace aimarket
