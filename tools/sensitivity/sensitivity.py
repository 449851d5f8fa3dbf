#!/usr/bin/env python3
"""Global sensitivity of the outcomes the source report cares about to the config's uncertain
keys: Morris elementary effects and Sobol first-order and total indices, with SALib.

    sensitivity.py design  CONFIG --method sobol|morris --n N --out DIR   # draw the design
    sensitivity.py analyze DIR RUN.h5 --at 2026-12 [--at ...] [--noise NOISE.h5]
                                                                          # indices and figures
    sensitivity.py run     CONFIG --method ... --n N --out DIR [--noise-replicates R]
                           [--aimarket PATH] [--set K=V ...]              # all of it

`design` reads the priors of CONFIG (`aimarket priors`), lets SALib draw a design in the unit
hypercube (Saltelli's scheme for Sobol, N (D + 2) rows, or Morris trajectories, N (D + 1)
rows), maps each column through its prior's quantile function, and writes DIR/design.csv
(the `--parameters` file: one row per replicate) and DIR/design.json (the unit-space sample
and the problem, which `analyze` needs). `aimarket run CONFIG --parameters DIR/design.csv`
then runs the whole design as one batched ensemble. `analyze` reads the outcomes of each
replicate at each date from the run's file, computes the indices (SALib's bootstrap gives
their 95 % intervals) and writes DIR/indices.csv, DIR/indices.md and one figure per outcome
and date.

Outcomes (each replicate, at the last recorded step of each --at month):
  kr_home_customers  share of Korea's customers (all segments) served by Korean firms
  kr_hbm_share       share of HBM stacks sold by Korean firms
  kr_service_share   share of the world's service customers served by Korean firms
  service_hhi        Herfindahl index of the service layer (0-1)
  kr_survival        share of the Korean firms alive at the start still alive

Each replicate also has its own random stream, so sampling noise (the agents' and the
market's own randomness: who adopts, which rounds close, which entrants come) is part of every
outcome. In Saltelli's scheme each row is a different replicate, so noise inflates every total
index alike (towards noise variance / outcome variance) and blurs the first-order ones. `run`
therefore also runs --noise-replicates replicates at the point values
(run.parameter_uncertainty = false) and reports the noise's share of each outcome's variance
over the design: where it is near 1, the outcome is decided by chance, not by these
parameters, and the indices say nothing about them.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plot"))
from plotio import PlotError, argument_parser, cli_main, texts  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
OUTCOMES = {
    "kr_home_customers": "Korean customers served by Korean firms (share)",
    "kr_hbm_share": "Korean firms' share of HBM stacks",
    "kr_service_share": "Korean firms' share of the world's service customers",
    "service_hhi": "service HHI (0-1)",
    "kr_survival": "Korean firms alive at the start still alive (share)",
}
METHODS = ("sobol", "morris")


# --- Priors and the design ----------------------------------------------------------------

def read_priors(config: Path, aimarket: str, overrides: list[str]) -> list[dict]:
    """The config's priors, from `aimarket priors` (CSV)."""
    command = [aimarket, "priors", str(config)] + [a for s in overrides for a in ("--set", s)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise PlotError(f"aimarket priors {config} failed: {done.stderr.strip()}")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    if not rows:
        raise PlotError(f"{config} has no uncertain keys: give some keys a prior "
                        "(docs/CONFIG.md, \"Parameter uncertainty\")")
    return rows


def quantile(prior: dict, u: np.ndarray) -> np.ndarray:
    """The prior's quantile function at u in (0, 1): the same distributions as aimarket draws."""
    kind = prior["distribution"]
    u = np.clip(u, 1e-12, 1.0 - 1e-12)
    if kind == "uniform":
        low, high = float(prior["low"]), float(prior["high"])
        return low + u * (high - low)
    if kind == "log_uniform":
        low, high = math.log(float(prior["low"])), math.log(float(prior["high"]))
        return np.exp(low + u * (high - low))
    if kind == "triangular":
        low, high, mode = float(prior["low"]), float(prior["high"]), float(prior["mode"])
        width = high - low
        split = (mode - low) / width
        left = low + np.sqrt(u * width * (mode - low))
        right = high - np.sqrt((1.0 - u) * width * (high - mode))
        return np.where(u < split, left, right)
    if kind == "normal":
        from scipy.stats import norm
        # aimarket redraws outside the key's range, which lies beyond mean +- 4 sd: the
        # normal truncated there, to within 6e-5 of its mass.
        return float(prior["mean"]) + float(prior["sd"]) * norm.ppf(u)
    raise PlotError(f"unknown distribution {kind!r} of {prior['key']}")


def make_design(priors: list[dict], method: str, n: int, seed: int) -> np.ndarray:
    """The design in the unit hypercube, one row per replicate."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample
    problem = unit_problem(priors)
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise PlotError(f"--n {n}: Sobol sampling needs a power of 2 (2, 4, 8, ...)")
        return sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    return morris_sample.sample(problem, n, num_levels=4, seed=seed)


def unit_problem(priors: list[dict]) -> dict:
    return {"num_vars": len(priors), "names": [p["key"] for p in priors],
            "bounds": [[0.0, 1.0]] * len(priors)}


def write_design(out: Path, priors: list[dict], method: str, n: int, seed: int,
                 config: Path) -> Path:
    unit = make_design(priors, method, n, seed)
    values = np.column_stack([quantile(p, unit[:, k]) for k, p in enumerate(priors)])
    out.mkdir(parents=True, exist_ok=True)
    design = out / "design.csv"
    with design.open("w", newline="") as f:
        f.write(f"# {method} design, n = {n}, seed = {seed}, {len(values)} rows, of {config}\n")
        writer = csv.writer(f)
        writer.writerow([p["key"] for p in priors])
        for row in values:
            writer.writerow([repr(float(v)) for v in row])
    (out / "design.json").write_text(json.dumps({
        "method": method, "n": n, "seed": seed, "config": str(config),
        "priors": priors, "unit": unit.tolist()}, indent=1))
    print(f"{design}: {len(values)} rows x {len(priors)} keys ({method}, n = {n})")
    return design


# --- Outcomes -------------------------------------------------------------------------------

def outcomes_at(run: Path, months: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """Each outcome of each replicate at each month: {month: {outcome: [replicate]}}."""
    with h5py.File(run, "r") as f:
        dates = list(texts(f["date"]))
        regions = list(texts(f["region"]))
        layers = list(texts(f["layer"]))
        firm_region = texts(f["firm_region"])
        kr = regions.index("KR")
        korean = firm_region == "KR"
        alive0 = f["alive"][:, 0, :].astype(bool)
        result = {}
        for month in months:
            if month not in dates:
                raise PlotError(f"{run} holds no step in {month} (it runs {dates[0]} to "
                                f"{dates[-1]})")
            t = dates.index(month)
            home = f["region_customers"][:, t, kr, :].astype(float)  # [replicate][firm]
            total = home.sum(axis=1)
            alive = f["alive"][:, t, :].astype(bool)
            start = (alive0 & korean).sum(axis=1)
            result[month] = {
                "kr_home_customers": np.divide(home[:, korean].sum(axis=1), total,
                                               out=np.full(total.shape, np.nan),
                                               where=total > 0),
                "kr_hbm_share": f["region_share"][:, t, layers.index("hbm"), kr],
                "kr_service_share": f["region_share"][:, t, layers.index("service"), kr],
                "service_hhi": f["hhi"][:, t, layers.index("service")],
                "kr_survival": (alive & alive0 & korean).sum(axis=1) / np.maximum(start, 1),
            }
        return result


# --- Analysis -------------------------------------------------------------------------------

def analyze(out: Path, run: Path, months: list[str], noise: Path | None = None) -> None:
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    spec = json.loads((out / "design.json").read_text())
    unit = np.array(spec["unit"])
    priors = spec["priors"]
    problem = unit_problem(priors)
    with h5py.File(run, "r") as f:
        replicates = int(f.attrs["replicates"])
        names = list(texts(f["parameter"])) if "parameter" in f else []
    if replicates != len(unit):
        raise PlotError(f"{run} has {replicates} replicates but the design {len(unit)} rows")
    missing = [p["key"] for p in priors if p["key"] not in names]
    if missing:
        raise PlotError(f"{run} did not run the design's keys {missing}: run it with "
                        f"--parameters {out / 'design.csv'}")
    rows = []
    floor = outcomes_at(noise, months) if noise is not None else {}
    noise_rows = []
    for month, outcomes in outcomes_at(run, months).items():
        for outcome, y in outcomes.items():
            if month in floor:
                z = floor[month][outcome]
                z = z[np.isfinite(z)]
                variance = float(np.var(y, ddof=1)) if len(y) > 1 else float("nan")
                noise_rows.append({"month": month, "outcome": outcome, "replicates": len(z),
                                   "noise_sd": float(np.std(z, ddof=1)),
                                   "design_sd": math.sqrt(variance),
                                   "noise_share": float(np.var(z, ddof=1)) / variance
                                   if variance > 0 else float("nan")})
            if np.any(~np.isfinite(y)):
                print(f"{outcome} at {month}: undefined in some replicates, skipped",
                      file=sys.stderr)
                continue
            if np.ptp(y) == 0.0:
                print(f"{outcome} at {month}: the same in every replicate, no indices",
                      file=sys.stderr)
                continue
            if spec["method"] == "sobol":
                s = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=spec["seed"])
                for k, key in enumerate(problem["names"]):
                    rows.append({"month": month, "outcome": outcome, "key": key,
                                 "S1": s["S1"][k], "S1_conf": s["S1_conf"][k],
                                 "ST": s["ST"][k], "ST_conf": s["ST_conf"][k]})
            else:
                s = morris_analyze.analyze(problem, unit, y, num_levels=4, seed=spec["seed"])
                for k, key in enumerate(problem["names"]):
                    rows.append({"month": month, "outcome": outcome, "key": key,
                                 "mu_star": s["mu_star"][k], "mu_star_conf": s["mu_star_conf"][k],
                                 "sigma": s["sigma"][k]})
            figure(out, spec["method"], month, outcome, rows[-len(problem["names"]):],
                   float(np.mean(y)), float(np.std(y)),
                   noise_rows[-1]["noise_share"] if month in floor else None)
    if not rows:
        raise PlotError("no outcome varied across the design: nothing to analyse")
    with (out / "indices.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if noise_rows:
        with (out / "noise.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(noise_rows[0]))
            writer.writeheader()
            writer.writerows(noise_rows)
    (out / "indices.md").write_text(markdown(spec, rows, noise_rows))
    print(f"{out / 'indices.csv'}, {out / 'indices.md'} and figures written")


def markdown(spec: dict, rows: list[dict], noise_rows: list[dict]) -> str:
    """The noise floor, then for each outcome and month the keys ranked by their total index
    (or mu*)."""
    sobol = spec["method"] == "sobol"
    lines = [f"Method: {spec['method']}, n = {spec['n']}, seed = {spec['seed']}, "
             f"config {spec['config']}.", ""]
    if noise_rows:
        lines += ["### Sampling noise against the parameters", "",
                  "sd over the design's replicates (parameters and noise) and over "
                  f"{noise_rows[0]['replicates']} replicates at the point values (noise "
                  "alone); noise share = noise variance / design variance (near 1: the outcome "
                  "is decided by chance, and the indices below say little about the "
                  "parameters).", "",
                  "| outcome | date | sd, design | sd, noise alone | noise share |",
                  "|---|---|---|---|---|"]
        for r in noise_rows:
            lines.append(f"| {r['outcome']} | {r['month']} | {r['design_sd']:.3g} | "
                         f"{r['noise_sd']:.3g} | {r['noise_share']:.2f} |")
        lines.append("")
    groups = {}
    for row in rows:
        groups.setdefault((row["outcome"], row["month"]), []).append(row)
    for (outcome, month), group in groups.items():
        lines += [f"### {OUTCOMES[outcome]} ({outcome}), {month}", ""]
        if sobol:
            lines += ["| key | S1 (95 % interval) | ST (95 % interval) |", "|---|---|---|"]
            group.sort(key=lambda r: -np.nan_to_num(r["ST"]))
            for r in group:
                lines.append(f"| `{r['key']}` | {r['S1']:.2f} +- {r['S1_conf']:.2f} | "
                             f"{r['ST']:.2f} +- {r['ST_conf']:.2f} |")
        else:
            lines += ["| key | mu* (95 % interval) | sigma |", "|---|---|---|"]
            group.sort(key=lambda r: -np.nan_to_num(r["mu_star"]))
            for r in group:
                lines.append(f"| `{r['key']}` | {r['mu_star']:.3g} +- {r['mu_star_conf']:.2g} | "
                             f"{r['sigma']:.3g} |")
        lines.append("")
    return "\n".join(lines)


def figure(out: Path, method: str, month: str, outcome: str, rows: list[dict], mean: float,
           sd: float, noise_share: float | None) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    keys = [r["key"] for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(keys) + 1.6))
    y = np.arange(len(keys))
    # NaN (an index SALib could not estimate, e.g. a variance of 0 within a resample) is drawn
    # as 0 without an interval; indices.md shows it as nan.
    def column(name, order):
        return np.nan_to_num(np.array([rows[i][name] for i in order], dtype=float))

    if method == "sobol":
        order = np.argsort(column("ST", range(len(rows))))
        ax.barh(y + 0.2, column("ST", order), 0.4, xerr=column("ST_conf", order),
                label="total (ST)", color="#4c72b0")
        ax.barh(y - 0.2, column("S1", order), 0.4, xerr=column("S1_conf", order),
                label="first order (S1)", color="#dd8452")
        ax.set_xlabel("Sobol index (share of variance), 95 % interval; axis cut at -0.25, 1.25")
        ax.axvline(0.0, color="black", linewidth=0.6)
        ax.set_xlim(-0.25, 1.25)
    else:
        order = np.argsort(column("mu_star", range(len(rows))))
        ax.barh(y, column("mu_star", order), xerr=column("mu_star_conf", order), color="#4c72b0")
        ax.set_xlabel("Morris mu* (outcome units per unit of the prior's quantile), 95 % interval")
    ax.set_yticks(y, [keys[i] for i in order], fontsize=8)
    noise = f"; sampling noise alone: {noise_share:.0%} of the variance" \
        if noise_share is not None and math.isfinite(noise_share) else ""
    ax.set_title(f"{OUTCOMES[outcome]}, {month}\nmean {mean:.3g}, sd {sd:.2g} over the design"
                 f"{noise}", fontsize=9)
    if method == "sobol":
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / f"{method}_{outcome}_{month}.png", dpi=110, bbox_inches="tight")
    plt.close(fig)


# --- Command line ---------------------------------------------------------------------------

def default_aimarket() -> str:
    for candidate in (REPO / "build" / "aimarket", REPO / "build-cpu" / "aimarket"):
        if candidate.exists():
            return str(candidate)
    return "aimarket"


def run_aimarket(args, out: Path, extra: list[str], what: str) -> None:
    """`aimarket run` of the config into `out`, with the tool's --set and --steps."""
    command = [args.aimarket, "run", str(args.config), "--out", str(out), "--overwrite", *extra]
    command += [a for s in args.set for a in ("--set", s)]
    if args.steps:
        command += ["--steps", str(args.steps)]
    print(" ".join(command), flush=True)
    if subprocess.run(command, env=dict(os.environ)).returncode != 0:
        raise PlotError(f"{what} failed (see above)")


def main(argv=None) -> None:
    parser = argument_parser(__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("design", "run"):
        p = commands.add_parser(name)
        p.add_argument("config", type=Path)
        p.add_argument("--method", choices=METHODS, default="sobol")
        p.add_argument("--n", type=int, default=8,
                       help="Sobol: base samples (a power of 2; N (D + 2) rows); Morris: "
                            "trajectories (N (D + 1) rows)")
        p.add_argument("--seed", type=int, default=1, help="seed of the design's sampler")
        p.add_argument("--out", type=Path, required=True, help="folder for every file")
        p.add_argument("--aimarket", default=default_aimarket())
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="config override passed to aimarket (repeatable)")
        if name == "run":
            p.add_argument("--steps", type=int, help="steps of the run (default: the config's)")
            p.add_argument("--at", action="append", required=True, metavar="YYYY-MM")
            p.add_argument("--noise-replicates", type=int, default=32, metavar="R",
                           help="replicates at the point values that measure the sampling "
                                "noise alone (0: none)")
    p = commands.add_parser("analyze")
    p.add_argument("out", type=Path, help="the design's folder")
    p.add_argument("run", type=Path, help="the run of DIR/design.csv")
    p.add_argument("--at", action="append", required=True, metavar="YYYY-MM")
    p.add_argument("--noise", type=Path, help="a run of the same config at the point values")
    args = parser.parse_args(argv)

    if args.command == "analyze":
        analyze(args.out, args.run, args.at, args.noise)
        return
    priors = read_priors(args.config, args.aimarket, args.set)
    design = write_design(args.out, priors, args.method, args.n, args.seed, args.config)
    if args.command == "design":
        return
    run = args.out / "run.h5"
    run_aimarket(args, run, ["--parameters", str(design), "--progress", "lines"], "the run")
    noise = None
    if args.noise_replicates > 0:
        noise = args.out / "noise.h5"
        run_aimarket(args, noise, ["--replicates", str(args.noise_replicates), "--set",
                                   "run.parameter_uncertainty=false", "--progress", "none"],
                     "the noise run")
    analyze(args.out, run, args.at, noise)


if __name__ == "__main__":
    sys.exit(cli_main(main))
