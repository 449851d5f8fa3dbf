"""The plotting tools and report (tools/plot, docs/PLOTTING.md) on tiny files the program
writes: figures written as valid PNG and PDF, one-line errors with exit status 2 for user
mistakes, runs cut short used with a warning, colours stable per firm, a self-contained report.
"""
import importlib
import os
import shutil
import subprocess
import sys

import h5py
import matplotlib
import pytest

from conftest import REPO

matplotlib.use("Agg")

PLOT = REPO / "tools" / "plot"
sys.path.insert(0, str(PLOT))

import market_share  # noqa: E402
import plotio  # noqa: E402
import plotstyle  # noqa: E402

BASELINE = str(REPO / "configs" / "baseline.toml")
TINY = ["--set", "population.customers=3000", "--set", "population.synthetic_firms=20",
        "--steps", "6", "--replicates", "3", "--progress", "none"]
ENV = dict(os.environ, OMP_NUM_THREADS="2")


def script(name, *args):
    """Runs a tool as a program (for what only a real process shows: exit status, traceback)."""
    return subprocess.run([sys.executable, str(PLOT / f"{name}.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=ENV)


@pytest.fixture
def tool(capsys, monkeypatch):
    """Runs a tool's command line in this process (no interpreter start-up per call):
    returns (exit status, stdout, stderr) as the program would give them."""
    def call(name, *args):
        module = importlib.import_module(name)
        monkeypatch.setattr(sys, "argv", [f"{name}.py"])
        capsys.readouterr()
        try:
            status = plotio.cli_main(module.main, [str(a) for a in args])
        except SystemExit as e:     # argparse: --help, or a bad option
            status = e.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess([name, *args], status, out, err)
    return call


def program(aimarket, *args):
    result = subprocess.run([aimarket, *map(str, args)], capture_output=True, text=True,
                            timeout=120, env=ENV, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def files(aimarket, tmp_path_factory):
    """Tiny runs (two scenarios of one firm table, one of another), comparisons made by
    `aimarket compare` (one swept, one of two run files), and broken copies."""
    d = tmp_path_factory.mktemp("plot")
    out = {"dir": d}
    for name, extra in (("base", []), ("naver", ["--set", "firm.Naver.quality=1.5"]),
                        ("wide", ["--set", "population.synthetic_firms=30"])):
        out[name] = d / f"{name}.h5"
        program(aimarket, "run", BASELINE, "--out", out[name], *TINY, *extra)

    out["norecord"] = d / "norecord.h5"           # a dataset the run did not record
    shutil.copy(out["base"], out["norecord"])
    with h5py.File(out["norecord"], "a") as f:
        del f["region_share"]

    out["cut"] = d / "cut.h5"                     # as an interrupted run leaves it
    shutil.copy(out["base"], out["cut"])
    with h5py.File(out["cut"], "a") as f:
        for ds in f.values():
            if isinstance(ds, h5py.Dataset) and None in (ds.maxshape or ()):
                ds.resize(3, axis=ds.maxshape.index(None))
        f.attrs["status"] = "interrupted after step 3 of 6"
        f.attrs["steps_recorded"] = 3

    out["foreign"] = d / "foreign.h5"
    with h5py.File(out["foreign"], "w") as f:
        f.attrs["title"] = "somebody else's data"
    out["text"] = d / "notes.h5"
    out["text"].write_text("not HDF5\n")

    # `compare` is part of the program: if it breaks, these tests fail (program() asserts
    # exit status 0), rather than skipping the figures that need its files.
    program(aimarket, "compare", BASELINE, "--out-dir", d / "sweep", *TINY,
            "--sweep", "firm.Naver.quality=1,1.5")
    program(aimarket, "compare", out["base"], out["naver"], "--out-dir", d / "pair",
            "--progress", "none")
    out["sweep"] = d / "sweep" / "comparison.h5"
    out["pair"] = d / "pair" / "comparison.h5"
    return out


def check_figure(path):
    data = path.read_bytes()
    if path.suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000, path
    else:
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:] and len(data) > 5000, path


def check_tool(result, prefix, formats=("png", "pdf")):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for fmt in formats:
        path = prefix.with_name(f"{prefix.name}.{fmt}")
        assert "wrote " in result.stdout and path.name in result.stdout
        check_figure(path)


def test_run_figures_are_written(files, tmp_path, tool, monkeypatch):
    check_tool(tool("market_share", files["base"], "--top", "4", "--out", tmp_path / "ms"),
               tmp_path / "ms")
    check_tool(tool("korea_share", files["base"], files["naver"], "--labels", "base,naver",
                    "--band", "sd", "--format", "png", "--out", tmp_path / "kr"),
               tmp_path / "kr", formats=("png",))
    check_tool(tool("hhi", files["base"], files["naver"], "--scale", "1", "--layers",
                    "cloud,service", "--format", "png", "--out", tmp_path / "hhi"),
               tmp_path / "hhi", formats=("png",))
    # default prefix: the input's stem, in the current directory
    monkeypatch.chdir(tmp_path)
    check_tool(tool("hhi", files["base"], "--format", "pdf"),
               tmp_path / "base_hhi", formats=("pdf",))


def test_comparison_figures_are_written(files, tmp_path, tool):
    check_tool(tool("compare", files["sweep"], "--measure", "hhi",
                    "--out", tmp_path / "ci"), tmp_path / "ci")   # PNG and PDF
    check_tool(tool("compare", files["pair"], "--measure", "leader_share",
                    "--format", "png", "--out", tmp_path / "leader"),
               tmp_path / "leader", formats=("png",))
    check_tool(tool("sweep", files["sweep"], "--measure", "kr_share_world",
                    "--key", "firm.Naver.quality", "--format", "png", "--out",
                    tmp_path / "sweep"), tmp_path / "sweep", formats=("png",))


def test_help_of_every_tool(tool):
    for name in ("market_share", "korea_share", "hhi", "compare", "sweep", "report"):
        result = tool(name, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout, name
    result = script("korea_share", "--help")
    assert result.returncode == 0 and "--labels" in result.stdout


def test_the_programs_exit_2_without_a_traceback(files):
    for args in ([files["dir"] / "missing.h5"], [files["base"], files["wide"]]):
        result = script("korea_share", *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.startswith("korea_share.py: error: ")
        assert result.stderr.count("\n") == 1


ERRORS = [
    # (tool, arguments from the files fixture, texts the one-line message must contain)
    ("market_share", lambda f: [f["dir"] / "missing.h5"], ["missing.h5", "does not exist"]),
    ("market_share", lambda f: [f["text"]], ["notes.h5", "not a readable HDF5 file"]),
    ("hhi", lambda f: [f["foreign"]], ["foreign.h5", "not an aimarket trajectory file"]),
    ("compare", lambda f: [f["base"]], ["base.h5", "not an aimarket comparison file"]),
    ("report", lambda f: [f["base"], "--out", f["dir"] / "r.html"],
     ["not an aimarket comparison file"]),
    ("korea_share", lambda f: [f["base"], f["wide"]], ["base.h5", "wide.h5",
                                                       "different firm tables"]),
    ("hhi", lambda f: [f["naver"], f["wide"]], ["different firm tables"]),
    ("korea_share", lambda f: [f["norecord"]], ["region_share", "norecord.h5",
                                                "did not record"]),
    ("market_share", lambda f: [f["base"], "--layers", "hbm,gpu"], ["no layer 'gpu'"]),
    ("korea_share", lambda f: [f["base"], f["naver"], "--labels", "one"], ["--labels"]),
    ("hhi", lambda f: [f["base"], "--format", "gif"], ["--format 'gif'"]),
    ("market_share", lambda f: [f["base"], "--out", f["dir"] / "nowhere" / "x"],
     ["does not exist"]),
]


@pytest.mark.parametrize("name,args,needles", ERRORS)
def test_user_mistakes_give_one_line_and_exit_2(files, tool, name, args, needles):
    result = tool(name, *args(files))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{name}.py: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_comparison_mistakes(files, tool):
    result = tool("sweep", files["pair"])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no 'sweep' group" in result.stderr
    result = tool("compare", files["sweep"], "--measure", "profit")
    assert result.returncode == 2 and "measure 'profit'" in result.stderr
    result = tool("sweep", files["sweep"], "--key", "demand.bass_p")
    assert result.returncode == 2 and "did not sweep 'demand.bass_p'" in result.stderr


def test_run_cut_short_is_used_with_a_warning(files, tmp_path, tool, capsys):
    result = tool("market_share", files["cut"], "--layers", "service", "--format", "png",
                  "--out", tmp_path / "cut")
    check_tool(result, tmp_path / "cut", formats=("png",))
    assert "warning" in result.stderr and "cut.h5" in result.stderr
    assert "interrupted after step 3 of 6" in result.stderr
    assert "3 recorded steps" in result.stderr
    with plotio.open_run(files["cut"]) as run:
        assert run.steps == 3 and len(run.dates) == 3
        assert run.read("hhi").shape == (3, 3, 5)
    with plotio.open_run(files["base"]) as run:
        assert run.steps == 6
    assert "cut.h5" in capsys.readouterr().err


def test_firm_colours_are_fixed_and_deterministic():
    assert plotstyle.firm_colour("NVIDIA") == plotstyle.FIRM_COLOURS["NVIDIA"]
    assert plotstyle.firm_colour("Naver") == plotstyle.FIRM_COLOURS["Naver"]
    assert plotstyle.firm_colour("other") == plotstyle.OTHER_COLOUR
    assert plotstyle.OTHER_COLOUR not in plotstyle.FIRM_COLOURS.values()
    assert plotstyle.OTHER_COLOUR not in plotstyle.HASH_PALETTE
    names = [f"synthetic-{i:05d}" for i in range(40)]
    here = [plotstyle.firm_colour(n) for n in names]
    assert here == [plotstyle.firm_colour(n) for n in names]
    assert len(set(here)) > 10                   # spread over the palette
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import plotstyle; "
              f"print([plotstyle.firm_colour(n) for n in {names!r}])")
    for seed in ("1", "2"):                      # Python's own hash() would differ
        other = subprocess.run([sys.executable, "-c", script, str(PLOT)], text=True,
                               capture_output=True, check=True,
                               env=dict(ENV, PYTHONHASHSEED=seed)).stdout.strip()
        assert other == repr(here)


def stack_colours(path):
    """Firm name -> fill colour in the market-share figure of a file."""
    with plotio.open_run(path) as run:
        fig = market_share.figure(run, top=8)
    colours = {}
    for ax in fig.axes:
        for collection in ax.collections:
            label = collection.get_label()
            if not label.startswith("_") and "replicates" not in label:
                colour = matplotlib.colors.to_hex(collection.get_facecolor()[0])
                assert colours.setdefault(label, colour) == colour, label
    matplotlib.pyplot.close(fig)
    return colours


def test_same_firm_same_colour_across_files(files):
    first, second = stack_colours(files["base"]), stack_colours(files["wide"])
    shared = set(first) & set(second)
    assert {"NVIDIA", "SK hynix", "other"} <= shared
    for name in shared:
        assert first[name] == second[name] == matplotlib.colors.to_hex(
            plotstyle.firm_colour(name)), name


def test_report_is_self_contained(files, tmp_path, tool):
    out = tmp_path / "report.html"
    result = tool("report", files["sweep"], "--out", out, "--measures", "hhi")
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count('src="data:image/png;base64,') >= 5   # CI, sweep, KR, HHI, shares
    assert 'src="http' not in page and "<link" not in page
    with h5py.File(files["sweep"]) as f:
        version = plotio.text(f.attrs["program_version"])
        scenarios = [plotio.text(s) for s in f["scenario"][()]]
    assert version in page and "Common random numbers: yes" in page
    assert page.count("<details>") == len(scenarios) and "[run]" in page
    for name in scenarios:
        assert name in page
    assert "<table>" in page and "kr_share_world" in page and "reference" in page
    assert "tools/plot/report.py" in page and "aimarket compare" in page
    assert 'class="note"' not in page


def test_report_names_a_missing_run_file_and_goes_on(files, tmp_path, tool):
    moved = tmp_path / "comparison.h5"            # without its runs/ folder
    shutil.copy(files["sweep"], moved)
    with h5py.File(moved, "a") as f:
        files = [plotio.text(s) for s in f["scenario_file"][()]]
        del f["scenario_file"]
        f.create_dataset("scenario_file", data=[str(tmp_path / "gone.h5")] + files[1:],
                         dtype=h5py.string_dtype())
    out = tmp_path / "report.html"
    result = tool("report", moved, "--out", out, "--measures", "")
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert 'class="note"' in page and "gone.h5" in page and "does not exist" in page
    assert "<table>" in page and page.count('src="data:image/png;base64,') == 2  # KR, HHI
