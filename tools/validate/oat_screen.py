#!/usr/bin/python3
"""One-at-a-time screen of the parameters without a source (docs/MODEL.md).

For each parameter of MODEL.md's table "Parameters without a source" that is a config key,
runs the config with that key at 0.5x and 1.5x its value in the config (every other key as
it is, the same seed, so the runs share their random numbers), and reports at the last
recorded step the service layer's HHI and its top firm (name and share), next to the run at
the config's own values. A parameter "moves the leader" if the share of the reference run's
top firm changes by more than --goal-pp percentage points (15: the goal stated for the
baseline); that is a miss, printed, never hidden.

The values are read from the reference run's effective configuration (the trajectory's root
attribute `config`), not written here. A quality location on the Elo scale
(firms.synthetic_quality_mean) has no natural zero, so its distance below the config's best
named firm (the 2024 frontier) is halved and increased by half instead.

Errors the user can cause (a missing program or config, a key the config does not have, an
output folder that already holds runs) are one line on stderr and exit status 2, before any
run; a run that fails is exit status 1; Ctrl-C 130.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np

# The table's parameters that are config keys, with the reason for any special handling.
# (The reference stock of marketing_scale, 1,500 USD M, is not a key: marketing_scale is set in
# proportion to it at the sourced elasticity, so scaling firms.marketing_scale scales it.)
PARAMETERS = [
    dict(key="firms.awareness_max"),
    dict(key="firms.marketing_scale", note="in proportion to its unsourced reference stock"),
    dict(key="demand.taste_sd"),
    dict(key="demand.elo_discernment"),
    dict(key="firms.domain_data_scale"),
    dict(key="firms.rd_scale"),
    dict(key="models.finetune_gain"),
    dict(key="firms.synthetic_quality_mean", gap_to_frontier=True,
         note="its gap below the best named firm's quality is scaled (Elo has no zero)"),
    dict(key="demand.calibration_rounds", integer=True),
    dict(key="demand.reference_price"),
    dict(key="demand.beta_home"),
    dict(key="demand.beta_language"),
]
FACTORS = (0.5, 1.5)
GOAL_PP = 15.0
LAYER = "service"

BEGIN_MARK = "<!-- BEGIN SCREEN (tools/validate/oat_screen.py --update-doc) -->"
END_MARK = "<!-- END SCREEN -->"


class InputError(Exception):
    """A user mistake: one line on stderr, exit status 2."""


class RunError(Exception):
    """A run of aimarket that failed: exit status 1."""


def prog():
    return Path(sys.argv[0]).name or "oat_screen.py"


def note(message):
    print(f"{prog()}: {message}", file=sys.stderr, flush=True)


def lookup(config, key):
    """The value of a dotted key in a parsed config, or raise InputError naming it."""
    node = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise InputError(f"the effective config has no key {key!r}")
        node = node[part]
    return node


def frontier_quality(config):
    """The best quality of a named firm ([[firm]] quality: a number or one per segment)."""
    best = -math.inf
    for firm in config.get("firm", []):
        q = firm.get("quality")
        values = q.values() if isinstance(q, dict) else [q] if q is not None else []
        best = max([best, *(float(v) for v in values)])
    if not math.isfinite(best):
        raise InputError("the config names no firm with a quality, so the gap of "
                         "firms.synthetic_quality_mean to the frontier is undefined")
    return best


def screen_value(param, base, config, factor):
    """The parameter's value at `factor` times its baseline (or its gap to the frontier)."""
    if param.get("gap_to_frontier"):
        top = frontier_quality(config)
        return top - factor * (top - float(base))
    if param.get("integer"):
        return int(round(factor * int(base)))
    return factor * float(base)


