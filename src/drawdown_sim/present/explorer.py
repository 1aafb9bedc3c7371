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
    one (the ``*_follow_on`` columns, named by their window outcome)."""
    window = [o for o in OUTCOMES if not o.endswith("_follow_on")]
    periods = {"window": window}
    if results.scenario.follow_on is not None:
        periods["follow_on"] = [
            o.removesuffix("_follow_on") for o in OUTCOMES if o.endswith("_follow_on")
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
    ax.hist(values, bins=bins, color=option_color(0), alpha=0.75)
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

    fig = Figure(figsize=(9, 4.5), layout="constrained")
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


def filtered_states(frame: pd.DataFrame, ranges: dict[str, tuple[float, float]]) -> np.ndarray:
    """The states whose every parameter lies in its range (inclusive)."""
    by_state = frame.drop_duplicates("state").set_index("state")
    keep = np.ones(len(by_state), dtype=bool)
    for parameter, (low, high) in ranges.items():
        values = by_state[parameter].to_numpy(dtype=float)
        keep &= (values >= low - 1e-12) & (values <= high + 1e-12)
    return by_state.index.to_numpy()[keep]


def _pivot(frame: pd.DataFrame, outcome: str, options: Sequence[str]) -> pd.DataFrame:
    """States x options table of an outcome's state means."""
    return frame.pivot(index="state", columns="option", values=outcome)[list(options)]


def best_option(frame: pd.DataFrame, outcome: str, options: Sequence[str]) -> pd.Series:
    """Per state, the option with the best mean of ``outcome`` (lowest unless higher is
    better)."""
    table = _pivot(frame, outcome, options)
    chosen = table.idxmax(axis=1) if direction(outcome) == "higher" else table.idxmin(axis=1)
    return chosen


def regret(
    frame: pd.DataFrame, outcome: str, options: Sequence[str], states: np.ndarray
) -> pd.DataFrame:
    """Per option over ``states``: mean and 90th percentile of regret (how far its mean is
    from the best option's in each state, in the outcome's unit)."""
    table = _pivot(frame, outcome, options).loc[states]
    higher = direction(outcome) == "higher"
    best = table.max(axis=1) if higher else table.min(axis=1)
    gaps = (
        (best.to_numpy()[:, None] - table.to_numpy())
        if higher
        else (table.to_numpy() - best.to_numpy()[:, None])
    )
    rows = []
    for at, option in enumerate(options):
        column = gaps[:, at][np.isfinite(gaps[:, at])]
        rows.append(
            {
                "option": option,
                "regret_mean": float(column.mean()) if column.size else math.nan,
                "regret_p90": float(np.quantile(column, 0.9)) if column.size else math.nan,
            }
        )
    return pd.DataFrame(rows)


def satisficing(
    frame: pd.DataFrame,
    options: Sequence[str],
    states: np.ndarray,
    thresholds: dict[str, tuple[str, float]],
) -> pd.Series:
    """Per option: the share of ``states`` in which every threshold (outcome -> (``max`` or
    ``min``, bound)) holds."""
    met = pd.DataFrame(True, index=states, columns=list(options))
    for outcome, (kind, bound) in thresholds.items():
        table = _pivot(frame, outcome, options).loc[states]
        met &= (table <= bound) if kind == "max" else (table >= bound)
    return met.mean(axis=0) if len(states) else pd.Series(math.nan, index=list(options))


def _short(parameter: str) -> str:
    """A parameter's axis label: its last two parts (``campaign.attack_rate``)."""
    return ".".join(parameter.split(".")[-2:])


