"""End-to-end tests of `aimarket compare`: scenarios run with common random numbers, the
Markdown table, comparison.csv and comparison.h5 with the documented layout (docs/OUTPUT.md,
"Comparison files"), sweeps, trajectory files as input, and refusals."""
import csv
import math
import shutil
import struct
import sys

import h5py
import numpy as np

from conftest import REPO

# The global-heap walk that makes the kept fuzz regressions, shared rather than written twice.
sys.path.insert(0, str(REPO / "tools" / "fuzz"))
from make_regressions import heap_objects  # noqa: E402

BASELINE = str(REPO / "configs" / "baseline.toml")
# A tiny market: the baseline's named firms plus 20 synthetic ones, 2,000 customers,
# 3 steps x 3 replicates (a fraction of a second per run on 2 cores).
SMALL = ["--set", "population.customers=2000", "--set", "population.synthetic_firms=20",
         "--steps", "3", "--replicates", "3", "--backend", "cpu", "--progress", "none"]
TABLE_COLUMNS = ["scenario", "measure", "layer", "region", "firm", "date", "step", "n", "mean",
                 "sd", "ci_low", "ci_high", "diff_mean", "diff_ci_low", "diff_ci_high",
                 "diff_parameter_share", "diff_drivers"]


def scenario_config(tmp_path, name, text):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'base = "{BASELINE}"\n{text}')
    return str(path)


