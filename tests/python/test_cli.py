"""The command line: help, validation, refusals with exit status 2 (bad values, configs and
output paths), and backend selection."""
import json
import os
import re
import shutil
import stat
import subprocess

import h5py
import numpy as np
import pytest

from conftest import REPO

BASELINE = str(REPO / "configs" / "baseline.toml")
LOGIT = REPO / "configs" / "textbook" / "logit.toml"


def test_help_everywhere(run_aimarket):
    for args in ([], ["run"], ["validate"], ["keys"]):
        result = run_aimarket(*args, "--help")
        assert result.returncode == 0, result.stderr
        assert "Usage" in result.stdout or "usage" in result.stdout.lower()
    assert "--backend" in run_aimarket("run", "--help").stdout


def test_validate_accepts_every_shipped_config(run_aimarket):
    for config in sorted((REPO / "configs").rglob("*.toml")):
        if config.parent.name == "strategies":
            continue  # strategy presets: a base for configs, not a market (it has no firms)
        result = run_aimarket("validate", config)
        assert result.returncode == 0, f"{config}: {result.stderr}"
        assert "valid" in result.stdout


def test_keys_prints_the_reference(run_aimarket):
    result = run_aimarket("keys")
    assert result.returncode == 0
    assert "demand.bass_p" in result.stdout or "bass_p" in result.stdout


BAD_INPUTS = [
    # (extra args, text the error must contain)
    (["--steps", "0"], "--steps 0"),
    (["--replicates", "-3"], "--replicates -3"),
    (["--set", "demand.bass_p=-0.1"], "demand.bass_p"),
    (["--set", "demand.bass_pp=0.1"], "did you mean"),
    (["--set", "demand.beta_price=nan"], "demand.beta_price"),
    (["--set", "run.steps=inf"], "run.steps"),
    (["--set", "demand.reconsider_rate=\"often\""], "demand.reconsider_rate"),
    (["--set", "noequals"], "noequals"),
    (["--threads", "0"], "--threads"),
    (["--backend", "tpu"], "--backend"),
]


@pytest.mark.parametrize("extra,needle", BAD_INPUTS)
def test_bad_command_line_values_exit_2_and_write_nothing(run_aimarket, tmp_path, extra, needle):
    out = tmp_path / "refused.h5"
    result = run_aimarket("run", BASELINE, "--out", out, *extra)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr and "terminate" not in result.stderr
    assert not out.exists()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


FIRM = '[[firm]]\nname = "A"\narchetype = "model_lab"\nregion = "US"\n'


@pytest.mark.parametrize("text,needle,line", [
    ("[demand\nbass_p = 0.1\n", "malformed", 1),
    ("[demand]\nbass_pp = 0.1\n" + FIRM, "did you mean", 2),
    ("[demand]\nbass_p = \"high\"\n" + FIRM, "demand.bass_p", 2),
    ("[demand]\nbass_p = -0.5\n" + FIRM, "demand.bass_p", 2),
    ("[demand]\nelo_discernment = nan\n" + FIRM, "demand.elo_discernment", 2),
    ("[run]\nsteps = 2.5\n" + FIRM, "run.steps", 2),
    (FIRM + FIRM, "duplicate firm name", 6),
])
def test_bad_config_files_name_file_line_and_key(run_aimarket, tmp_path, text, needle, line):
    config = write(tmp_path, "bad.toml", text)
    out = tmp_path / "refused.h5"
    result = run_aimarket("run", config, "--out", out)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert re.search(rf"bad\.toml:{line}\b", result.stderr), result.stderr
    assert not out.exists()
    assert run_aimarket("validate", config).returncode == 2


def test_missing_config_file(run_aimarket, tmp_path):
    result = run_aimarket("run", tmp_path / "nope.toml", "--out", tmp_path / "x.h5")
    assert result.returncode == 2
    assert "nope.toml" in result.stderr
    assert not (tmp_path / "x.h5").exists()


def test_existing_output_is_not_overwritten(run_aimarket, tmp_path, small_config):
    out = tmp_path / "keep.h5"
    out.write_bytes(b"precious")
    result = run_aimarket("run", *small_config, "--out", out)
    assert result.returncode == 2
    assert "--overwrite" in result.stderr
    assert out.read_bytes() == b"precious"
    result = run_aimarket("run", *small_config, "--out", out, "--overwrite", "--backend", "cpu")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"


