"""Inputs that once crashed, hung or misled the program, kept in tests/fuzz/regressions/ (from
the fuzzers of tests/fuzz/ and from reported issues), sent through the ordinary program: each
must be refused as bad input (exit 2, one message naming the input) or accepted (exit 0);
never a signal, a hang, exit 1 or a stray file. The fuzz build replays the same files through
the fuzz targets (ctest fuzz.<target>.regressions)."""
import shutil

import pytest

from conftest import REPO

REGRESSIONS = REPO / "tests" / "fuzz" / "regressions"


def kept(target):
    return sorted(p for p in (REGRESSIONS / target).glob("*") if not p.name.startswith("README"))


def check_outcome(result):
    assert result.returncode in (0, 2), (result.returncode, result.stderr)
    if result.returncode == 2:
        assert result.stderr.strip(), "refused without a message"


@pytest.mark.parametrize("path", kept("trajectory"), ids=lambda p: p.name)
def test_trajectory_regression(run_aimarket, tmp_path, path):
    given = tmp_path / "input.h5"
    shutil.copy(path, given)
    out = tmp_path / "out"
    result = run_aimarket("compare", given, "--out-dir", out, timeout=60)
    check_outcome(result)
    if result.returncode == 2:
        assert f"'{given}'" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) in (["input.h5"], ["input.h5", "out"])


@pytest.mark.parametrize("path", kept("config"), ids=lambda p: p.name)
def test_config_regression(run_aimarket, tmp_path, path):
    """The fuzz input's layout: TOML, then optionally a line '---' and one --set per line. The
    TOML goes to configs/scenarios/ of a copy of the configs, as the fuzz target puts it."""
    text = path.read_bytes()
    toml, _, rest = text.partition(b"\n---\n")
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    given = configs / "scenarios" / "input.toml"
    given.write_bytes(toml)
    sets = []
    for line in rest.split(b"\n") if rest else []:
        if line and b"\0" not in line:  # a command line cannot carry a NUL
            sets += ["--set", line.decode("utf-8", "surrogateescape")]
    result = run_aimarket("validate", given, *sets, timeout=60)
    check_outcome(result)
