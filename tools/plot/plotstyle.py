"""One look for every aimarket figure: fonts, date axes, colours, and saving.

Colours are stable per firm across all figures and files: the well-known firms have fixed
colours (FIRM_COLOURS); any other firm gets a colour from HASH_PALETTE chosen by a CRC-32 of
its name (the same name always gives the same colour, on any machine and Python); "other"
(the firms outside a figure's top N) is always OTHER_COLOUR, a grey no firm gets.
"""
from __future__ import annotations

import io
import zlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import colormaps  # noqa: E402

from plotio import PlotError  # noqa: E402

OTHER_COLOUR = "#b0b0b0"

FIRM_COLOURS = {
    # memory
    "SK hynix": "#e4002b", "Samsung": "#1428a0", "Micron": "#17becf",
    # accelerators
    "NVIDIA": "#76b900", "AMD": "#8c564b", "Intel": "#0071c5", "Rebellions": "#e377c2",
    # clouds, big tech, model labs
    "Google": "#4285f4", "Microsoft": "#f25022", "Amazon": "#ff9900", "Meta": "#7b3fa0",
    "Alibaba Cloud": "#bcbd22", "OpenAI": "#10a37f", "Anthropic": "#a0522d",
    "Mistral": "#ff7f0e", "Cohere": "#39594d", "Perplexity": "#1fb8cd",
    # Korean service and model firms
    "Naver": "#03c75a", "Kakao": "#ffcd00", "Upstage": "#6b6ecf", "SKT": "#d62728",
    "KT": "#ad494a",
}

# tab20 without its two greys, then tab20b: 38 colours for every other firm
HASH_PALETTE = ([c for i, c in enumerate(colormaps["tab20"].colors) if i not in (14, 15)]
                + list(colormaps["tab20b"].colors))

SCENARIO_PALETTE = list(colormaps["tab10"].colors)

OTHER = "other"


def firm_colour(name: str):
    """The colour of a firm in every figure (see the module docstring)."""
    if name == OTHER:
        return OTHER_COLOUR
    if name in FIRM_COLOURS:
        return FIRM_COLOURS[name]
    return HASH_PALETTE[zlib.crc32(name.encode("utf-8")) % len(HASH_PALETTE)]


def scenario_colour(index: int):
    """Scenarios are coloured by their position (the reference first), tab10 order."""
    return SCENARIO_PALETTE[index % len(SCENARIO_PALETTE)]


STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 9,
    "figure.titlesize": 13,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.formatter.useoffset": False,   # plain tick values, no "+5.9e-1" offsets
    "pdf.fonttype": 42,   # embed TrueType: text stays text in the PDF
}


def apply() -> None:
    plt.rcParams.update(STYLE)


