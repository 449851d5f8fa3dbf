"""Tests of tools/validate/validate_run.py: the estimators on known cases, the reading and
wiring on a hand-made trajectory, the errors, and one end-to-end run on a small config."""
import importlib.util
import json
import math
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import REPO

SCRIPT = REPO / "tools" / "validate" / "validate_run.py"
_spec = importlib.util.spec_from_file_location("validate_run", SCRIPT)
vr = importlib.util.module_from_spec(_spec)
sys.modules["validate_run"] = vr      # dataclasses look their module up there
_spec.loader.exec_module(vr)


def run_script(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=REPO)


# ----------------------------------------------------------------------------- estimators

def test_hill_hand_computed():
    # x_(4) = 1; logs of the top 3 relative to it are 3, 2, 1: alpha = 3 / 6
    x = np.exp([3.0, 1.0, 0.0, 2.0])
    alpha, se = vr.hill_estimator(x, 3)
    assert alpha == pytest.approx(0.5)
    assert se == pytest.approx(0.5 / math.sqrt(3))


@pytest.mark.parametrize("alpha_true", [1.0, 2.0])
def test_hill_recovers_exact_pareto(alpha_true):
    # Classical Pareto with x_m = 1: numpy's pareto is Lomax, +1 shifts it.
    rng = np.random.default_rng(20240101)
    x = rng.pareto(alpha_true, 20000) + 1.0
    k = 2000
    alpha, se = vr.hill_estimator(x, k)
    assert se == pytest.approx(alpha / math.sqrt(k))
    assert abs(alpha - alpha_true) < 4 * se          # within 4 standard errors
    other = 3.0 - alpha_true                         # and it tells 1 from 2
    assert abs(alpha - other) > 4 * se


def test_laplace_vs_normal_discriminates():
    rng = np.random.default_rng(7)
    lap = vr.laplace_vs_normal(rng.laplace(0.0, 0.3, 2000))
    nor = vr.laplace_vs_normal(rng.normal(0.0, 0.3, 2000))
    # Laplace data: excess kurtosis near 3, clearly > 0; Laplace fits better
    assert lap["excess_kurtosis"] > 4 * lap["kurtosis_se"]
    assert lap["loglik_diff"] > 0 and lap["vuong_z"] > 2
    # Normal data: excess kurtosis near 0; Normal fits better
    assert abs(nor["excess_kurtosis"]) < 4 * nor["kurtosis_se"]
    assert nor["loglik_diff"] < 0 and nor["vuong_z"] < -2
    assert lap["laplace_params"][1] == pytest.approx(0.3, rel=0.1)


@pytest.mark.parametrize("beta_true", [0.0, 0.2])
def test_volatility_slope_recovers_beta(beta_true):
    rng = np.random.default_rng(11)
    size = np.exp(rng.uniform(0, 8, 8000))
    growth = rng.normal(0.0, size ** -beta_true)
    beta, se, nbins = vr.volatility_slope(size, growth)
    assert nbins == 8
    assert abs(beta - beta_true) < max(4 * se, 0.02)


def test_churn_counted_by_hand():
    #            step 0  1  2  3
    alive = np.array([[[1, 1, 0],    # step 0: firms 0, 1 alive
                       [1, 1, 1],    # step 1: firm 2 enters
                       [1, 0, 1],    # step 2: firm 1 exits
                       [1, 0, 0]]])  # step 3: firm 2 exits
    assert vr.churn_counts(alive, 0, 3) == (1, 2, 2)
    assert vr.churn_counts(alive, 1, 3) == (0, 2, 3)
    assert vr.churn_counts(alive, 0, 1) == (1, 0, 2)


def test_entrant_early_exit_counted_by_hand():
    steps = np.arange(30)
    alive = np.zeros((1, 30, 3), dtype=np.uint8)
    alive[0, 2:10, 0] = 1     # enters at 2, exits at 10: within 24 steps
    alive[0, 3:, 1] = 1       # enters at 3, stays: followed to step 27, survives
    alive[0, 10:, 2] = 1      # enters at 10: 10 + 24 > 29, not followed
    assert vr.entrant_early_exit(alive, steps) == (2, 1)


