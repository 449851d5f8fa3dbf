"""Tests of tools/validate/oat_screen.py: the screened values, the errors before any run, and
one tiny screen end to end."""
import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import REPO

SCRIPT = REPO / "tools" / "validate" / "oat_screen.py"
_spec = importlib.util.spec_from_file_location("oat_screen", SCRIPT)
oat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(oat)


def run_script(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=REPO)


CONFIG = {"firms": {"awareness_max": 16.5, "synthetic_quality_mean": 1007.0},
          "demand": {"calibration_rounds": 40},
          "firm": [{"quality": 1100.0}, {"quality": {"consumer": 1252.0, "legal": 900.0}}]}


def test_values_are_half_and_one_and_a_half_of_the_config():
    p = {"key": "firms.awareness_max"}
    base = oat.lookup(CONFIG, p["key"])
    assert [oat.screen_value(p, base, CONFIG, f) for f in oat.FACTORS] == [8.25, 24.75]
    rounds = {"key": "demand.calibration_rounds", "integer": True}
    assert [oat.screen_value(rounds, 40, CONFIG, f) for f in oat.FACTORS] == [20, 60]


def test_an_elo_location_scales_its_gap_to_the_best_named_firm():
    assert oat.frontier_quality(CONFIG) == 1252.0     # the best of scalars and tables
    p = {"key": "firms.synthetic_quality_mean", "gap_to_frontier": True}
    # gap 245: half is 122.5 below the frontier, one and a half 367.5
    assert [oat.screen_value(p, 1007.0, CONFIG, f) for f in oat.FACTORS] == [1129.5, 884.5]
    with pytest.raises(oat.InputError, match="names no firm with a quality"):
        oat.frontier_quality({"firm": []})


def test_every_screened_key_is_a_config_key(aimarket):
    # `aimarket keys` lists the schema: a "### `[section]`" heading, then one row per key
    text = subprocess.run([aimarket, "keys"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    schema, section = set(), None
    for line in text.splitlines():
        if line.startswith("### `["):
            section = line.strip("#` []")
        elif line.startswith("| `") and section:
            schema.add(section + "." + line.split("`")[1])
    assert "demand.taste_sd" in schema                   # the parsing itself works
    assert [p["key"] for p in oat.PARAMETERS if p["key"] not in schema] == []
    with pytest.raises(oat.InputError, match="no key 'firms.nope'"):
        oat.lookup(CONFIG, "firms.nope")


def test_bad_input_is_one_line_exit_2_before_any_run(aimarket, tmp_path):
    cases = [
        (["configs/baseline.toml", "--aimarket", tmp_path / "none", "--out-dir", tmp_path / "o"],
         "no such executable"),
        ([tmp_path / "none.toml", "--aimarket", aimarket, "--out-dir", tmp_path / "o"],
         "no such config"),
        (["configs/baseline.toml", "--aimarket", aimarket, "--out-dir", tmp_path / "o",
          "--only", "demand.nope"], "not a screened key"),
        (["configs/baseline.toml", "--aimarket", aimarket, "--out-dir", tmp_path / "o",
          "--steps", "0"], "--steps must be at least 1"),
        (["configs/baseline.toml", "--aimarket", aimarket], "--out-dir"),
    ]
    full = tmp_path / "full"
    full.mkdir()
    (full / "reference.h5").write_text("a run kept from before")
    cases.append((["configs/baseline.toml", "--aimarket", aimarket, "--out-dir", full],
                  "already holds .h5 files"))
    for args, expected in cases:
        r = run_script(*args)
        assert r.returncode == 2, (args, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, r.stderr)
        assert r.stdout == ""
    assert (full / "reference.h5").read_text() == "a run kept from before"
    assert not (tmp_path / "o").exists()


def test_a_tiny_screen_end_to_end(aimarket, tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(f"head\n{oat.BEGIN_MARK}\nold\n{oat.END_MARK}\ntail\n")
    js = tmp_path / "s.json"
    r = run_script("configs/baseline.toml", "--aimarket", aimarket, "--out-dir", tmp_path / "o",
                   "--steps", "3", "--replicates", "1", "--customers", "2000", "--threads", "2",
                   "--only", "demand.taste_sd", "--json", js, "--update-doc", doc)
    assert r.returncode == 0, r.stderr
    data = json.loads(js.read_text())
    assert [(row["key"], row["value"]) for row in data["rows"]] == [
        ("demand.taste_sd", 0.5), ("demand.taste_sd", 1.5)]
    for row in data["rows"]:
        assert 0 < row["hhi"] <= 1e4 and 0 < row["top_share"] <= 1
        assert row["change_pp"] == pytest.approx(
            100 * (row["lead_share"] - data["reference"]["lead_share"]))
    text = doc.read_text()
    assert text.startswith(f"head\n{oat.BEGIN_MARK}\nConfig `configs/baseline.toml`")
    assert text.endswith(f"{oat.END_MARK}\ntail\n") and "old" not in text
    assert "| `demand.taste_sd` x 0.5 | 0.5 (reference 1) |" in text
    assert list((tmp_path / "o").glob("*.h5")) == []      # removed once read (no --keep)
