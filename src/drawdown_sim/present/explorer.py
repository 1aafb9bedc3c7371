"""An interactive explorer over a finished run, comparison or sweep (the ``explore`` extra:
``pip install 'drawdown-sim[explore]'``), built with Panel.

``drawdown-sim explore DIR`` serves it on this machine only (127.0.0.1) and prints its
address; ``drawdown_sim.explore(DIR)`` returns the same app for JupyterLab. Each view is
a figure drawn by a plain function of the loaded results and the widgets' values (the
``*_figure`` functions here), so the benchmark times exactly what an interaction costs on
the server: the computation and the drawing. Parquet files are read lazily: a run's outcome
columns one at a time as they are asked for (then kept), never the whole table.

Each option keeps the colour it has in the static figures (``C{i}``, the option's position
among the comparison's or study's options, in matplotlib's default cycle).
"""

from __future__ import annotations

import math
import socket
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..model import OUTCOME_SPECS, OUTCOMES
from ..model import direction as _outcome_direction

if TYPE_CHECKING:
    from ..analysis.comparison import Comparison
    from ..analysis.results import Results
    from ..analysis.sweeps import Sweep

PANEL_MISSING = (
    "the explorer needs Panel, which is not installed; install it with: "
    "pip install 'drawdown-sim[explore]'"
)
SIZE = (7.5, 4.2)
"""Figure size (inches) of every view."""
SERIES_LABELS = {
    "personnel": "personnel in Iraq",
    "attack_intensity": "expected attacks per day",
    "attacks": "attacks per day",
    "escalation": "escalation level (0-3)",
    "campaign": "share in campaign posture",
    "political_pressure": "political pressure (index)",
    "isis_rate": "ISIS attacks per day",
}


def direction(outcome: str) -> str:
    """Which way is better for an outcome column, a sweep's ``<outcome>_both`` (the window and
    the follow-on summed) included: ``lower``, ``higher`` or ``""``."""
    from ..scenario.study import BOTH_SUFFIX

    return _outcome_direction(outcome.removesuffix(BOTH_SUFFIX))


def option_color(index: int) -> str:
    """The colour of the option at ``index``, as in the static figures."""
    return f"C{index % 10}"


def outcome_label(name: str) -> str:
    """``name`` with its unit, for axes."""
    spec = OUTCOME_SPECS.get(name)
    unit = f" ({spec.unit})" if spec is not None and spec.unit else ""
    return f"{name.replace('_', ' ')}{unit}"


MARGINS = {"left": 0.1, "right": 0.78, "bottom": 0.13, "top": 0.9}
"""Fixed margins (fractions of the figure): room for a legend on the right. Fixed, not
constrained layout, which measures every label's text on every draw (a third of a
figure's time)."""


def _figure(size: tuple[float, float] = SIZE, **margins: float) -> Figure:
    """A figure outside pyplot (a server draws many; pyplot would keep them all)."""
    fig = Figure(figsize=size)
    fig.subplots_adjust(**{**MARGINS, **margins})
    return fig


def _no_data(fig: Figure, text: str) -> Figure:
    ax = fig.subplots()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


# --- what a directory holds, read lazily ------------------------------------------------------


@dataclass
class Columns:
    """Outcome columns of runs, read one at a time (``Results.column``) and kept."""

    runs: dict[str, Results]
    _kept: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def get(self, option: str, outcome: str) -> np.ndarray:
        key = (option, outcome)
        if key not in self._kept:
            self._kept[key] = self.runs[option].column(outcome)
        return self._kept[key]


def period_outcomes(results: Results) -> dict[str, list[str]]:
    """Outcomes to choose from, per period: ``window``, and ``follow_on`` when the run has
    one (the ``*_follow_on`` columns, named by their window outcome). Only the columns
    ``outcomes.parquet`` holds (its schema, not its data, is read): a run written before an
    outcome was added does not offer it."""
    recorded = list(OUTCOMES)
    if results.path is not None and (results.path / "outcomes.parquet").exists():
        import pyarrow.parquet as pq

        names = set(pq.read_schema(results.path / "outcomes.parquet").names)
        recorded = [o for o in OUTCOMES if o in names]
    window = [o for o in recorded if not o.endswith("_follow_on")]
    periods = {"window": window}
    if results.scenario.follow_on is not None:
        periods["follow_on"] = [
            o.removesuffix("_follow_on") for o in recorded if o.endswith("_follow_on")
        ]
    return periods


