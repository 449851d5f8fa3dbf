#!/usr/bin/python3
"""Scenario comparison: one measure per layer, each scenario's estimate with its confidence
interval, and its difference from the reference scenario with that difference's interval.

Reads a comparison file from `aimarket compare`. Left column: the scenario means across
replicates with their confidence intervals (the file's `confidence_level`, normally 95 %).
Right column: each scenario minus the reference, paired by replicate when the comparison used
common random numbers (the file says so), with its interval; an interval that excludes 0
marks a difference the replicates resolve.

    tools/plot/compare.py comparison.h5 --measure kr_share_world --out figures/kr_share_ci
"""
from __future__ import annotations


import numpy as np
from matplotlib.ticker import MaxNLocator

import plotio
import plotstyle

SUFFIX = "compare"


def category_labels(cmp: plotio.Comparison, rows) -> list:
    scenario, firm = cmp.table["scenario"][rows], cmp.table["firm"][rows]
    return [f"{s}: {f}" if f else s for s, f in zip(scenario, firm)]


def figure(cmp: plotio.Comparison, measure: str = "kr_share_world", date: str | None = None):
    rows = cmp.rows(measure, date)
    info = plotio.measure_info(measure)
    panels = cmp.panels(rows)
    ncat = max(len(r) for r in panels.values())
    fig, axes = plotstyle.plt.subplots(
        len(panels), 2, figsize=(11, len(panels) * (0.35 * ncat + 1.2) + 0.6),
        squeeze=False, layout="constrained", sharey="row")
    t = cmp.table
    scenario_index = {s: i for i, s in enumerate(cmp.scenarios)}
    pairing = "paired" if cmp.paired() else "unpaired"
    for (title, idx), (left, right) in zip(panels.items(), axes):
        y = np.arange(len(idx))[::-1]           # first row (the reference) on top
        colours = [plotstyle.scenario_colour(scenario_index.get(s, 0))
                   for s in t["scenario"][idx]]
        for col, (ax, mean, low, high) in enumerate((
                (left, t["mean"], t["ci_low"], t["ci_high"]),
                (right, t["diff_mean"], t["diff_ci_low"], t["diff_ci_high"]))):
            m, lo, hi = (a[idx] * info.scale for a in (mean, low, high))
            for yi, mi, li, hi_, c in zip(y, m, lo, hi, colours):
                if np.isfinite(mi):
                    err = np.array([[mi - li], [hi_ - mi]]) if np.isfinite(li) else None
                    ax.errorbar(mi, yi, xerr=err, fmt="o", color=c, capsize=4, markersize=6)
                elif col == 1:
                    ax.annotate("reference", (0, yi), xytext=(6, 0),
                                textcoords="offset points", va="center", fontsize=9,
                                color="#444444")
            if col == 1:
                ax.axvline(0, color="black", linewidth=0.8)
            ax.grid(axis="y", visible=False)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            plotstyle.widen(ax, "x")
        left.set_yticks(y, category_labels(cmp, idx))
        left.set_title(f"{title}: estimate")
        right.set_title(f"{title}: minus the reference ({pairing})")
        left.set_xlabel(f"{info.title} ({info.unit})")
        right.set_xlabel(f"difference ({info.diff_unit})")
    dates = sorted(set(t["date"][rows]))
    fig.suptitle(f"{info.title}, {dates[-1]}: scenarios compared")
    plotstyle.caption(fig, [
        f"Points: mean over {int(t['n'][rows].max())} replicates; bars: {cmp.confidence()} "
        f"({info.interval}). Differences: scenario minus the reference {cmp.reference}, "
        + ("paired by replicate (common random numbers)." if cmp.paired()
           else "unpaired (independent replicates, Welch)."),
        f"File: {cmp.path.name}, program version "
        f"{plotio.text(cmp.attrs.get('program_version', '?'))}."])
    return fig


def main(argv=None) -> None:
    parser = plotio.argument_parser(__doc__)
    plotio.add_comparison_arguments(parser, "comparison file from 'aimarket compare'")
    plotstyle.add_output_arguments(parser, SUFFIX + "_MEASURE")
    args = parser.parse_args(argv)
    plotstyle.start(args)
    cmp = plotio.open_comparison(args.comparison)
    fig = figure(cmp, args.measure, args.date)
    plotstyle.write(fig, args, args.comparison, f"{SUFFIX}_{args.measure}")


if __name__ == "__main__":
    raise SystemExit(plotio.cli_main(main))
