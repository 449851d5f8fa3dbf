#!/usr/bin/env bash
# Installs what aimarket needs on a Debian 12 machine (as root, or with sudo), skipping what is
# already there: compilers and CMake, HDF5, CLI11, toml++, Random123, GoogleTest, OpenMP,
# Boost.Math (statistics of `aimarket compare`) and Debian's Python 3 with numpy, h5py, xarray,
# h5netcdf, matplotlib and pytest (used as /usr/bin/python3), and the checking tools of
# tools/ci.sh: clang-format, clang-tidy and clang with its sanitizer and fuzzer runtimes.
# The CUDA toolkit (nvcc, Thrust/CCCL) is not a Debian package: install NVIDIA's toolkit for
# the CUDA backend. Without nvcc the build still needs Thrust's headers from it or from
# Debian's libthrust-dev (installed here when no toolkit is found).
#
# Mesa, the Python agent-based framework that tools/bench/ compares aimarket with, and SALib,
# the sensitivity-analysis library of tools/sensitivity/, are not Debian packages: they go into
# the virtual environment .venv-bench at the repository root, which also sees Debian's packages
# (numpy, pandas, scipy, matplotlib, h5py, xarray, tqdm, pytest); made once.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(build-essential cmake pkg-config git
          libhdf5-dev hdf5-tools libcli11-dev libtomlplusplus-dev librandom123-dev
          libgtest-dev libomp-dev
          python3 python3-numpy python3-h5py python3-xarray python3-h5netcdf python3-pytest
          python3-venv python3-scipy python3-pandas python3-tqdm python3-matplotlib libboost-dev
          clang-14 clang-format-14 clang-tidy-14 libclang-rt-14-dev)
if ! command -v nvcc >/dev/null 2>&1 && [ ! -d /usr/local/cuda/include/cccl/thrust ]; then
  packages+=(libthrust-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
else
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

venv="$repo/.venv-bench"
if "$venv/bin/python" -c 'import mesa, SALib' >/dev/null 2>&1; then
  echo "setup: .venv-bench has mesa and SALib"
else
  echo "setup: creating .venv-bench with mesa and SALib"
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
  # SALib (tools/sensitivity/) on Debian's numpy, scipy and pandas: pinned to their versions,
  # so that pip does not install newer ones that Debian's h5py was not built against.
  pins=$(/usr/bin/python3 -c 'import numpy, scipy, pandas
print(f"numpy=={numpy.__version__} scipy=={scipy.__version__} pandas=={pandas.__version__}")')
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    'mesa>=3,<4' 'SALib>=1.4,<2' $pins
fi
echo "setup: done"