def test_missing_output_folder(run_aimarket, tmp_path, small_config):
    result = run_aimarket("run", *small_config, "--out", tmp_path / "no" / "such" / "x.h5")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_auto_backend_says_which_it_picked(run_aimarket, tmp_path, small_config):
    result = run_aimarket("run", *small_config, "--out", tmp_path / "a.h5")
    assert result.returncode == 0, result.stderr
    assert re.search(r"backend: (cpu|cuda)", result.stderr)


def test_cuda_backend_without_gpu_is_one_clear_sentence(run_aimarket, tmp_path, small_config):
    probe = run_aimarket("run", *small_config, "--out", tmp_path / "probe.h5")
    if "backend: cuda" in probe.stderr:
        pytest.skip("a GPU is usable here; this checks the no-GPU path")
    out = tmp_path / "cuda.h5"
    result = run_aimarket("run", *small_config, "--out", out, "--backend", "cuda")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "cuda" in lines[0].lower() and ("gpu" in lines[0].lower() or "without" in lines[0])
    assert not out.exists()


def test_progress_lines_when_not_a_terminal(run_aimarket, tmp_path, small_config):
    result = run_aimarket("run", *small_config, "--out", tmp_path / "p.h5")
    assert re.search(r"^step 12/12 \(100%\)", result.stderr, re.M), result.stderr


# --- Output paths: refused up front with exit status 2, and never replaced when not files ---

def temporaries(folder):
    return [p.name for p in folder.iterdir() if ".partial-" in p.name]


def test_output_that_is_not_a_regular_file_is_refused_and_left_as_it_was(run_aimarket, tmp_path):
    """A pipe, a folder or a device at --out is never replaced, --overwrite or not. (A file
    that could not be completed used to be unlinked whatever it was: /dev/null, as root.)"""
    pipe = tmp_path / "pipe.h5"
    os.mkfifo(pipe)
    folder = tmp_path / "folder.h5"
    folder.mkdir()
    targets = [(pipe, "named pipe"), (folder, "folder")]
    device = tmp_path / "null.h5"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # as /dev/null
        targets.append((device, "device"))
    except PermissionError:
        pass  # not root: the pipe and the folder stand for it
    for target, kind in targets:
        result = run_aimarket("run", LOGIT, "--steps", "1", "--out", target, "--overwrite")
        assert result.returncode == 2, (kind, result.stderr)
        assert f"'{target}'" in result.stderr, result.stderr
        assert kind in result.stderr and "never replaced" in result.stderr, result.stderr
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert folder.is_dir()
    if len(targets) == 3:
        assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert temporaries(tmp_path) == []


def test_unusable_output_paths_exit_2_naming_the_path_and_the_problem(run_aimarket, tmp_path):
    (tmp_path / "plain").write_text("a file, not a folder")
    dangling = tmp_path / "dangling.h5"
    dangling.symlink_to(tmp_path / "gone" / "x.h5")
    long_name = str(tmp_path / ("n" * 5000 + ".h5"))
    cases = [
        ("", "--out", "empty value"),
        (f"{tmp_path}/", f"'{tmp_path}/'", "is a folder"),
        (long_name, long_name[:60], "characters long"),
        (str(dangling), f"'{dangling}'", "symbolic link"),
        (str(tmp_path / "plain" / "x.h5"), f"'{tmp_path / 'plain' / 'x.h5'}'", "not a folder"),
        (str(tmp_path / "missing" / "x.h5"), "missing", "does not exist"),
    ]
    for out, named, problem in cases:
        for overwrite in ([], ["--overwrite"]):
            result = run_aimarket("run", LOGIT, "--steps", "1", "--out", out, *overwrite)
            assert result.returncode == 2, (out[:80], result.stderr)
            assert named in result.stderr and problem in result.stderr, result.stderr
            assert "Traceback" not in result.stderr and "terminate" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.h5", "plain"]