def test_leader_persistence_counted_by_hand():
    # leader A, A, B, B, then a mark with an empty market
    shares = np.array([[[0.6, 0.4], [0.7, 0.3], [0.2, 0.8], [0.1, 0.9], [0.0, 0.0]]])
    valid = np.array([[True, True, True, True, False]])
    assert vr.leader_persistence(shares, valid, 1) == (2, 3)   # AA kept, AB lost, BB kept
    assert vr.leader_persistence(shares, valid, 2) == (0, 2)   # A->B twice
    assert vr.leader_persistence(shares, valid, 4) == (0, 0)   # only pair has an empty mark
    # tied top shares: no unique leader, so the pairs touching that mark do not count
    tie = np.array([[[0.6, 0.4], [0.5, 0.5], [0.7, 0.3]]])
    ok = np.ones((1, 3), bool)
    assert vr.leader_persistence(tie, ok, 1) == (0, 0)
    assert vr.leader_persistence(tie, ok, 2) == (1, 1)


# ------------------------------------------------------------- hand-made trajectory files

FIRMS = ["NVIDIA", "AMD", "OpenAI", "Gemini-renamed", "SK hynix"]
LAYERS = ["hbm", "accelerator", "cloud", "model", "service"]
SEGMENTS = ["consumer", "enterprise", "finance", "healthcare", "legal", "manufacturing"]


def write_handmade(path, steps=3, drop=None, title="aimarket trajectory"):
    """A minimal trajectory: 1 replicate; NVIDIA 95 % of accelerators; no HBM units;
    OpenAI 87 of 100 consumer agents; Google absent from the firm table."""
    R, T, F = 1, steps, len(FIRMS)
    ms = np.zeros((R, T, len(LAYERS), F))
    ms[:, :, 1, 0], ms[:, :, 1, 1] = 0.95, 0.05
    units = np.zeros((R, T, len(LAYERS)))
    units[:, :, 1] = 1000.0
    cust = np.zeros((R, T, len(SEGMENTS), F), dtype=np.int32)
    cust[:, :, 0, 2], cust[:, :, 0, 3] = 87, 13
    data = dict(step=np.arange(T), market_share=ms, hhi=(ms ** 2).sum(-1), layer_units=units,
                customers=cust, adopters=cust.sum(-1), alive=np.ones((R, T, F), np.uint8))
    with h5py.File(path, "w") as f:
        f.attrs["title"] = title
        f.attrs["status"] = "complete"
        for name, values in (("firm_name", FIRMS), ("layer", LAYERS), ("segment", SEGMENTS)):
            f.create_dataset(name, data=values, dtype=h5py.string_dtype())
        for name, value in data.items():
            if name != drop:
                f.create_dataset(name, data=value)
    return path


def test_handmade_shares_are_read_from_the_right_slots(tmp_path):
    path = write_handmade(tmp_path / "hand.h5")
    out = tmp_path / "hand.json"
    r = run_script(path, "--only", "shares", "--only", "concentration", "--json", out)
    assert r.returncode == 0, r.stderr
    rows = {row["statistic"]: row for row in json.loads(out.read_text())["rows"]}
    nv = rows["accelerator share of NVIDIA"]
    assert nv["values"]["measured"] == pytest.approx(0.95) and nv["result"] == "pass"
    oa = rows["consumer share of OpenAI"]
    assert oa["values"]["measured"] == pytest.approx(0.87) and oa["result"] == "pass"
    # sampling sd of a share among 100 agents under p = 0.87 enters the tolerance
    assert oa["values"]["sampling_sd"] == pytest.approx(math.sqrt(0.87 * 0.13 / 100))
    assert rows["hbm share of SK hynix"]["measured"] == "no units"
    assert rows["hbm share of SK hynix"]["result"] == "miss"
    g = rows["consumer share of Google"]
    assert g["measured"] == "absent" and g["result"] == "miss" and "Google" in g["note"]
    h = rows["HHI accelerator"]["values"]["measured"]
    assert h == pytest.approx(1e4 * (0.95 ** 2 + 0.05 ** 2))
    assert rows["HHI consumer chat"]["values"]["measured"] == pytest.approx(
        1e4 * (0.87 ** 2 + 0.13 ** 2))


