#!/usr/bin/python3
"""Validate one aimarket trajectory against calibration figures and stylized facts.

Reads a file written by `aimarket run` (docs/OUTPUT.md) and reports, section by section,
each statistic with its measured value, target, tolerance (and why), source, and pass/miss:

  shares         starting shares (first recorded step) vs the 2023-2025 calibration figures
  concentration  starting HHI of each market and their ordering
  dynamics       the 2024 consumer leader's share 12 and 24 months on; service HHI and the
                 number of firms with customers at years 0, 1, 2, 5 and the last step
  korea          Korea's home market: Korean firms' share of Korea's adopters at months 0, 12,
                 24 and the last step, and where the named Korean firms' customers live
  flows          2024 money flows: each layer's revenue summed over 2024-01..2024-12 against
                 the reported 2024 figure (within a factor 1.5); funding raised in 2024; the
                 hyperscalers' cash at the end of 2024 against its start
  supply         the 2024 supply side: accelerator price / cost, HBM price / unit cost (sold
                 out), the rental price in 2024-12, the clouds' rented share (report), the
                 largest data holding, the model layer's revenue shares
  size-tail      firm-size tail exponent (Hill estimator) at the last recorded step
  growth         shape of the yearly log growth-rate distribution (Laplace vs Normal)
  volatility     growth volatility vs firm size (slope beta)
  churn          yearly entry + exit rate, and entrants exiting within 24 steps
  persistence    probability the market leader stays leader after 1 and 5 years

A "miss" is a result like any other: it is printed, never hidden. A statistic the file
cannot give (too few steps, too few firms) is "skipped" with the reason, and the others go on.
A value with no outside figure to test it against (the service HHI path) is "report".
Output: Markdown on stdout; `--json FILE` the same rows as JSON; `--markdown FILE` the Markdown
to a file; `--update-doc DOC` replaces the measured section of docs/VALIDATION.md;
`--figures DIR` the size CCDF and the growth-rate histogram.

Errors the user can cause (missing file, not an aimarket trajectory, a needed dataset absent,
a bad option) are one line on stderr and exit status 2. Misses do not change the exit status.

Targets are in the tables right below; each carries its tolerance and the reason for it, so
they can be adjusted (firm names, vintages) without touching the code.
"""
from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

# --------------------------------------------------------------------------------------------
# Targets (data, not code). Shares are fractions; tolerances are in the same unit.
# --------------------------------------------------------------------------------------------

# Why +-3 percentage points: the cited figures disagree by about that much across vintages and
# sources (HBM: SK hynix 50 % in 2022, 53 % TrendForce 2023, 54 % in the seed report; NVIDIA:
# 92 % IoT Analytics vs 98 % of units TechInsights; cloud: Q3 vs Q4 2024 move by 1 pp). For
# shares of customers (`segment` targets), the binomial sampling sd of a share among the
# adopter agents is added in quadrature (2 sd): tolerance = sqrt(tol^2 + (2 sd)^2).
VINTAGE_TOL = 0.03
VINTAGE_REASON = "sources and vintages differ by about 3 pp"

SHARE_TARGETS = [
    # kind "layer": market_share[step0, layer, firm] (units of the layer)
    # kind "segment": customers[step0, segment, firm] / adopters[step0, segment]
    dict(kind="layer", market="accelerator", firm="NVIDIA", value=0.95, tolerance=0.03,
         reason="midpoint of 92 % and 98 %; +-3 pp is half their gap",
         source="seed IV.3.1 (IoT Analytics 2023: 92 % of data-centre GPUs); "
                "TechInsights 2023: 98 % of units (external_figures.md)"),
    dict(kind="layer", market="hbm", firm="SK hynix", value=0.53, tolerance=VINTAGE_TOL,
         reason=VINTAGE_REASON + " (seed: 54 % in 2023; TrendForce 2022: 50 %)",
         source="TrendForce 2023 (external_figures.md); seed III.2.1.5"),
    dict(kind="layer", market="hbm", firm="Samsung", value=0.38, tolerance=VINTAGE_TOL,
         reason=VINTAGE_REASON + " (TrendForce 2022: 40 %; 2024 forecast 46 %)",
         source="TrendForce 2023 (external_figures.md)"),
    dict(kind="layer", market="hbm", firm="Micron", value=0.09, tolerance=VINTAGE_TOL,
         reason=VINTAGE_REASON + " (TrendForce 2022: 10 %; 2024 forecast 4 %)",
         source="TrendForce 2023 (external_figures.md)"),
    dict(kind="layer", market="cloud", firm="Amazon", value=0.305, tolerance=VINTAGE_TOL,
         reason=VINTAGE_REASON, source="Synergy Q3 2024 31 %, Q4 2024 30 % (AWS)"),
    dict(kind="layer", market="cloud", firm="Microsoft", value=0.205, tolerance=VINTAGE_TOL,
         reason=VINTAGE_REASON, source="Synergy Q3 2024 20 %, Q4 2024 21 % (Azure)"),
    dict(kind="layer", market="cloud", firm="Google", value=0.12, tolerance=VINTAGE_TOL,
         reason=VINTAGE_REASON, source="Synergy Q3 and Q4 2024 12 % (GCP)"),
    dict(kind="layer", market="cloud", firm="Alibaba Cloud", value=0.04, tolerance=VINTAGE_TOL,
         reason=VINTAGE_REASON, source="Synergy Q3 2024 4 %"),
    dict(kind="segment", market="consumer", firm="OpenAI", value=0.87, tolerance=VINTAGE_TOL,
         reason=VINTAGE_REASON + "; web visits only (reliability medium)",
         source="Similarweb Jan 2025, chatbot web traffic (ChatGPT)"),
    dict(kind="segment", market="consumer", firm="Google", value=0.055, tolerance=VINTAGE_TOL,
         reason=VINTAGE_REASON + "; web visits only (reliability medium)",
         source="Similarweb Jan 2025, chatbot web traffic (Gemini)"),
]

# Starting HHI (x 10,000). Bands are the HHI the cited share figures imply across their
# vintages (computed from the shares, remainder split among the small sellers).
HHI_SOURCE = "external_figures.md, 'Implied concentration'"
HHI_TARGETS = {
    "accelerator": dict(kind="layer", value=9600, low=8450, high=9700,
                        reason="NVIDIA 92-98 % with AMD/Intel the rest gives 8,450-9,700",
                        source=HHI_SOURCE + "; data-centre GPUs 2023"),
    "hbm": dict(kind="layer", value=4300, low=4200, high=4650,
                reason="TrendForce 2022 / 2023 / 2024f shares give 4,200 / 4,330 / 4,610",
                source=HHI_SOURCE + "; HBM 2023"),
    "cloud": dict(kind="layer", value=1550, low=1500, high=1600,
                  reason="Synergy Q3/Q4 2024 listed shares plus many small providers",
                  source=HHI_SOURCE + "; cloud Q4 2024"),
    "consumer": dict(kind="segment", value=7500, low=7500, high=10000,
                     reason="ChatGPT's 87 % alone gives 7,569",
                     source=HHI_SOURCE + "; chatbot traffic 2025"),
}
VERTICAL_SEGMENTS = ["finance", "healthcare", "legal", "manufacturing"]

# Stylized facts. Rule for section 3: pass if the measured value's +-2 sd sampling interval
# overlaps the target band (the band carries the source's own uncertainty where it gives one).
FACTS = {
    "hill": dict(value=1.059, low=1.059 - 2 * 0.054, high=1.059 + 2 * 0.054,
                 reason="Axtell's estimate 1.059 +- 2 x its se 0.054",
                 source="Axtell 2001, Science 293:1818 (US firms, 1997)"),
    "kurtosis": dict(value="> 0 (Laplace: 3)", low=0.0, high=math.inf,
                     reason="tent shape: excess kurtosis > 0 beyond 2 se (se ~ sqrt(24/n))",
                     source="Stanley et al. 1996 (Nature 379:804); Bottazzi & Secchi"),
    "vuong": dict(value="> 2", low=2.0, high=math.inf,
                  reason="Laplace fits better than Normal: Vuong z > 2 (5 % one-sided ~1.64)",
                  source="Stanley et al. 1996; Bottazzi & Secchi; Vuong 1989 (test)"),
    "beta": dict(value="0.15-0.2", low=0.15, high=0.20,
                 reason="the range the literature reports",
                 source="Stanley et al. 1996 (Physica A 244)"),
    "churn": dict(value=0.20, low=0.15, high=0.25,
                  reason="'about 20 %' read as +-5 pp (our reading, not the source's)",
                  source="Bartelsman, Scarpetta & Schivardi 2005"),
    "entrant_exit": dict(value="0.20-0.40", low=0.20, high=0.40,
                         reason="the range the source gives (fail within 2 years)",
                         source="Bartelsman, Scarpetta & Schivardi 2005"),
    "lead1": dict(value=0.95, reason="+-2 binomial sd of the pairs counted, under the target",
                  source="Golder et al. (MSI working paper)"),
    "lead5": dict(value=0.75, reason="+-2 binomial sd of the pairs counted, under the target",
                  source="Golder et al. (MSI working paper)"),
}

# Dynamics after the start. The 2024 consumer leader's share is compared, 12 and 24 months on,
# with the one outside figure after the start: Similarweb's chatbot web traffic about Jan 2025
# (step 12 of a run starting 2024-01). The figure counts web visits, not users, and leaves out
# the apps (reliability medium), so it is a proxy for the share of users: +-10 pp is our reading
# of how far a share of visits may stand from a share of users, not the source's; twice the
# binomial sampling sd of the replicate mean is added in quadrature, as for the starting shares.
# At 24 months (Jan 2026) no outside figure is at hand: the same one is read as the level a lead
# held for another year would keep, which the wide tolerance covers.
LEADER_TARGET = dict(
    value=0.87, tolerance=0.10, months=(12, 24),
    reason="web visits, not users, and no app traffic (reliability medium): +-10 pp is our "
           "reading of the proxy, not the source's",
    source="Similarweb about Jan 2025, chatbot web traffic: ChatGPT about 87 % "
           "(external_figures.md)")
# Service-layer HHI and the number of firms with customers: reported at these yearly marks and
# the last recorded step, with no target (no source gives the service layer's path).
DYNAMICS_YEARS = (0, 1, 2, 5)
NO_TARGET_SOURCE = "none: no outside figure for this path (reported, not tested)"

HILL_FRACTIONS = (0.05, 0.10)   # top 5 % and 10 % of firms (Hill is k-sensitive)
MIN_HILL_K = 10                 # below this the se alpha/sqrt(k) exceeds 30 %
MIN_GROWTH_OBS = 30
YEAR = 12                       # steps per year (one step per month)

