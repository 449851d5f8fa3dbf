#!/usr/bin/env bash
# GPU checks in one go, on a machine with an NVIDIA GPU (about 5 minutes on one H100/H200):
# builds the CUDA backend, runs the whole test suite (the CPU-vs-CUDA bitwise test included),
# compute-sanitizer memcheck on a small run, the same config on both backends compared
# dataset by dataset, and `aimarket bench` on both backends (JSON next to the report).
# Results go to one file: ${OUT:-results}/device_check.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
out_dir="${OUT:-results}"
mkdir -p "$out_dir"
report="$out_dir/device_check.txt"
exec > >(tee "$report") 2>&1
export PATH="/usr/local/cuda/bin:$PATH"

echo "== machine"; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
nproc; date -u

echo "== build"
cmake -S . -B build-gpu -DAIMARKET_CUDA=ON -DCMAKE_BUILD_TYPE=Release >/dev/null &&
  cmake --build build-gpu -j"$(nproc)" >/dev/null || { echo "BUILD FAILED"; exit 1; }

echo "== tests (CPU and GPU)"
ctest --test-dir build-gpu --output-on-failure 2>&1 | tail -15
build-gpu/tests/aimarket_tests --gtest_filter='*Cuda*' 2>&1 | tail -5

echo "== compute-sanitizer memcheck"
compute-sanitizer --tool memcheck --error-exitcode 9 build-gpu/aimarket run configs/baseline.toml \
  --out /tmp/dc_memcheck.h5 --overwrite --backend cuda --steps 3 --replicates 2 \
  --set population.customers=20000 --progress none 2>&1 | tail -5
echo "memcheck exit: $?"

echo "== CPU vs CUDA datasets"
for b in cpu cuda; do
  build-gpu/aimarket run configs/baseline.toml --out "/tmp/dc_$b.h5" --overwrite --backend "$b" \
    --steps 24 --replicates 4 --set population.customers=200000 --progress none
done
/usr/bin/python3 - <<'PY'
import h5py
a, b = h5py.File("/tmp/dc_cpu.h5", "r"), h5py.File("/tmp/dc_cuda.h5", "r")
for name in ["customers", "adopters", "market_share", "hhi"]:
    same = a[name][()].tobytes() == b[name][()].tobytes()
    print(f"{name}: {'identical' if same else 'DIFFERENT'}")
PY

echo "== throughput: aimarket bench on both backends"
for size in "1000000 8" "10000000 64"; do
  set -- $size
  for b in cuda cpu; do
    if [ "$b" = cpu ] && [ "$1" -gt 1000000 ]; then continue; fi  # CPU too slow at 6.4e8
    build-gpu/aimarket bench configs/baseline.toml --backend "$b" --customers "$1" \
      --replicates "$2" --steps 5 --warmup 2 --repetitions 3 --json "$out_dir/bench_${b}_$1x$2.json" \
      --overwrite | tail -20
  done
done
