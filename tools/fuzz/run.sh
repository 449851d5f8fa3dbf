#!/usr/bin/env bash
# Fuzzes the two readers of outside input with libFuzzer (clang-14, AddressSanitizer and
# UndefinedBehaviorSanitizer): the config loader (`aimarket validate`: TOML text plus --set
# values, tests/fuzz/fuzz_config.cpp) and the trajectory reader behind `aimarket compare`
# (the bytes of an .h5 file, tests/fuzz/fuzz_trajectory.cpp).
#
#   tools/fuzz/run.sh [SECONDS]     each target for SECONDS (default 60), as CI runs it
#
# Builds build-fuzz/ first if needed (CC=clang-14 CXX=clang++-14, -DAIMARKET_FUZZ=ON). Seeds:
# the repository's configs (configs/**/*.toml, alone and with a few --set lines), small
# trajectory files made with `aimarket run` at the first run, and the kept regression inputs
# (tests/fuzz/regressions/<target>/). The corpus grows in build-fuzz/fuzz/corpus/<target>/
# from run to run; findings go to build-fuzz/fuzz/findings/<target>/ (crash-*, leak-*,
# timeout-*, oom-*). Prints per target the executions, the coverage (edges and features) and
# the findings; exits 1 if any target found something.
#
# A finding: replay it with `build-fuzz/tests/fuzz/fuzz_<target> FILE`; once fixed, keep the
# file in tests/fuzz/regressions/<target>/ (ctest replays them in the fuzz build, and
# tests/python/test_fuzz_regressions.py sends them through the ordinary program).
#
# Long run (e.g. overnight, one process per core, carrying on past findings):
#   tools/fuzz/run.sh 0 >/dev/null        # build and seed only
#   ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
#   LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
#   build-fuzz/tests/fuzz/fuzz_trajectory -fork=$(nproc) -ignore_crashes=1 -ignore_timeouts=1 \
#     -ignore_ooms=1 -max_total_time=28800 -timeout=10 -rss_limit_mb=2048 \
#     -artifact_prefix=build-fuzz/fuzz/findings/trajectory/ \
#     build-fuzz/fuzz/corpus/trajectory build-fuzz/fuzz/seeds/trajectory
# (and the same for fuzz_config with its corpus and seeds). Then triage
# build-fuzz/fuzz/findings/trajectory/ against tests/fuzz/known_hdf5_findings.txt by hand.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: tools/fuzz/run.sh [SECONDS]" >&2
  exit 2
fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$repo/build-fuzz"
work="$build/fuzz"
jobs="$(nproc 2>/dev/null || echo 2)"

# --- Build -------------------------------------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
  launcher=()
  if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  CC=clang-14 CXX=clang++-14 cmake -S "$repo" -B "$build" -DAIMARKET_CUDA=OFF -DAIMARKET_FUZZ=ON \
    -DAIMARKET_TESTS=OFF -DAIMARKET_WERROR=ON "${launcher[@]}" >/dev/null
fi
cmake --build "$build" -j "$jobs" --target fuzz_config fuzz_trajectory aimarket >/dev/null

# --- Seeds -------------------------------------------------------------------------------
mkdir -p "$work"/{seeds,corpus,findings}/{config,trajectory}
while IFS= read -r -d '' config; do
  name="$(basename "$(dirname "$config")")_$(basename "$config")"
  cp "$config" "$work/seeds/config/$name"
  # The same config with --set values after the separator line.
  printf '%s\n---\nrun.steps=2\npopulation.customers=100\nfirm.Naver.quality=1.2\n' \
    "$(cat "$config")" >"$work/seeds/config/set_$name"
