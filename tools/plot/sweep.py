#!/usr/bin/python3
"""Sweep response: a measure against the swept parameter's value, with its confidence band.

Reads a comparison file from `aimarket compare` made from a sweep (it has a `sweep` group:
each scenario's value of each swept key). One panel per layer: the mean across replicates
at each swept value, joined by a line, with the confidence interval (the file's
`confidence_level`, normally 95 %) as a band; the reference scenario is marked with a star.
Numeric values are placed on a numeric axis; other values in scenario order.

    tools/plot/sweep.py sweep.h5 --measure kr_share_world --key firm.Naver.quality --out resp
"""
from __future__ import annotations


import numpy as np

import plotio
import plotstyle

SUFFIX = "sweep"


def swept_axis(cmp: plotio.Comparison, key: str | None):
    """(key, x position per scenario, tick labels or None when numeric)."""
    if cmp.sweep_keys is None:
        raise plotio.PlotError(f"'{cmp.path}' has no 'sweep' group (it does not come from "
                               "a sweep); use compare.py for a scenario comparison")
    key = key or cmp.sweep_keys[0]
    if key not in cmp.sweep_keys:
        raise plotio.PlotError(f"'{cmp.path}' did not sweep '{key}' "
                               f"(swept keys: {', '.join(cmp.sweep_keys)})")
    raw = cmp.sweep_values[:, cmp.sweep_keys.index(key)]
    try:
        return key, np.array([float(v) for v in raw]), None
    except ValueError:
        return key, np.arange(len(raw), dtype=float), list(raw)


def figure(cmp: plotio.Comparison, measure: str = "kr_share_world", key: str | None = None,
           date: str | None = None):
    key, xs, ticks = swept_axis(cmp, key)
    rows = cmp.rows(measure, date)
    info = plotio.measure_info(measure)
    t = cmp.table
    x_of = dict(zip(cmp.scenarios, xs))
    panels = cmp.panels(rows)
    fig, axes, spare = plotstyle.panel_grid(len(panels))
    for ax, (title, idx) in zip(axes, panels.items()):
        firms = list(dict.fromkeys(t["firm"][idx]))
        for j, firm in enumerate(firms):
            sel = idx[t["firm"][idx] == firm]
            sel = sel[np.argsort([x_of[s] for s in t["scenario"][sel]], kind="stable")]
            x = np.array([x_of[s] for s in t["scenario"][sel]])
            mean, low, high = (t[c][sel] * info.scale for c in ("mean", "ci_low", "ci_high"))
            colour = plotstyle.firm_colour(firm) if firm else plotstyle.scenario_colour(0)
            ax.plot(x, mean, "o-", color=colour, label=firm or info.title, markersize=4)
            ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
            ref = t["scenario"][sel] == cmp.reference
            ax.plot(x[ref], mean[ref], "*", color="black", markersize=12,
                    label=f"reference ({cmp.reference})" if j == 0 else None)
        plotstyle.widen(ax, "y")
        ax.set_title(title)
        ax.set_xlabel(key)
        ax.set_ylabel(f"{info.short} ({info.unit})")
        if ticks is not None:
            ax.set_xticks(xs, ticks, rotation=30, ha="right")
        if len(firms) > 1:
            ax.legend(frameon=False)
    handles, labels = axes[0].get_legend_handles_labels()
    if spare:
        spare[0].legend(handles[-1:], labels[-1:], loc="center", frameon=False)
    dates = sorted(set(t["date"][rows]))
    fig.suptitle(f"{info.title}, {dates[-1]}, against {key}")
    plotstyle.caption(fig, [
        f"Lines: mean over {int(t['n'][rows].max())} replicates at each swept value; "
        f"bands: {cmp.confidence()} ({info.interval}). File: {cmp.path.name}."])
    return fig


def main(argv=None) -> None:
    parser = plotio.argument_parser(__doc__)
    plotio.add_comparison_arguments(parser, "comparison file from 'aimarket compare' over a sweep")
    parser.add_argument("--key", help="swept key for the x axis (default: the first one)")
    plotstyle.add_output_arguments(parser, SUFFIX + "_MEASURE")
    args = parser.parse_args(argv)
    plotstyle.start(args)
    cmp = plotio.open_comparison(args.comparison)
    fig = figure(cmp, args.measure, args.key, args.date)
    plotstyle.write(fig, args, args.comparison, f"{SUFFIX}_{args.measure}")


if __name__ == "__main__":
    raise SystemExit(plotio.cli_main(main))