TITLE = "aimarket trajectory"
SECTIONS = ["shares", "concentration", "dynamics", "korea", "flows", "supply", "size-tail",
            "growth", "volatility", "churn", "persistence"]
SECTION_TITLES = {
    "shares": "1. Starting shares vs calibration figures (first recorded step)",
    "concentration": "2. Concentration ordering at the start (HHI x 10,000)",
    "dynamics": "2b. Dynamics: the 2024 consumer leader, service concentration, firms with "
                "customers",
    "korea": "2c. Korea's home market: Korean firms' share of Korea's adopters",
    "flows": "2d. 2024 money flows: layer revenue, funding and cash against reported 2024 "
             "figures",
    "supply": "2e. The 2024 supply side: prices against cost, the rental price, data held, the "
              "model layer's shares",
    "size-tail": "3a. Firm-size tail exponent (Hill) at the last recorded step",
    "growth": "3b. Growth-rate distribution shape (yearly log growth)",
    "volatility": "3c. Growth volatility vs size",
    "churn": "3d. Yearly churn and early exit of entrants",
    "persistence": "3e. Leadership persistence",
}
REQUIRED = ["step", "firm_name", "layer", "segment", "market_share", "hhi", "layer_units",
            "customers", "adopters", "alive"]


class InputError(Exception):
    """A user mistake or an unusable file: one line on stderr, exit status 2."""


def prog() -> str:
    return Path(sys.argv[0]).name or "validate_run.py"