def test_dynamics_follow_the_2024_leader_and_report_the_paths(tmp_path):
    path = write_handmade(tmp_path / "dyn.h5", steps=30)
    with h5py.File(path, "r+") as f:
        cust = f["customers"][:]
        cust[:, 12, 0, 2], cust[:, 12, 0, 3] = 70, 30    # 17 pp under 87 %: a miss
        cust[:, 24, 0, 2], cust[:, 24, 0, 3] = 80, 20    # 7 pp under: within +-10 pp
        cust[:, 29, 0, 3] = 0                            # one firm left with customers
        f["customers"][...] = cust
        f["adopters"][...] = cust.sum(-1)
        ms = f["market_share"][:]
        ms[:, :, 4, 2], ms[:, :, 4, 3] = 0.6, 0.4        # service layer
        ms[:, 29, 4, 2], ms[:, 29, 4, 3] = 1.0, 0.0
        f["market_share"][...] = ms
        f["hhi"][...] = (ms ** 2).sum(-1)
        units = f["layer_units"][:]
        units[:, :, 4] = 100.0
        f["layer_units"][...] = units
    out = tmp_path / "dyn.json"
    r = run_script(path, "--only", "dynamics", "--json", out)
    assert r.returncode == 0, r.stderr
    rows = {row["statistic"]: row for row in json.loads(out.read_text())["rows"]}
    m0 = rows["consumer share of the 2024 leader (OpenAI), month 0 (step 0)"]
    assert m0["values"]["measured"] == pytest.approx(0.87) and m0["result"] == "report"
    m12 = rows["consumer share of the 2024 leader (OpenAI), month 12 (step 12)"]
    assert m12["values"]["measured"] == pytest.approx(0.70) and m12["result"] == "miss"
    # +-10 pp for the proxy and 2 binomial sd among 100 agents, in quadrature
    tol = math.sqrt(0.10 ** 2 + 4 * 0.87 * 0.13 / 100)
    assert m12["values"]["tolerance"] == pytest.approx(tol)
    m24 = rows["consumer share of the 2024 leader (OpenAI), month 24 (step 24)"]
    assert m24["values"]["measured"] == pytest.approx(0.80) and m24["result"] == "pass"
    for y, step in ((0, 0), (1, 12), (2, 24)):
        h = rows[f"service HHI, year {y} (step {step}, step {step})"]
        assert h["values"]["measured"] == pytest.approx(1e4 * (0.6 ** 2 + 0.4 ** 2))
        assert h["result"] == "report"
        n = rows[f"firms with customers, year {y} (step {step}, step {step})"]
        assert n["values"]["measured"] == 2 and n["result"] == "report"
    assert rows["service HHI, last step (step 29, step 29)"]["values"]["measured"] == \
        pytest.approx(1e4)
    assert rows["firms with customers, last step (step 29, step 29)"]["values"]["measured"] == 1
    # year 5 is beyond a 30-step run: skipped, said on stderr
    assert rows["service HHI, year 5 (step 60, step 60)"]["result"] == "skipped"
    assert "skipped service HHI, year 5" in r.stderr
    assert "1 pass, 1 miss, 2 skipped; 9 reported without a target" in r.stdout


