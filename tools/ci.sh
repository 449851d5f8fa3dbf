#!/usr/bin/env bash
# The checks CI runs, in order; each stage stops the script on its first failure.
#
#   tools/ci.sh [STAGE...]      default: every stage below, in this order
#
#   format   clang-format (.clang-format) reports no change to any C++/CUDA source
#   build    the `ci` preset (both backends where nvcc is found, warnings are errors) and its
#            whole test suite
#   asan     the `asan-ubsan` preset (CPU backend under AddressSanitizer and
#            UndefinedBehaviorSanitizer) and its whole test suite, the Python tests included
#            (they run the instrumented program)
#   tsan     the `tsan` preset: the trajectory writer's tests (a writer thread beside the
#            simulation) under ThreadSanitizer
#   lint     clang-tidy (.clang-tidy: bugprone-*, performance-*) over src/ and tests/cpp/
#   fuzz     each fuzz target for FUZZ_SECONDS (default 60) with its seed corpus, after its
#            kept regression inputs (tools/fuzz/run.sh)
#
# Needs what tools/setup.sh installs (clang-14 tools included). Run from anywhere.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# nvcc lives in the CUDA toolkit's bin folder, which a bare environment may not have on PATH.
if [ -d /usr/local/cuda/bin ]; then export PATH="/usr/local/cuda/bin:$PATH"; fi

jobs="${CI_JOBS:-2}"
stages=("$@")
if [ ${#stages[@]} -eq 0 ]; then stages=(format build asan tsan lint fuzz); fi

say() { printf '\n== ci: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

# C++ and CUDA sources under version control (generated and third-party files are not).
sources() { git ls-files '*.cpp' '*.hpp' '*.cu' '*.inl' '*.h' '*.hpp.in'; }

stage_format() {
  say "format"
  # --dry-run --Werror: report every line that differs from the style, change nothing.
  sources | xargs clang-format-14 --dry-run --Werror
}

stage_build() {
  say "build and test (ci preset)"
  cmake --preset ci
  cmake --build --preset ci -j "$jobs"
  ctest --preset ci
}

stage_asan() {
  say "build and test under AddressSanitizer and UndefinedBehaviorSanitizer"
  cmake --preset asan-ubsan
  cmake --build --preset asan-ubsan -j "$jobs"
  ctest --preset asan-ubsan
}

stage_tsan() {
  say "trajectory writer tests under ThreadSanitizer"
  cmake --preset tsan
  cmake --build --preset tsan -j "$jobs"
  ctest --preset tsan
}

stage_lint() {
  say "clang-tidy"
  # The ci preset's compile database; configure it if the build stage has not run.
  [ -f build/compile_commands.json ] || cmake --preset ci >/dev/null
  git ls-files 'src/*.cpp' 'tests/cpp/*.cpp' |
    xargs -P "$jobs" -n 1 clang-tidy-14 -p build --quiet
}

stage_fuzz() {
  say "fuzzing, ${FUZZ_SECONDS:-60} s per target"
  tools/fuzz/run.sh "${FUZZ_SECONDS:-60}"
}

for stage in "${stages[@]}"; do
  case "$stage" in
    format | build | asan | tsan | lint | fuzz) "stage_$stage" ;;
    *)
      echo "tools/ci.sh: unknown stage '$stage' (stages: format build asan tsan lint fuzz)" >&2
      exit 2
      ;;
  esac
done
say "all stages passed: ${stages[*]}"
