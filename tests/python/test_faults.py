"""Faults while a run writes its file: SIGKILL while the file is created and first flushed, and
between flushes; a full disk at creation, at the first flush and part way through the run.

Each must leave either no file at the output path (at most a hidden temporary, .NAME.partial-PID)
or a file that h5py reads whole, every step-indexed dataset as long as `steps_recorded` says,
with a `status` that says what happened. The full-disk cases mount a small tmpfs and skip,
saying so, where mounting is not allowed."""
import os
import random
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import REPO

# Many firms: a large firm table, so creating the file and its first flush take a while (a
# wide window to kill in), and frames of ~150 KB with fast steps.
WIDE = [str(REPO / "configs" / "baseline.toml"), "--set", "population.customers=5000",
        "--set", "population.synthetic_firms=3000", "--replicates", "2", "--backend", "cpu"]
# Tiny and fast: many steps a second.
TINY = [str(REPO / "configs" / "textbook" / "logit.toml"), "--set", "population.customers=2000",
        "--replicates", "2", "--backend", "cpu"]
NO_SPACE = "No space left on device"


def start(aimarket, out, *args):
    return subprocess.Popen([aimarket, "run", *map(str, args), "--out", str(out),
                             "--progress", "none"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=dict(os.environ, OMP_NUM_THREADS="1"))


def kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait()


def wait_for(path, process, seconds=120):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, "the run ended before its file appeared"
        assert time.monotonic() < deadline, f"{path} did not appear in {seconds} s"
        time.sleep(0.0005)


def temporaries(out):
    return [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.partial-")]


def left_behind(out):
    """None when nothing is at `out`; else (status, steps_recorded) of a file that reads whole,
    whose step-indexed datasets all hold `steps_recorded` steps, and whose utility offsets
    (written with the first step) are there exactly when a step is."""
    if not out.exists():
        return None
    with h5py.File(out, "r") as f:
        recorded = int(f.attrs["steps_recorded"])
        status = f.attrs["status"]
        status = status.decode() if isinstance(status, bytes) else status
        assert f["step"].shape == (recorded,) and f["date"].shape == (recorded,)
        assert np.all(np.diff(f["step"][()]) > 0)
        fixed = {"utility_offset", "parameter_value"}  # no step dimension
        variables = [name for name in f if f[name].ndim >= 2 and name not in fixed]
        assert len(variables) >= 10
        for name in variables:
            assert f[name].shape[1] == recorded, (name, f[name].shape, recorded)
            f[name][()]  # every stored value reads
        offsets = f["utility_offset"][()]
        assert np.all(np.isfinite(offsets)) if recorded > 0 else np.all(np.isnan(offsets))
    return status, recorded


# --- Kills -------------------------------------------------------------------------------------

def test_a_file_at_the_output_path_reads_from_the_moment_it_appears(aimarket, tmp_path):
    """Killed the instant a file shows up at the output path: it is already whole, with its
    first step (it was created under a temporary name and renamed once flushed). A file
    created in place was, at that instant, an empty or half-written one."""
    for trial in range(3):
        out = tmp_path / f"appears{trial}.h5"
        process = start(aimarket, out, *WIDE, "--steps", 100000)
        try:
            wait_for(out, process)
        finally:
            kill(process)
        assert left_behind(out) == ("running", 1)


def test_kills_while_the_file_is_created_and_first_flushed(aimarket, tmp_path):
    """SIGKILL at seeded random moments from the start of the run to a little past the first
    flush: either no file at the output path, or a whole one holding the first step."""
    # How long this machine takes to get the first step to disk.
    probe = tmp_path / "probe.h5"
    began = time.monotonic()
    process = start(aimarket, probe, *WIDE, "--steps", 100000)
    try:
        wait_for(probe, process)
    finally:
        kill(process)
    first_flush = time.monotonic() - began

    rng = random.Random(20240517)
    outcomes = []
    for trial in range(12):
        out = tmp_path / f"killed{trial}.h5"
        process = start(aimarket, out, *WIDE, "--steps", 100000)
        time.sleep(rng.uniform(0.0, 1.3 * first_flush))
        kill(process)
        outcomes.append(left_behind(out))
        assert len(temporaries(out)) <= 1
    for outcome in outcomes:
        assert outcome is None or (outcome[0] == "running" and outcome[1] >= 1), outcomes
    assert None in outcomes, "no kill came before the first flush: the window was not covered"


def test_kill_between_flushes_keeps_the_steps_of_the_last_flush(aimarket, tmp_path):
    """After the first flush, with the next one an hour away, the run goes on writing steps;
    killed then, the file holds what the flushes wrote (the first step, and any steps a flush
    to bound memory wrote) and reads whole."""
    rng = random.Random(7)
    for trial in range(3):
        out = tmp_path / f"between{trial}.h5"
        process = start(aimarket, out, *TINY, "--steps", 10000000, "--set",
                        "run.flush_seconds=3600")
        try:
            wait_for(out, process)
            time.sleep(rng.uniform(0.05, 0.5))
        finally:
            kill(process)
        status, recorded = left_behind(out)
        assert status == "running" and recorded >= 1


# --- A full disk -------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """mount(bytes) mounts a tmpfs of that size on a fresh folder and returns the folder;
    skips the test where mounting is not allowed (it needs root)."""
    mounted = []

    def mount(size):
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                                 str(folder)], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip("a full disk needs a small tmpfs, and mounting one is not allowed here: "
                        + (result.stderr.strip() or f"mount exited with {result.returncode}"))
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.fixture(scope="module")
def wide_sizes(aimarket, tmp_path_factory):
    """Bytes of the WIDE run's file: its metadata alone, and one step's frame."""
    folder = tmp_path_factory.mktemp("sizes")
    sizes = []
    for steps in (1, 2):
        out = folder / f"steps{steps}.h5"
        done = subprocess.run([aimarket, "run", *WIDE, "--steps", str(steps), "--out", str(out),
                               "--progress", "none"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        sizes.append(out.stat().st_size)
    frame = sizes[1] - sizes[0]
    assert frame > 64 * 1024  # well above the writer's 16 KiB reserve and page rounding
    # The first step also writes the utility offsets (once per file): not metadata.
    with h5py.File(folder / "steps1.h5", "r") as f:
        offsets = f["utility_offset"].id.get_storage_size()
    return {"metadata": sizes[0] - frame - offsets, "frame": frame}


def run_on(run_aimarket, out, *args):
    result = run_aimarket("run", *args, "--out", out, "--progress", "none")
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1), f"exit status {result.returncode}: {result.stderr}"
    return result


def assert_fails_for_lack_of_space(result, out):
    assert result.returncode == 1, result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert f"'{out}'" in message and NO_SPACE in message, message


def test_disk_full_at_creation_leaves_nothing(run_aimarket, small_disk, wide_sizes):
    """No room for the metadata: a clear message, exit status 1 (no crash at exit), and no file
    at all, so a rerun is not blocked by a leftover."""
    disk = small_disk(wide_sizes["metadata"] // 2)
    out = disk / "run.h5"
    result = run_on(run_aimarket, out, *WIDE, "--steps", 3)
    assert_fails_for_lack_of_space(result, out)
    assert list(disk.iterdir()) == []


def test_disk_with_no_space_at_all_leaves_no_empty_file(run_aimarket, small_disk):
    disk = small_disk(256 * 1024)
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(OSError):
            while True:
                os.write(fd, b"\1" * 4096)
    finally:
        os.close(fd)
    out = disk / "run.h5"
    result = run_on(run_aimarket, out, *TINY, "--steps", 2)
    assert_fails_for_lack_of_space(result, out)
    assert [p.name for p in disk.iterdir()] == ["filler"]
    filler.unlink()
    rerun = run_on(run_aimarket, out, *TINY, "--steps", 2)  # no --overwrite needed
    assert rerun.returncode == 0, rerun.stderr
    assert left_behind(out) == ("complete", 2)


def test_disk_full_at_the_first_flush_keeps_the_old_file(run_aimarket, small_disk, wide_sizes):
    """Room for the metadata but not for the first step: the file the run was to replace stays
    as it was, and no temporary is left."""
    disk = small_disk(wide_sizes["metadata"] + wide_sizes["frame"] // 2)
    out = disk / "run.h5"
    out.write_bytes(b"results of an earlier run")
    result = run_on(run_aimarket, out, *WIDE, "--steps", 3, "--overwrite")
    assert_fails_for_lack_of_space(result, out)
    assert out.read_bytes() == b"results of an earlier run"
    assert temporaries(out) == []


def test_disk_full_mid_run_keeps_the_flushed_steps_and_says_why(run_aimarket, small_disk,
                                                                 wide_sizes):
    """Room for a few steps of twelve: the file keeps every step of its last flush, reads whole,
    and its status names the failure."""
    disk = small_disk(wide_sizes["metadata"] + 7 * wide_sizes["frame"] // 2)
    out = disk / "run.h5"
    result = run_on(run_aimarket, out, *WIDE, "--steps", 12, "--set", "run.flush_seconds=0.001")
    assert_fails_for_lack_of_space(result, out)
    status, recorded = left_behind(out)
    assert status.startswith(f"failed: output file '{out}'") and NO_SPACE in status, status
    assert 1 <= recorded < 12
    assert temporaries(out) == []
