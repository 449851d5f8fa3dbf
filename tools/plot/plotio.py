"""Reading aimarket files for the plotting tools, with one-line errors for user mistakes.

Two kinds of file (docs/OUTPUT.md, docs/PLOTTING.md):

- a run's trajectory (`aimarket run`, root attribute `title` = "aimarket trajectory"), read by
  `open_run` into a `Run`;
- a scenario comparison (`aimarket compare`, `title` = "aimarket comparison"), read by
  `open_comparison` into a `Comparison`.

Every problem a user can cause (a missing file, a file of the wrong kind, a dataset the run
did not record, files from different firm tables) raises `PlotError`; `cli_main` turns it into
one line on stderr and exit status 2. A run cut short (root attribute `status` not
`complete`) is used as far as it goes, with a warning.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

RUN_TITLE = "aimarket trajectory"
COMPARISON_TITLE = "aimarket comparison"
EXIT_USAGE = 2


class PlotError(Exception):
    """A user mistake or an unusable input file: reported in one line, exit status 2."""


def prog_name() -> str:
    return Path(sys.argv[0]).name or "plot"


def warn(message: str) -> None:
    print(f"{prog_name()}: warning: {message}", file=sys.stderr)


def cli_main(main, argv=None) -> int:
    """Runs `main(argv)`; a PlotError becomes one line on stderr and exit status 2."""
    try:
        main(argv)
    except PlotError as e:
        print(f"{prog_name()}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return 0


def argument_parser(doc: str) -> argparse.ArgumentParser:
    """A tool's parser: its docstring's first paragraph as description, the rest as epilog."""
    description, _, epilog = doc.partition("\n\n")
    return argparse.ArgumentParser(description=description, epilog=epilog,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_scenario_runs_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of a tool drawing one line per scenario run: the run files, their labels,
    the layers to show and the band across replicates."""
    parser.add_argument("runs", nargs="+", metavar="RUN.h5",
                        help="trajectory files from 'aimarket run', one per scenario")
    parser.add_argument("--labels", metavar="LIST",
                        help="comma-separated scenario labels (default: the file stems)")
    parser.add_argument("--layers", metavar="LIST",
                        help="comma-separated layers to show (default: all five)")
    add_band_argument(parser)


def add_band_argument(parser: argparse.ArgumentParser) -> None:
    """--band: how the spread across replicates is drawn."""
    parser.add_argument("--band", choices=BAND_CHOICES, default="quantile",
                        help="spread across replicates: 5-95 %% quantiles (default), "
                             "mean ± 1 sd, or none")


def add_comparison_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """The arguments of a tool reading a comparison file: the file, the measure and the date."""
    parser.add_argument("comparison", metavar="COMPARISON.h5", help=what)
    parser.add_argument("--measure", default="kr_share_world",
                        help="measure to show (default: kr_share_world); see docs/PLOTTING.md")
    parser.add_argument("--date", metavar="YYYY-MM",
                        help="month of the rows to show (default: the latest in the file)")