def test_output_in_a_read_only_folder_exits_2(run_aimarket, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        restore = [lambda: folder.chmod(0o755)]
    else:  # root writes through permissions: a read-only file system instead
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs",
                                  str(folder)], capture_output=True, text=True)
        if mounted.returncode != 0:
            pytest.skip("a read-only folder, as root, needs a read-only mount: "
                        + (mounted.stderr.strip() or "mount failed"))
        restore = [lambda: subprocess.run(["umount", str(folder)], capture_output=True)]
    try:
        result = run_aimarket("run", LOGIT, "--steps", "1", "--out", folder / "x.h5")
        assert result.returncode == 2, result.stderr
        assert f"folder '{folder}' is not writable" in result.stderr, result.stderr
    finally:
        restore[0]()


def test_output_that_is_an_input_of_the_run_is_refused(run_aimarket, tmp_path):
    """`run c.toml --out c.toml --overwrite` turned the config into an HDF5 file; so did an
    --out naming a config the config includes (`base = ...`), or a link to it."""
    base = tmp_path / "base.toml"
    shutil.copy(LOGIT, base)
    child = tmp_path / "child.toml"
    child.write_text('base = "base.toml"\n[run]\nsteps = 1\n')
    link = tmp_path / "link.h5"
    link.symlink_to(base)
    texts = {path: path.read_bytes() for path in (base, child)}
    for out in (child, base, link):
        result = run_aimarket("run", child, "--out", out, "--overwrite")
        assert result.returncode == 2, result.stderr
        assert "config file" in result.stderr and "never replaced" in result.stderr
    # compare: its runs, through a link, and its comparison file, as an input trajectory.
    runs = tmp_path / "out" / "runs"
    runs.mkdir(parents=True)
    (runs / "child.h5").symlink_to(base)
    result = run_aimarket("compare", child, "--out-dir", tmp_path / "out", "--overwrite")
    assert result.returncode == 2, result.stderr
    assert "an input of this comparison" in result.stderr
    assert {path: path.read_bytes() for path in (base, child)} == texts
    (runs / "child.h5").unlink()
    trajectory = tmp_path / "out" / "comparison.h5"
    assert run_aimarket("run", child, "--out", trajectory).returncode == 0
    before = trajectory.read_bytes()
    result = run_aimarket("compare", trajectory, "--out-dir", tmp_path / "out", "--overwrite")
    assert result.returncode == 2, result.stderr
    assert "an input of this comparison" in result.stderr
    assert trajectory.read_bytes() == before


def test_compare_refuses_an_unusable_out_dir(run_aimarket, tmp_path):
    run = tmp_path / "a.h5"
    assert run_aimarket("run", LOGIT, "--steps", "1", "--out", run).returncode == 0
    (tmp_path / "plain").write_text("a file")
    for out_dir, problem in [("", "empty value"), (tmp_path / "plain", "not a folder"),
                             (tmp_path / "plain" / "sub", "cannot be created")]:
        result = run_aimarket("compare", run, "--out-dir", out_dir)
        assert result.returncode == 2, result.stderr
        assert "--out-dir" in result.stderr and problem in result.stderr, result.stderr
    assert (tmp_path / "plain").read_text() == "a file"


def test_bench_json_follows_the_no_clobber_rule(run_aimarket, tmp_path):
    report = tmp_path / "bench.json"
    report.write_text("an earlier report")
    bench = ["bench", LOGIT, "--steps", "1", "--warmup", "0", "--repetitions", "1",
             "--backend", "cpu", "--json", report]
    result = run_aimarket(*bench)
    assert result.returncode == 2, result.stderr
    assert "--overwrite" in result.stderr and f"'{report}'" in result.stderr
    assert report.read_text() == "an earlier report"
    result = run_aimarket(*bench, "--overwrite")
    assert result.returncode == 0, result.stderr
    assert json.loads(report.read_text())["repetitions"]
    assert temporaries(tmp_path) == []


# ----------------------------------------------------------------------------- input limits

def test_deeply_dotted_key_is_refused_not_a_crash(run_aimarket, tmp_path):
    # 50,000 parts made the TOML parser recurse until the stack overflowed (SIGSEGV).
    config = write(tmp_path, "deep.toml", "[run]\nsteps = 3\n" + "a" + ".a" * 50000 + " = 1\n")
    out = tmp_path / "deep.h5"
    for args in (["validate", config], ["run", config, "--out", out]):
        result = run_aimarket(*args)
        assert result.returncode == 2, result.stderr[:300]
        assert re.search(r"deep\.toml:3:1: .*nests deeper than 16 levels", result.stderr)
    assert not out.exists()


