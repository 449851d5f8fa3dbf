#!/usr/bin/env bash
# Makes the example figures and report committed in results/examples/ (docs/PLOTTING.md):
# a small baseline, the three Korean policy scenarios and the Galapagos warning
# (configs/scenarios/) run through
# `aimarket compare` with common random numbers, then the plotting tools of tools/plot/.
# About 1-2 minutes on 2 cores with the CPU backend.
#
#   tools/make_examples.sh [AIMARKET]        (default: build/aimarket)
#
# Sizes (override through the environment): EXAMPLE_CUSTOMERS=30000 customer agents per
# replicate, EXAMPLE_SYNTHETIC_FIRMS=200, EXAMPLE_STEPS=72 months, EXAMPLE_REPLICATES=20 (enough
# for the comparison to attribute each difference to the baseline's 14 priors: > 14 + 3).
# The run files go to a temporary folder (deleted at the end); results/examples/ receives
# PNG figures, the HTML report, and the comparison table as Markdown and CSV.
# A scenario config that does not exist yet is left out, with a message; the baseline alone
# still gives every figure. Exit status: 0 done, 2 the program or a tool is missing, 1 a step
# failed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
aimarket="${1:-$repo/build/aimarket}"
python=/usr/bin/python3
plot="$repo/tools/plot"
out="$repo/results/examples"

customers="${EXAMPLE_CUSTOMERS:-30000}"
synthetic="${EXAMPLE_SYNTHETIC_FIRMS:-200}"
steps="${EXAMPLE_STEPS:-72}"
replicates="${EXAMPLE_REPLICATES:-20}"

say() { echo "make_examples: $*" >&2; }

if [ ! -x "$aimarket" ]; then
  say "no aimarket program at '$aimarket'; build it first (see README.md) or pass its path"
  exit 2
fi
aimarket="$(cd "$(dirname "$aimarket")" && pwd)/$(basename "$aimarket")"
if ! "$aimarket" compare --help >/dev/null 2>&1; then
  say "'$aimarket' has no 'compare' command; rebuild it from a newer checkout"
  exit 2
fi
if [ ! -x "$python" ] || ! "$python" -c 'import h5py, matplotlib' 2>/dev/null; then
  say "$python with h5py and matplotlib is needed; run tools/setup.sh"
  exit 2
fi

configs=("$repo/configs/baseline.toml")
for scenario in global_cooperation domestic_competition sovereign_ai galapagos; do
  config="$repo/configs/scenarios/$scenario.toml"
  if [ -f "$config" ]; then
    configs+=("$config")
  else
    say "configs/scenarios/$scenario.toml does not exist (yet); leaving that scenario out"
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$out"
rm -f "$out"/*.png "$out"/report.html "$out"/comparison.md "$out"/comparison.csv
cd "$work"   # relative paths in the comparison and the report: comparison/runs/NAME.h5
mkdir comparison

say "comparing ${#configs[@]} scenario(s): $customers customers x $replicates replicates x" \
    "$steps months, $synthetic synthetic firms"
"$aimarket" compare "${configs[@]}" --out-dir comparison --progress none \
  --steps "$steps" --replicates "$replicates" \
  --set "population.customers=$customers" --set "population.synthetic_firms=$synthetic" \
  > comparison/comparison.md
cp comparison/comparison.md comparison/comparison.csv "$out/"

# one run file per scenario, in the comparison's order (the reference, the baseline, first)
mapfile -t runs < <("$python" -c '
import sys, h5py
with h5py.File(sys.argv[1]) as f:
    for path in f["scenario_file"].asstr()[()]:
        print(path)' comparison/comparison.h5)

png=(--format png --dpi 100)   # small files for the repository
"$python" "$plot/market_share.py" "${runs[0]}" "${png[@]}" --out "$out/market_share_baseline"
"$python" "$plot/korea_share.py" "${runs[@]}" "${png[@]}" --out "$out/korea_share"
"$python" "$plot/hhi.py" "${runs[@]}" "${png[@]}" --out "$out/hhi"
for measure in kr_share_world hhi; do
  "$python" "$plot/compare.py" comparison/comparison.h5 --measure "$measure" "${png[@]}" \
    --out "$out/compare_$measure"
done
"$python" "$plot/report.py" comparison/comparison.h5 --out report.html
cp report.html "$out/"

say "wrote $(ls "$out" | wc -l) files to results/examples/ ($(du -sh "$out" | cut -f1))"