def text(value) -> str:
    """An HDF5 string (h5py gives str or bytes, depending on how it was stored) as str."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return text(value[()])
    return str(value)


def texts(dataset: h5py.Dataset) -> np.ndarray:
    """A string dataset (variable- or fixed-length, str or bytes) as an array of str."""
    return np.array([text(v) for v in np.asarray(dataset[()]).ravel()],
                    dtype=object).reshape(dataset.shape)


def _open_h5(path, title: str) -> h5py.File:
    path = Path(path)
    if not path.exists():
        raise PlotError(f"file '{path}' does not exist")
    if path.is_dir():
        raise PlotError(f"'{path}' is a directory, not an aimarket file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise PlotError(f"'{path}' is not a readable HDF5 file ({e})") from None
    found = text(f.attrs.get("title", ""))
    if found != title:
        f.close()
        what = f"its title is '{found}'" if found else "it has no 'title' attribute"
        raise PlotError(f"'{path}' is not an {title} file ({what}; expected '{title}')")
    return f


# --------------------------------------------------------------------------- run files

@dataclass
class Run:
    """An open trajectory file, cut to the steps it holds in full."""
    path: Path
    label: str
    file: h5py.File
    steps: int                # recorded steps used (all of a complete run)
    dates: np.ndarray         # datetime64[M], one per used step
    layers: list
    regions: list
    firm_names: np.ndarray    # str, one per firm slot
    replicates: int
    status: str
    attrs: dict = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.file

    def dataset(self, name: str) -> h5py.Dataset:
        if name not in self.file:
            raise PlotError(f"dataset '{name}' is not in '{self.path}' (this run did not "
                            f"record it; a newer aimarket may be needed)")
        return self.file[name]

    def layer_index(self, layer: str) -> int:
        if layer not in self.layers:
            raise PlotError(f"no layer '{layer}' in '{self.path}' "
                            f"(layers: {', '.join(self.layers)})")
        return self.layers.index(layer)

    def region_index(self, region: str) -> int:
        if region not in self.regions:
            raise PlotError(f"no region '{region}' in '{self.path}' "
                            f"(regions: {', '.join(self.regions)})")
        return self.regions.index(region)

    def read(self, name: str, layer: str | None = None, region: str | None = None):
        """A (replicate, step, ...) variable over the used steps, optionally at one layer
        (its third axis) and, for `region_share`, at one region (its fourth axis)."""
        ds = self.dataset(name)
        index = [slice(None), slice(0, self.steps)]
        if layer is not None:
            index.append(self.layer_index(layer))
        if region is not None:
            index.append(self.region_index(region))
        return ds[tuple(index)]

    def close(self) -> None:
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_run(path, label: str | None = None) -> Run:
    """Opens a trajectory file; a run cut short is used up to its last recorded step."""
    path = Path(path)
    f = _open_h5(path, RUN_TITLE)
    try:
        for name in ("step", "date", "layer", "region", "firm_name", "replicate"):
            if name not in f:
                raise PlotError(f"'{path}' lacks the coordinate '{name}' (a damaged file?)")
        status = text(f.attrs.get("status", "unknown"))
        stored = int(f["step"].shape[0])
        steps = min(int(f.attrs.get("steps_recorded", stored)), stored)
        if steps == 0:
            raise PlotError(f"'{path}' holds no recorded steps (status: '{status}')")
        if status != "complete":
            warn(f"'{path}' is from a run cut short (status: '{status}'); "
                 f"using its {steps} recorded step{'s' if steps != 1 else ''}")
        dates = np.array(texts(f["date"])[:steps].astype(str), dtype="datetime64[M]")
        return Run(path=path, label=label or path.stem, file=f, steps=steps, dates=dates,
                   layers=list(texts(f["layer"])), regions=list(texts(f["region"])),
                   firm_names=texts(f["firm_name"]).astype(str),
                   replicates=int(f["replicate"].shape[0]), status=status,
                   attrs={k: f.attrs[k] for k in f.attrs})
    except BaseException:
        f.close()
        raise


def labels_for(paths, labels: str | None) -> list:
    """Scenario labels: the comma-separated --labels, else each file's stem."""
    if labels is None:
        return [Path(p).stem for p in paths]
    out = [s.strip() for s in labels.split(",")]
    if len(out) != len(paths):
        raise PlotError(f"--labels gives {len(out)} label(s) for {len(paths)} file(s)")
    return out


@contextlib.contextmanager
def open_runs(paths, labels: str | None = None):
    """Opens several runs (one per scenario), checks they share one firm table, and yields
    the list of them; closes them all on leaving the `with` block."""
    with contextlib.ExitStack() as stack:
        runs = [stack.enter_context(open_run(path, label))
                for path, label in zip(paths, labels_for(paths, labels))]
        check_same_firms(runs)
        yield runs


def layer_list(value: str | None):
    """A comma-separated --layers value as a list (None: all layers)."""
    return [s.strip() for s in value.split(",") if s.strip()] if value else None