def test_korea_counts_korean_firms_among_koreas_adopters(tmp_path):
    # Regions US and KR; firms 0-3 as in write_handmade plus "Naver" (KR) and
    # "synthetic-00001" (KR). Korea's 100 adopters: Naver 30, the synthetic firm 10, OpenAI
    # 60 at the start; at step 12 Naver 20 and 10 of Naver's users live in the US.
    path = write_handmade(tmp_path / "kr.h5", steps=30)
    names = FIRMS + ["Naver", "synthetic-00001"]
    home = ["US", "US", "US", "US", "KR", "KR", "KR"]
    rc = np.zeros((1, 30, 2, len(names)), dtype=np.int32)
    rc[:, :, 1, 5], rc[:, :, 1, 6], rc[:, :, 1, 2] = 30, 10, 60
    rc[:, 12:, 1, 5], rc[:, 12:, 1, 2], rc[:, 12:, 0, 5] = 20, 70, 10
    with h5py.File(path, "r+") as f:
        for name in ("firm_name", "alive", "customers", "adopters", "market_share"):
            del f[name]
        f.create_dataset("firm_name", data=names, dtype=h5py.string_dtype())
        f.create_dataset("alive", data=np.ones((1, 30, len(names)), np.uint8))
        cust = np.zeros((1, 30, len(SEGMENTS), len(names)), np.int32)
        cust[:, :, 0, :] = rc.sum(axis=2)
        f.create_dataset("customers", data=cust)
        f.create_dataset("adopters", data=cust.sum(-1))
        f.create_dataset("market_share", data=np.zeros((1, 30, len(LAYERS), len(names))))
        f.create_dataset("region", data=["US", "KR"], dtype=h5py.string_dtype())
        f.create_dataset("firm_region", data=home, dtype=h5py.string_dtype())
        f.create_dataset("region_customers", data=rc)
    out = tmp_path / "kr.json"
    r = run_script(path, "--only", "korea", "--json", out)
    assert r.returncode == 0, r.stderr
    rows = {row["statistic"]: row for row in json.loads(out.read_text())["rows"]}
    at = "share of Korea's adopters held by"
    assert rows[f"{at} all firms based in Korea, month 0 (step 0)"]["values"]["measured"] == \
        pytest.approx(0.40)
    assert rows[f"{at} named Korean firms, month 0 (step 0)"]["values"]["measured"] == \
        pytest.approx(0.30)
    assert rows[f"{at} named Korean firms, month 12 (step 12)"]["values"]["measured"] == \
        pytest.approx(0.20)
    assert rows[f"{at} all firms based in Korea, last step (step 29)"]["values"]["measured"] == \
        pytest.approx(0.30)
    where = "named Korean firms' customers living in Korea"
    assert rows[f"{where}, month 0 (step 0)"]["values"]["measured"] == pytest.approx(1.0)
    assert rows[f"{where}, last step (step 29)"]["values"]["measured"] == pytest.approx(2 / 3)
    assert all(row["result"] == "report" for row in rows.values())


def write_flows(path, ratios, funding=True, dates=None):
    """The hand-made trajectory plus a year of money flows: steps dated 2023-12 .. 2025-01,
    so 2024 is steps 1..12. In 2024 a layer's revenue in its m-th month is
    ratio x reported x m / 78 (m = 1..12, sum 78), so its 2024 sum is ratio x reported; the
    months outside 2024 carry 1e15 USD, which a sum that leaked past the year would show."""
    dates = dates or [f"{2023 + (11 + k) // 12}-{(11 + k) % 12 + 1:02d}" for k in range(14)]
    T = len(dates)
    write_handmade(path, steps=T)
    in_year = np.array([d.startswith("2024-") for d in dates])
    month = np.cumsum(in_year) * in_year                         # 1..12 inside 2024, else 0
    rev = np.full((1, T, len(LAYERS)), 1e15)
    for t in vr.FLOW_TARGETS:
        reported = 1.0 if t["value"] is None else t["value"]
        rev[0, in_year, LAYERS.index(t["layer"])] = (
            ratios[t["layer"]] * reported * 1e9 * month[in_year] / 78.0)
    with h5py.File(path, "a") as f:
        f.create_dataset("date", data=dates, dtype=h5py.string_dtype())
        f.create_dataset("layer_revenue", data=rev)
        f.create_dataset("cash", data=np.full((1, T, len(FIRMS)), 1000.0))
        if funding:
            fund = np.zeros((1, T, len(FIRMS)))
            fund[0, in_year, 2] = 100.0                        # USD M a month to one firm
            fund[0, ~in_year, 2] = 1e9
            f.create_dataset("funding", data=fund)
    return path


FLOW_RATIOS = dict(hbm=1.2, accelerator=2.0, cloud=0.625, model=3.0, service=1.0)


