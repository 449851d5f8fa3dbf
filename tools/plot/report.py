#!/usr/bin/python3
"""A scenario comparison as one self-contained HTML page.

Reads a comparison file from `aimarket compare` and writes a single HTML file (figures
embedded as PNG, no other files needed): the comparison table with confidence intervals,
how the scenarios were paired, figures of the chosen measures (estimates and differences
from the reference, and the sweep response if the comparison is a sweep), time series from
the scenarios' run files (Korea's share and HHI of each layer per scenario, market shares in
the reference scenario), each scenario's effective config, and the commands to reproduce it.
A run file that is missing or unusable is named in the report; the rest is still written.

    tools/plot/report.py results/comparison.h5 --out results/report.html
"""
from __future__ import annotations

import base64
import contextlib
import datetime
import html
import shlex
import sys
from pathlib import Path

import numpy as np

import compare
import hhi
import korea_share
import market_share
import plotio
import plotstyle
import sweep

DEFAULT_MEASURES = "kr_share_world,hhi"
REPORT_DPI = 90   # embedded figures: readable on screen, small file

CSS = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1, h2, h3 { font-weight: 600; }
table { border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th { background: #f3f3f3; position: sticky; top: 0; }
tr.ref td { color: #555; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #444; }
.note { background: #fff4e0; border-left: 4px solid #f0a000; padding: 0.5em 1em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
details { margin: 0.5em 0; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.meta dt { font-weight: 600; }
"""


def esc(value) -> str:
    return html.escape(str(value))


def fmt(value: float, scale: float = 1.0) -> str:
    if not np.isfinite(value):
        return "–"
    return f"{value * scale:.4g}"


def interval(mean, low, high, scale) -> str:
    if not np.isfinite(mean):
        return "–"
    if not (np.isfinite(low) and np.isfinite(high)):
        return fmt(mean, scale)
    return f"{fmt(mean, scale)} [{fmt(low, scale)}, {fmt(high, scale)}]"


def embed(fig, alt: str, caption: str) -> str:
    data = base64.b64encode(plotstyle.png_bytes(fig, REPORT_DPI)).decode("ascii")
    return (f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def table_html(cmp: plotio.Comparison) -> str:
    """Every measure at every date, one row per scenario (and layer, region, firm)."""
    t = cmp.table
    parts = []
    for measure, date in ((m, d) for m in cmp.measures() for d in cmp.dates(m)):
        rows = cmp.rows(measure, date)
        info = plotio.measure_info(measure)
        parts.append(f"<h3>{esc(info.title)} <code>{esc(measure)}</code>, {esc(date)} "
                     f"(unit: {esc(info.unit)}; differences in {esc(info.diff_unit)}; "
                     f"intervals: {esc(info.interval)})</h3>")
        parts.append("<table><thead><tr><th>layer</th><th>region</th><th>firm</th>"
                     "<th>scenario</th><th>n</th>"
                     f"<th>mean [{esc(cmp.confidence())}]</th>"
                     f"<th>difference from {esc(cmp.reference)} [{esc(cmp.confidence())}]"
                     "</th></tr></thead><tbody>")
        for idx in cmp.panels(rows).values():
            for i in idx:
                ref = t["scenario"][i] == cmp.reference
                mean = interval(t["mean"][i], t["ci_low"][i], t["ci_high"][i], info.scale)
                diff = ("reference" if ref else
                        interval(t["diff_mean"][i], t["diff_ci_low"][i], t["diff_ci_high"][i],
                                 info.scale))
                parts.append(
                    f'<tr{" class=ref" if ref else ""}><td>{esc(t["layer"][i])}</td>'
                    f'<td>{esc(t["region"][i])}</td><td>{esc(t["firm"][i])}</td>'
                    f'<td>{esc(t["scenario"][i])}</td><td class=num>{t["n"][i]}</td>'
                    f"<td class=num>{mean}</td>"
                    f"<td class=num>{diff}</td></tr>")
        parts.append("</tbody></table>")
    return "\n".join(parts)


def open_scenario_runs(cmp: plotio.Comparison, stack: contextlib.ExitStack):
    """Opens the scenarios' run files that are usable; returns (runs, notes on the rest)."""
    runs, notes = [], []
    for i, name in enumerate(cmp.scenarios):
        path = cmp.run_path(i)
        try:
            runs.append(stack.enter_context(plotio.open_run(path, name)))
        except plotio.PlotError as e:
            notes.append(f"Scenario '{name}': run file not usable, left out of the time "
                         f"series: {e}.")
    for run in runs:
        if run.status != "complete":
            notes.append(f"Scenario '{run.label}': the run was cut short (status "
                         f"'{run.status}'); its {run.steps} recorded months are shown.")
    if len(runs) > 1:
        try:
            plotio.check_same_firms(runs)
        except plotio.PlotError as e:
            notes.append(f"Time series left out: {e}.")
            runs = []
    return runs, notes


def figures_html(cmp: plotio.Comparison, measures, top: int, stack) -> tuple:
    """The report's figures as HTML, and notes on what could not be drawn."""
    parts, notes = [], []
    for measure in measures:
        try:
            fig = compare.figure(cmp, measure)
        except plotio.PlotError as e:
            notes.append(f"No comparison figure for '{measure}': {e}.")
            continue
        info = plotio.measure_info(measure)
        parts.append(embed(fig, f"comparison of {measure}",
                           f"{info.title}: each scenario's mean with its {cmp.confidence()} "
                           f"(left) and its difference from {cmp.reference} (right)."))
        if cmp.sweep_keys is not None:
            parts.append(embed(sweep.figure(cmp, measure), f"sweep response of {measure}",
                               f"{info.title} against the swept value of "
                               f"{cmp.sweep_keys[0]}, with its {cmp.confidence()} band."))
    runs, run_notes = open_scenario_runs(cmp, stack)
    notes += run_notes
    if runs:
        try:
            parts.append(embed(korea_share.figure(runs), "Korea's share per layer",
                               "Share of each layer's units sold by Korean firms, per "
                               "scenario: mean over replicates, band 5-95 % of replicates."))
            parts.append(embed(hhi.figure(runs), "HHI per layer",
                               "Herfindahl-Hirschman index of each layer (0-10,000), per "
                               "scenario: mean over replicates, band 5-95 % of replicates."))
        except plotio.PlotError as e:
            notes.append(f"Time series not drawn: {e}.")
        reference = [run for run in runs if run.label == cmp.reference]
        if reference:
            try:
                parts.append(embed(market_share.figure(reference[0], top=top),
                                   "market shares in the reference scenario",
                                   f"Market shares of the top {top} firms of each layer in "
                                   f"{cmp.reference}: mean over replicates, dark bands "
                                   "5-95 % of replicates at each boundary between firms."))
            except plotio.PlotError as e:
                notes.append(f"Market shares not drawn: {e}.")
    return "\n".join(parts), notes


def scenarios_html(cmp: plotio.Comparison) -> str:
    parts = ["<ol>"]
    for i, name in enumerate(cmp.scenarios):
        label = " (reference)" if name == cmp.reference else ""
        sweep_text = ""
        if cmp.sweep_keys is not None:
            sweep_text = "; " + ", ".join(f"{k} = {v}" for k, v in
                                          zip(cmp.sweep_keys, cmp.sweep_values[i]))
        parts.append(f"<li><details><summary><b>{esc(name)}</b>{label}: run file "
                     f"<code>{esc(cmp.scenario_files[i])}</code>{esc(sweep_text)}</summary>"
                     f"<pre>{esc(cmp.scenario_configs[i])}</pre></details></li>")
    parts.append("</ol>")
    return "\n".join(parts)


def reproduce_html(cmp: plotio.Comparison, argv) -> str:
    lines = []
    command = cmp.attrs.get("command")
    if command is not None:
        lines.append(f"# the comparison, as recorded in {cmp.path.name}\n{plotio.text(command)}")
    names = [f"scenario{i + 1}.toml" for i in range(len(cmp.scenarios))]
    lines.append("# the same comparison from the effective configs above (they hold every key,\n"
                 "# seed, replicates, steps and swept values included): save scenario i's\n"
                 "# config as scenario<i>.toml, in the order listed, then\n" +
                 shlex.join(["build/aimarket", "compare", *names, "--out-dir", "DIR"]))
    lines.append("# this report\n" + shlex.join(["tools/plot/report.py", *argv]))
    return "<pre>" + esc("\n\n".join(lines)) + "</pre>"


def report(cmp: plotio.Comparison, measures, top: int, argv) -> str:
    a = cmp.attrs
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with contextlib.ExitStack() as stack:
        figures, notes = figures_html(cmp, measures, top, stack)
    crn = cmp.paired()
    pairing = plotio.text(a.get("pairing", ""))
    meta = [("comparison file", cmp.path.name),
            ("program version", plotio.text(a.get("program_version", "unknown"))),
            ("comparison created", plotio.text(a.get("created", "unknown"))),
            ("report created", now),
            ("reference scenario", cmp.reference),
            ("replicates", plotio.text(a.get("replicates", "?"))),
            ("seed", plotio.text(a.get("seed", "?"))),
            ("confidence level", f"{float(a.get('confidence_level', 0.95)) * 100:g} %")]
    body = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>aimarket comparison: {esc(cmp.path.name)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Scenario comparison: {esc(', '.join(cmp.scenarios))}</h1>",
        '<dl class="meta">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in meta)
        + "</dl>",
        "<h2>Pairing</h2>",
        "<p>" + (f"Common random numbers: yes. {esc(pairing)}" if crn and pairing else
                 f"Common random numbers: no. {esc(pairing)}" if pairing else
                 "Common random numbers: every scenario runs each replicate from the same "
                 "random streams, so each difference from the reference is the t interval of "
                 "the per-replicate differences." if crn else
                 "No common random numbers: the scenarios' replicates are independent, so "
                 "the differences from the reference get unpaired (Welch) intervals.")
        + "</p>",
    ]
    if notes:
        body.append('<div class="note"><p><b>Notes</b></p><ul>' +
                    "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul></div>")
    body += ["<h2>Figures</h2>", figures or "<p>No figures.</p>",
             "<h2>Comparison table</h2>",
             f"<p>Mean over replicates with its {esc(cmp.confidence())} in brackets, and "
             f"the difference from {esc(cmp.reference)} with its interval; every measure "
             "at every month the comparison reports.</p>",
             table_html(cmp),
             "<h2>Scenarios</h2>",
             "<p>Each scenario's effective configuration (every key, defaults included).</p>",
             scenarios_html(cmp),
             "<h2>Reproduce</h2>", reproduce_html(cmp, argv),
             "</body></html>"]
    return "\n".join(body)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = plotio.argument_parser(__doc__)
    parser.add_argument("comparison", metavar="COMPARISON.h5",
                        help="comparison file from 'aimarket compare'")
    parser.add_argument("--out", required=True, metavar="REPORT.html",
                        help="HTML file to write")
    parser.add_argument("--measures", default=DEFAULT_MEASURES, metavar="LIST",
                        help=f"measures to draw (default: {DEFAULT_MEASURES}; '' for none); "
                             "the table has every measure")
    parser.add_argument("--top", type=int, default=6, metavar="N",
                        help="firms named in the market-share figure (default: 6)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise plotio.PlotError(f"output directory '{out.parent}' does not exist")
    plotstyle.apply()
    cmp = plotio.open_comparison(args.comparison)
    measures = [m.strip() for m in args.measures.split(",") if m.strip()]
    page = report(cmp, measures, args.top, argv)
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as e:
        raise plotio.PlotError(f"cannot write '{out}': {e.strerror or e}") from None
    print(f"wrote {out}")


if __name__ == "__main__":
    raise SystemExit(plotio.cli_main(main))