def check_same_firms(runs) -> None:
    first = runs[0]
    for other in runs[1:]:
        a, b = first.firm_names, other.firm_names
        if len(a) != len(b):
            raise PlotError(f"'{first.path}' and '{other.path}' have different firm tables "
                            f"({len(a)} and {len(b)} firms in 'firm_name')")
        differ = np.flatnonzero(a != b)
        if differ.size:
            i = differ[0]
            raise PlotError(f"'{first.path}' and '{other.path}' have different firm tables "
                            f"('firm_name' of slot {i}: '{a[i]}' vs '{b[i]}')")


# --------------------------------------------------------------------------- statistics

BAND_CHOICES = ("quantile", "sd", "none")


def band(values: np.ndarray, kind: str, axis: int = 0):
    """Mean over `axis` (the replicates) and a band around it: the 5th to 95th percentile
    ("quantile"), the mean +- one sample standard deviation ("sd"), or none (None, None)."""
    mean = values.mean(axis=axis)
    if kind == "quantile":
        low, high = np.percentile(values, [5, 95], axis=axis)
    elif kind == "sd":
        sd = values.std(axis=axis, ddof=1) if values.shape[axis] > 1 else np.zeros_like(mean)
        low, high = mean - sd, mean + sd
    else:
        low = high = None
    return mean, low, high


def band_caption(kind: str, replicates: int) -> str:
    """What the band shows, for legends and captions."""
    n = f"{replicates} replicate{'s' if replicates != 1 else ''}"
    if kind == "quantile":
        return f"line: mean of {n}; band: 5-95 % of replicates"
    if kind == "sd":
        return f"line: mean of {n}; band: mean ± 1 sd across replicates"
    return f"line: mean of {n}"


# --------------------------------------------------------------------------- comparisons

TABLE_TEXT = ("scenario", "measure", "layer", "region", "firm", "date")
TABLE_NUMBERS = ("step", "n", "mean", "sd", "ci_low", "ci_high",
                 "diff_mean", "diff_ci_low", "diff_ci_high")


@dataclass
class Comparison:
    path: Path
    attrs: dict
    scenarios: list
    scenario_files: list      # as stored (paths may be relative)
    scenario_configs: list
    table: dict               # column name -> 1-D array; 'values' is [N, R]
    sweep_keys: list | None = None
    sweep_values: np.ndarray | None = None   # [S, K] str

    @property
    def reference(self) -> str:
        return text(self.attrs.get("reference", self.scenarios[0]))

    def measures(self) -> list:
        return list(dict.fromkeys(self.table["measure"]))

    def dates(self, measure: str) -> list:
        """The dates (YYYY-MM) the table has rows of `measure` for, in order."""
        mask = self.table["measure"] == measure
        if not mask.any():
            raise PlotError(f"measure '{measure}' is not in '{self.path}' "
                            f"(measures: {', '.join(self.measures())})")
        return sorted(set(self.table["date"][mask]))

    def rows(self, measure: str, date: str | None = None) -> np.ndarray:
        """Indices of the table rows of `measure` at `date` (default: its latest date)."""
        dates = self.dates(measure)
        mask = self.table["measure"] == measure
        if date is None:
            date = dates[-1]
        elif date not in dates:
            raise PlotError(f"measure '{measure}' has no rows dated '{date}' in '{self.path}' "
                            f"(dates: {', '.join(dates)})")
        return np.flatnonzero(mask & (self.table["date"] == date))

    def panels(self, rows: np.ndarray) -> dict:
        """The rows grouped into figure panels by (layer, region), layers in value-chain
        order; returns {panel title: row indices}."""
        order = ("hbm", "accelerator", "cloud", "model", "service")
        layer, region = self.table["layer"][rows], self.table["region"][rows]
        keys = sorted(set(zip(layer, region)),
                      key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k))
        several_regions = len(set(region)) > 1
        out = {}
        for lay, reg in keys:
            title = lay or "all layers"
            if several_regions and reg:
                title += f" ({reg})"
            out[title] = rows[(layer == lay) & (region == reg)]
        return out

    def confidence(self) -> str:
        return f"{float(self.attrs.get('confidence_level', 0.95)) * 100:g} % CI"

    def paired(self) -> bool:
        return bool(int(self.attrs.get("common_random_numbers", 0)))

    def run_path(self, i: int) -> Path:
        """Scenario i's run file: the stored path if it exists (absolute, or relative to the
        current directory, where `aimarket compare` ran), else the same path relative to the
        comparison file's folder, else runs/NAME in that folder (a moved comparison folder);
        the stored path when none exists (so that errors name it)."""
        stored = Path(self.scenario_files[i])
        for candidate in (stored, self.path.parent / stored,
                          self.path.parent / "runs" / stored.name):
            if candidate.exists():
                return candidate
        return stored


