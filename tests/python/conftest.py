"""Shared fixtures for the end-to-end tests: the program under test and small configs."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    parser.addoption("--aimarket", action="store", default=None,
                     help="path to the aimarket program (ctest passes the built one)")


@pytest.fixture(scope="session")
def aimarket(request):
    path = request.config.getoption("--aimarket") or os.environ.get("AIMARKET")
    if not path:
        candidate = REPO / "build" / "aimarket"
        path = str(candidate) if candidate.exists() else None
    if not path or not os.path.exists(path):
        pytest.skip("no aimarket program given (pass --aimarket PATH)")
    return path


@pytest.fixture
def run_aimarket(aimarket):
    """Runs the program; returns CompletedProcess with text stdout/stderr."""
    def run(*args, timeout=300, env=None):
        full_env = dict(os.environ, OMP_NUM_THREADS="2")
        if env:
            full_env.update(env)
        return subprocess.run([aimarket, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, env=full_env, stdin=subprocess.DEVNULL)
    return run


@pytest.fixture
def small_config(tmp_path):
    """A small but complete market: named firms from the baseline plus synthetic ones."""
    return [str(REPO / "configs" / "baseline.toml"), "--set", "population.customers=20000",
            "--set", "population.synthetic_firms=200", "--steps", "12", "--replicates", "2"]