def note(message: str) -> None:
    """One informational line on stderr (skipped statistics, warnings)."""
    print(f"{prog()}: {message}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Estimators (pure functions of arrays; unit-tested in tests/python/test_validate.py)
# --------------------------------------------------------------------------------------------

def hill_estimator(x, k):
    """Hill (1975) estimator of the Pareto tail exponent alpha from the k largest values.

    alpha_hat = k / sum_{i=1..k} (ln x_(i) - ln x_(k+1)), x_(1) >= x_(2) >= ... the order
    statistics; its asymptotic standard error is alpha_hat / sqrt(k). Used for the Zipf
    firm-size law (Axtell 2001: alpha near 1). Returns (alpha, se); NaN if undefined.
    """
    x = np.sort(np.asarray(x, dtype=float))[::-1]
    if k < 1 or k >= x.size or x[k] <= 0:
        return math.nan, math.nan
    logs = np.log(x[:k]) - np.log(x[k])
    denom = logs.sum()
    if denom <= 0:
        return math.nan, math.nan
    alpha = k / denom
    return alpha, alpha / math.sqrt(k)


def laplace_vs_normal(g):
    """Compare Laplace and Normal fits of growth rates g by maximum likelihood.

    Stanley et al. (1996) and Bottazzi & Secchi find log growth rates tent-shaped (Laplace).
    Both are fitted by ML (scipy.stats.laplace.fit / norm.fit); returns a dict with the excess
    kurtosis (scipy.stats.kurtosis, Fisher, bias-corrected) and its approximate se sqrt(24/n),
    the log-likelihoods, their difference (Laplace minus Normal; > 0 favours Laplace), and
    Vuong's (1989) z statistic for non-nested models: sum(d_i) / (sqrt(n) sd(d_i)), d_i the
    pointwise log-likelihood difference.
    """
    g = np.asarray(g, dtype=float)
    n = g.size
    lap = stats.laplace.fit(g)
    nor = stats.norm.fit(g)
    d = stats.laplace.logpdf(g, *lap) - stats.norm.logpdf(g, *nor)
    sd = d.std(ddof=1)
    return dict(n=n, excess_kurtosis=float(stats.kurtosis(g, fisher=True, bias=False)),
                kurtosis_se=math.sqrt(24.0 / n),
                loglik_laplace=float(stats.laplace.logpdf(g, *lap).sum()),
                loglik_normal=float(stats.norm.logpdf(g, *nor).sum()),
                loglik_diff=float(d.sum()),
                vuong_z=float(d.sum() / (math.sqrt(n) * sd)) if sd > 0 else math.nan,
                laplace_params=tuple(map(float, lap)), normal_params=tuple(map(float, nor)))


def volatility_slope(size0, growth, max_bins=8, min_per_bin=20):
    """Slope of log sd(growth) on log size across size bins (Stanley et al. 1996).

    sigma(g | S) ~ S^-beta; the firms are split into equal-count bins of initial size
    (quantiles of log size), the sd of growth is taken in each bin, and
    scipy.stats.linregress fits log sd on the bin's mean log size. Returns
    (beta = -slope, its standard error, number of bins); NaN with fewer than 3 bins.
    """
    size0 = np.asarray(size0, dtype=float)
    growth = np.asarray(growth, dtype=float)
    nbins = min(max_bins, size0.size // min_per_bin)
    if nbins < 3:
        return math.nan, math.nan, nbins
    order = np.argsort(size0, kind="stable")
    xs, ys = [], []
    for chunk in np.array_split(order, nbins):
        xs.append(np.log(size0[chunk]).mean())
        ys.append(np.log(growth[chunk].std(ddof=1)))
    fit = stats.linregress(xs, ys)
    return -fit.slope, fit.stderr, nbins


def churn_counts(alive, start, end):
    """Entries and exits of firm slots between recorded positions start and end.

    alive: (replicate, step, firm) 0/1. Entries are 0 -> 1 transitions and exits 1 -> 0
    transitions between consecutive positions start..end (Bartelsman, Scarpetta & Schivardi
    2005 count entry and exit rates against the firms present at the start of the year).
    Returns (entries, exits, firms alive at start), each summed over replicates.
    """
    a = np.asarray(alive[:, start:end + 1, :], dtype=np.int8)
    diff = np.diff(a, axis=1)
    return int((diff == 1).sum()), int((diff == -1).sum()), int(a[:, 0, :].sum())


def entrant_early_exit(alive, steps, horizon=24):
    """Share of entrants that exit within `horizon` steps of entering.

    An entry is alive going 0 -> 1 between consecutive recorded steps; it counts only if the
    run goes on `horizon` steps after it. The entrant exits early if alive goes 1 -> 0 within
    (entry, entry + horizon]. Target 20-40 % fail within two years (Bartelsman et al. 2005).
    Returns (entrants followed, of which exited).
    """
    a = np.asarray(alive, dtype=np.int8)
    steps = np.asarray(steps)
    followed = exited = 0
    for r, t, j in zip(*np.nonzero(np.diff(a, axis=1) == 1)):
        t_entry = t + 1
        if steps[t_entry] + horizon > steps[-1]:
            continue
        window = (steps > steps[t_entry]) & (steps <= steps[t_entry] + horizon)
        followed += 1
        exited += int((a[r, window, j] == 0).any())
    return followed, exited


TIE_TOL = 1e-12


def leaders(shares, valid):
    """Index of the unique largest share per row; -1 where the market is empty (not valid)
    or the largest share is tied (no unique leader). shares: (..., firm); valid: (...) bool.
    """
    shares = np.asarray(shares, dtype=float)
    top2 = -np.sort(-shares, axis=-1)[..., :2]
    unique = top2[..., 0] > top2[..., 1] + TIE_TOL if shares.shape[-1] > 1 else \
        np.ones(shares.shape[:-1], bool)
    return np.where(np.asarray(valid) & unique, np.argmax(shares, axis=-1), -1)


def leader_persistence(shares, valid, lag):
    """Probability that the leader at year mark y is still the leader at mark y + lag.

    shares: (replicate, mark, firm) at yearly marks; valid: (replicate, mark) where the market
    has units. A pair (y, y + lag) counts only if both marks have a unique leader (a market
    whose top shares are tied has no leader to keep); the leader is kept if it is the same
    firm. Golder et al.: about 95 % after one year, about 75 % after five.
    Returns (kept, pairs) over replicates and year pairs.
    """
    lead = leaders(shares, valid)
    first, later = lead[:, :-lag], lead[:, lag:]
    counted = (first >= 0) & (later >= 0)
    return int((counted & (first == later)).sum()), int(counted.sum())


def hhi(shares):
    """Herfindahl-Hirschman index sum_j s_j^2 over the last axis (0-1)."""
    return (np.asarray(shares, dtype=float) ** 2).sum(axis=-1)


def interval_overlaps(value, sd, low, high, nsd=2.0):
    """True if [value - nsd sd, value + nsd sd] overlaps the band [low, high]."""
    return value + nsd * sd >= low and value - nsd * sd <= high


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

@dataclass
class Trajectory:
    """The arrays of a trajectory file that validation uses, read whole."""
    path: str
    attrs: dict
    steps: np.ndarray
    names: list
    layers: list
    segments: list
    market_share: np.ndarray   # (R, T, L, F)
    hhi: np.ndarray            # (R, T, L)
    layer_units: np.ndarray    # (R, T, L)
    customers: np.ndarray      # (R, T, S, F)
    adopters: np.ndarray       # (R, T, S)
    alive: np.ndarray          # (R, T, F)
    revenue: np.ndarray | None  # (R, T, F) service revenue, USD per step, or None
    regions: list | None = None            # region names, or None if the file has none
    firm_region: list | None = None        # (F) each firm's home region
    region_customers: np.ndarray | None = None  # (R, T, G, F) customer agents by region


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def read_trajectory(path):
    """Opens and reads a trajectory; raises InputError with one sentence on any problem."""
    import h5py
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {path}")
    if p.is_dir():
        raise InputError(f"{path} is a directory, not a trajectory file")
    try:
        f = h5py.File(p, "r")
    except OSError as e:
        raise InputError(f"{path} is not a readable HDF5 file ({e.__class__.__name__})")
    with f:
        title = _text(f.attrs.get("title", ""))
        if title != TITLE:
            raise InputError(f"{path} is not an aimarket trajectory (root attribute title is "
                             f"{title!r}, expected {TITLE!r})")
        for name in REQUIRED:
            if name not in f:
                raise InputError(f"{path} has no dataset '{name}', which validation needs")
        attrs = {k: (_text(v) if isinstance(v, (bytes, str)) else v.item()
                     if hasattr(v, "item") else v) for k, v in f.attrs.items() if k != "config"}
        steps = f["step"][:]
        if steps.size == 0:
            raise InputError(f"{path} holds no recorded step")
        layers = list(f["layer"].asstr()[:])
        revenue = None
        if "revenue_share" in f and "layer_revenue" in f and "service" in layers:
            li = layers.index("service")
            revenue = f["revenue_share"][:, :, li, :] * f["layer_revenue"][:, :, li][..., None]
        else:
            note("no revenue_share/layer_revenue: the revenue size measure is skipped")
        regional = all(k in f for k in ("region", "firm_region", "region_customers"))
        if not regional:
            note("no region/firm_region/region_customers: the korea section is skipped")
        return Trajectory(
            path=str(path), attrs=attrs, steps=steps, names=list(f["firm_name"].asstr()[:]),
            layers=layers, segments=list(f["segment"].asstr()[:]),
            market_share=f["market_share"][:], hhi=f["hhi"][:], layer_units=f["layer_units"][:],
            customers=f["customers"][:], adopters=f["adopters"][:], alive=f["alive"][:],
            revenue=revenue,
            regions=list(f["region"].asstr()[:]) if regional else None,
            firm_region=list(f["firm_region"].asstr()[:]) if regional else None,
            region_customers=f["region_customers"][:] if regional else None)


# --------------------------------------------------------------------------------------------
# Report rows
# --------------------------------------------------------------------------------------------

@dataclass
class Row:
    section: str
    statistic: str
    measured: str
    target: str
    tolerance: str
    source: str
    result: str            # pass, miss, skipped, or report (a value with no target)
    note: str = ""
    values: dict = field(default_factory=dict)   # raw numbers for --json


def pct(x):
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.1f} %"


def num(x, digits=3):
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


def skipped(section, statistic, reason, target="", source=""):
    note(f"skipped {statistic}: {reason}")
    return Row(section, statistic, "-", target, "", source, "skipped", reason)


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------

def firm_indices(tr, name):
    return [i for i, n in enumerate(tr.names) if n == name]


def section_shares(tr):
    """Starting shares (first recorded step, mean over replicates) vs SHARE_TARGETS."""
    rows = []
    for t in SHARE_TARGETS:
        stat = f"{t['market']} share of {t['firm']}"
        ids = firm_indices(tr, t["firm"])
        tol_text = f"+-{100 * t['tolerance']:.1f} pp ({t['reason']})"
        if not ids:
            rows.append(Row("shares", stat, "absent", pct(t["value"]), tol_text, t["source"],
                            "miss", f"no firm named {t['firm']!r} in firm_name"))
            continue
        extra = f"{len(ids)} slots named {t['firm']!r}, summed; " if len(ids) > 1 else ""
        if t["kind"] == "layer":
            if t["market"] not in tr.layers:
                raise InputError(f"layer {t['market']!r} is not in the file's layer coordinate")
            li = tr.layers.index(t["market"])
            units = tr.layer_units[:, 0, li]
            if not (units > 0).any():
                rows.append(Row("shares", stat, "no units", pct(t["value"]), tol_text,
                                t["source"], "miss",
                                f"the {t['market']} layer trades nothing at the first step"))
                continue
            share = tr.market_share[:, 0, li][:, ids].sum(axis=1)[units > 0].mean()
            tol, sd, n_text = t["tolerance"], 0.0, f"{int((units > 0).sum())} replicates"
        else:
            si = tr.segments.index(t["market"])
            n = tr.adopters[:, 0, si].astype(float)
            ok = n > 0
            if not ok.any():
                rows.append(Row("shares", stat, "no adopters", pct(t["value"]), tol_text,
                                t["source"], "miss",
                                f"no {t['market']} adopters at the first step"))
                continue
            per_rep = tr.customers[:, 0, si][:, ids].sum(axis=1)[ok] / n[ok]
            share = per_rep.mean()
            p = t["value"]
            # sd of the replicate mean of binomial shares under the target
            sd = math.sqrt((p * (1 - p) / n[ok]).sum()) / ok.sum()
            tol = math.sqrt(t["tolerance"] ** 2 + (2 * sd) ** 2)
            tol_text = (f"+-{100 * tol:.1f} pp = {100 * t['tolerance']:.1f} pp "
                        f"({t['reason']}) and 2 binomial sd {100 * sd:.1f} pp in quadrature")
            n_text = f"{int(n[ok].sum())} adopter agents over {int(ok.sum())} replicates"
        res = "pass" if abs(share - t["value"]) <= tol else "miss"
        rows.append(Row("shares", stat, pct(share), pct(t["value"]), tol_text, t["source"], res,
                        extra + n_text,
                        dict(measured=float(share), target=t["value"], tolerance=tol,
                             sampling_sd=sd)))
    return rows


def start_hhi(tr, kind, market):
    """Starting HHI x 10^4 (mean over replicates with units) and a text on its basis."""
    if kind == "layer":
        li = tr.layers.index(market)
        ok = tr.layer_units[:, 0, li] > 0
        if not ok.any():
            return math.nan, "no units at the first step"
        return 1e4 * tr.hhi[:, 0, li][ok].mean(), f"{int(ok.sum())} replicates"
    si = tr.segments.index(market)
    n = tr.adopters[:, 0, si].astype(float)
    ok = n > 0
    if not ok.any():
        return math.nan, "no adopters at the first step"
    h = hhi(tr.customers[:, 0, si][ok] / n[ok, None])
    bias = ((1 - h) / n[ok]).mean()
    return 1e4 * h.mean(), (f"{int(n[ok].sum())} adopter agents; finite-sample upward bias "
                            f"(1-H)/N ~ {1e4 * bias:.0f}")


def section_concentration(tr):
    """Starting HHI of accelerators, chat, HBM, cloud and the verticals, and their ordering."""
    rows, measured = [], {}
    for market, t in HHI_TARGETS.items():
        h, basis = start_hhi(tr, t["kind"], market)
        measured[market] = h
        label = "consumer chat" if market == "consumer" else market
        target = (f"> {t['low']:,}" if t["high"] >= 10000 else
                  f"~{t['value']:,} ({t['low']:,}-{t['high']:,})")
        res = "pass" if np.isfinite(h) and t["low"] <= h <= t["high"] else "miss"
        rows.append(Row("concentration", f"HHI {label}", num(h, 4), target, t["reason"],
                        t["source"], res, basis,
                        dict(measured=h, low=t["low"], high=t["high"])))
    cloud = measured["cloud"]
    for seg in VERTICAL_SEGMENTS:
        h, basis = start_hhi(tr, "segment", seg)
        measured[seg] = h
        res = "pass" if np.isfinite(h) and np.isfinite(cloud) and h < cloud else "miss"
        rows.append(Row("concentration", f"HHI {seg} services", num(h, 4),
                        "< cloud (fragmented)", "ordering only", HHI_SOURCE, res, basis,
                        dict(measured=h)))
    top = min(measured["accelerator"], measured["consumer"])
    vert = max(measured[s] for s in VERTICAL_SEGMENTS)
    chain = [top, measured["hbm"], cloud, vert]
    ok = all(np.isfinite(chain)) and all(a > b for a, b in zip(chain, chain[1:]))
    order = sorted(measured.items(), key=lambda kv: -kv[1] if np.isfinite(kv[1]) else math.inf)
    rows.append(Row("concentration", "ordering", " > ".join(k for k, _ in order),
                    "{accelerator, consumer} > hbm > cloud > verticals", "strict ordering",
                    HHI_SOURCE, "pass" if ok else "miss",
                    f"min(accelerator, consumer) {num(top, 4)}, hbm {num(measured['hbm'], 4)}, "
                    f"cloud {num(cloud, 4)}, max(verticals) {num(vert, 4)}"))
    return rows


def month_label(tr, step):
    """The calendar month of a step ("2025-01"), from the root attribute start_month."""
    try:
        year, month = (int(x) for x in str(tr.attrs.get("start_month", "")).split("-"))
    except ValueError:
        return f"step {step}"
    k = (month - 1) + int(step)
    return f"{year + k // 12}-{k % 12 + 1:02d}"


def dynamics_marks(tr):
    """Recorded positions of the yearly marks DYNAMICS_YEARS and of the last step, as
    (label, position or None, step); a mark beyond the run has position None."""
    pos = {int(s): i for i, s in enumerate(tr.steps)}
    first, last = int(tr.steps[0]), int(tr.steps[-1])
    marks = []
    for y in DYNAMICS_YEARS:
        step = first + YEAR * y
        if step < last:
            marks.append((f"year {y}", pos.get(step), step))
        elif step > last:
            marks.append((f"year {y}", None, step))
    marks.append(("last step", len(tr.steps) - 1, last))
    return marks


def section_dynamics(tr):
    """The 2024 consumer leader's share 12 and 24 months on (vs LEADER_TARGET), and the paths
    of the service HHI and of the number of firms with customers (reported, no target).

    The 2024 leader is the firm with the largest mean consumer share over replicates at the
    first recorded step; its share later is its customer agents over the segment's adopters,
    mean over replicates.
    """
    rows = []
    si = tr.segments.index("consumer")
    pos = {int(s): i for i, s in enumerate(tr.steps)}
    first = int(tr.steps[0])
    n0 = tr.adopters[:, 0, si].astype(float)
    t = LEADER_TARGET
    tol_base = f"{100 * t['tolerance']:.1f} pp ({t['reason']}) and 2 binomial sd"
    if not (n0 > 0).any():
        rows.append(skipped("dynamics", "consumer share of the 2024 leader",
                            "no consumer adopters at the first recorded step", pct(t["value"]),
                            t["source"]))
    else:
        share0 = tr.customers[:, 0, si, :][n0 > 0] / n0[n0 > 0, None]
        lead = int(np.argmax(share0.mean(axis=0)))
        name = tr.names[lead]
        per_rep = np.argmax(share0, axis=1)
        agree = "" if (per_rep == lead).all() else \
            f"; the leader differs in {int((per_rep != lead).sum())} replicates"
        rows.append(Row("dynamics", f"consumer share of the 2024 leader ({name}), month 0 "
                        f"({month_label(tr, first)})", pct(share0[:, lead].mean()), "-", "-",
                        NO_TARGET_SOURCE, "report",
                        f"the leader: largest mean consumer share at the first recorded step "
                        f"(tested against the start figure in section 1); "
                        f"{int(n0.sum())} adopter agents{agree}",
                        dict(measured=float(share0[:, lead].mean()), firm=name, month=0)))
        for m in t["months"]:
            stat = (f"consumer share of the 2024 leader ({name}), month {m} "
                    f"({month_label(tr, first + m)})")
            i = pos.get(first + m)
            if i is None:
                rows.append(skipped("dynamics", stat, f"step {first + m} is not recorded "
                                    f"(the run records steps {first}..{int(tr.steps[-1])})",
                                    pct(t["value"]), t["source"]))
                continue
            n = tr.adopters[:, i, si].astype(float)
            ok = n > 0
            if not ok.any():
                rows.append(Row("dynamics", stat, "no adopters", pct(t["value"]), tol_base,
                                t["source"], "miss", f"no consumer adopters at step {first + m}"))
                continue
            share = (tr.customers[:, i, si, lead][ok] / n[ok]).mean()
            p = t["value"]
            sd = math.sqrt((p * (1 - p) / n[ok]).sum()) / ok.sum()
            tol = math.sqrt(t["tolerance"] ** 2 + (2 * sd) ** 2)
            res = "pass" if abs(share - p) <= tol else "miss"
            gone = "" if (tr.alive[:, :i + 1, lead] == 1).all() else \
                "; the leader's slot was not alive throughout"
            rows.append(Row("dynamics", stat, pct(share), pct(p),
                            f"+-{100 * tol:.1f} pp = {tol_base} {100 * sd:.1f} pp in "
                            "quadrature",
                            t["source"], res,
                            f"{int(n[ok].sum())} adopter agents over {int(ok.sum())} "
                            f"replicates{gone}",
                            dict(measured=float(share), target=p, tolerance=tol,
                                 sampling_sd=sd, firm=name, month=m)))
    li = tr.layers.index("service")
    cust = tr.customers.sum(axis=2)
    for label, i, step in dynamics_marks(tr):
        when = f"{label} (step {step}, {month_label(tr, step)})"
        if i is None:
            for stat in ("service HHI", "firms with customers"):
                rows.append(skipped("dynamics", f"{stat}, {when}",
                                    f"the run ends at step {int(tr.steps[-1])}", "-",
                                    NO_TARGET_SOURCE))
            continue
        ok = tr.layer_units[:, i, li] > 0
        if ok.any():
            h = 1e4 * tr.hhi[:, i, li][ok]
            sd = h.std(ddof=1) if h.size > 1 else math.nan
            rows.append(Row("dynamics", f"service HHI, {when}",
                            num(h.mean(), 4) + ("" if math.isnan(sd) else f" +- {num(sd, 2)}"),
                            "-", "- (sd across replicates)", NO_TARGET_SOURCE, "report",
                            f"{int(ok.sum())} replicates; HHI of the service layer's "
                            "market_share",
                            dict(measured=float(h.mean()), sd=sd, step=step)))
        else:
            rows.append(skipped("dynamics", f"service HHI, {when}",
                                "the service layer has no units at this step", "-",
                                NO_TARGET_SOURCE))
        count = ((tr.alive[:, i, :] == 1) & (cust[:, i, :] > 0)).sum(axis=1)
        rows.append(Row("dynamics", f"firms with customers, {when}", num(count.mean(), 4),
                        "-", "- (range over replicates)", NO_TARGET_SOURCE, "report",
                        f"alive firms with at least one customer agent in any segment; "
                        f"replicates {int(count.min())}-{int(count.max())}",
                        dict(measured=float(count.mean()), low=int(count.min()),
                             high=int(count.max()), step=step)))
    return rows


KOREA_MONTHS = (0, 12, 24)
KOREA_SOURCE = ("NF: Korean AI services' users in Korea, 2024 (figures_2024 section 8); the "
                "start is the baseline's home_share (judgment, docs/MODEL.md)")
SYNTHETIC_PREFIXES = ("synthetic-", "slot-")


def section_korea(tr):
    """Korean firms' share of Korea's adopters (all segments) at months 0, 12, 24 and the last
    step, for all firms based in Korea and for the named ones; and the share of the named
    Korean firms' customers who live in Korea, at the start and the last step. Reported: no
    figure to test them against (KOREA_SOURCE)."""
    rows = []
    if tr.region_customers is None:
        return [skipped("korea", "Korean firms' share of Korea's adopters",
                        "the file has no region_customers", "-", KOREA_SOURCE)]
    if "KR" not in tr.regions:
        return [skipped("korea", "Korean firms' share of Korea's adopters",
                        "the file has no region KR", "-", KOREA_SOURCE)]
    g = tr.regions.index("KR")
    korean = np.array([r == "KR" for r in tr.firm_region])
    named = np.array([not n.startswith(SYNTHETIC_PREFIXES) for n in tr.names])
    pos = {int(s): i for i, s in enumerate(tr.steps)}
    first, last = int(tr.steps[0]), int(tr.steps[-1])
    marks = [(f"month {m} ({month_label(tr, first + m)})", pos.get(first + m), first + m)
             for m in KOREA_MONTHS if first + m < last]
    marks.append((f"last step ({month_label(tr, last)})", len(tr.steps) - 1, last))

    def spread(x):
        return "" if x.size < 2 else f" +- {100 * x.std(ddof=1):.1f} pp"

    for label, i, step in marks:
        if i is None:
            rows.append(skipped("korea", f"Korean firms' share of Korea's adopters, {label}",
                                f"step {step} is not recorded", "-", KOREA_SOURCE))
            continue
        home = tr.region_customers[:, i, g, :].astype(float)
        total = home.sum(axis=1)
        ok = total > 0
        if not ok.any():
            rows.append(skipped("korea", f"Korean firms' share of Korea's adopters, {label}",
                                "Korea has no adopters at this step", "-", KOREA_SOURCE))
            continue
        for who, mask in (("all firms based in Korea", korean),
                          ("named Korean firms", korean & named)):
            share = home[ok][:, mask].sum(axis=1) / total[ok]
            rows.append(Row("korea", f"share of Korea's adopters held by {who}, {label}",
                            pct(share.mean()) + spread(share), "-", "- (sd across replicates)",
                            KOREA_SOURCE, "report",
                            f"{int(mask.sum())} firm slots; {int(total[ok].sum())} adopter agents "
                            f"in Korea over {int(ok.sum())} replicates",
                            dict(measured=float(share.mean()), step=step, firms=who)))
    for label, i, step in (marks[0], marks[-1]):
        if i is None:
            continue
        users = tr.region_customers[:, i, :, :][:, :, korean & named].sum(axis=2).astype(float)
        total = users.sum(axis=1)
        ok = total > 0
        if not ok.any():
            continue
        at_home = users[ok, g] / total[ok]
        rows.append(Row("korea", f"named Korean firms' customers living in Korea, {label}",
                        pct(at_home.mean()) + spread(at_home), "-", "- (sd across replicates)",
                        KOREA_SOURCE, "report",
                        "Korean-language services: the start places their users at home "
                        "(home_share); later, where customers choose them",
                        dict(measured=float(at_home.mean()), step=step)))
    return rows


# --------------------------------------------------------------------------------------------
# 2024 money flows. Reported 2024 figures, USD B, each with what it measures and its source.
# value None = NF (no figure found): the row is reported without a verdict.
# The model's layers (docs/MODEL.md): hbm = memory makers' sales of HBM to accelerator makers;
# accelerator = accelerator makers' sales to clouds; cloud = rental of accelerator compute to
# labs and service firms; model = labs' sales of model (API) access to service firms;
# service = what customers pay service firms.
# --------------------------------------------------------------------------------------------

FLOW_YEAR = 2024
FLOW_FACTOR = 1.5     # the bar: model/reported within [1/1.5, 1.5]
# Why a factor and not sampling error: the reported figures mix fiscal years, run rates and
# survey estimates of differing scope, so only a factor 1.5 is a fair test.
FLOW_TOLERANCE = "model/reported in [1/1.5, 1.5] (figures of mixed scope and vintage)"
FLOW_TARGETS = [
    # HBM: 20.1 % of 84.2 B USD DRAM revenue in 2024 (TrendForce estimate made in Mar-May 2024;
    # ../shared/calibration/figures_2024.md section 7) = 16.9 B USD. HBM sold to all buyers
    # (NVIDIA, AMD, custom accelerators).
    dict(layer="hbm", value=0.201 * 84.2,
         measures="HBM revenue, calendar 2024 (TrendForce estimate: 20.1 % of 84.2 B USD DRAM "
                  "revenue)",
         source="TrendForce via https://iconnect007.com/article/139990/2024-hbm-supply-bit-"
                "growth-estimated-to-reach-260-making-up-14-of-dram-industry/139987/ein "
                "(figures_2024.md section 7)"),
    # Accelerators: NVIDIA Data Center revenue, fiscal 2025 (Feb 2024 - Jan 2025): 115.2 B USD
    # (includes data-centre networking and systems, not only GPUs), plus AMD's data-centre GPU
    # (Instinct) revenue for calendar 2024, "more than 5 B USD" (CEO, Q3 2024 call).
    # Not included: Intel Gaudi, Google TPU, AWS Trainium and other in-house chips (not sold).
    dict(layer="accelerator", value=115.2 + 5.0,
         measures="NVIDIA Data Center revenue FY2025 (Feb 2024-Jan 2025, incl. networking) "
                  "115.2 B + AMD Instinct 2024 ~5 B; in-house chips (TPU, Trainium) excluded",
         source="https://www.datacenterdynamics.com/en/news/nvidia-posts-record-data-center-"
                "revenue-to-provide-spectrum-x-for-openais-stargate-project; AMD: "
                "https://gfmreview.com/technology/amd-teases-its-gpu-biz-approaching-the-scale-"
                "of-cpu-operations"),
    # Cloud: GPU rental (GPU-as-a-service, bare metal, training clusters, inference compute at
    # hyperscalers and GPU clouds), 2024: 8.1 B USD. A market-research estimate (method:
    # installed rentable GPUs x utilisation x hourly price), the weakest figure of the table.
    # Cross-checks, not used: Microsoft's AI business passed a 13 B USD annual run rate in
    # Oct-Dec 2024 (includes Azure OpenAI and Copilot, i.e. also the model and service
    # layers); CoreWeave projected ~2.3 B USD of 2024 revenue.
    dict(layer="cloud", value=8.1,
         measures="GPU rental (GPU-as-a-service) revenue 2024, market-research estimate; the "
                  "model's cloud layer is rental of accelerators to labs and service firms",
         source="https://marksparksolutions.com/reports/gpu-rental-market (cross-checks: "
                "Microsoft AI run rate 13 B USD, Dec 2024 quarter, https://news.themarketisopen."
                "com/microsoft-surpasses-40-billion-in-cloud-revenue-for-first-time-ai-business-"
                "hits-13-billion-annual-run-rate; CoreWeave ~2.3 B USD projected, https://"
                "chipsahoycapital.substack.com/p/gpu-as-a-service-break-even-analysis)"),
    # Model APIs: NF. No 2024 total of foundation-model API revenue was found. Partial figures:
    # OpenAI API ~0.5 B USD annualised in June 2024 (FutureSearch estimate) or ~1 B USD
    # ("model access", The Information, mid-2024); Menlo's 13.8 B USD is all enterprise gen-AI
    # spend (applications, models, infrastructure), not API revenue alone; Anthropic NF.
    dict(layer="model", value=None,
         measures="foundation-model API revenue 2024: NF (OpenAI API alone ~0.5-1 B USD "
                  "annualised mid-2024; Menlo's 13.8 B USD enterprise gen-AI spend is broader)",
         source="NF; partial: https://lesswrong.com/posts/BmqKxL3BedDTCjer3 (FutureSearch); "
                "https://synthedia.substack.com/p/openai-doubled-revenue-and-is-doing; "
                "https://www.globenewswire.com/news-release/2024/11/20/2984728/0/en/Menlo-"
                "Ventures-2024-State-of-Generative-AI-Report-Reveals-6x-Spike-in-Enterprise-"
                "Spending-as-Market-Leaders-Shift.html"),
    # Services: ChatGPT revenue 2024, 2.7 B USD (OpenAI's documents, of 3.7 B USD total 2024
    # revenue, New York Times, Sep 2024) + enterprise spend on gen-AI applications 2024,
    # 4.6 B USD (Menlo Ventures 2024 report) = 7.3 B USD. ChatGPT Enterprise and Team
    # (~1 B USD annualised mid-2024) may be counted in both; Google's and Microsoft's consumer
    # AI subscriptions are not included.
    dict(layer="service", value=2.7 + 4.6,
         measures="ChatGPT revenue 2024 (2.7 B) + enterprise gen-AI application spend 2024 "
                  "(Menlo, 4.6 B); up to ~1 B counted twice; other consumer AI subscriptions "
                  "not included",
         source="https://anunlimitedamountofmoney.com/openai-is-rapidly-expanding-while-"
                "spending-heavily/dfdb786e51c3ab58b1756501e97b0575dce23216/ (NYT); "
                "https://aibase.com/news/12116; https://menlovc.com/2024-the-state-of-"
                "generative-ai-in-the-enterprise/"),
]
# Venture funding raised by private AI companies worldwide, 2024: 100.4 B USD (CB Insights,
# State of AI 2024). Other counts: Dealroom 110 B USD; PitchBook 56 B USD for generative AI
# alone. The model's funding covers only its firm slots (labs and start-ups).
FUNDING_2024 = dict(
    value=100.4,
    measures="private AI companies' equity funding worldwide, 2024 (CB Insights; Dealroom: "
             "110 B USD)",
    source="CB Insights State of AI 2024 via https://businessabc.net/the-state-of-ai-in-2025-"
           "key-trends-shaping-the-future-of-artificial-intelligence; Dealroom via "
           "https://thefuturemedia.eu/ai-investments-surge-62-to-110b-in-2024-while-startup-"
           "funding-falls-12")
HYPERSCALERS = ["Google", "Microsoft", "Amazon", "Meta"]
CASH_SOURCE = "plausibility only: no reported figure for the model's AI cash"


def flow_verdict(ratio):
    """pass when model/reported lies within [1/FLOW_FACTOR, FLOW_FACTOR], else miss."""
    return "pass" if 1.0 / FLOW_FACTOR <= ratio <= FLOW_FACTOR else "miss"


def step_dates(tr, f):
    """The calendar month ("2024-03") of each recorded step: the file's `date` coordinate, or
    start_month + step where an older file has none."""
    if "date" in f:
        return [_text(d) for d in f["date"][:]]
    return [month_label(tr, int(s)) for s in tr.steps]


def year_indices(dates, year):
    """Indices of the recorded steps dated in `year`, and the months among them."""
    idx = [i for i, d in enumerate(dates) if str(d).startswith(f"{year}-")]
    return idx, {dates[i] for i in idx}


def spread_b(x):
    return "" if x.size < 2 else f" +- {x.std(ddof=1):.3g}"


def section_flows(tr):
    """Each layer's revenue summed over the twelve months of FLOW_YEAR (layer_revenue is USD
    per step, one step a month), mean and sd over replicates, against FLOW_TARGETS; funding
    raised in the year against FUNDING_2024; the hyperscalers' cash at the end of the year
    against the start of the run (report)."""
    import h5py
    sec = "flows"
    rows = []
    with h5py.File(tr.path, "r") as f:
        dates = step_dates(tr, f)
        idx, months = year_indices(dates, FLOW_YEAR)
        layer_revenue = f["layer_revenue"][:] if "layer_revenue" in f else None
        funding = f["funding"][:] if "funding" in f else None
        cash = f["cash"][:] if "cash" in f else None
    full_year = len(months) == 12 and len(idx) == 12
    why = (f"the file records {len(idx)} steps dated {FLOW_YEAR} ({len(months)} distinct "
           f"months); a yearly sum needs all 12 (record_every = 1)")
    for t in FLOW_TARGETS:
        stat = f"{t['layer']} revenue {FLOW_YEAR}, B USD"
        target = "NF" if t["value"] is None else f"{t['value']:.3g} B USD"
        if layer_revenue is None:
            rows.append(skipped(sec, stat, "the file has no layer_revenue", target, t["source"]))
            continue
        if t["layer"] not in tr.layers:
            rows.append(skipped(sec, stat, f"the file has no layer {t['layer']!r}", target,
                                t["source"]))
            continue
        if not full_year:
            rows.append(skipped(sec, stat, why, target, t["source"]))
            continue
        li = tr.layers.index(t["layer"])
        per_rep = layer_revenue[:, idx, li].sum(axis=1) / 1e9      # (R,) B USD
        mean = float(per_rep.mean())
        measured = f"{mean:.3g}{spread_b(per_rep)} B USD"
        values = dict(measured=mean, replicates=[float(v) for v in per_rep],
                      reported=t["value"])
        if t["value"] is None:
            rows.append(Row(sec, stat, measured, "NF", "- (no reported figure)", t["source"],
                            "report", t["measures"], values))
            continue
        ratio = mean / t["value"]
        values["ratio"] = ratio
        rows.append(Row(sec, stat, measured, target, FLOW_TOLERANCE, t["source"],
                        flow_verdict(ratio), f"model/reported = {ratio:.2f}; {t['measures']}",
                        values))

    stat = f"venture funding raised in {FLOW_YEAR}, B USD"
    target = f"{FUNDING_2024['value']:.3g} B USD"
    if funding is None:
        rows.append(skipped(sec, stat, "the file has no dataset 'funding' (written by newer "
                            "versions only)", target, FUNDING_2024["source"]))
    elif not full_year:
        rows.append(skipped(sec, stat, why, target, FUNDING_2024["source"]))
    else:
        per_rep = np.nansum(funding[:, idx, :], axis=(1, 2)) / 1e3    # USD M -> B USD
        mean = float(per_rep.mean())
        ratio = mean / FUNDING_2024["value"]
        rows.append(Row(sec, stat, f"{mean:.3g}{spread_b(per_rep)} B USD", target,
                        FLOW_TOLERANCE, FUNDING_2024["source"], flow_verdict(ratio),
                        f"model/reported = {ratio:.2f}; {FUNDING_2024['measures']}; the model "
                        f"counts only its own firm slots",
                        dict(measured=mean, ratio=ratio, reported=FUNDING_2024["value"],
                             replicates=[float(v) for v in per_rep])))

    end = [i for i, d in enumerate(dates) if d == f"{FLOW_YEAR}-12"]
    for name in HYPERSCALERS:
        stat = f"{name} cash, end of {FLOW_YEAR} vs start of the run, B USD"
        slots = firm_indices(tr, name)
        if cash is None:
            rows.append(skipped(sec, stat, "the file has no dataset 'cash'", "-", CASH_SOURCE))
            continue
        if not slots:
            rows.append(skipped(sec, stat, f"no firm named {name}", "-", CASH_SOURCE))
            continue
        if not end:
            rows.append(skipped(sec, stat, f"step {FLOW_YEAR}-12 is not recorded", "-",
                                CASH_SOURCE))
            continue
        first = cash[:, 0, slots].sum(axis=1) / 1e3
        last = cash[:, end[0], slots].sum(axis=1) / 1e3
        rows.append(Row(sec, stat, f"{float(first.mean()):.3g} -> {float(last.mean()):.3g}"
                        f"{spread_b(last)} B USD", "-", "- (sd across replicates)", CASH_SOURCE,
                        "report", f"start = first recorded step ({dates[0]}); ratio "
                        f"{float(last.mean()) / float(first.mean()):.2f}"
                        if float(first.mean()) != 0 else f"start ({dates[0]}) is 0",
                        dict(start=float(first.mean()), end=float(last.mean()))))
    return rows


# The 2024 supply side (section 2e). Each a structural figure of 2024, not a level the model is
# calibrated to: prices against cost, the rental price, data against the world's stock, the
# model layer's shares.
# Accelerators: Raymond James estimated that an H100 costs NVIDIA 3,320 USD to make, HBM
# included, and sells for 25,000-30,000 USD (via Barron's, Aug 2023; Epoch AI uses it in
# github.com/epoch-research/training-cost-trends): price / cost 7.5-9.0, midpoint 8.3.
ACCELERATOR_MARKUP = dict(
    value=27500.0 / 3320.0,
    measures="price / cost of making an accelerator (model: the layer's mean price over "
             "accelerator_unit_cost + hbm_per_accelerator x the HBM price), 2024",
    source="Raymond James via https://www.techspot.com/news/99839-nvidia-garners-reported-1000-"
           "profit-each-h100-gpu.html; https://github.com/epoch-research/training-cost-trends")
# HBM: sold out for 2024 (SK hynix, 21 Feb 2024; Micron, 20 Mar 2024; figures_2024.md section
# 7). In the model a sold-out market is one whose price stays above its cost floor (the price
# rule p <- p (D / S)^eta falls to the unit cost only when supply exceeds demand).
HBM_SOLD_OUT_SOURCE = ("https://www.eenewseurope.com/en/micron-has-also-sold-out-of-hbm-drams-"
                       "for-2024/; http://www.Datacenterdynamics.com/en/news/sk-hynix-confirms-"
                       "hbm-chips-sold-out-for-2024-limited-supply-left-for-2025/ "
                       "(figures_2024.md section 7)")
# H100 rental: "$2 H100s" by late 2024 on GPU clouds, from >$8/h at the 2023 peak (Eugene
# Cheah, Latent Space, Oct 2024; figures_2024.md section 5); early 2024: median across clouds
# ">$7" (AIMultiple), specialised clouds ~2.85 (weak attribution). Per H100e-month: x 730.
RENTAL_2024_12 = dict(
    value=2.0,
    measures="H100 rental price, late 2024, USD per GPU-hour (model: the cloud layer's mean "
             "price in 2024-12 / 730 hours)",
    source="Latent Space, \"$2 H100s\", https://www.latent.space/p/gpu-bubble (figures_2024.md "
           "section 5)")
HOURS_PER_MONTH = 730.0
# The largest disclosed 2024 training set: Llama 3, 15 T tokens (Meta, "The Llama 3 Herd of
# Models", arXiv:2407.21783). A lab trains on what it holds, so its general text should be of
# this order.
LARGEST_TRAINING_SET = dict(
    value=15.0,
    measures="largest general text (public + licensed) a firm holds, end of 2024, T tokens, "
             "against the largest disclosed 2024 training set (Llama 3: 15 T)",
    source="Meta, arXiv:2407.21783")
# Enterprise LLM API spending shares, 2023 (Menlo Ventures; figures_2024.md section 1), read
# as the 2024 model layer's revenue shares (the config's api_share calibrates the offsets of a
# buyer without partner to them at the start).
MODEL_SHARE_TARGETS = [("OpenAI", 0.50), ("Anthropic", 0.12), ("Google", 0.07)]
MODEL_SHARE_SOURCE = "Menlo Ventures 2023 enterprise LLM API shares (figures_2024.md section 1)"


def run_config(f):
    """The resolved config the run wrote into the file (attribute `config`), or None. A key
    given a prior (a table with a `distribution`) reads as its point value `value`: the checks
    that read the config use keys the baseline does not draw per replicate."""
    import tomllib
    text = f.attrs.get("config")
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode()
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    for section in config.values():
        if isinstance(section, dict):
            for key, value in section.items():
                if isinstance(value, dict) and "distribution" in value:
                    section[key] = value.get("value")
    return config


def section_supply(tr):
    """The 2024 supply side: the accelerators' price against their cost, HBM's price against
    its cost floor (sold out), the late-2024 rental price, the clouds' rented share of their
    compute (report), the largest data holding against the world's public text and the
    largest 2024 training set, and the model layer's 2024 revenue shares."""
    import h5py
    sec = "supply"
    rows = []
    with h5py.File(tr.path, "r") as f:
        dates = step_dates(tr, f)
        idx, months = year_indices(dates, FLOW_YEAR)
        have = {k: k in f for k in ("layer_revenue", "layer_units", "price", "installed_compute",
                                    "data_stock", "revenue_share")}
        revenue = f["layer_revenue"][:] if have["layer_revenue"] else None
        units = f["layer_units"][:] if have["layer_units"] else None
        price = f["price"][:] if have["price"] else None
        installed = f["installed_compute"][:] if have["installed_compute"] else None
        data = f["data_stock"][:] if have["data_stock"] else None
        shares = f["revenue_share"][:] if have["revenue_share"] else None
        config = run_config(f)
    full_year = len(months) == 12 and len(idx) == 12
    why = (f"the file records {len(idx)} steps dated {FLOW_YEAR} ({len(months)} distinct "
           f"months); the year needs all 12 (record_every = 1)")
    end = [i for i, d in enumerate(dates) if d == f"{FLOW_YEAR}-12"]

    def mean_price(layer, steps):
        """(R, len(steps)) the layer's mean price per unit: its revenue over its units."""
        li = tr.layers.index(layer)
        u = units[:, steps, li]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(u > 0, revenue[:, steps, li] / np.where(u > 0, u, 1.0), np.nan)

    prices_known = revenue is not None and units is not None
    compute = (config or {}).get("compute", {})

    stat = f"accelerator price / cost of making one, {FLOW_YEAR}"
    target = f"{ACCELERATOR_MARKUP['value']:.2f}"
    if not prices_known or config is None:
        rows.append(skipped(sec, stat, "the file has no layer_revenue, layer_units or config",
                            target, ACCELERATOR_MARKUP["source"]))
    elif not full_year:
        rows.append(skipped(sec, stat, why, target, ACCELERATOR_MARKUP["source"]))
    else:
        cost = (compute.get("accelerator_unit_cost", 0.0) +
                compute.get("hbm_per_accelerator", 0.0) * mean_price("hbm", idx))
        ratio_by_month = mean_price("accelerator", idx) / cost          # (R, 12)
        per_rep = np.nanmean(ratio_by_month, axis=1)
        mean = float(per_rep.mean())
        ratio = mean / ACCELERATOR_MARKUP["value"]
        first = float(np.nanmean(ratio_by_month[:, 0]))
        last = float(np.nanmean(ratio_by_month[:, -1]))
        rows.append(Row(sec, stat, f"{mean:.3g}{spread_b(per_rep)}", target, FLOW_TOLERANCE,
                        ACCELERATOR_MARKUP["source"], flow_verdict(ratio),
                        f"model/reported = {ratio:.2f}; {first:.3g} in {dates[idx[0]]}, {last:.3g} "
                        f"in {dates[idx[-1]]}; {ACCELERATOR_MARKUP['measures']}",
                        dict(measured=mean, ratio=ratio, first=first, last=last,
                             reported=ACCELERATOR_MARKUP["value"])))

    stat = f"HBM price / unit cost, lowest month of {FLOW_YEAR}"
    target = "> 1 in every month (sold out)"
    tolerance = "above the cost floor (the price falls to it only when supply exceeds demand)"
    if not prices_known or config is None:
        rows.append(skipped(sec, stat, "the file has no layer_revenue, layer_units or config",
                            target, HBM_SOLD_OUT_SOURCE))
    elif not full_year:
        rows.append(skipped(sec, stat, why, target, HBM_SOLD_OUT_SOURCE))
    else:
        ratio_by_month = mean_price("hbm", idx) / compute.get("hbm_unit_cost", np.nan)
        lowest = float(np.nanmin(ratio_by_month))
        first, last = float(np.nanmean(ratio_by_month[:, 0])), float(np.nanmean(ratio_by_month[:, -1]))
        rows.append(Row(sec, stat, f"{lowest:.3g}", target, tolerance, HBM_SOLD_OUT_SOURCE,
                        "pass" if lowest > 1.0 + 1e-9 else "miss",
                        f"price / unit cost {first:.3g} in {dates[idx[0]]}, {last:.3g} in "
                        f"{dates[idx[-1]]}; SK hynix and Micron sold out their 2024 HBM",
                        dict(measured=lowest, first=first, last=last)))

    stat = f"H100e rental price, {FLOW_YEAR}-12, USD per GPU-hour"
    target = f"{RENTAL_2024_12['value']:.3g}"
    if not prices_known:
        rows.append(skipped(sec, stat, "the file has no layer_revenue or layer_units", target,
                            RENTAL_2024_12["source"]))
    elif not end:
        rows.append(skipped(sec, stat, f"step {FLOW_YEAR}-12 is not recorded", target,
                            RENTAL_2024_12["source"]))
    else:
        per_rep = mean_price("cloud", [end[0]])[:, 0] / HOURS_PER_MONTH
        start = float(np.nanmean(mean_price("cloud", [0])[:, 0])) / HOURS_PER_MONTH
        mean = float(np.nanmean(per_rep))
        ratio = mean / RENTAL_2024_12["value"]
        rows.append(Row(sec, stat, f"{mean:.3g}{spread_b(per_rep)}", target, FLOW_TOLERANCE,
                        RENTAL_2024_12["source"], flow_verdict(ratio),
                        f"model/reported = {ratio:.2f}; {start:.3g} at the first recorded step "
                        f"({dates[0]}; reported early 2024: median >7, specialised clouds "
                        f"~2.85); {RENTAL_2024_12['measures']}",
                        dict(measured=mean, ratio=ratio, start=start,
                             reported=RENTAL_2024_12["value"])))

    stat = f"rented share of the clouds' installed compute, {FLOW_YEAR}-12"
    if not (prices_known and installed is not None and price is not None) or not end:
        rows.append(skipped(sec, stat, "the file lacks layer_units, installed_compute, price or "
                            f"step {FLOW_YEAR}-12", "NF", "NF"))
    else:
        li = tr.layers.index("cloud")
        t = end[0]
        clouds = np.isfinite(price[:, t, li, :])                       # (R, F) cloud sellers
        held = np.where(clouds, installed[:, t, :], 0.0).sum(axis=1)
        per_rep = units[:, t, li] / np.where(held > 0, held, np.nan)
        mean = float(np.nanmean(per_rep))
        rows.append(Row(sec, stat, pct(mean), "NF", "- (no reported figure)", "NF", "report",
                        "H100e-months rented in the month over the H100e installed at the firms "
                        "that rent out compute (their own labs' and services' use included in "
                        "the installed base)", dict(measured=mean)))

    data_cfg = (config or {}).get("data", {})
    stat = f"largest general text held, end of {FLOW_YEAR}, T tokens"
    target = f"{LARGEST_TRAINING_SET['value']:.3g} T tokens"
    if data is None or not end or config is None:
        rows.append(skipped(sec, stat, "the file lacks data_stock, config or step "
                            f"{FLOW_YEAR}-12", target, LARGEST_TRAINING_SET["source"]))
    else:
        t = end[0]
        per_rep = np.nanmax(data[:, t, :], axis=1)
        mean = float(per_rep.mean())
        world = data_cfg.get("public_text_stock", np.nan) * (
            1.0 + data_cfg.get("public_text_growth", 0.0)) ** (int(tr.steps[t]) / 12.0)
        ratio = mean / LARGEST_TRAINING_SET["value"]
        holder = tr.names[int(np.argmax(np.nanmean(data[:, t, :], axis=0)))]
        rows.append(Row(sec, stat, f"{mean:.3g}{spread_b(per_rep)} T tokens", target,
                        FLOW_TOLERANCE, LARGEST_TRAINING_SET["source"], flow_verdict(ratio),
                        f"model/reported = {ratio:.2f}; held by {holder}; the world's public "
                        f"text then {world:.3g} T tokens (held / world = {mean / world:.2f})",
                        dict(measured=mean, ratio=ratio, world=world)))

    for name, share in MODEL_SHARE_TARGETS:
        stat = f"model-layer revenue share of {name}, {FLOW_YEAR}"
        slots = firm_indices(tr, name)
        if shares is None or revenue is None:
            rows.append(skipped(sec, stat, "the file has no revenue_share or layer_revenue",
                                pct(share), MODEL_SHARE_SOURCE))
            continue
        if not slots:
            rows.append(skipped(sec, stat, f"no firm named {name}", pct(share), MODEL_SHARE_SOURCE))
            continue
        if not full_year:
            rows.append(skipped(sec, stat, why, pct(share), MODEL_SHARE_SOURCE))
            continue
        li = tr.layers.index("model")
        total = revenue[:, idx, li]                                     # (R, 12)
        firm = (np.nan_to_num(shares[:, idx, li, :][:, :, slots]).sum(axis=2) * total)
        per_rep = firm.sum(axis=1) / np.where(total.sum(axis=1) > 0, total.sum(axis=1), np.nan)
        mean = float(np.nanmean(per_rep))
        ratio = mean / share
        rows.append(Row(sec, stat, pct(mean), pct(share), FLOW_TOLERANCE, MODEL_SHARE_SOURCE,
                        flow_verdict(ratio), f"model/reported = {ratio:.2f}",
                        dict(measured=mean, ratio=ratio, reported=share)))
    return rows


def year_pairs(tr, window_years):
    """Recorded-position pairs (i0, i1) one year apart, non-overlapping, ending at the last
    recorded step, within the last `window_years` years. Returns (pairs, reason if none)."""
    pos = {int(s): i for i, s in enumerate(tr.steps)}
    last = int(tr.steps[-1])
    pairs = []
    end = last
    while end - YEAR >= max(int(tr.steps[0]), last - YEAR * window_years):
        if end in pos and end - YEAR in pos:
            pairs.append((pos[end - YEAR], pos[end]))
        end -= YEAR
    if pairs:
        return pairs[::-1], ""
    span = last - int(tr.steps[0])
    if span < YEAR:
        return [], f"the run records {span + 1} steps, fewer than the {YEAR + 1} a yearly change needs"
    return [], "no two recorded steps 12 steps apart (record_every does not divide 12)"


def sizes(tr):
    """Firm size measures (R, T, F): service customers (agents, all segments) and revenue."""
    out = {"customers": tr.customers.sum(axis=2).astype(float)}
    if tr.revenue is not None:
        out["revenue"] = tr.revenue
    return out


def section_size_tail(tr, figures):
    """Hill estimates of the size tail at the last step, firms alive with positive size."""
    rows = []
    for measure, s in sizes(tr).items():
        last = s[:, -1, :]
        x = last[(tr.alive[:, -1, :] == 1) & (last > 0)]
        n = x.size
        for frac in HILL_FRACTIONS:
            k = int(math.ceil(frac * n))
            stat = f"Hill alpha, {measure}, top {100 * frac:.0f} %"
            t = FACTS["hill"]
            if k < MIN_HILL_K:
                rows.append(skipped("size-tail", stat, f"{n} firms with positive {measure} "
                                    f"give k = {k} < {MIN_HILL_K}", "1.06", t["source"]))
                continue
            a, se = hill_estimator(x, k)
            res = "pass" if np.isfinite(a) and interval_overlaps(a, se, t["low"], t["high"]) \
                else "miss"
            rows.append(Row("size-tail", stat, f"{num(a)} +- {num(se, 2)}",
                            f"{t['value']} ({t['low']:.2f}-{t['high']:.2f})",
                            f"band: {t['reason']}; pass if alpha +- 2 se overlaps it",
                            t["source"], res, f"k = {k} of n = {n} firms (pooled replicates)",
                            dict(alpha=a, se=se, k=k, n=n)))
            if figures is not None and frac == HILL_FRACTIONS[-1]:
                figures.append(("ccdf", measure, x, a, k))
    return rows


def growth_sample(tr, s, pairs, min_customers):
    """Yearly log growth rates of firm size, demeaned per (replicate, year).

    A firm contributes to year (i0, i1) if alive at every recorded step from i0 to i1 (so a
    reused slot is not taken for the same firm), with at least min_customers customer agents
    at i0 (for every size measure: a count of a few agents moves by ~1/sqrt(n) from sampling
    alone, and revenue is customers times price) and size > 0 at i0 and i1.
    Demeaning removes the market's common growth (Bass adoption), as Stanley et al. do.
    Returns (initial sizes, growth rates).
    """
    s0s, gs = [], []
    cust = tr.customers.sum(axis=2)
    for i0, i1 in pairs:
        through = (tr.alive[:, i0:i1 + 1, :] == 1).all(axis=1)
        for r in range(s.shape[0]):
            ok = through[r] & (cust[r, i0] >= min_customers) & (s[r, i0] > 0) & (s[r, i1] > 0)
            if ok.sum() < 2:
                continue
            g = np.log(s[r, i1, ok] / s[r, i0, ok])
            gs.append(g - g.mean())
            s0s.append(s[r, i0, ok])
    if not gs:
        return np.empty(0), np.empty(0)
    return np.concatenate(s0s), np.concatenate(gs)


def section_growth(tr, window_years, min_customers, figures):
    """Excess kurtosis and Laplace-vs-Normal likelihood of yearly log growth rates."""
    rows = []
    pairs, why = year_pairs(tr, window_years)
    for measure, s in sizes(tr).items():
        for stat_name in ("excess kurtosis", "Laplace vs Normal (Vuong z)"):
            stat = f"growth {stat_name}, {measure}"
            t = FACTS["kurtosis" if stat_name == "excess kurtosis" else "vuong"]
            if not pairs:
                rows.append(skipped("growth", stat, why, t["value"], t["source"]))
                continue
            s0, g = growth_sample(tr, s, pairs, min_customers)
            if g.size < MIN_GROWTH_OBS:
                rows.append(skipped("growth", stat, f"{g.size} yearly growth rates, fewer than "
                                    f"{MIN_GROWTH_OBS}", t["value"], t["source"]))
                continue
            fit = laplace_vs_normal(g)
            basis = (f"n = {fit['n']} firm-years, {len(pairs)} years; log-lik Laplace - Normal "
                     f"= {fit['loglik_diff']:.1f}")
            if stat_name == "excess kurtosis":
                k, se = fit["excess_kurtosis"], fit["kurtosis_se"]
                res = "pass" if k - 2 * se > t["low"] else "miss"
                rows.append(Row("growth", stat, f"{num(k)} +- {num(se, 2)}", t["value"],
                                t["reason"], t["source"], res, basis, fit))
                if figures is not None:
                    figures.append(("growth", measure, g, fit))
            else:
                z = fit["vuong_z"]
                res = "pass" if np.isfinite(z) and z > t["low"] else "miss"
                rows.append(Row("growth", stat, num(z), t["value"], t["reason"], t["source"],
                                res, basis, fit))
    return rows


def section_volatility(tr, window_years, min_customers):
    """beta in sd(growth) ~ size^-beta from the yearly growth sample."""
    rows = []
    pairs, why = year_pairs(tr, window_years)
    t = FACTS["beta"]
    for measure, s in sizes(tr).items():
        stat = f"volatility slope beta, {measure}"
        if not pairs:
            rows.append(skipped("volatility", stat, why, t["value"], t["source"]))
            continue
        s0, g = growth_sample(tr, s, pairs, min_customers)
        beta, se, nbins = volatility_slope(s0, g)
        if not np.isfinite(beta):
            rows.append(skipped("volatility", stat, f"{g.size} growth rates give {nbins} size "
                                "bins of 20, fewer than 3", t["value"], t["source"]))
            continue
        res = "pass" if interval_overlaps(beta, se, t["low"], t["high"]) else "miss"
        rows.append(Row("volatility", stat, f"{num(beta)} +- {num(se, 2)}", t["value"],
                        t["reason"] + "; pass if beta +- 2 se overlaps it", t["source"], res,
                        f"{nbins} equal-count size bins, n = {g.size} firm-years",
                        dict(beta=beta, se=se, bins=nbins, n=int(g.size))))
    return rows


def section_churn(tr, window_years):
    """Yearly entry + exit rate, and the share of entrants exiting within 24 steps."""
    rows = []
    pairs, why = year_pairs(tr, window_years)
    t = FACTS["churn"]
    if not pairs:
        rows.append(skipped("churn", "yearly churn (entries + exits) / alive", why,
                            "~20 %/yr", t["source"]))
    else:
        entries = exits = base = 0
        for i0, i1 in pairs:
            e, x, b = churn_counts(tr.alive, i0, i1)
            entries, exits, base = entries + e, exits + x, base + b
        rate = (entries + exits) / base if base else math.nan
        sd = math.sqrt(entries + exits) / base if base else math.nan   # Poisson counts
        res = "pass" if base and interval_overlaps(rate, sd, t["low"], t["high"]) else "miss"
        gap = "" if np.all(np.diff(tr.steps) == 1) else \
            "; steps recorded with gaps: flips between recorded steps are missed"
        rows.append(Row("churn", "yearly churn (entries + exits) / alive", pct(rate),
                        "~20 %/yr (15-25 %)",
                        t["reason"] + "; pass if rate +- 2 Poisson sd overlaps it",
                        t["source"], res,
                        f"{entries} entries ({pct(entries / base if base else math.nan)}/yr), "
                        f"{exits} exits ({pct(exits / base if base else math.nan)}/yr) over "
                        f"{base} firm-years, {len(pairs)} years{gap}",
                        dict(rate=rate, sd=sd, entries=entries, exits=exits, firm_years=base)))
    t = FACTS["entrant_exit"]
    stat = "entrants exiting within 24 steps"
    if int(tr.steps[-1] - tr.steps[0]) < 24:
        rows.append(skipped("churn", stat, "the run is shorter than 24 steps", "20-40 %",
                            t["source"]))
        return rows
    followed, exited = entrant_early_exit(tr.alive, tr.steps)
    if followed == 0:
        rows.append(Row("churn", stat, "no entrant", "20-40 %", t["reason"], t["source"],
                        "miss", "no entry followed by 24 recorded steps (entry off?)",
                        dict(followed=0, exited=0)))
        return rows
    share = exited / followed
    sd = math.sqrt(max(share * (1 - share), 0.25 / followed) / followed)
    res = "pass" if interval_overlaps(share, sd, t["low"], t["high"]) else "miss"
    rows.append(Row("churn", stat, pct(share), "20-40 %",
                    t["reason"] + "; pass if +- 2 binomial sd overlaps it", t["source"], res,
                    f"{exited} of {followed} entrants followed for 24 steps",
                    dict(share=share, sd=sd, followed=followed, exited=exited)))
    return rows


def section_persistence(tr):
    """Leader persistence per layer and per service segment, at yearly marks."""
    rows = []
    pos = {int(s): i for i, s in enumerate(tr.steps)}
    marks = [pos[s] for s in range(int(tr.steps[0]), int(tr.steps[-1]) + 1, YEAR) if s in pos]
    markets = [("layer", l) for l in tr.layers] + [("segment", s) for s in tr.segments]
    totals = {1: [0, 0], 5: [0, 0]}
    for lag, key in ((1, "lead1"), (5, "lead5")):
        t = FACTS[key]
        if len(marks) <= lag:
            rows.append(skipped("persistence", f"leader kept after {lag} yr (every market)",
                                f"the run has {len(marks)} yearly marks (steps "
                                f"{int(tr.steps[0])}, {int(tr.steps[0]) + YEAR}, ...), "
                                f"{lag + 1} needed", pct(t["value"]), t["source"]))
            continue
        for kind, m in markets:
            stat = f"leader kept after {lag} yr: {kind} {m}"
            if kind == "layer":
                li = tr.layers.index(m)
                sh = tr.market_share[:, marks, li, :]
                valid = tr.layer_units[:, marks, li] > 0
            else:
                si = tr.segments.index(m)
                n = tr.adopters[:, marks, si].astype(float)
                valid = n > 0
                sh = tr.customers[:, marks, si, :] / np.maximum(n, 1)[..., None]
            kept, npairs = leader_persistence(sh, valid, lag)
            if npairs == 0:
                rows.append(skipped("persistence", stat, "no pair of marks where the market "
                                    "has units and a unique leader (top shares tied)",
                                    pct(t["value"]), t["source"]))
                continue
            totals[lag][0] += kept
            totals[lag][1] += npairs
            rows.append(persistence_row(stat, kept, npairs, t))
        if totals[lag][1]:
            rows.append(persistence_row(f"leader kept after {lag} yr: all markets pooled",
                                        *totals[lag], t))
    return rows


def persistence_row(stat, kept, npairs, t):
    p = kept / npairs
    sd = math.sqrt(t["value"] * (1 - t["value"]) / npairs)
    res = "pass" if abs(p - t["value"]) <= 2 * sd else "miss"
    return Row("persistence", stat, pct(p), pct(t["value"]), f"+-{100 * 2 * sd:.1f} pp: "
               + t["reason"] + " (pairs overlap in time, so this sd is a lower bound)",
               t["source"], res, f"{kept} of {npairs} leader-years kept",
               dict(kept=kept, pairs=npairs, share=p, sd=sd))


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------

def write_figures(items, outdir):
    """Size CCDF on log-log axes with the Hill slope; growth histogram with both fits."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for item in items:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        if item[0] == "ccdf":
            _, measure, x, alpha, k = item
            xs = np.sort(x)[::-1]
            ccdf = np.arange(1, xs.size + 1) / xs.size
            ax.loglog(xs, ccdf, ".", ms=3, label=f"firms (n = {xs.size})")
            if np.isfinite(alpha):
                grid = np.geomspace(xs[k], xs[0], 50)
                ax.loglog(grid, (k / xs.size) * (grid / xs[k]) ** -alpha, "r-",
                          label=f"Hill alpha = {alpha:.2f} (top k = {k})")
                ax.loglog(grid, (k / xs.size) * (grid / xs[k]) ** -1.0, "k--", lw=1,
                          label="Zipf, alpha = 1")
            ax.set_xlabel("firm size (" + ("customer agents" if measure == "customers"
                                           else "service revenue, USD per step") + ")")
            ax.set_ylabel("P(size > s)")
            name = outdir / f"size_ccdf_{measure}.png"
        else:
            _, measure, g, fit = item
            dens, _, _ = ax.hist(g, bins=min(80, max(10, g.size // 20)), density=True,
                                 alpha=0.5, label=f"yearly log growth (n = {g.size})")
            grid = np.linspace(g.min(), g.max(), 400)
            ax.plot(grid, stats.laplace.pdf(grid, *fit["laplace_params"]), "r-",
                    label="Laplace (ML)")
            ax.plot(grid, stats.norm.pdf(grid, *fit["normal_params"]), "k--", label="Normal (ML)")
            ax.set_yscale("log")
            # The fitted Normal falls to ~1e-40 in the far tails; the axis shows the data's
            # range (down to a fifth of the thinnest bin), where the two fits can be compared.
            ax.set_ylim(dens[dens > 0].min() / 5, 3 * dens.max())
            ax.set_xlabel(f"log growth rate of {measure}, demeaned per year")
            ax.set_ylabel("density")
            name = outdir / f"growth_hist_{measure}.png"
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(name, dpi=120)
        plt.close(fig)
        written.append(str(name))
    return written


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def esc(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(tr, rows, args, command):
    """The report: a header naming the file and its revision, then one table per section."""
    a = tr.attrs
    out = [f"Validation of `{tr.path}`: git revision `{a.get('git_revision', 'unknown')}` "
           f"(aimarket {a.get('program_version', '?')}), config `{a.get('config_path', '?')}`, "
           f"status `{a.get('status', '?')}`, {len(tr.steps)} recorded steps "
           f"({a.get('start_month', '?')} on), {tr.alive.shape[0]} replicates x "
           f"{a.get('customers_per_replicate', '?')} customer agents, {len(tr.names)} firm slots, "
           f"backend {a.get('backend', '?')}.", "",
           f"Command: `{command}`", "",
           f"Windows: starting values at the first recorded step (step {int(tr.steps[0])}); "
           f"size tail at the last (step {int(tr.steps[-1])}); growth, volatility and churn over "
           f"the last {args.window_years} years (non-overlapping 12-step changes ending at the "
           f"last step); growth uses firms with at least {args.min_customers:g} customer agents "
           f"at the start of the year; leadership over all yearly marks from the first step; "
           f"dynamics at months 0, 12, 24 and years {', '.join(map(str, DYNAMICS_YEARS))} "
           f"from the first step and at the last.",
           ""]
    counts = {k: sum(r.result == k for r in rows) for k in ("pass", "miss", "skipped", "report")}
    out += [f"Summary: {counts['pass']} pass, {counts['miss']} miss, "
            f"{counts['skipped']} skipped; {counts['report']} reported without a target.", ""]
    base = command_base(args)
    for sec in args.only or SECTIONS:
        out += [f"#### {SECTION_TITLES[sec]}", "",
                f"Reproduce: `{base} --only {sec}`", "",
                "| statistic | measured | target | tolerance / basis | source | result | note |",
                "|---|---|---|---|---|---|---|"]
        for r in rows:
            if r.section == sec:
                result = f"**{r.result}**" if r.result == "miss" else r.result
                out.append("| " + " | ".join(esc(v) for v in (
                    r.statistic, r.measured, r.target, r.tolerance, r.source, result,
                    r.note)) + " |")
        out.append("")
    return "\n".join(out)


def command_base(args):
    parts = ["/usr/bin/python3", "tools/validate/validate_run.py", args.file]
    if args.window_years != 5:
        parts += ["--window-years", str(args.window_years)]
    if args.min_customers != 10:
        parts += ["--min-customers", f"{args.min_customers:g}"]
    return " ".join(shlex.quote(p) for p in parts)


BEGIN_MARK = "<!-- BEGIN MEASURED (tools/validate/validate_run.py --update-doc) -->"
END_MARK = "<!-- END MEASURED -->"


def check_doc(doc):
    """The text of doc, which must hold the BEGIN_MARK ... END_MARK section."""
    p = Path(doc)
    if not p.is_file():
        raise InputError(f"no such file: {doc}")
    text = p.read_text(encoding="utf-8")
    if BEGIN_MARK not in text or END_MARK not in text:
        raise InputError(f"{doc} has no measured section (lines '{BEGIN_MARK}' and '{END_MARK}')")
    return text


def update_doc(doc, markdown):
    """Replaces the text between BEGIN_MARK and END_MARK in doc with markdown."""
    p = Path(doc)
    text = check_doc(doc)
    head, rest = text.split(BEGIN_MARK, 1)
    _, tail = rest.split(END_MARK, 1)
    p.write_text(head + BEGIN_MARK + "\n" + markdown.rstrip() + "\n" + END_MARK + tail,
                 encoding="utf-8")


def jsonable(x):
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise InputError(message)


def parse_args(argv):
    p = Parser(prog=prog(), description=__doc__.split("\n\n")[0])
    p.add_argument("file", help="trajectory file written by `aimarket run`")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE")
    p.add_argument("--markdown", metavar="FILE", help="also write the Markdown report to FILE")
    p.add_argument("--update-doc", metavar="DOC",
                   help="replace the measured section of DOC (docs/VALIDATION.md) by the report")
    p.add_argument("--figures", metavar="DIR", help="write the size CCDF and growth histogram")
    p.add_argument("--only", choices=SECTIONS, action="append",
                   help="run only this section (repeatable)")
    p.add_argument("--window-years", type=int, default=5,
                   help="years at the end of the run for growth, volatility, churn (default 5)")
    p.add_argument("--min-customers", type=float, default=10,
                   help="smallest starting size, in customer agents, for a firm-year to enter "
                        "the growth statistics (default 10: below, integer noise ~1/sqrt(n) "
                        "dominates the growth rate)")
    args = p.parse_args(argv)
    if args.window_years < 1:
        raise InputError("--window-years must be at least 1")
    if args.only:
        args.only = [s for s in SECTIONS if s in args.only]
    for option in ("json", "markdown"):   # say so now, not after the work
        out = getattr(args, option)
        if out and not Path(out).resolve().parent.is_dir():
            raise InputError(f"--{option} {out}: directory {Path(out).parent} does not exist")
    if args.update_doc:
        check_doc(args.update_doc)
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    tr = read_trajectory(args.file)
    if tr.attrs.get("status") != "complete":
        note(f"warning: the run's status is {tr.attrs.get('status')!r}; validating the "
             f"{len(tr.steps)} steps it holds")
    for name in list(HHI_TARGETS) + VERTICAL_SEGMENTS + ["service"]:
        if name not in tr.layers and name not in tr.segments:
            raise InputError(f"{args.file} has no layer or segment {name!r}")
    figs = [] if args.figures else None
    todo = args.only or SECTIONS
    rows = []
    if "shares" in todo:
        rows += section_shares(tr)
    if "concentration" in todo:
        rows += section_concentration(tr)
    if "dynamics" in todo:
        rows += section_dynamics(tr)
    if "korea" in todo:
        rows += section_korea(tr)
    if "flows" in todo:
        rows += section_flows(tr)
    if "supply" in todo:
        rows += section_supply(tr)
    if "size-tail" in todo:
        rows += section_size_tail(tr, figs)
    if "growth" in todo:
        rows += section_growth(tr, args.window_years, args.min_customers, figs)
    if "volatility" in todo:
        rows += section_volatility(tr, args.window_years, args.min_customers)
    if "churn" in todo:
        rows += section_churn(tr, args.window_years)
    if "persistence" in todo:
        rows += section_persistence(tr)
    command = " ".join(shlex.quote(a) for a in
                       ["/usr/bin/python3", "tools/validate/validate_run.py",
                        *(sys.argv[1:] if argv is None else argv)])
    md = render_markdown(tr, rows, args, command)
    print(md)
    if args.markdown:
        Path(args.markdown).write_text(md + "\n", encoding="utf-8")
    if args.update_doc:
        update_doc(args.update_doc, md)
    if args.json:
        Path(args.json).write_text(json.dumps(jsonable(dict(
            file=tr.path, attributes=tr.attrs, command=command,
            rows=[asdict(r) for r in rows])), indent=1) + "\n", encoding="utf-8")
    if figs:
        for name in write_figures(figs, args.figures):
            note(f"wrote {name}")
    return 0


def cli():
    try:
        return main()
    except InputError as e:
        print(f"{prog()}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # an output path that cannot be written
        print(f"{prog()}: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(cli())