def _read_group(f: h5py.File, path: Path, group: str, names_text, names_numbers) -> dict:
    if group not in f:
        raise PlotError(f"'{path}' has no '{group}' group (a damaged comparison file?)")
    g = f[group]
    out = {}
    for name in names_text:
        if name not in g:
            raise PlotError(f"dataset '{group}/{name}' is missing from '{path}'")
        out[name] = texts(g[name]).astype(str)
    for name in names_numbers:
        if name not in g:
            raise PlotError(f"dataset '{group}/{name}' is missing from '{path}'")
        out[name] = g[name][()]
    return out


def open_comparison(path) -> Comparison:
    path = Path(path)
    with _open_h5(path, COMPARISON_TITLE) as f:
        for name in ("scenario", "scenario_file", "scenario_config"):
            if name not in f:
                raise PlotError(f"dataset '{name}' is missing from '{path}'")
        table = _read_group(f, path, "table", TABLE_TEXT, TABLE_NUMBERS + ("values",))
        keys = values = None
        if "sweep" in f:
            sweep = f["sweep"]
            keys = list(texts(sweep["keys"]).astype(str))
            values = texts(sweep["values"]).astype(str).reshape(-1, len(keys))
        return Comparison(path=path, attrs={k: f.attrs[k] for k in f.attrs},
                          scenarios=list(texts(f["scenario"]).astype(str)),
                          scenario_files=list(texts(f["scenario_file"]).astype(str)),
                          scenario_configs=list(texts(f["scenario_config"]).astype(str)),
                          table=table, sweep_keys=keys, sweep_values=values)


# --------------------------------------------------------------------------- measures

@dataclass(frozen=True)
class Measure:
    title: str
    short: str             # axis label
    unit: str
    scale: float = 1.0     # plotted value = stored value x scale
    interval: str = "Student t"   # how `aimarket compare` computes its confidence interval

    @property
    def diff_unit(self) -> str:
        """Unit of a difference between two values of the measure."""
        return "percentage points" if self.unit == "%" else self.unit


MEASURES = {
    "kr_share_world": Measure("Korean firms' share of the layer's world units",
                              "Korean share", "%", 100),
    "kr_revenue_share_world": Measure("Korean firms' share of the layer's world revenue",
                                      "Korean revenue share", "%", 100),
    "kr_share_korea": Measure("Korean firms' share of Korea's customers",
                              "Korean share in Korea", "%", 100),
    "hhi": Measure("Herfindahl-Hirschman index", "HHI", "0-10,000", 10_000),
    "kr_survival": Measure("Korean firms still in the market", "surviving", "%", 100),
    "leader_share": Measure("Replicates in which the firm leads the layer",
                            "replicates led", "%", 100, "Wilson score interval"),
    "kr_customer_price": Measure("Price paid by Korean customers", "price",
                                 "USD per customer per month"),
    "kr_customer_quality": Measure("Service quality for Korean customers", "quality",
                                   "quality index"),
}


def measure_info(name: str) -> Measure:
    return MEASURES.get(name, Measure(name, name, "as stored"))
