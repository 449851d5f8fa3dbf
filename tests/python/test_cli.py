"""The command line: help, validation, refusals with exit status 2, and backend selection."""
import os
import re
import subprocess

import pytest

from conftest import REPO

BASELINE = str(REPO / "configs" / "baseline.toml")


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
    ("[demand]\nbeta_quality = nan\n" + FIRM, "demand.beta_quality", 2),
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