def test_flows_sum_the_twelve_months_of_2024_and_judge_the_ratio(tmp_path):
    path = write_flows(tmp_path / "flows.h5", FLOW_RATIOS)
    out = tmp_path / "flows.json"
    r = run_script(path, "--only", "flows", "--json", out)
    assert r.returncode == 0, r.stderr
    rows = {row["statistic"]: row for row in json.loads(out.read_text())["rows"]}
    expected = dict(hbm="pass", accelerator="miss", cloud="miss", service="pass")
    for t in vr.FLOW_TARGETS:
        row = rows[f"{t['layer']} revenue 2024, B USD"]
        reported = 1.0 if t["value"] is None else t["value"]
        assert row["values"]["measured"] == pytest.approx(FLOW_RATIOS[t["layer"]] * reported)
        if t["value"] is None:                    # NF: reported, no verdict
            assert row["result"] == "report" and row["target"] == "NF"
        else:
            assert row["values"]["ratio"] == pytest.approx(FLOW_RATIOS[t["layer"]])
            assert row["result"] == expected[t["layer"]]
    assert "**miss**" in r.stdout                 # a miss is printed, never hidden
    fund = rows["venture funding raised in 2024, B USD"]
    assert fund["values"]["measured"] == pytest.approx(1.2)     # 12 x 100 USD M
    assert fund["result"] == "miss"
    # the handmade firms hold no hyperscaler: each cash line says so and the rest goes on
    assert rows["Microsoft cash, end of 2024 vs start of the run, B USD"]["result"] == "skipped"


def test_flow_verdict_edges():
    assert vr.flow_verdict(1.5) == "pass" and vr.flow_verdict(1 / 1.5) == "pass"
    assert vr.flow_verdict(1.51) == "miss" and vr.flow_verdict(0.66) == "miss"


def test_flows_without_funding_or_a_full_year_are_skipped_with_the_reason(tmp_path):
    path = write_flows(tmp_path / "old.h5", FLOW_RATIOS, funding=False)
    rows = {r.statistic: r for r in vr.section_flows(vr.read_trajectory(path))}
    fund = rows["venture funding raised in 2024, B USD"]
    assert fund.result == "skipped" and "funding" in fund.note
    assert rows["hbm revenue 2024, B USD"].result == "pass"
    # record_every = 3: four steps dated 2024, no yearly sum
    sparse = [f"2024-{m:02d}" for m in (3, 6, 9, 12)]
    path = write_flows(tmp_path / "sparse.h5", FLOW_RATIOS, dates=sparse)
    rows = vr.section_flows(vr.read_trajectory(path))
    revenue = [r for r in rows if "revenue" in r.statistic]
    assert revenue and all(r.result == "skipped" and "all 12" in r.note for r in revenue)


SUPPLY_CONFIG = """
[compute]
accelerator_unit_cost = 3000.0
hbm_per_accelerator = 6.0
hbm_unit_cost = 250.0
[data]
public_text_stock = 300.0
public_text_growth = 0.07
"""


