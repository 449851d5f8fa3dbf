#!/usr/bin/python3
"""Market concentration: the Herfindahl-Hirschman index of each layer over time.

HHI = sum over firms of squared market shares, shown on the 0-10,000 scale of competition
authorities (shares in percent; 10,000 = monopoly) or, with --scale 1, on 0-1. One line per
run file (scenario), mean over replicates with a band across replicates.

    tools/plot/hhi.py results/baseline.h5 --out figures/baseline_hhi
"""
from __future__ import annotations


import plotio
import plotstyle

SUFFIX = "hhi"
SCALES = {"10000": (10_000, "HHI (0-10,000)"), "1": (1, "HHI (0-1)")}


def figure(runs, layers=None, band: str = "quantile", scale: str = "10000"):
    layers = layers or runs[0].layers
    for run in runs:
        for layer in layers:
            run.layer_index(layer)
        run.dataset("hhi")
    factor, ylabel = SCALES[scale]

    def values(run, layer):
        return run.read("hhi", layer=layer) * factor

    fig = plotstyle.scenario_panels(runs, layers, values, ylabel, band, ylim=(0, factor))
    fig.suptitle("Concentration of each layer (Herfindahl-Hirschman index)")
    plotstyle.caption(fig, [plotio.band_caption(band, runs[0].replicates) +
                            f" (per scenario). HHI = sum of squared shares; {ylabel}, "
                            f"{factor:,} = one firm sells everything; 0 while a layer has "
                            "no trade."])
    return fig


def main(argv=None) -> None:
    parser = plotio.argument_parser(__doc__)
    plotio.add_scenario_runs_arguments(parser)
    parser.add_argument("--scale", choices=sorted(SCALES), default="10000",
                        help="10000: the 0-10,000 scale (default); 1: the 0-1 scale")
    plotstyle.add_output_arguments(parser, SUFFIX)
    args = parser.parse_args(argv)
    plotstyle.start(args)
    with plotio.open_runs(args.runs, args.labels) as runs:
        fig = figure(runs, plotio.layer_list(args.layers), args.band, args.scale)
    plotstyle.write(fig, args, args.runs[0], SUFFIX)


if __name__ == "__main__":
    raise SystemExit(plotio.cli_main(main))