def final_state(path):
    """Service HHI and shares at the last recorded step, mean and sd over replicates."""
    import h5py
    with h5py.File(path, "r") as f:
        layers = list(f["layer"].asstr()[:])
        li = layers.index(LAYER)
        names = list(f["firm_name"].asstr()[:])
        share = f["market_share"][:, -1, li, :]
        hhi = 1e4 * f["hhi"][:, -1, li]
        step = int(f["step"][-1])
        start = f.attrs.get("start_month", "")
        config = f.attrs["config"]
    start = start.decode() if isinstance(start, bytes) else str(start)
    config = config.decode() if isinstance(config, bytes) else str(config)
    return dict(names=names, share=share.mean(axis=0), share_sd=sd(share),
                hhi=float(hhi.mean()), hhi_sd=float(np.std(hhi, ddof=1)) if hhi.size > 1
                else math.nan, step=step, start=start, config=tomllib.loads(config),
                replicates=int(share.shape[0]))


def sd(a):
    return np.std(a, axis=0, ddof=1) if a.shape[0] > 1 else np.full(a.shape[1:], math.nan)


def run(args, name, sets):
    """One `aimarket run`; returns the trajectory path. Raises RunError if it fails."""
    out = Path(args.out_dir) / f"{name}.h5"
    cmd = [args.aimarket, "run", args.config, "--out", str(out), "--steps", str(args.steps),
           "--replicates", str(args.replicates), "--progress", "none",
           "--set", f"population.customers={args.customers}",
           # One key at a time: every other key at its point value, not drawn from its prior.
           "--set", "run.parameter_uncertainty=false"]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    for key, value in sets:
        cmd += ["--set", f"{key}={value}"]
    note("running " + " ".join(shlex.quote(c) for c in cmd))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode == 130:
        raise KeyboardInterrupt
    if r.returncode != 0:
        raise RunError(f"{name}: aimarket run exited {r.returncode}: "
                       + (r.stderr.strip().splitlines() or ["(no message)"])[-1])
    return out


