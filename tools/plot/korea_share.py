#!/usr/bin/python3
"""Korea's share of each layer over time, one line per scenario (one run file each).

The share of the layer's units sold by firms based in Korea (`region_share[..., layer, KR]`),
mean over replicates with a band across replicates (5-95 % by default, or +- 1 sd). The
files must come from the same firm table (as the scenarios of one comparison do).

    tools/plot/korea_share.py baseline.h5 sovereign_ai.h5 --labels baseline,sovereign --out kr
"""
from __future__ import annotations


import plotio
import plotstyle

SUFFIX = "korea_share"


def figure(runs, layers=None, band: str = "quantile", region: str = "KR"):
    layers = layers or runs[0].layers
    for run in runs:
        for layer in layers:
            run.layer_index(layer)
        run.region_index(region)
        run.dataset("region_share")

    def values(run, layer):
        return run.read("region_share", layer=layer, region=region) * 100

    fig = plotstyle.scenario_panels(runs, layers, values,
                                    f"share sold by {region} firms (%)", band)
    fig.suptitle(f"Share of each layer's units sold by firms based in {region}")
    plotstyle.caption(fig, [plotio.band_caption(band, runs[0].replicates) +
                            " (per scenario). Units of each layer: see docs/OUTPUT.md."])
    return fig


def main(argv=None) -> None:
    parser = plotio.argument_parser(__doc__)
    plotio.add_scenario_runs_arguments(parser)
    parser.add_argument("--region", default="KR",
                        help="region whose share is shown (default: KR)")
    plotstyle.add_output_arguments(parser, SUFFIX)
    args = parser.parse_args(argv)
    plotstyle.start(args)
    with plotio.open_runs(args.runs, args.labels) as runs:
        fig = figure(runs, plotio.layer_list(args.layers), args.band, args.region)
    plotstyle.write(fig, args, args.runs[0], SUFFIX)


if __name__ == "__main__":
    raise SystemExit(plotio.cli_main(main))
