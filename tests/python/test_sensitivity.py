"""tools/sensitivity/ end to end on a small market: a Sobol design drawn from the baseline's
priors reaches the run row by row, its values follow the priors, and the analysis writes its
indices and figures; Morris designs have their trajectory shape; bad input exits 2."""
import csv
import json
import subprocess
import sys

import h5py
import numpy as np

from conftest import REPO

TOOL = REPO / "tools" / "sensitivity" / "sensitivity.py"
SMALL = ["--set", "population.customers=2000", "--set", "population.synthetic_firms=60",
         "--set", "entry.free_slots=10", "--set", "demand.calibration_rounds=4"]


def tool(aimarket, *args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args), "--aimarket", aimarket]
                          if args[0] != "analyze" else [sys.executable, str(TOOL), *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def read_design(path):
    with open(path) as f:
        rows = [line for line in f if not line.startswith("#")]
    reader = csv.reader(rows)
    header = next(reader)
    return header, np.array([[float(v) for v in row] for row in reader])


def test_sobol_design_runs_and_is_analysed(aimarket, tmp_path):
    out = tmp_path / "sobol"
    done = tool(aimarket, "run", REPO / "configs" / "baseline.toml", "--method", "sobol",
                "--n", "2", "--out", out, "--steps", "13", "--at", "2025-01", *SMALL)
    assert done.returncode == 0, done.stderr
    keys, values = read_design(out / "design.csv")
    priors = json.loads((out / "design.json").read_text())["priors"]
    assert keys == [p["key"] for p in priors]
    assert values.shape == (2 * (len(keys) + 2), len(keys))  # Saltelli: N (D + 2)
    for k, prior in enumerate(priors):
        if prior["distribution"] != "normal":
            assert np.all(values[:, k] >= float(prior["low"]))
            assert np.all(values[:, k] <= float(prior["high"]))
    with h5py.File(out / "run.h5", "r") as f:
        names = [n.decode() for n in f["parameter"][()]]
        assert names == keys
        np.testing.assert_array_equal(f["parameter_value"][()], values)
    assert (out / "indices.csv").exists() and (out / "indices.md").exists()
    assert list(out.glob("sobol_*_2025-01.png"))
    with open(out / "indices.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["key"] for r in rows} == set(keys)
    assert all(set(r) >= {"S1", "ST", "S1_conf", "ST_conf"} for r in rows)


def test_morris_design_has_trajectories(aimarket, tmp_path):
    out = tmp_path / "morris"
    done = tool(aimarket, "design", REPO / "configs" / "baseline.toml", "--method", "morris",
                "--n", "3", "--out", out)
    assert done.returncode == 0, done.stderr
    keys, values = read_design(out / "design.csv")
    assert values.shape == (3 * (len(keys) + 1), len(keys))  # N (D + 1)
    # Along a trajectory each step changes exactly one key.
    unit = np.array(json.loads((out / "design.json").read_text())["unit"])
    for t in range(3):
        block = unit[t * (len(keys) + 1):(t + 1) * (len(keys) + 1)]
        assert np.all((np.abs(np.diff(block, axis=0)) > 0).sum(axis=1) == 1)


def test_bad_input_exits_2(aimarket, tmp_path):
    done = tool(aimarket, "design", REPO / "configs" / "textbook" / "logit.toml", "--out",
                tmp_path / "none")
    assert done.returncode == 2
    assert "no uncertain keys" in done.stderr
    done = tool(aimarket, "design", REPO / "configs" / "baseline.toml", "--n", "3", "--out",
                tmp_path / "odd")
    assert done.returncode == 2 and "power of 2" in done.stderr