def write_supply(path):
    """write_flows' file (2024 = steps 1..12 of 2023-12 .. 2025-01) with prices, units, compute,
    data and model-layer shares whose 2024 statistics are known; the months outside 2024 carry
    values a leak would show."""
    write_flows(path, FLOW_RATIOS)
    T, F = 14, len(FIRMS)
    with h5py.File(path, "r+") as f:
        f.attrs["config"] = SUPPLY_CONFIG
        rev, units = f["layer_revenue"][:], f["layer_units"][:]
        units[0, :, :] = 10.0
        hbm_price = np.full(T, 1e9)
        hbm_price[1:13] = 500.0                      # twice the unit cost ...
        hbm_price[7] = 250.0                         # ... but one month at the cost floor
        rev[0, :, 0] = hbm_price * 10.0
        cost = 3000.0 + 6.0 * hbm_price
        rev[0, :, 1] = np.where(np.arange(T) < 13, vr.ACCELERATOR_MARKUP["value"] * cost, 1e9) * 10
        rev[0, :, 2] = 1e9
        units[0, 12, 2] = 100.0                      # 2024-12: 1 USD per GPU-hour
        rev[0, 12, 2] = 1.0 * vr.HOURS_PER_MONTH * 100.0
        f["layer_revenue"][...] = rev
        f["layer_units"][...] = units
        price = np.full((1, T, len(LAYERS), F), np.nan)
        price[0, :, 2, 0] = 1.0                      # NVIDIA slot rents out compute here
        f.create_dataset("price", data=price)
        installed = np.full((1, T, F), 1000.0)
        installed[0, :, 0] = 400.0                   # 100 rented of its 400: 25 %
        f.create_dataset("installed_compute", data=installed)
        held = np.full((1, T, F), 1.0)
        held[0, 12, 2] = 20.0                        # OpenAI, 2024-12: 20 T tokens
        held[0, 13, 4] = 1e6                         # 2025-01, outside the year
        f.create_dataset("data_stock", data=held)
        shares = np.zeros((1, T, len(LAYERS), F))
        shares[0, :, 3, 2] = 0.5                     # OpenAI half the model layer in 2024
        shares[0, 0, 3, 2] = shares[0, 13, 3, 2] = 1.0
        f.create_dataset("revenue_share", data=shares)
    return path


def test_supply_compares_2024_prices_data_and_shares(tmp_path):
    path = write_supply(tmp_path / "supply.h5")
    rows = {r.statistic: r for r in vr.section_supply(vr.read_trajectory(path))}
    acc = rows["accelerator price / cost of making one, 2024"]
    assert acc.values["measured"] == pytest.approx(vr.ACCELERATOR_MARKUP["value"])
    assert acc.result == "pass"
    hbm = rows["HBM price / unit cost, lowest month of 2024"]
    assert hbm.values["measured"] == pytest.approx(1.0) and hbm.result == "miss"
    assert hbm.values["first"] == pytest.approx(2.0)
    rent = rows["H100e rental price, 2024-12, USD per GPU-hour"]
    assert rent.values["measured"] == pytest.approx(1.0) and rent.result == "miss"
    used = rows["rented share of the clouds' installed compute, 2024-12"]
    assert used.values["measured"] == pytest.approx(0.25) and used.result == "report"
    data = rows["largest general text held, end of 2024, T tokens"]
    assert data.values["measured"] == pytest.approx(20.0) and data.result == "pass"
    assert "held by OpenAI" in data.note
    assert data.values["world"] == pytest.approx(300.0 * 1.07 ** (12 / 12))
    share = rows["model-layer revenue share of OpenAI, 2024"]
    assert share.values["measured"] == pytest.approx(0.5) and share.result == "pass"
    # no firm named Google or Anthropic in the hand-made table: said, not hidden
    assert rows["model-layer revenue share of Google, 2024"].result == "skipped"


def test_supply_without_a_config_is_skipped_with_the_reason(tmp_path):
    path = write_supply(tmp_path / "noconfig.h5")
    with h5py.File(path, "r+") as f:
        del f.attrs["config"]
    rows = {r.statistic: r for r in vr.section_supply(vr.read_trajectory(path))}
    acc = rows["accelerator price / cost of making one, 2024"]
    assert acc.result == "skipped" and "config" in acc.note
    assert rows["H100e rental price, 2024-12, USD per GPU-hour"].result == "miss"


def test_the_2024_leader_is_read_from_the_data(tmp_path):
    path = write_handmade(tmp_path / "lead.h5", steps=13)
    with h5py.File(path, "r+") as f:
        cust = f["customers"][:]
        cust[:, :, 0, 2], cust[:, :, 0, 3] = 13, 87      # the renamed slot leads
        cust[:, 12, 0, 2], cust[:, 12, 0, 3] = 50, 50
        f["customers"][...] = cust
    out = tmp_path / "lead.json"
    r = run_script(path, "--only", "dynamics", "--json", out)
    assert r.returncode == 0, r.stderr
    rows = {row["statistic"]: row for row in json.loads(out.read_text())["rows"]}
    m12 = rows["consumer share of the 2024 leader (Gemini-renamed), month 12 (step 12)"]
    assert m12["values"]["measured"] == pytest.approx(0.50) and m12["result"] == "miss"
    assert rows["consumer share of the 2024 leader (Gemini-renamed), month 24 (step 24)"][
        "result"] == "skipped"


