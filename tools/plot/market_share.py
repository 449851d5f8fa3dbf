#!/usr/bin/python3
"""Market shares over time, one panel per layer of the value chain.

Each panel stacks the shares of the layer's top-N firms (by mean share at the last recorded
step) and "other" (every other firm), averaged over replicates; a dark band on each boundary
between firms shows its spread across replicates (5-95 % by default, or +- 1 sd).

    tools/plot/market_share.py results/baseline.h5 --top 6 --out figures/baseline_shares
"""
from __future__ import annotations


import numpy as np

import plotio
import plotstyle

SUFFIX = "market_share"
BAND_LABEL = {"quantile": "5-95 % of replicates", "sd": "± 1 sd of replicates"}


def top_firms(share: np.ndarray, n: int) -> np.ndarray:
    """Slots of the n firms with the largest mean share at the last step (share > 0 only).
    `share` is (replicate, step, firm)."""
    final = share[:, -1, :].mean(axis=0)
    order = np.argsort(-final, kind="stable")[:n]
    return order[final[order] > 0]


def draw_layer(ax, run: plotio.Run, layer: str, top_n: int, band_kind: str) -> None:
    share = run.read("market_share", layer=layer)               # (R, T, F)
    top = top_firms(share, top_n)
    parts = share[:, :, top]
    other = np.clip(share.sum(axis=2) - parts.sum(axis=2), 0.0, None)
    stack = np.concatenate([parts, other[..., None]], axis=2) * 100  # (R, T, k+1), percent
    names = [*run.firm_names[top], plotstyle.OTHER]
    colours = [plotstyle.firm_colour(name) for name in names]
    ax.stackplot(run.dates, stack.mean(axis=0).T, labels=names, colors=colours,
                 alpha=0.9, linewidth=0)
    if band_kind != "none" and len(top):
        boundaries = np.cumsum(stack, axis=2)[:, :, :-1]          # between firms
        _, low, high = plotio.band(boundaries, band_kind)
        for j in range(boundaries.shape[2]):
            ax.fill_between(run.dates, low[:, j], high[:, j], color="black", alpha=0.4,
                            linewidth=0, label=BAND_LABEL[band_kind] if j == 0 else None)
    unit = plotio.texts(run.dataset("layer_unit"))[run.layer_index(layer)]
    ax.set_title(f"{layer}: share of {unit}")
    ax.set_ylabel("market share (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(run.dates[0], run.dates[-1])
    plotstyle.date_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    firms = len(names)   # stacked firms first (listed top of the stack first), band last
    ax.legend(handles[firms - 1::-1] + handles[firms:], labels[firms - 1::-1] + labels[firms:],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def figure(run: plotio.Run, layers=None, top: int = 6, band: str = "quantile"):
    """The market-share figure of one run (panels: `layers`, default all)."""
    layers = layers or run.layers
    for layer in layers:
        run.layer_index(layer)
    fig, axes, _ = plotstyle.panel_grid(len(layers), ncols=1, width=9.0, height=3.0)
    for ax, layer in zip(axes, layers):
        draw_layer(ax, run, layer, top, band)
    axes[-1].set_xlabel("month")
    fig.suptitle(f"Market shares by layer: {run.label}")
    plotstyle.caption(fig, [
        f"Stacked areas: mean over {run.replicates} replicates of the top {top} firms "
        "of each layer (by mean share at the last step) and all other firms (grey).",
        ("Dark bands: " + BAND_LABEL[band] + " at each boundary between firms."
         if band != "none" else "No bands."),
        f"File: {run.path.name}, {run.steps} recorded months, status {run.status}."])
    return fig


def main(argv=None) -> None:
    parser = plotio.argument_parser(__doc__)
    parser.add_argument("run", metavar="RUN.h5", help="trajectory file from 'aimarket run'")
    parser.add_argument("--layers", metavar="LIST",
                        help="comma-separated layers to show (default: all five)")
    parser.add_argument("--top", type=int, default=6, metavar="N",
                        help="firms shown by name in each layer (default: 6)")
    plotio.add_band_argument(parser)
    plotstyle.add_output_arguments(parser, SUFFIX)
    args = parser.parse_args(argv)
    if args.top < 1:
        raise plotio.PlotError(f"--top {args.top}: give at least 1")
    plotstyle.start(args)
    with plotio.open_run(args.run) as run:
        fig = figure(run, plotio.layer_list(args.layers), args.top, args.band)
    plotstyle.write(fig, args, args.run, SUFFIX)


if __name__ == "__main__":
    raise SystemExit(plotio.cli_main(main))