def parallel_figure(
    frame: pd.DataFrame,
    parameters: Sequence[str],
    options: Sequence[str],
    outcome: str,
    states: np.ndarray,
) -> Figure:
    """Parallel coordinates of the states (each parameter scaled to its range), the states
    in the filter coloured by their best option, the others grey."""
    fig = _figure((8.5, 5.2), bottom=0.3, right=0.8)
    ax = fig.subplots()
    by_state = frame.drop_duplicates("state").set_index("state")[list(parameters)].astype(float)
    low, high = by_state.min(), by_state.max()
    scaled = (by_state - low) / (high - low).replace(0, 1)
    best = best_option(frame, outcome, options)
    inside = np.isin(scaled.index.to_numpy(), states)
    xs = np.arange(len(parameters))
    # One line collection each for the states outside (grey) and inside the filter: a
    # thousand states draw as two artists, not a thousand.
    from matplotlib.collections import LineCollection

    outside = scaled[~inside].to_numpy()
    ax.add_collection(
        LineCollection([np.column_stack([xs, row]) for row in outside], colors="0.85", lw=0.6)
    )
    kept = scaled[inside]
    colors = [option_color(list(options).index(best.loc[state])) for state in kept.index]
    ax.add_collection(
        LineCollection(
            [np.column_stack([xs, row]) for row in kept.to_numpy()],
            colors=colors,
            lw=0.9,
            alpha=0.8,
        )
    )
    ax.set_xlim(-0.3, len(parameters) - 0.7)
    ax.set_ylim(-0.03, 1.03)
    for i, option in enumerate(options):
        ax.plot([], [], color=option_color(i), label=f"best: {option}")
    ax.set_xticks(xs, [_short(p) for p in parameters], fontsize=7, rotation=60, ha="right")
    ax.set_ylabel("parameter, scaled to its range (0-1)")
    ax.set_title(
        f"States ({int(inside.sum())} of {len(scaled)} in the filter), coloured by the best "
        f"option for {outcome.replace('_', ' ')}",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def robustness_figure(
    frame: pd.DataFrame,
    options: Sequence[str],
    outcome: str,
    states: np.ndarray,
    thresholds: dict[str, tuple[str, float]],
) -> Figure:
    """Satisficing (share of the filtered states meeting every threshold) and regret (mean
    and 90th percentile) of each option, over the filtered states."""
    fig = _figure(left=0.17, right=0.97, top=0.82, wspace=0.2)
    left, right = fig.subplots(1, 2)
    colors = [option_color(i) for i in range(len(options))]
    shares = satisficing(frame, options, states, thresholds)
    left.barh(range(len(options)), shares.to_numpy(), color=colors)
    left.set_yticks(range(len(options)), list(options), fontsize=8)
    left.set_xlim(0, 1)
    left.set_xticks([0, 0.25, 0.5, 0.75, 1])
    left.set_xlabel("share of states meeting every threshold")
    bounds = ", ".join(
        f"{o} {'<=' if k == 'max' else '>='} {b:g}" for o, (k, b) in thresholds.items()
    )
    left.set_title(f"Satisficing\n{bounds or 'no thresholds'}", fontsize=8)
    table = regret(frame, outcome, options, states)
    right.barh(range(len(options)), table["regret_mean"], color=colors)
    right.scatter(
        table["regret_p90"],
        range(len(options)),
        marker="|",
        s=200,
        color="k",
        label="90th percentile",
        zorder=3,
    )
    right.set_yticks(range(len(options)), [""] * len(options))
    right.set_xlabel(f"regret in {outcome_label(outcome)}")
    right.set_title(f"Regret over {len(states)} states\n(bar: mean)", fontsize=8)
    right.legend(fontsize=7)
    return fig


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
    """A pane showing ``draw(*values)``, redrawn when a widget changes."""

    def render(*values: Any) -> Any:
        return pn.pane.Matplotlib(
            draw(*values),
            dpi=90,
            tight=False,
            format="png",
            sizing_mode="stretch_width",
            max_width=900,
        )

    return pn.bind(render, *widgets)


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
                    pn.bind(
                        lambda r: pn.pane.DataFrame(
                            story_events(results, r), index=False, max_height=300
                        ),
                        which,
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

    def states(*ranges: tuple[float, float]) -> np.ndarray:
        return filtered_states(frame, dict(zip(parameters, ranges, strict=True)))

    def parallel(o: str, *ranges: tuple[float, float]) -> Figure:
        return parallel_figure(frame, parameters, options, o, states(*ranges))

    def robust(o: str, *values: Any) -> Figure:
        ranges, bounds = values[: len(parameters)], values[len(parameters) :]
        thresholds = {
            name: (kind, float(b)) for (name, kind, _), b in zip(limits, bounds, strict=True)
        }
        return robustness_figure(frame, options, o, states(*ranges), thresholds)

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
                _figure_pane(pn, parallel, outcome, *sliders),
                _figure_pane(pn, robust, outcome, *sliders, *[s for _, _, s in limits]),
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