done < <(find "$repo/configs" -name '*.toml' -print0)
cp "$repo"/tests/fuzz/regressions/config/* "$work/seeds/config/" 2>/dev/null || true

seed_run() {  # NAME CONFIG [--set ...]: a small output of `aimarket run`, made once
  local name="$1" config="$2"
  shift 2
  local out="$work/seeds/trajectory/$name.h5"
  [ -f "$out" ] && return 0
  if ! made="$(ASAN_OPTIONS=detect_leaks=0 "$build/aimarket" run "$repo/$config" --out "$out" \
                --backend cpu --threads 1 --progress none "$@" 2>&1)"; then
    echo "$made" >&2
    exit 1
  fi
  # The same run in HDF5's latest format, compressed harder: other layouts, a smaller file.
  if command -v h5repack >/dev/null 2>&1; then
    h5repack -L -f SHUF -f GZIP=9 "$out" "$work/seeds/trajectory/${name}_repacked.h5"
  fi
}
seed_run logit configs/textbook/logit.toml --steps 1 --replicates 1 \
  --set population.customers=50
seed_run baseline configs/baseline.toml --steps 2 --replicates 2 \
  --set population.customers=100 --set population.synthetic_firms=0 --set entry.free_slots=0
cp "$repo"/tests/fuzz/regressions/trajectory/* "$work/seeds/trajectory/" 2>/dev/null || true

# --- Fuzz --------------------------------------------------------------------------------
[ "$seconds" -eq 0 ] && exit 0
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$repo/tests/fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
known_list="$repo/tests/fuzz/known_hdf5_findings.txt"

# The name of the known HDF5 limitation whose pattern matches the report in log $1, or nothing.
known_finding() {
  local name pattern
  while IFS=$'\t' read -r name pattern; do
    case "$name" in ''|'#'*) continue ;; esac
    if grep -Pzq -- "(?s)$pattern" "$1"; then
      echo "$name"
      return 0
    fi
  done <"$known_list"
}

status=0
for target in config trajectory; do
  findings="$work/findings/$target"
  mkdir -p "$findings/known"
  log="$work/$target.log"
  executions=0
  known=0
  new=()
  rc=0
  asan="$ASAN_OPTIONS"
  # The trajectory reader calls HDF5, which is built without frame pointers: full stacks at
  # each allocation, so that the suppressions of HDF5's own leaks (see the file) match.
  [ "$target" = trajectory ] && asan="$asan:fast_unwind_on_malloc=0"
  started=$SECONDS
  deadline=$((SECONDS + seconds))
  # libFuzzer stops at its first finding; a known HDF5 limitation is set aside and fuzzing
  # goes on for the rest of the time, anything else ends this target's run.
  while [ $((deadline - SECONDS)) -gt 0 ]; do
    find "$findings" -maxdepth 1 -type f | sort >"$work/$target.before"
    set +e
    ASAN_OPTIONS="$asan" "$build/tests/fuzz/fuzz_$target" \
      -max_total_time=$((deadline - SECONDS)) -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$findings/" \
      "$work/corpus/$target" "$work/seeds/$target" >"$log" 2>&1
    rc=$?
    set -e
    find "$findings" -maxdepth 1 -type f | sort >"$work/$target.after"
    ran="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    executions=$((executions + ${ran:-0}))
    coverage="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)"
    mapfile -t found < <(comm -13 "$work/$target.before" "$work/$target.after")
    [ "$rc" -eq 0 ] && [ "${#found[@]}" -eq 0 ] && break
    name="$(known_finding "$log")"
    if [ -n "$name" ] && [ "${#found[@]}" -eq 1 ]; then
      known=$((known + 1))
      mv "${found[0]}" "$findings/known/$name-$(basename "${found[0]}")"
      cp "$log" "$findings/known/$name-$(basename "${found[0]}").log"
      continue
    fi
    new=("${found[@]}")
    cp "$log" "$findings/$target-$(date +%Y%m%d-%H%M%S).log"
    break
  done
  corpus="$(find "$work/corpus/$target" -type f | wc -l)"
  echo "fuzz_$target: $executions executions in $((SECONDS - started)) s, ${coverage:-cov: ?}," \
       "corpus $corpus inputs, ${#new[@]} new finding(s), $known known HDF5 limitation(s)" \
       "(tests/fuzz/known_hdf5_findings.txt)"
  if [ "${#new[@]}" -ne 0 ] || { [ "$rc" -ne 0 ] && [ "$known" -eq 0 ]; }; then
    status=1
    printf '  finding: %s\n' "${new[@]}"
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|deadly signal' \
      "$log" | sed 's/^/  /' || true
    echo "  log: $log (libFuzzer exit $rc)"
  fi
done
exit "$status"