def _column_name(outcome: str, period: str) -> str:
    return outcome if period == "window" else f"{outcome}_follow_on"


# --- a run ------------------------------------------------------------------------------------


def distribution_figure(columns: Columns, option: str, outcome: str, period: str) -> Figure:
    """Histogram of one outcome over the replications, with its mean and 90th percentile."""
    fig = _figure()
    name = _column_name(outcome, period)
    values = columns.get(option, name)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return _no_data(fig, f"{name}: no values (censored or not recorded)")
    ax = fig.subplots()
    whole = bool(np.all(values == np.round(values)))
    low, high = float(values.min()), float(values.max())
    bins: Any = (
        np.arange(low - 0.5, high + 1.5, max(1.0, math.ceil((high - low + 1) / 60)))
        if whole
        else 60
    )
    fig.subplots_adjust(right=0.97)
    # One filled outline, not a patch per bar (ax.hist): a sixth of the drawing's time.
    counts, edges = np.histogram(values, bins=bins)
    ax.stairs(counts, edges, fill=True, color=option_color(0), alpha=0.75)
    mean, p90 = float(values.mean()), float(np.quantile(values, 0.9, method="inverted_cdf"))
    ax.axvline(mean, color="k", ls=":", lw=1.2, label=f"mean {mean:,.2f}")
    ax.axvline(p90, color="C3", ls="--", lw=1.2, label=f"90th percentile {p90:,.2f}")
    ax.set_xlabel(outcome_label(name))
    ax.set_ylabel("replications")
    ax.set_title(f"{name} ({period.replace('_', '-')}), {values.size:,} replications", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def fan_figure(results: Results, series: str) -> Figure:
    """Daily median, 25-75% and 5-95% bands and mean of one series."""
    fig = _figure()
    ax = fig.subplots()
    s = results.series
    dates = pd.to_datetime(s["date"])
    ax.fill_between(dates, s[f"{series}_q05"], s[f"{series}_q95"], color="C0", alpha=0.18, lw=0)
    ax.fill_between(dates, s[f"{series}_q25"], s[f"{series}_q75"], color="C0", alpha=0.35, lw=0)
    ax.plot(dates, s[f"{series}_q50"], color="C0", lw=1.5, label="median")
    ax.plot(dates, s[f"{series}_mean"], color="k", lw=1.0, ls=":", label="mean")
    ax.fill_between([], [], [], color="C0", alpha=0.35, label="25-75%")
    ax.fill_between([], [], [], color="C0", alpha=0.18, label="5-95%")
    from .plots._common import date_axis

    date_axis(ax)
    ax.set_ylabel(SERIES_LABELS.get(series, series))
    ax.set_xlabel("date")
    ax.set_title(f"{series.replace('_', ' ')}: {results.label}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def story_figure(results: Results, replication: int) -> Figure:
    """One traced replication's story (the static figure's :func:`plot_trace`)."""
    from .plots.run_plots import plot_trace

    # Fixed margins (room for the level labels on the right and the legend below), not
    # constrained layout: that measured every text on each draw, a third of the time.
    fig = _figure((9, 4.5), left=0.09, right=0.87, bottom=0.25, top=0.92)
    plot_trace(results, replication, ax=fig.subplots())
    return fig


def story_events(results: Results, replication: int) -> pd.DataFrame:
    """The traced replication's events in words (at most 300)."""
    events = results.events
    if events is None:
        return pd.DataFrame()
    rows = events[events["replication"] == replication]
    shown = [c for c in ("date", "period", "kind", "detail") if c in rows.columns]
    return rows[shown].head(300).reset_index(drop=True)


# --- a comparison -----------------------------------------------------------------------------


def paired_differences(
    columns: Columns, options: Sequence[str], reference: str, outcome: str
) -> pd.DataFrame:
    """Per option: the mean of ``outcome`` and its paired difference from ``reference``
    (replications paired by index: common random numbers), with the 95% interval of the
    difference (normal approximation to the paired mean, as the static trade-off figure)."""
    base = columns.get(reference, outcome)
    rows = []
    for option in options:
        values = columns.get(option, outcome)
        both = np.isfinite(values) & np.isfinite(base)
        diff = values[both] - base[both]
        half = 1.96 * diff.std(ddof=1) / math.sqrt(diff.size) if diff.size > 1 else math.nan
        mean = float(diff.mean()) if diff.size else math.nan
        rows.append(
            {
                "option": option,
                "mean": float(np.nanmean(values)) if np.isfinite(values).any() else math.nan,
                "diff": mean,
                "diff_lo": mean - half,
                "diff_hi": mean + half,
            }
        )
    return pd.DataFrame(rows)


def differences_figure(
    columns: Columns, options: Sequence[str], reference: str, outcomes: Sequence[str]
) -> Figure:
    """Paired differences from the reference with their 95% intervals, one panel per
    outcome."""
    fig = _figure(left=0.17, right=0.97, bottom=0.17, top=0.88, wspace=0.12)
    chosen = list(outcomes)[:4] or ["killed"]
    axes = fig.subplots(1, len(chosen), squeeze=False, sharey=True)[0]
    for ax, outcome in zip(axes, chosen, strict=True):
        table = paired_differences(columns, options, reference, outcome)
        for y, row in table.iterrows():
            color = option_color(list(options).index(row["option"]))
            ax.errorbar(
                [row["diff"]],
                [y],
                xerr=[[row["diff"] - row["diff_lo"]], [row["diff_hi"] - row["diff"]]],
                fmt="o",
                color=color,
                capsize=3,
            )
        ax.axvline(0, color="0.4", lw=0.8)
        ax.set_yticks(range(len(table)), table["option"], fontsize=8)
        ax.tick_params(axis="y", labelleft=ax is axes[0])
        ax.set_xlabel(f"{outcome_label(outcome)}\noption - {reference}", fontsize=8)
    fig.suptitle(f"Paired differences from {reference}, 95% intervals", fontsize=10)
    return fig


def tradeoff_figure(columns: Columns, options: Sequence[str], x: str, y: str) -> Figure:
    """Each option's mean of two outcomes, with 95% intervals of the means."""
    fig = _figure()
    ax = fig.subplots()
    for i, option in enumerate(options):
        points = []
        for outcome in (x, y):
            values = columns.get(option, outcome)
            values = values[np.isfinite(values)]
            half = 1.96 * values.std(ddof=1) / math.sqrt(values.size) if values.size > 1 else 0
            points.append((float(values.mean()) if values.size else math.nan, half))
        (mx, hx), (my, hy) = points
        ax.errorbar(
            [mx],
            [my],
            xerr=[hx],
            yerr=[hy],
            fmt="o",
            ms=7,
            capsize=4,
            color=option_color(i),
            label=option,
        )
    ax.set_xlabel(outcome_label(x))
    ax.set_ylabel(outcome_label(y))
    ax.set_title("Trade-off: option means, 95% intervals", fontsize=10)
    ax.margins(0.2)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def exceedance_figure(columns: Columns, options: Sequence[str], outcome: str) -> Figure:
    """P(outcome > x) against x for every option."""
    fig = _figure()
    ax = fig.subplots()
    sorted_values = {}
    for option in options:
        values = np.sort(columns.get(option, outcome))
        sorted_values[option] = values[np.isfinite(values)]
    # One grid of every value any option takes: each curve spans the same x range (an
    # option that is 0 throughout is a line at P = 0, not a lone point).
    levels = np.unique(np.concatenate([v for v in sorted_values.values()] or [np.zeros(1)]))
    for i, option in enumerate(options):
        values = sorted_values[option]
        if values.size == 0:
            continue
        above = 1.0 - np.searchsorted(values, levels, side="right") / values.size
        ax.step(
            levels, above, where="post", color=option_color(i), label=option, lw=1.4, alpha=0.85
        )
    ax.set_xlabel(outcome_label(outcome))
    ax.set_ylabel(f"P({outcome.replace('_', ' ')} > x)")
    ax.set_ylim(-0.02, 1.02)  # (an option at P = 0 throughout stays visible)
    ax.set_title(f"Exceedance: P(more than x {outcome.replace('_', ' ')})", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


# --- a sweep ----------------------------------------------------------------------------------


class SweepTables:
    """A sweep's numbers as numpy arrays, made once when the app opens: each state's
    parameters (raw and scaled to their range), and per judged column a states x options
    table of state means with each state's best option (made on first use, then kept).
    An interaction then filters, counts and ranks arrays: no pivot, no pandas.

    Attributes:
        states: the state ids, sorted (n_states).
        parameters: the uncertain parameters' names.
        options: the options, in the study's order (colour ``C{i}``).
        values: parameters by state (n_states x n_parameters), in the parameters' units.
        scaled: the same scaled to each parameter's range (0-1; 0 where the range is empty).
    """

    def __init__(
        self, frame: pd.DataFrame, parameters: Sequence[str], options: Sequence[str]
    ) -> None:
        self.frame = frame
        self.parameters = list(parameters)
        self.options = list(options)
        self.states, row = np.unique(frame["state"].to_numpy(), return_inverse=True)
        self._row = row
        self._column = pd.Index(self.options).get_indexer(pd.Index(frame["option"]))
        first = np.zeros(len(self.states), dtype=np.intp)
        first[row[::-1]] = np.arange(len(row))[::-1]  # each state's first row
        self.values = (
            frame[self.parameters]
            .to_numpy(dtype=float)[first]
            .reshape(len(self.states), len(self.parameters))
        )
        low, high = self.values.min(axis=0), self.values.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        self.scaled = (self.values - low) / span
        self._tables: dict[str, np.ndarray] = {}
        self._best: dict[str, np.ndarray] = {}

    def table(self, outcome: str) -> np.ndarray:
        """States x options state means of ``outcome`` (NaN where a state lacks it)."""
        if outcome not in self._tables:
            table = np.full((len(self.states), len(self.options)), np.nan)
            known = self._column >= 0
            table[self._row[known], self._column[known]] = self.frame[outcome].to_numpy(
                dtype=float, na_value=np.nan
            )[known]
            table.flags.writeable = False
            self._tables[outcome] = table
        return self._tables[outcome]

    def best(self, outcome: str) -> np.ndarray:
        """Per state, the index of the option with the best mean of ``outcome`` (lowest
        unless higher is better); -1 where no option has a value."""
        if outcome not in self._best:
            table = self.table(outcome)
            sign = -1.0 if direction(outcome) == "higher" else 1.0
            signed = np.where(np.isnan(table), np.inf, sign * table)
            best = np.argmin(signed, axis=1)
            best[np.isnan(table).all(axis=1)] = -1
            self._best[outcome] = best
        return self._best[outcome]

    def mask(self, ranges: dict[str, tuple[float, float]]) -> np.ndarray:
        """Which states have every parameter in its range (inclusive)."""
        keep = np.ones(len(self.states), dtype=bool)
        for parameter, (low, high) in ranges.items():
            values = self.values[:, self.parameters.index(parameter)]
            keep &= (values >= low - 1e-12) & (values <= high + 1e-12)
        return keep

    def satisficing(self, mask: np.ndarray, thresholds: dict[str, tuple[str, float]]) -> np.ndarray:
        """Per option: the share of the states in ``mask`` in which every threshold (outcome
        -> (``max`` or ``min``, bound)) holds (a missing value does not); NaN without
        states."""
        met = np.ones((int(mask.sum()), len(self.options)), dtype=bool)
        for outcome, (kind, bound) in thresholds.items():
            table = self.table(outcome)[mask]
            met &= (table <= bound) if kind == "max" else (table >= bound)
        if not len(met):
            return np.full(len(self.options), np.nan)
        return np.asarray(met.mean(axis=0), dtype=float)

    def regret(self, outcome: str, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per option over the states in ``mask``: the mean and the 90th percentile of
        regret, how far its mean is from the best option's in each state (in the outcome's
        unit; missing values left out)."""
        table = self.table(outcome)[mask]
        higher = direction(outcome) == "higher"
        missing = np.isnan(table)
        if higher:
            gaps = np.where(missing, -np.inf, table).max(axis=1)[:, None] - table
        else:
            gaps = table - np.where(missing, np.inf, table).min(axis=1)[:, None]
        gaps[missing] = np.nan
        counts = (~missing).sum(axis=0)
        mean = np.where(counts > 0, np.where(missing, 0.0, gaps).sum(axis=0), np.nan) / np.maximum(
            counts, 1
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an option without values: NaN
            p90 = np.nanquantile(gaps, 0.9, axis=0) if len(gaps) else np.full(len(counts), np.nan)
        return mean, p90


def _short(parameter: str) -> str:
    """A parameter's axis label: its last two parts (``campaign.attack_rate``)."""
    return ".".join(parameter.split(".")[-2:])


def _bokeh(*names: str) -> list[Any]:
    """Bokeh's models and ``figure`` by name, untyped: Bokeh's stubs do not know the
    arguments its figures take (``tools``, ranges as tuples, tickers as lists)."""
    import bokeh.models
    import bokeh.plotting

    return [getattr(bokeh.plotting if n == "figure" else bokeh.models, n) for n in names]


class ParallelView:
    """Parallel coordinates of a sweep's states (each parameter scaled to its range) as a
    Bokeh figure, made once per page: every state in grey, and over them the states in the
    filter coloured by their best option.

    Drawn by the browser, not the server: an interaction sends the filter (one flag per
    state) and, when the outcome changes, one colour per state. Drawing the 1,000 x 30
    segments of the advisory_options sweep into a PNG took the server 0.5-0.6 s of CPU per
    interaction (matplotlib's Agg), nine tenths of the interaction (benchmarks/README.md).
    """

    def __init__(self, tables: SweepTables) -> None:
        from matplotlib.colors import to_hex

        BooleanFilter, CDSView, ColumnDataSource, Legend, figure = _bokeh(
            "BooleanFilter", "CDSView", "ColumnDataSource", "Legend", "figure"
        )

        self.tables = tables
        options, parameters = tables.options, tables.parameters
        count = len(parameters)
        self.palette = np.array(
            [to_hex(option_color(i)) for i in range(len(options))] + ["#808080"]
        )  # the options' colours, then the colour of a state without values
        xs = list(range(count))
        self.source = ColumnDataSource(
            {
                "xs": [xs] * len(tables.states),
                "ys": tables.scaled.tolist(),
                "color": [self.palette[-1]] * len(tables.states),
            }
        )
        self.filter = BooleanFilter(booleans=[True] * len(tables.states))
        fig = figure(
            name="parallel",
            height=480,
            sizing_mode="stretch_width",
            max_width=900,
            x_range=(-0.3, count - 0.7),
            y_range=(-0.03, 1.03),
            tools="",
            toolbar_location=None,
            min_border_left=100,
        )
        fig.multi_line("xs", "ys", source=self.source, line_color="#d9d9d9", line_width=0.6)
        fig.multi_line(
            "xs",
            "ys",
            source=self.source,
            view=CDSView(filter=self.filter),
            line_color="color",
            line_width=0.9,
            line_alpha=0.8,
        )
        keys = [
            (  # (a swatch's line lies outside the axes: a line without data shows none)
                f"best: {option}",
                [fig.line([-9, -8], [-9, -9], line_color=self.palette[i], line_width=2)],
            )
            for i, option in enumerate(options)
        ]
        fig.add_layout(Legend(items=keys, label_text_font_size="8pt"), "right")
        fig.xaxis.ticker = xs
        fig.xaxis.major_label_overrides = {i: _short(p) for i, p in enumerate(parameters)}
        fig.xaxis.major_label_orientation = math.pi / 3
        fig.xaxis.major_label_text_font_size = "7pt"
        fig.xgrid.ticker = xs
        fig.ygrid.grid_line_color = None
        fig.yaxis.axis_label = "parameter, scaled to its range (0-1)"
        fig.title.text_font_size = "9pt"
        self.figure = fig
        self._outcome: str | None = None

    def update(self, outcome: str, mask: np.ndarray) -> None:
        """Show the states in ``mask`` coloured by their best option for ``outcome``; only
        what changed is set (and so sent)."""
        if outcome != self._outcome:
            self.source.data["color"] = self.palette[self.tables.best(outcome)].tolist()
            self._outcome = outcome
        flags = mask.tolist()
        if flags != list(self.filter.booleans or []):
            self.filter.booleans = flags
        self.figure.title.text = (
            f"States ({int(mask.sum())} of {len(mask)} in the filter), coloured by the best "
            f"option for {outcome.replace('_', ' ')}"
        )


class BarsView:
    """One horizontal bar per option in its colour, as a Bokeh figure made once per page
    (satisficing, or regret with its 90th percentile marked): an interaction sends the bars'
    lengths and the titles, and the browser draws them. Matplotlib drew each into a PNG in
    about 0.1 s of the server's CPU."""

    def __init__(self, name: str, options: Sequence[str], marks: str | None = None) -> None:
        from matplotlib.colors import to_hex

        ColumnDataSource, Range1d, figure = _bokeh("ColumnDataSource", "Range1d", "figure")

        self.options = list(options)
        self.source = ColumnDataSource(
            {
                "option": self.options,
                "value": [0.0] * len(self.options),
                "mark": [0.0] * len(self.options),
                "color": [to_hex(option_color(i)) for i in range(len(self.options))],
            }
        )
        fig = figure(
            name=name,
            y_range=list(reversed(self.options)),
            width=400,
            height=300,
            tools="",
            toolbar_location=None,
        )
        fig.hbar(y="option", right="value", height=0.7, color="color", source=self.source)
        if marks is not None:
            fig.scatter(
                x="mark",
                y="option",
                marker="dash",
                angle=math.pi / 2,
                size=22,
                line_width=2,
                color="black",
                source=self.source,
                legend_label=marks,
            )
            legend = fig.legend[0]
            legend.label_text_font_size = "7pt"
            legend.orientation = "horizontal"
            fig.add_layout(legend, "below")  # (never over a bar)
        else:
            fig.x_range = Range1d(0, 1)
        fig.ygrid.grid_line_color = None
        fig.title.text_font_size = "8pt"
        fig.xaxis.axis_label_text_font_size = "8pt"
        fig.xaxis.axis_label_text_font_style = "normal"
        self.figure = fig

    def update(self, values: np.ndarray, title: str, label: str, marks: Any = None) -> None:
        """Show ``values`` (NaN: no bar) with ``title`` and the x axis ``label``."""
        data = {"value": np.nan_to_num(values, nan=0.0).tolist()}
        if marks is not None:
            data["mark"] = np.nan_to_num(marks, nan=0.0).tolist()
        self.source.data.update(data)
        self.figure.title.text = title
        self.figure.xaxis.axis_label = label


def _bounds_text(thresholds: dict[str, tuple[str, float]]) -> str:
    """The thresholds, one a line: ``killed_both <= 2``."""
    return "\n".join(
        f"{o} {'<=' if k == 'max' else '>='} {b:g}" for o, (k, b) in thresholds.items()
    )


# --- opening a directory ------------------------------------------------------------------------


def open_results(path: str | Path) -> Results | Comparison | Sweep:
    """The finished results in ``path`` (see :func:`drawdown_sim.load`).

    Raises:
        ManifestError: missing, damaged or of another format; one line.
        FileNotFoundError: a table the manifest promises is missing.
    """
    from ..analysis.loading import load

    return load(path)


def _panel() -> Any:
    try:
        import panel as pn
    except ImportError:
        raise ImportError(PANEL_MISSING) from None
    return pn


def _figure_pane(pn: Any, draw: Callable[..., Figure], *widgets: Any) -> Any:
    """One pane showing ``draw(*values)``, redrawn in place when a widget changes: only the
    new image goes to the browser, not a new pane. A slider's ``param.value_throttled`` among
    ``widgets`` redraws once it is let go, not at every step of a drag."""
    return pn.pane.Matplotlib(
        pn.bind(draw, *widgets),
        dpi=90,
        tight=False,
        format="png",
        sizing_mode="stretch_width",
        max_width=900,
    )


def run_app(results: Results) -> Any:
    pn = _panel()
    columns = Columns({results.name: results})
    periods = period_outcomes(results)
    period = pn.widgets.Select(name="Period", options=list(periods), value="window")
    outcome = pn.widgets.Select(name="Outcome", options=periods["window"], value="killed")

    def _outcomes(event: Any) -> None:
        outcome.options = periods[event.new]

    period.param.watch(_outcomes, "value")
    series = pn.widgets.Select(name="Series", options=list(SERIES_LABELS), value="personnel")
    tabs = [
        (
            "Distributions",
            pn.Row(
                pn.Column(outcome, period, width=230),
                _figure_pane(
                    pn,
                    lambda o, p: distribution_figure(columns, results.name, o, p),
                    outcome,
                    period,
                ),
            ),
        ),
        (
            "Fan charts",
            pn.Row(
                pn.Column(series, width=230),
                _figure_pane(pn, lambda s: fan_figure(results, s), series),
            ),
        ),
    ]
    events = results.events
    if events is not None and not events.empty:
        traced = sorted(int(r) for r in events["replication"].unique())
        which = pn.widgets.Select(name="Replication", options=traced, value=traced[0])
        tabs.append(
            (
                "Stories",
                pn.Column(
                    which,
                    _figure_pane(pn, lambda r: story_figure(results, r), which),
                    pn.pane.DataFrame(
                        pn.bind(lambda r: story_events(results, r), which),
                        index=False,
                        max_height=300,
                    ),
                ),
            )
        )
    return pn.Column(f"## Run {results.name}", pn.pane.Str(repr(results)), pn.Tabs(*tabs))


def compare_app(comparison: Comparison) -> Any:
    pn = _panel()
    options = comparison.options
    columns = Columns(dict(comparison.results))
    outcomes = [o for o in OUTCOMES if np.isfinite(columns.get(options[0], o)).any()]
    reference = pn.widgets.Select(name="Reference", options=options, value=comparison.reference)
    chosen = pn.widgets.MultiChoice(
        name="Outcomes",
        options=outcomes,
        value=[o for o in ("killed", "isis_attacks") if o in outcomes],
    )
    x = pn.widgets.Select(name="x axis", options=outcomes, value="killed")
    y = pn.widgets.Select(
        name="y axis",
        options=outcomes,
        value="isis_attacks" if "isis_attacks" in outcomes else outcomes[0],
    )
    exceed = pn.widgets.Select(name="Exceedance of", options=outcomes, value="killed")
    return pn.Column(
        f"## Comparison of {len(options)} options",
        pn.pane.Str(repr(comparison)),
        pn.Tabs(
            (
                "Paired differences",
                pn.Row(
                    pn.Column(reference, chosen, width=260),
                    _figure_pane(
                        pn,
                        lambda r, o: differences_figure(columns, options, r, o),
                        reference,
                        chosen,
                    ),
                ),
            ),
            (
                "Trade-off",
                pn.Row(
                    pn.Column(x, y, width=260),
                    _figure_pane(pn, lambda a, b: tradeoff_figure(columns, options, a, b), x, y),
                ),
            ),
            (
                "Exceedance",
                pn.Row(
                    pn.Column(exceed, width=260),
                    _figure_pane(pn, lambda o: exceedance_figure(columns, options, o), exceed),
                ),
            ),
        ),
    )


def sweep_app(sweep: Sweep) -> Any:
    pn = _panel()
    frame = sweep.frame
    options = sweep.options
    parameters = list(sweep.parameters)
    judged = list(sweep.study.outcomes)
    tables = SweepTables(frame, parameters, options)
    outcome = pn.widgets.Select(name="Outcome", options=judged, value=judged[0])
    sliders = []
    for parameter in parameters:
        values = frame[parameter].astype(float)
        low, high = float(values.min()), float(values.max())
        sliders.append(
            pn.widgets.RangeSlider(
                name=parameter, start=low, end=high, value=(low, high), step=(high - low) / 100 or 1
            )
        )
    limits = []
    for name, bound in sweep.study.thresholds.items():
        kind = "max" if bound.max is not None else "min"
        value = bound.max if bound.max is not None else bound.min
        assert value is not None
        values = frame[name].astype(float)
        low, high = float(min(values.min(), value)), float(max(values.max(), value))
        limits.append(
            (
                name,
                kind,
                pn.widgets.FloatSlider(
                    name=f"{name} {'<=' if kind == 'max' else '>='}",
                    start=low,
                    end=high,
                    value=float(value),
                    step=(high - low) / 200 or 1,
                ),
            )
        )

    def mask(*ranges: tuple[float, float]) -> np.ndarray:
        return tables.mask(dict(zip(parameters, ranges, strict=True)))

    parallel = ParallelView(tables)

    def show(o: str, *ranges: tuple[float, float]) -> None:
        parallel.update(o, mask(*ranges))

    satisficing = BarsView("satisficing", options)
    regret = BarsView("regret", options, marks="90th percentile")

    def satisfied(*values: Any) -> None:
        ranges, bounds = values[: len(parameters)], values[len(parameters) :]
        thresholds = {
            name: (kind, float(b)) for (name, kind, _), b in zip(limits, bounds, strict=True)
        }
        inside = mask(*ranges)
        satisficing.update(
            tables.satisficing(inside, thresholds),
            f"Satisficing over {int(inside.sum())} states\n"
            f"{_bounds_text(thresholds) or 'no thresholds'}",
            "share of states meeting every threshold",
        )

    def regretted(o: str, *ranges: tuple[float, float]) -> None:
        inside = mask(*ranges)
        mean, p90 = tables.regret(o, inside)
        regret.update(
            mean,
            f"Regret in {o.replace('_', ' ')} over {int(inside.sum())} states\n(bar: mean)",
            f"regret in {outcome_label(o)}",
            p90,
        )

    filters = [s.param.value_throttled for s in sliders]
    bounds = [s.param.value_throttled for _, _, s in limits]
    ranges = [s.value for s in sliders]
    show(outcome.value, *ranges)
    satisfied(*ranges, *[s.value for _, _, s in limits])
    regretted(outcome.value, *ranges)
    pn.bind(show, outcome, *filters, watch=True)
    pn.bind(satisfied, *filters, *bounds, watch=True)
    pn.bind(regretted, outcome, *filters, watch=True)
    return pn.Column(
        f"## Sweep {sweep.study.name}",
        pn.pane.Str(repr(sweep)),
        pn.Row(
            pn.Column(
                outcome,
                "**Filter the states**",
                *sliders,
                "**Thresholds**",
                *[s for _, _, s in limits],
                width=300,
            ),
            pn.Column(
                pn.pane.Bokeh(parallel.figure, sizing_mode="stretch_width", max_width=900),
                pn.Row(pn.pane.Bokeh(satisficing.figure), pn.pane.Bokeh(regret.figure)),
            ),
        ),
    )


def app(results: Results | Comparison | Sweep) -> Any:
    """The explorer of loaded results (a Panel layout)."""
    from ..analysis.comparison import Comparison
    from ..analysis.results import Results

    if isinstance(results, Results):
        return run_app(results)
    if isinstance(results, Comparison):
        return compare_app(results)
    return sweep_app(results)


def explore(path: str | Path) -> Any:
    """The explorer of the results in ``path``, for JupyterLab (display it as a cell's
    value). Loads Panel's notebook extension.

    Raises:
        ManifestError: no finished results there, or a damaged or older directory.
        ImportError: Panel is not installed (the ``explore`` extra).
    """
    results = open_results(path)
    pn = _panel()
    pn.extension()
    return app(results)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _quiet_closed_sockets(loop: Any) -> None:
    """Leave unreported the writes to a browser tab that has closed (tornado's
    ``WebSocketClosedError``, ``StreamClosedError``): routine when a tab goes, they would
    otherwise print a traceback each as the server stops."""
    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError

    def handler(loop: Any, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), WebSocketClosedError | StreamClosedError):
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


def serve(
    path: str | Path,
    port: int | None = None,
    show: bool = True,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve the explorer of ``path`` on 127.0.0.1 until Ctrl-C (Panel stops its server
    cleanly on SIGINT); ``announce`` is called with its address once it listens.

    Raises:
        ManifestError, FileNotFoundError: the directory cannot be opened (before serving).
        OSError: the port is taken.
    """
    results = open_results(path)
    pn = _panel()
    port = free_port() if port is None else port
    address = f"http://127.0.0.1:{port}/"
    server = pn.serve(
        lambda: app(results),
        port=port,
        address="127.0.0.1",
        websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"],
        show=show,
        start=False,
        verbose=False,
        title=f"drawdown-sim explore {Path(path).name}",
    )
    _quiet_closed_sockets(server.io_loop.asyncio_loop)
    if announce is not None:
        announce(address)
    server.start()
    try:
        server.io_loop.start()
    finally:
        server.stop()
