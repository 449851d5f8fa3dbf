#!/usr/bin/env bash
# Makes the scenario comparison of docs/MODEL.md ("What the scenarios do to Korean outcomes")
# and results/examples/scenarios/: the full baseline and the four scenario files
# (configs/scenarios/) run through `aimarket compare` with common random numbers and the
# baseline's priors (every replicate draws its own values of the uncertain parameters, the
# same in every scenario), 20 replicates (enough for the attribution fit: more than the 14
# priors + 3), 200,000 customer agents, reported at 2026-12 and 2033-12; then the figures.
# About 35 minutes on 2 cores with the CPU backend (minutes on a GPU).
#
#   tools/make_scenario_comparison.sh [AIMARKET] [--reuse DIR]
#
# AIMARKET: the program (default build/aimarket). --reuse DIR: skip the runs and make the
# table and figures from DIR/comparison.h5 of an earlier run of this script (DIR/comparison.md
# holds its table). Runs go to a temporary folder unless --reuse names one; results/examples/
# scenarios/ receives comparison.md, comparison.csv and PNG figures. Exit status: 0 done,
# 2 the program or a tool is missing, 1 a step failed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
aimarket="$repo/build/aimarket"
reuse=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reuse) reuse="${2:?--reuse needs a folder}"; shift 2 ;;
    *) aimarket="$1"; shift ;;
  esac
done
python=/usr/bin/python3
out="$repo/results/examples/scenarios"
say() { echo "make_scenario_comparison: $*" >&2; }

if [ ! -x "$python" ] || ! "$python" -c 'import h5py, matplotlib' 2>/dev/null; then
  say "$python with h5py and matplotlib is needed; run tools/setup.sh"
  exit 2
fi
if [ -n "$reuse" ]; then
  work="$(cd "$reuse" && pwd)"
  [ -f "$work/comparison.h5" ] || { say "no comparison.h5 in '$reuse'"; exit 2; }
else
  if [ ! -x "$aimarket" ]; then
    say "no aimarket program at '$aimarket'; build it first (see README.md) or pass its path"
    exit 2
  fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  say "running the baseline and four scenarios: 20 replicates x 200,000 customers x 120 months"
  "$aimarket" compare "$repo/configs/baseline.toml" \
    "$repo"/configs/scenarios/{global_cooperation,domestic_competition,sovereign_ai,galapagos}.toml \
    --out-dir "$work" --replicates 20 --set population.customers=200000 \
    --at 2026-12,2033-12 --progress none --overwrite > "$work/comparison.md"
fi

mkdir -p "$out"
rm -f "$out"/*.png "$out"/comparison.md "$out"/comparison.csv
cp "$work/comparison.md" "$work/comparison.csv" "$out/"
for measure in kr_share_korea kr_share_world kr_survival kr_customer_quality; do
  for date in 2026-12 2033-12; do
    "$python" "$repo/tools/plot/compare.py" "$work/comparison.h5" --measure "$measure" \
      --date "$date" --format png --dpi 100 --out "$out/${measure}_$date"
  done
done
say "wrote $(ls "$out" | wc -l) files to results/examples/scenarios/"