def test_config_larger_than_one_mebibyte_is_refused(run_aimarket, tmp_path):
    config = write(tmp_path, "big.toml", FIRM + "#" + "x" * (1 << 20) + "\n")
    result = run_aimarket("validate", config)
    assert result.returncode == 2, result.stderr
    assert f"{config}: cannot read the config file: larger than 1 MiB" in result.stderr


def test_endless_or_blocking_config_paths_are_refused(run_aimarket, tmp_path):
    # /dev/zero was read until memory ran out (an abort); a FIFO without a writer blocked.
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    including = write(tmp_path, "inc.toml", 'base = "/dev/zero"\n')
    for path, where in (("/dev/zero", "/dev/zero: "), (fifo, f"{fifo}: "),
                        (including, f"{including}:1:1: base: ")):
        result = run_aimarket("validate", path, timeout=60)
        assert result.returncode == 2, result.stderr
        assert where in result.stderr and "not a regular file" in result.stderr, result.stderr


def test_running_out_of_memory_is_one_sentence_and_exit_1(aimarket, tmp_path):
    # Under a cap on address space the baseline still loads, but a config of 75,000 small
    # arrays (under the 1 MiB file limit) does not fit: std::bad_alloc used to escape main
    # (an abort); it is now one sentence and exit status 1.
    import resource

    lines = [f"k{i}=[1,2]\n" for i in range(75000)]
    config = write(tmp_path, "many.toml", "[x]\n" + "".join(lines))
    assert config.stat().st_size < 1 << 20

    def run_capped(path, megabytes):
        def cap():
            resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))
        return subprocess.run([aimarket, "validate", str(path)], capture_output=True, text=True,
                              timeout=60, preexec_fn=cap)

    for megabytes in (32, 40, 48, 64):
        if run_capped(BASELINE, megabytes).returncode != 0:
            continue  # too little even to start (or a sanitizer build)
        result = run_capped(config, megabytes)
        if result.returncode == 2:
            break  # it fitted: this cap cannot show it
        assert result.returncode == 1, result.stderr
        assert result.stderr == "aimarket: out of memory\n"
        return
    pytest.skip("no address-space cap here lets the baseline load but not the large config")


# An empty option value (often an unset shell variable) was taken as "not given": the run went
# ahead with the config's steps, seed or replicates.
@pytest.mark.parametrize("command,option", [
    ("run", "--steps"), ("run", "--seed"), ("run", "--replicates"), ("run", "--set"),
    ("run", "--threads"), ("run", "--backend"), ("run", "--progress"), ("run", "--out"),
    ("validate", "--steps"), ("validate", "--seed"), ("validate", "--replicates"),
    ("validate", "--set"), ("bench", "--customers"), ("bench", "--replicates"),
    ("bench", "--consideration-set"), ("bench", "--json"), ("compare", "--steps"),
    ("compare", "--seed"), ("compare", "--replicates"), ("compare", "--at"),
    ("compare", "--sweep"),
])
def test_empty_option_values_are_refused(run_aimarket, tmp_path, command, option):
    # A tiny market, so that a value wrongly ignored costs a short run, not a long one.
    config = write(tmp_path, "tiny.toml", f'base = "{BASELINE}"\n'
                   "[run]\nsteps = 1\n[population]\ncustomers = 1000\n")
    out = tmp_path / "empty.h5"
    args = {"run": [config, "--out", out], "validate": [config],
            "bench": [config, "--steps", "1", "--warmup", "0", "--repetitions", "1"],
            "compare": [config, "--out-dir", tmp_path / "cmp"]}[command]
    if option == "--out":
        args = [config]
    result = run_aimarket(command, *args, option, "", timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"aimarket: {option}: "), result.stderr
    assert not out.exists() and not (tmp_path / "cmp").exists()
    assert result.stdout == ""