def test_too_few_steps_skips_yearly_statistics_and_goes_on(tmp_path):
    r = run_script(write_handmade(tmp_path / "short.h5", steps=3))
    assert r.returncode == 0, r.stderr
    assert "skipped growth excess kurtosis, customers: the run records 3 steps" in r.stderr
    assert "skipped leader kept after 1 yr (every market)" in r.stderr
    assert "| accelerator share of NVIDIA | 95.0 % |" in r.stdout


@pytest.mark.parametrize("case, expected", [
    ("missing", "no such file"),
    ("title", "is not an aimarket trajectory"),
    ("dataset", "has no dataset 'alive'"),
    ("text", "is not a readable HDF5 file"),
])
def test_input_errors_are_one_line_exit_2(tmp_path, case, expected):
    path = tmp_path / "x.h5"
    if case == "title":
        write_handmade(path, title="something else")
    elif case == "dataset":
        write_handmade(path, drop="alive")
    elif case == "text":
        path.write_text("not hdf5\n")
    r = run_script(path)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in r.stderr


def test_output_problems_are_caught_before_the_work(tmp_path):
    path = write_handmade(tmp_path / "hand.h5")
    r = run_script(path, "--json", tmp_path / "missing-dir" / "x.json")
    assert r.returncode == 2 and r.stdout == "" and "missing-dir" in r.stderr
    doc = tmp_path / "plain.md"
    doc.write_text("no markers\n")
    r = run_script(path, "--update-doc", doc)
    assert r.returncode == 2 and r.stdout == "" and "no measured section" in r.stderr


def test_update_doc_replaces_only_the_measured_section(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(f"head\n{vr.BEGIN_MARK}\nold\n{vr.END_MARK}\ntail\n")
    vr.update_doc(doc, "new table")
    assert doc.read_text() == f"head\n{vr.BEGIN_MARK}\nnew table\n{vr.END_MARK}\ntail\n"


# ------------------------------------------------------------------------ end to end

@pytest.fixture(scope="module")
def small_run(aimarket, tmp_path_factory):
    out = tmp_path_factory.mktemp("validate") / "tmp.h5"
    r = subprocess.run([aimarket, "run", str(REPO / "configs" / "baseline.toml"), "--out",
                        str(out), "--set", "population.customers=5000", "--set",
                        "population.synthetic_firms=50", "--steps", "30", "--replicates", "2",
                        "--progress", "none"], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, OMP_NUM_THREADS="2"))
    assert r.returncode == 0, r.stderr
    return out


def test_end_to_end_report_names_every_section(small_run, tmp_path):
    js, md, figs = tmp_path / "v.json", tmp_path / "v.md", tmp_path / "figs"
    r = run_script(small_run, "--json", js, "--markdown", md, "--figures", figs)
    assert r.returncode == 0, r.stderr
    for title in vr.SECTION_TITLES.values():
        assert f"#### {title}" in r.stdout
    assert md.read_text().strip() == r.stdout.strip()
    rows = json.loads(js.read_text())["rows"]
    assert {row["section"] for row in rows} == set(vr.SECTIONS)
    assert all(row["result"] in ("pass", "miss", "skipped", "report") for row in rows)
    # only the dynamics, Korea, flows (NF figures, cash) and supply (cloud use) sections report
    # values without a target
    assert {row["section"] for row in rows if row["result"] == "report"} == {
        "dynamics", "korea", "flows", "supply"}
    # the 30-step run from 2024-01 covers 2024: every layer has its 2024 row, none skipped
    flows = {row["statistic"]: row for row in rows if row["section"] == "flows"}
    for t in vr.FLOW_TARGETS:
        assert flows[f"{t['layer']} revenue 2024, B USD"]["result"] != "skipped"
    # every share target is reported, found or not
    assert sum(row["section"] == "shares" for row in rows) == len(vr.SHARE_TARGETS)
    # a 30-step run cannot give five-year persistence: said, not hidden
    assert "skipped leader kept after 5 yr (every market)" in r.stderr


