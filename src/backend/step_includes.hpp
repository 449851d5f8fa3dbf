// Headers every backend's copy of the step code needs (see src/backend/ensemble_engine.inl).
#pragma once

#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/fill.h>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

#include "backend/backend.hpp"
#include "kernels/acquisition.hpp"
#include "kernels/customer_choice.hpp"
#include "kernels/firm_dynamics.hpp"
#include "kernels/firm_entry.hpp"
#include "kernels/market_clearing.hpp"
#include "kernels/rest_calibration.hpp"
#include "kernels/segment_state.hpp"
#include "kernels/strategy_adaptation.hpp"