def date_axis(ax) -> None:
    """Calendar months on the x axis, labelled YYYY-MM."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")


FORMATS = ("png", "pdf", "svg")


def add_output_arguments(parser, default_suffix: str) -> None:
    parser.add_argument("--out", metavar="PREFIX",
                        help="write PREFIX.png, PREFIX.pdf, ... (default: the first input's "
                             f"stem + '_{default_suffix}' in the current directory)")
    parser.add_argument("--format", default="png,pdf", metavar="LIST",
                        help="comma-separated formats among " + ", ".join(FORMATS) +
                             " (default: png,pdf)")
    parser.add_argument("--dpi", type=int, default=STYLE["savefig.dpi"], metavar="N",
                        help=f"resolution of PNG files (default: {STYLE['savefig.dpi']})")


def output_prefix(args, first_input, default_suffix: str) -> Path:
    if args.out:
        return Path(args.out)
    return Path(f"{Path(first_input).stem}_{default_suffix}")


def formats(value: str) -> list:
    out = [f.strip().lower().lstrip(".") for f in value.split(",") if f.strip()]
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise PlotError(f"--format '{value}': choose among {', '.join(FORMATS)}")
    return out


def start(args) -> None:
    """Checks the output options (before any file is read) and applies the style."""
    formats(args.format)
    if args.dpi < 10:
        raise PlotError(f"--dpi {args.dpi}: give at least 10")
    apply()


def write(fig, args, first_input, suffix: str) -> None:
    """Saves the figure as the output options say and prints each file written."""
    prefix = output_prefix(args, first_input, suffix)
    for path in save(fig, prefix, formats(args.format), args.dpi):
        print(f"wrote {path}")


def save(fig, prefix: Path, fmts, dpi=None) -> list:
    """Writes the figure as PREFIX.<format> for each format (PNG at `dpi`, default the
    style's); returns the paths written."""
    prefix = Path(prefix)
    if not prefix.parent.is_dir():
        raise PlotError(f"output directory '{prefix.parent}' does not exist")
    written = []
    for fmt in fmts:
        path = prefix.with_name(f"{prefix.name}.{fmt}")
        # no creation date in PDF and SVG: same figure, same bytes
        metadata = {"CreationDate": None} if fmt == "pdf" else (
            {"Date": None} if fmt == "svg" else None)
        try:
            fig.savefig(path, format=fmt, metadata=metadata, dpi=dpi)
        except OSError as e:
            raise PlotError(f"cannot write '{path}': {e.strerror or e}") from None
        written.append(path)
    plt.close(fig)
    return written


def png_bytes(fig, dpi=None) -> bytes:
    """The figure as PNG bytes (for embedding in the HTML report); closes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


def panel_grid(n: int, ncols: int = 3, width: float = 4.6, height: float = 3.4,
               sharex: bool = False):
    """A figure with n panels in rows of up to ncols. Returns (figure, the n axes, the spare
    axes of the last row, switched off: room for a legend)."""
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                             squeeze=False, sharex=sharex, layout="constrained")
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.axis("off")
    return fig, flat[:n], flat[n:]


def line_with_band(ax, x, mean, low, high, colour, label):
    """A mean line and, where given, its band in the same colour."""
    ax.plot(x, mean, color=colour, label=label, linewidth=1.8)
    if low is not None:
        ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)


def caption(fig, lines) -> None:
    """Small text under the figure saying what lines and bands show."""
    fig.text(0.0, -0.01, "\n".join(lines), ha="left", va="top", fontsize=9,
             color="#444444", transform=fig.transFigure)


def scenario_panels(runs, layers, values, ylabel: str, band: str, ylim=None):
    """One panel per layer, one line per run (scenario) with its band across replicates.
    `values(run, layer)` gives a (replicate, step) array. Returns the figure."""
    from plotio import band as band_of  # (plotio imports no matplotlib)
    fig, axes, spare = panel_grid(len(layers))
    for ax, layer in zip(axes, layers):
        for i, run in enumerate(runs):
            mean, low, high = band_of(values(run, layer), band)
            line_with_band(ax, run.dates, mean, low, high, scenario_colour(i), run.label)
        ax.set_title(layer)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("month")
        if ylim is not None:
            ax.set_ylim(*ylim)
        date_axis(ax)
    handles, labels = axes[0].get_legend_handles_labels()
    legend_ax = spare[0] if spare else axes[0]
    legend_ax.legend(handles, labels, loc="center" if spare else "best", title="scenario",
                     frameon=bool(not spare))
    return fig


def widen(ax, axis: str = "x", relative: float = 1e-3) -> None:
    """Widens an axis whose range is tiny next to its values (a spread of 1e-9 around 92.7)
    to at least `relative` times its largest value, so that tick labels stay short."""
    get, set_ = (ax.get_xlim, ax.set_xlim) if axis == "x" else (ax.get_ylim, ax.set_ylim)
    low, high = get()
    need = relative * max(abs(low), abs(high))
    if high - low < need:
        middle = (low + high) / 2
        set_(middle - need / 2, middle + need / 2)