# ------------------------------------------------------------- the program's own guards

RICH_FIRM = """
[run]
steps = 40
replicates = 2
seed = 1
record_every = 1
[population]
customers = 1000
real_customers = {real_customers}
[[firm]]
name = "Pricey"
archetype = "consumer_ai"
region = "US"
price = 1e9
quality = 1.0
cash = 10.0
"""


def text_attr(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def test_cash_that_would_overflow_stops_the_run_and_keeps_the_steps_before(run_aimarket,
                                                                           tmp_path):
    # Every value in range; customers paying 1e9 a month each, 3e7 per agent, earn more than
    # an int64 counts in USD within a few steps. Cash used to wrap to -9.2e18 (exit 0).
    config = tmp_path / "rich.toml"
    config.write_text(RICH_FIRM.format(real_customers="3e10"))
    out = tmp_path / "rich.h5"
    r = run_aimarket("run", config, "--out", out, "--progress", "none")
    assert r.returncode == 1, r.stderr
    message = r.stderr.strip().splitlines()[-1]
    assert "cash out of the int64 range at step " in message
    assert "replicate 0, firm 'Pricey'" in message
    step = int(message.split("at step ")[1].split(",")[0])
    assert step > 2
    with h5py.File(out, "r") as f:
        assert text_attr(f.attrs["status"]) == "failed: " + message[len("aimarket: "):]
        assert int(f.attrs["steps_recorded"]) == step     # steps 0 .. step-1, not the bad one
        cash = f["cash"][0, :, 0]
        assert len(cash) == step
        assert (np.diff(cash) > 0).all() and cash[-1] > 1e12  # USD M: growing, never wrapped


def test_revenue_beyond_an_integer_stops_the_run_at_its_step(run_aimarket, tmp_path):
    # 1e9 real customers per agent at 1e9 each: the first step's revenue is not an int64.
    config = tmp_path / "richer.toml"
    config.write_text(RICH_FIRM.format(real_customers="1e12"))
    out = tmp_path / "richer.h5"
    r = run_aimarket("run", config, "--out", out, "--progress", "none")
    assert r.returncode == 1, r.stderr
    assert ("service revenue out of the int64 range at step 0, replicate 0, firm 'Pricey'"
            in r.stderr)
    with h5py.File(out, "r") as f:
        assert text_attr(f.attrs["status"]).startswith("failed: service revenue")
        assert int(f.attrs["steps_recorded"]) == 0


# 2e7 customers x 1e5 replicates: 8e12 bytes of customer state alone, more than any machine.
TOO_LARGE = ["--set", "population.customers=20000000", "--replicates", "100000"]


def test_validate_prints_the_memory_estimate(run_aimarket):
    r = run_aimarket("validate", REPO / "configs" / "baseline.toml",
                     "--set", "population.customers=20000")
    assert r.returncode == 0, r.stderr
    line = [l for l in r.stdout.splitlines() if l.startswith("memory estimate: ")]
    assert len(line) == 1 and " host (" in line[0] and "available" in line[0]


def test_a_run_too_large_for_memory_is_refused_before_anything_is_written(run_aimarket,
                                                                         tmp_path):
    out = tmp_path / "huge.h5"
    r = run_aimarket("run", REPO / "configs" / "baseline.toml", *TOO_LARGE, "--out", out,
                     "--progress", "none", timeout=120)
    assert r.returncode == 2, r.stderr
    assert list(tmp_path.iterdir()) == []
    message = r.stderr.strip().splitlines()[-1]
    assert message.startswith("aimarket: ") and "baseline.toml" in message
    assert "TiB of host memory" in message and "is available" in message
    assert "population.customers" in message and "run.replicates" in message
    r = run_aimarket("validate", REPO / "configs" / "baseline.toml", *TOO_LARGE, timeout=120)
    assert r.returncode == 2
    assert "a run would be refused here" in r.stderr and "TiB of host memory" in r.stderr