def test_compare_configs_writes_the_documented_files(run_aimarket, tmp_path):
    home = scenario_config(tmp_path, "home_bias", "[demand]\nbeta_home = 2.0\n")
    out = tmp_path / "out"
    result = run_aimarket("compare", BASELINE, home, "--out-dir", out, *SMALL)
    assert result.returncode == 0, result.stderr
    assert "Paired: every scenario ran with seed" in result.stdout
    assert "| kr_share_world | service |" in result.stdout
    assert (out / "runs" / "baseline.h5").exists() and (out / "runs" / "home_bias.h5").exists()

    with open(out / "comparison.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0].keys()) == TABLE_COLUMNS
    assert {r["scenario"] for r in rows} == {"baseline", "home_bias"}
    measures = {r["measure"] for r in rows}
    assert {"kr_share_world", "kr_revenue_share_world", "kr_share_korea", "hhi", "kr_survival",
            "leader_share", "kr_customer_price", "kr_customer_quality"} <= measures
    reference = [r for r in rows if r["scenario"] == "baseline"]
    assert all(r["diff_mean"] == "nan" for r in reference)

    with h5py.File(out / "comparison.h5", "r") as f:
        assert f.attrs["title"] == "aimarket comparison"
        assert f.attrs["common_random_numbers"] == 1
        assert f.attrs["reference"] == "baseline"
        assert f.attrs["replicates"] == 3
        assert f.attrs["confidence_level"] == 0.95
        assert "Paired" in f.attrs["pairing"]
        assert "compare" in f.attrs["command"] and "--out-dir" in f.attrs["command"]
        for name in ("program_version", "created", "seed"):
            assert name in f.attrs
        assert list(f["scenario"].asstr()[:]) == ["baseline", "home_bias"]
        assert f["scenario_file"].asstr()[1].endswith("runs/home_bias.h5")
        assert "beta_home = 2" in f["scenario_config"].asstr()[1]
        table = f["table"]
        n = len(rows)
        for column in TABLE_COLUMNS:
            assert table[column].shape == (n,), column
        assert table["values"].shape == (n, 3)
        assert "sweep" not in f
        # The table and the CSV agree, and each mean is the mean of its replicate values.
        means = table["mean"][:]
        values = table["values"][:]
        for i, row in enumerate(rows):
            assert row["measure"] == table["measure"].asstr()[i]
            if int(row["n"]) > 0:
                assert math.isclose(float(row["mean"]), means[i], rel_tol=1e-15)
                # Mean of the finite replicate values; rounding differs by a few ulps at most.
                assert math.isclose(np.nanmean(values[i]), means[i], rel_tol=1e-12, abs_tol=1e-15)


def test_sweep_is_a_grid_of_named_scenarios(run_aimarket, tmp_path):
    out = tmp_path / "out"
    result = run_aimarket("compare", BASELINE, "--out-dir", out, "--sweep",
                          "demand.beta_home=0.5,1.5", "--sweep", "demand.switching_cost=0,2",
                          *SMALL)
    assert result.returncode == 0, result.stderr
    with h5py.File(out / "comparison.h5", "r") as f:
        names = list(f["scenario"].asstr()[:])
        assert names[0] == "baseline[demand.beta_home=0.5,demand.switching_cost=0]"
        assert len(names) == 4
        assert list(f["sweep/keys"].asstr()[:]) == ["demand.beta_home", "demand.switching_cost"]
        assert f["sweep/values"].asstr()[3].tolist() == ["1.5", "2"]
    assert (out / "runs" / "baseline[demand.beta_home=1.5,demand.switching_cost=2].h5").exists()


def test_trajectory_files_as_input_and_refusals(run_aimarket, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    for name in ("a", "b"):
        result = run_aimarket("run", BASELINE, "--out", runs / f"{name}.h5",
                              *SMALL[:8], "--progress", "none")
        assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    result = run_aimarket("compare", runs / "a.h5", runs / "b.h5", "--out-dir", out,
                          "--at", "2024-02,2024-03")
    assert result.returncode == 0, result.stderr
    with h5py.File(out / "comparison.h5", "r") as f:
        dates = set(f["table/date"].asstr()[:])
        assert dates == {"2024-02", "2024-03"}
        # The same config and seed twice: every paired difference is exactly 0.
        diff = f["table/diff_mean"][:]
        scenario = f["table/scenario"].asstr()[:]
        assert np.all(diff[(scenario == "b") & np.isfinite(diff)] == 0.0)

    # An existing comparison is not replaced without --overwrite.
    again = run_aimarket("compare", runs / "a.h5", runs / "b.h5", "--out-dir", out)
    assert again.returncode == 2
    assert "exists; pass --overwrite" in again.stderr
    # A date not recorded, a missing file, an HDF5 file that is not an aimarket output.
    late = run_aimarket("compare", runs / "a.h5", "--out-dir", tmp_path / "o2", "--at", "2030-01")
    assert late.returncode == 2 and "2030-01" in late.stderr
    missing = run_aimarket("compare", tmp_path / "nope.h5", "--out-dir", tmp_path / "o3")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.attrs["title"] = "something else"
    foreign = run_aimarket("compare", tmp_path / "other.h5", "--out-dir", tmp_path / "o4")
    assert foreign.returncode == 2 and "not an aimarket output" in foreign.stderr
    assert len(foreign.stderr.strip().splitlines()) == 1


# --- Hostile and damaged trajectory files: exit 2, one line naming the file ----------------

def small_output(run_aimarket, path):
    result = run_aimarket("run", BASELINE, "--out", path, *SMALL[:8], "--progress", "none")
    assert result.returncode == 0, result.stderr
    return path


def refused(run_aimarket, tmp_path, path):
    """Compares one file; checks it is refused as bad input in one line naming it."""
    out = tmp_path / f"out_{path.stem}"
    result = run_aimarket("compare", path, "--out-dir", out, timeout=60)
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"'{path}'" in lines[0], lines[0]
    assert not out.exists()
    return lines[0]


def test_hostile_attributes_are_refused_naming_the_file_and_attribute(run_aimarket, tmp_path):
    base = small_output(run_aimarket, tmp_path / "base.h5")
    cases = {
        # Arrays read into one value: a SIGSEGV, and a status read as 'complet'.
        "seed_array": ("seed", np.arange(4000, dtype=np.uint64),
                       "root attribute 'seed' holds 4000 values; expected one"),
        "status_array": ("status", np.array([b"complete", b"x"], dtype="S7"),
                         "root attribute 'status' holds 2 values; expected one"),
        # More replicates than the data (statistics of 1e180, exit 0); negative and huge
        # (std::bad_alloc, exit 1).
        "replicates_1000": ("replicates", np.int64(1000),
                            "'replicates' says 1000 but the 'replicate' dimension holds 3"),
        "replicates_negative": ("replicates", np.int64(-5),
                                "'replicates' is -5; a run has at least 1 replicate"),
        "replicates_huge": ("replicates", np.int64(2**62),
                            f"'replicates' says {2**62} but the 'replicate' dimension holds 3"),
        "steps_recorded": ("steps_recorded", np.int64(7),
                           "'steps_recorded' says 7 but dataset 'step' holds 3"),
        "seed_text": ("seed", "20240101", "root attribute 'seed' is a string, not an integer"),
    }
    for name, (attribute, value, expected) in cases.items():
        path = tmp_path / f"{name}.h5"
        shutil.copy(base, path)
        with h5py.File(path, "r+") as f:
            del f.attrs[attribute]
            f.attrs[attribute] = value
        message = refused(run_aimarket, tmp_path, path)
        assert expected in message, (name, message)


def test_damaged_files_are_refused_in_one_line(run_aimarket, tmp_path):
    base = small_output(run_aimarket, tmp_path / "base.h5")
    data = bytearray(base.read_bytes())

    # A flipped byte in a dataset's object header: HDF5 refuses its checksum and used to add
    # "HDF5: infinite loop closing library" and a line of its internals at exit.
    with h5py.File(base, "r") as f:
        header = h5py.h5o.get_info(f["layer"].id).addr
    flipped = bytearray(data)
    flipped[header + 8] ^= 0xFF
    path = tmp_path / "flipped_header.h5"
    path.write_bytes(flipped)
    assert "opening dataset 'layer'" in refused(run_aimarket, tmp_path, path)

    # A string in the global heap that claims to run past its collection: HDF5 1.10 copied
    # past its buffer (SIGSEGV). A free-space entry of size 0: HDF5 looped forever.
    objects = heap_objects(data)
    first_string = next(p for p, index in objects if index > 0)
    long_string = bytearray(data)
    struct.pack_into("<Q", long_string, first_string + 8, 1 << 40)
    path = tmp_path / "long_string.h5"
    path.write_bytes(long_string)
    assert "global heap collection" in refused(run_aimarket, tmp_path, path)
    free_space = [p for p, index in objects if index == 0]
    assert free_space, "a collection has free space"
    empty_free_space = bytearray(data)
    struct.pack_into("<Q", empty_free_space, free_space[0] + 8, 0)
    path = tmp_path / "empty_free_space.h5"
    path.write_bytes(empty_free_space)
    assert "global heap collection" in refused(run_aimarket, tmp_path, path)

    # The stored length of a string that disagrees with the string: HDF5 1.10 trusts it. Too
    # short, the firm's name was silently cut (exit 0); too long (up to 4 GiB), HDF5 allocated
    # and cleared that much before it noticed.
    with h5py.File(base, "r") as f:
        names = f["firm_name"].id.get_offset()
        dates = f["date"].id.get_offset()  # chunked: None
    assert names is not None and dates is None
    for name, length in (("short_length", 1), ("long_length", 0xFFFFFFF0)):
        changed = bytearray(data)
        struct.pack_into("<I", changed, names, length)
        path = tmp_path / f"{name}.h5"
        path.write_bytes(changed)
        message = refused(run_aimarket, tmp_path, path)
        assert "entry 0 of dataset 'firm_name' does not match the string" in message, message

    # Cut short: HDF5 notices the end of file is before its end of allocation.
    path = tmp_path / "truncated.h5"
    path.write_bytes(data[: len(data) // 2])
    refused(run_aimarket, tmp_path, path)