def check_inputs(args):
    """Everything that can be checked before the first run: program, config, keys, folder."""
    if not Path(args.aimarket).is_file() or not os.access(args.aimarket, os.X_OK):
        raise InputError(f"--aimarket {args.aimarket}: no such executable (build it first)")
    if not Path(args.config).is_file():
        raise InputError(f"no such config: {args.config}")
    out = Path(args.out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out-dir {args.out_dir} exists and is not a folder")
    if out.is_dir() and any(out.glob("*.h5")) and not args.overwrite:
        raise InputError(f"--out-dir {args.out_dir} already holds .h5 files; give --overwrite "
                         "to replace them, or another folder")
    for option in ("json", "markdown"):
        path = getattr(args, option)
        if path and not Path(path).resolve().parent.is_dir():
            raise InputError(f"--{option} {path}: folder {Path(path).parent} does not exist")
    if args.update_doc:
        text = Path(args.update_doc).read_text(encoding="utf-8") \
            if Path(args.update_doc).is_file() else None
        if text is None:
            raise InputError(f"--update-doc {args.update_doc}: no such file")
        if BEGIN_MARK not in text or END_MARK not in text:
            raise InputError(f"--update-doc {args.update_doc} has no screen section (lines "
                             f"'{BEGIN_MARK}' and '{END_MARK}')")
    # Every key must be one aimarket knows: `aimarket validate` names a bad key (exit 2).
    cmd = [args.aimarket, "validate", args.config,
           "--set", f"population.customers={args.customers}"]
    for p in PARAMETERS:
        r = subprocess.run(cmd + ["--set", f"{p['key']}=1"], capture_output=True, text=True)
        if r.returncode != 0:
            raise InputError(f"{p['key']}: aimarket validate refuses it: "
                             + (r.stderr.strip().splitlines() or ["(no message)"])[-1])


def cpu_model():
    """The processor's name (Linux), else the machine type."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def month_of(start, step):
    try:
        year, month = (int(x) for x in start.split("-"))
    except ValueError:
        return f"step {step}"
    k = month - 1 + step
    return f"{year + k // 12}-{k % 12 + 1:02d}"


def fmt(x, digits=4):
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


def describe(state, lead):
    """Top firm (name, share) and the reference leader's share in one run's final state."""
    top = int(np.argmax(state["share"]))
    return dict(top=state["names"][top], top_share=float(state["share"][top]),
                top_sd=float(state["share_sd"][top]),
                lead_share=float(state["share"][lead]), lead_sd=float(state["share_sd"][lead]),
                hhi=state["hhi"], hhi_sd=state["hhi_sd"])


def pct_sd(x, s):
    return f"{100 * x:.1f} %" + ("" if not np.isfinite(s) else f" +- {100 * s:.1f}")


def render(args, ref, ref_row, rows, lead_name, command, revision):
    when = month_of(ref["start"], ref["step"])
    out = [f"Config `{args.config}`, {args.steps} steps ({ref['start']} to {when}), "
           f"{args.replicates} replicates x {args.customers} customer agents (the real "
           f"customers are a config value, so fewer agents model the same market), the same "
           f"seed in every run; aimarket at git revision `{revision}`.", "",
           f"Command: `{command}`", "",
           f"Measured at the last recorded step (step {ref['step']}, {when}) on the "
           f"{LAYER} layer's `market_share`: its HHI and its top firm. \"Leader moves\" is "
           f"the change of the reference run's top firm ({lead_name}) share; the goal is "
           f"at most {args.goal_pp:g} pp. +- is the sd across replicates.", "",
           "| parameter | value | service HHI | top firm (share) | "
           f"{lead_name}'s share | leader moves (pp) | within {args.goal_pp:g} pp |",
           "|---|---|---|---|---|---|---|",
           f"| (reference: the config's values) | - | {fmt(ref_row['hhi'])} +- "
           f"{fmt(ref_row['hhi_sd'], 2)} | {ref_row['top']} "
           f"({pct_sd(ref_row['top_share'], ref_row['top_sd'])}) | "
           f"{pct_sd(ref_row['lead_share'], ref_row['lead_sd'])} | - | - |"]
    for r in rows:
        ok = abs(r["change_pp"]) <= args.goal_pp
        what = " (gap below the best named firm)" if r["gap"] else ""
        out.append(f"| `{r['key']}`{what} x {r['factor']:g}"
                   f" | {r['value']:g} (reference {r['base']:g}) | {fmt(r['hhi'])} +- "
                   f"{fmt(r['hhi_sd'], 2)} | {r['top']} ({pct_sd(r['top_share'], r['top_sd'])})"
                   f" | {pct_sd(r['lead_share'], r['lead_sd'])} | {r['change_pp']:+.1f} | "
                   f"{'yes' if ok else '**miss**'} |")
    misses = sum(abs(r["change_pp"]) > args.goal_pp for r in rows)
    out += ["", f"Summary: {len(rows) - misses} of {len(rows)} settings keep the leader's share "
            f"within {args.goal_pp:g} pp; {misses} miss."]
    return "\n".join(out)


def update_doc(doc, markdown):
    text = Path(doc).read_text(encoding="utf-8")
    head, rest = text.split(BEGIN_MARK, 1)
    _, tail = rest.split(END_MARK, 1)
    Path(doc).write_text(head + BEGIN_MARK + "\n" + markdown.rstrip() + "\n" + END_MARK + tail,
                         encoding="utf-8")


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise InputError(message)


def parse_args(argv):
    p = Parser(prog=prog(), description=__doc__.split("\n\n")[0],
               epilog="Example: /usr/bin/python3 tools/validate/oat_screen.py "
                      "configs/baseline.toml --aimarket build-validate/aimarket "
                      "--out-dir results/oat --update-doc docs/VALIDATION.md")
    p.add_argument("config", help="the reference config (configs/baseline.toml)")
    p.add_argument("--aimarket", default="build-validate/aimarket",
                   help="the aimarket program (default build-validate/aimarket)")
    p.add_argument("--out-dir", required=True, help="folder for the runs' trajectory files")
    p.add_argument("--overwrite", action="store_true",
                   help="replace trajectory files already in --out-dir")
    p.add_argument("--keep", action="store_true",
                   help="keep the trajectory files (default: removed once read)")
    p.add_argument("--steps", type=int, default=120, help="steps per run (default 120: 2024-2033)")
    p.add_argument("--replicates", type=int, default=2, help="replicates per run (default 2)")
    p.add_argument("--customers", type=int, default=200000,
                   help="customer agents per replicate (default 200000)")
    p.add_argument("--seed", type=int, help="master seed (default: the config's)")
    p.add_argument("--threads", type=int, help="CPU threads per run (default: all cores)")
    p.add_argument("--goal-pp", type=float, default=GOAL_PP,
                   help="largest acceptable move of the leader's share, pp (default 15)")
    p.add_argument("--only", action="append", metavar="KEY",
                   help="screen only this key (repeatable)")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE")
    p.add_argument("--markdown", metavar="FILE", help="also write the table to FILE")
    p.add_argument("--update-doc", metavar="DOC",
                   help="replace DOC's screen section (between its markers) by the table")
    args = p.parse_args(argv)
    for name in ("steps", "replicates", "customers"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name} must be at least 1")
    known = [q["key"] for q in PARAMETERS]
    for key in args.only or []:
        if key not in known:
            raise InputError(f"--only {key}: not a screened key (one of {', '.join(known)})")
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    check_inputs(args)
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    params = [q for q in PARAMETERS if not args.only or q["key"] in args.only]
    ref_path = run(args, "reference", [])
    ref = final_state(ref_path)
    lead = int(np.argmax(ref["share"]))
    lead_name = ref["names"][lead]
    ref_row = describe(ref, lead)
    revision = ""
    import h5py
    with h5py.File(ref_path, "r") as f:
        revision = f.attrs.get("git_revision", "unknown")
        revision = revision.decode() if isinstance(revision, bytes) else str(revision)
    if not args.keep:
        ref_path.unlink()
    rows = []
    for q in params:
        base = lookup(ref["config"], q["key"])
        if isinstance(base, dict):  # a key with a prior: its point value (docs/CONFIG.md)
            base = base["value"]
        for factor in FACTORS:
            value = screen_value(q, base, ref["config"], factor)
            name = f"{q['key']}-x{factor:g}"
            path = run(args, name, [(q["key"], value)])
            state = final_state(path)
            if not args.keep:
                path.unlink()
            row = dict(key=q["key"], factor=factor, value=value, base=float(base),
                       note=q.get("note", ""), gap=bool(q.get("gap_to_frontier")),
                       **describe(state, lead))
            row["change_pp"] = 100 * (row["lead_share"] - ref_row["lead_share"])
            rows.append(row)
            note(f"{name}: HHI {fmt(row['hhi'])}, top {row['top']} "
                 f"{100 * row['top_share']:.1f} %, {lead_name} {row['change_pp']:+.1f} pp")
    command = " ".join(shlex.quote(a) for a in
                       ["/usr/bin/python3", "tools/validate/oat_screen.py", *argv])
    md = render(args, ref, ref_row, rows, lead_name, command, revision)
    md += (f"\n\nMachine: {cpu_model()}, {os.cpu_count()} cores, "
           f"{platform.system()}; date {datetime.date.today().isoformat()}.")
    print(md)
    if args.markdown:
        Path(args.markdown).write_text(md + "\n", encoding="utf-8")
    if args.update_doc:
        update_doc(args.update_doc, md)
    if args.json:
        Path(args.json).write_text(json.dumps(dict(
            command=command, revision=revision, leader=lead_name, reference=ref_row,
            rows=rows, goal_pp=args.goal_pp), indent=1, default=float) + "\n",
            encoding="utf-8")
    return 0


def cli():
    try:
        return main()
    except InputError as e:
        print(f"{prog()}: error: {e}", file=sys.stderr)
        return 2
    except RunError as e:
        print(f"{prog()}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(cli())