def test_config_without_firms_is_refused_before_running(run_aimarket, tmp_path):
    # It was "valid", and `run` then failed with exit status 1 on an empty firm table.
    config = write(tmp_path, "nofirms.toml", "[run]\nsteps = 3\n")
    out = tmp_path / "nofirms.h5"
    for args in (["validate", config], ["run", config, "--out", out]):
        result = run_aimarket(*args)
        assert result.returncode == 2, result.stderr
        assert f"{config}: firm: the config has no firms" in result.stderr
        assert result.stdout == ""
    assert not out.exists()
    presets = REPO / "configs" / "strategies" / "presets.toml"
    assert "has no firms" in run_aimarket("validate", presets).stderr
    # bench --firms makes up the count with synthetic firms: such a config is a market there.
    result = run_aimarket("bench", config, "--firms", "3", "--customers", "1000", "--steps", "1",
                          "--warmup", "0", "--repetitions", "1", "--backend", "cpu")
    assert result.returncode == 0, result.stderr


def test_named_firm_may_not_take_a_generated_name(run_aimarket, tmp_path):
    # With a synthetic firm, a named "synthetic-00000" gave the firm table two firms of one name.
    config = write(tmp_path, "clash.toml", "[population]\nsynthetic_firms = 1\n"
                   + FIRM.replace('"A"', '"synthetic-00000"'))
    out = tmp_path / "clash.h5"
    result = run_aimarket("run", config, "--out", out, "--steps", "1")
    assert result.returncode == 2, result.stderr
    assert f"{config}:4:8: firm.synthetic-00000.name: names starting with 'synthetic-' are " \
           "reserved" in result.stderr
    assert not out.exists()


def test_parameter_file_rows_reach_their_replicates(run_aimarket, tmp_path):
    # One key per row set apart from the others: each replicate's recorded value is its row's.
    design = tmp_path / "design.csv"
    design.write_text("# three replicates\nfirms.awareness_max,compute.target_utilization\n"
                      "10,0.6\n20,0.7\n30,0.9\n")
    out = tmp_path / "design.h5"
    result = run_aimarket("run", BASELINE, "--out", out, "--steps", "2", "--parameters", design,
                          "--set", "population.customers=2000",
                          "--set", "demand.calibration_rounds=2", "--progress", "none")
    assert result.returncode == 0, result.stderr
    with h5py.File(out, "r") as f:
        assert f.attrs["replicates"] == 3
        # The file's columns first, then the baseline's other priors, drawn.
        names = [n.decode() for n in f["parameter"][()]]
        assert names[:2] == ["firms.awareness_max", "compute.target_utilization"]
        values = f["parameter_value"][()]
        assert values.shape == (3, len(names))
        np.testing.assert_array_equal(values[:, 0], [10, 20, 30])
        np.testing.assert_array_equal(values[:, 1], [0.6, 0.7, 0.9])
        origins = [o.decode() for o in f["parameter_origin"][()]]
        assert origins[:2] == [f"parameter file {design}"] * 2
        assert all(o.startswith(("uniform", "log_uniform", "triangular", "normal"))
                   for o in origins[2:])
        assert "parameter file" in f.attrs["config"]


@pytest.mark.parametrize("text, needle", [
    ("firms.awareness_mx\n1\n", ":1: column 1: unknown key 'firms.awareness_mx'"),
    ("demand.elo_discernment\n1\n", ":1: demand.elo_discernment: cannot vary by replicate"),
    ("firms.round_success\n0.1\nhigh\n", ":3: firms.round_success: expected a finite number"),
    ("firms.round_success\n2\n", ":2: firms.round_success: out of range: got 2"),
    ("firms.round_success,firms.rd_scale\n0.1\n", ":2: row: 1 fields, but the header names 2"),
])
def test_bad_parameter_files_exit_2_and_write_nothing(run_aimarket, tmp_path, text, needle):
    design = tmp_path / "design.csv"
    design.write_text(text)
    out = tmp_path / "never.h5"
    result = run_aimarket("run", BASELINE, "--out", out, "--parameters", design)
    assert result.returncode == 2, result.stderr
    assert f"{design}{needle}" in result.stderr, result.stderr
    assert not out.exists()


def test_parameter_file_row_count_must_match_replicates(run_aimarket, tmp_path):
    design = tmp_path / "design.csv"
    design.write_text("firms.round_success\n0.1\n0.2\n")
    result = run_aimarket("validate", BASELINE, "--parameters", design, "--replicates", "3")
    assert result.returncode == 2
    assert "2 rows, but --replicates is 3" in result.stderr
    assert run_aimarket("validate", BASELINE, "--parameters", design,
                        "--replicates", "2").returncode == 0
