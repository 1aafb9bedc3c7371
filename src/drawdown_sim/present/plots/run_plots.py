"""Plots of one run: fan charts, escalation occupancy, outcome distributions, a traced story."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...analysis.results import Results
from ...series.daily import UNITS
from ._common import PNG, date_axis, day_dates, mark_plan, mark_window_end, new_axes, save
from .completion_plots import plot_completion

FAN_SERIES = ("personnel", "attack_intensity", "political_pressure")
DISTRIBUTIONS = {
    "attacks": ("Militia attacks", "attacks in the window"),
    "casualties": ("Coalition casualties", "killed + wounded"),
    "slip_days": ("Drawdown slip (finished runs)", "days after the planned end"),
    "isis_attacks": ("ISIS attacks on Iraqi forces", "attacks in the window"),
}
LEVEL_COLORS = ("#4daf4a", "#ffd92f", "#fc8d62", "#b2182b")
LEVEL_LABELS = ("0 calm", "1 tense", "2 crisis", "3 regional war")


def plot_fan(results: Results, series: str = "personnel", ax: Axes | None = None) -> Axes:
    """Daily median, 25-75% and 5-95% bands and mean of a series, with the plan marked."""
    ax = new_axes(ax)
    s = results.series
    dates = list(s["date"])
    ax.fill_between(
        dates, s[f"{series}_q05"], s[f"{series}_q95"], color="C0", alpha=0.18, lw=0, label="5-95%"
    )
    ax.fill_between(
        dates, s[f"{series}_q25"], s[f"{series}_q75"], color="C0", alpha=0.35, lw=0, label="25-75%"
    )
    ax.plot(dates, s[f"{series}_q50"], color="C0", lw=1.6, label="median")
    ax.plot(dates, s[f"{series}_mean"], color="k", lw=1.0, ls=":", label="mean")
    scenario = results.scenario
    mark_plan(ax, scenario)
    date_axis(ax)
    ax.set_ylabel(UNITS[series])
    title = f"{series.replace('_', ' ').capitalize()}: {results.label}"
    if series == "attack_intensity":
        # Restraint and campaign differ a hundredfold: on a linear axis the restraint
        # majority is a line at zero under a campaign band. A log axis shows both modes.
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        title += " (log scale above 0.001)"
    else:
        ax.set_ylim(bottom=0)
    if series == "political_pressure" and scenario.politics.enabled:
        p = scenario.politics
        for level, text, color in (
            (p.accelerate_at, "acceleration threshold", "#e08214"),
            (p.expel_at, "expulsion threshold", "#b2182b"),
        ):
            ax.axhline(level, color=color, lw=1.2, ls="--", label=f"{text} ({level:g})")
        ax.set_ylim(0, max(ax.get_ylim()[1], p.expel_at * 1.08))
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


def plot_escalation(results: Results, ax: Axes | None = None) -> Axes:
    """Share of replications at each escalation level, day by day."""
    ax = new_axes(ax)
    s = results.series
    shares = [s[f"escalation_share_{level}"].to_numpy() for level in range(4)]
    ax.stackplot(list(s["date"]), *shares, colors=LEVEL_COLORS, labels=LEVEL_LABELS, alpha=0.9)
    mark_plan(ax, results.scenario, phases=False)
    date_axis(ax)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of replications")
    ax.set_title(f"Escalation level occupancy: {results.label}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


def _values(results: Results, outcome: str) -> np.ndarray:
    if outcome == "casualties":
        return results.column("killed") + results.column("wounded")
    return results.column(outcome)


def _bins(values: np.ndarray) -> np.ndarray | int:
    """About 60 bins; for counts, bins of whole numbers so no bar straddles a gap."""
    if values.size == 0 or not np.all(values == np.round(values)):
        return 60
    lo, hi = values.min(), values.max()
    width = max(1.0, np.ceil((hi - lo + 1) / 60))
    return np.arange(lo - 0.5, hi + width + 0.5, width)


def plot_distribution(results: Results, outcome: str = "attacks", ax: Axes | None = None) -> Axes:
    """Histogram of an outcome across replications with its empirical CDF."""
    ax = new_axes(ax, (5.0, 3.6))
    title, unit = DISTRIBUTIONS.get(outcome, (outcome, outcome))
    from ...scenario.outcomes import not_applicable

    if outcome in not_applicable(results.scenario):
        ax.text(
            0.5,
            0.5,
            "n/a: no drawdown plan in this scenario",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="0.4",
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=10)
        return ax
    values = _values(results, outcome)
    values = values[np.isfinite(values)]
    # A few extreme replications (a campaign's mass-casualty attacks) would stretch the axis
    # and squeeze every other bar into a sliver: the axis ends at the 95th percentile when
    # the maximum lies far beyond it, and the runs beyond are counted in the axis label.
    shown, beyond = values, 0
    if values.size >= 100:
        cap = float(np.quantile(values, 0.95))
        if values.max() > 3.0 * cap + 1.0:
            shown = values[values <= cap]
            beyond = values.size - shown.size
    ax.hist(shown, bins=_bins(shown), color="C0", alpha=0.7)
    ax.set_xlabel(unit)
    ax.set_ylabel("replications")
    ecdf = ax.twinx()
    ecdf.ecdf(values, color="C3", lw=1.4)
    ecdf.set_ylim(0, 1)
    if beyond:
        ax.set_xlim(float(shown.min()) - 1.0, float(shown.max()) + 1.0)
        ax.set_xlabel(
            f"{unit}\n(cut at the 95th percentile; {beyond} runs beyond, max {values.max():,.0f})"
        )
    ecdf.set_ylabel("cumulative share", color="C3")
    if values.size:  # the mean is named in the title, not in a legend over the bars
        ax.axvline(values.mean(), color="k", ls=":", lw=1)
        title = f"{title} (dotted: mean {values.mean():,.1f})"
    ax.set_title(title, fontsize=10)
    return ax


def plot_distributions(results: Results) -> Figure:
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), layout="constrained")
    for ax, outcome in zip(axes.flat, DISTRIBUTIONS, strict=True):
        plot_distribution(results, outcome, ax=ax)
    fig.suptitle(f"Outcome distributions: {results.label}", fontsize=11)
    return fig


def plot_trace(results: Results, replication: int | None = None, ax: Axes | None = None) -> Axes:
    """One traced replication's story: personnel, escalation, posture, and marks for shocks,
    attacks, strikes and movements."""
    if results.events is None or results.events.empty:
        raise ValueError("no traced replications; run with --trace N")
    events = results.events
    if replication is None:
        replication = int(events["replication"].min())
    e = events[events["replication"] == replication]
    scenario = results.scenario
    ax = new_axes(ax, (11, 5))
    horizon = scenario.horizon_days

    def steps(kind: str, initial: str) -> tuple[np.ndarray, np.ndarray]:
        rows = e[e["kind"].isin([initial, kind])]
        t = np.append(rows["time"].to_numpy(), horizon)
        v = np.append(rows["value"].to_numpy(), rows["value"].to_numpy()[-1])
        return t, v

    t, personnel = steps("personnel", "initial_personnel")
    ax.step(
        day_dates(scenario, t),
        personnel,
        where="post",
        color="C0",
        lw=1.8,
        label="personnel in Iraq",
    )
    ax.set_ylabel("personnel in Iraq")
    ax.set_ylim(0, max(personnel.max() * 1.15, 1))
    level = ax.twinx()
    t, esc = steps("escalation", "initial_escalation")
    level.step(
        day_dates(scenario, t), esc, where="post", color="C3", lw=1.4, label="escalation level"
    )
    t, posture = steps("posture", "initial_posture")
    for start, end, value in zip(t[:-1], t[1:], posture[:-1], strict=True):
        if value > 0:
            level.axvspan(*day_dates(scenario, [start, end]), color="C1", alpha=0.15, lw=0)
    level.set_ylim(-0.2, 3.6)
    level.set_yticks(range(4), LEVEL_LABELS, fontsize=8)
    marks = (
        ("attack", "x", "k", "attack"),
        ("strike", "v", "C4", "US strike"),
        ("shock", "*", "C3", "regional shock"),
        ("de-escalation", "*", "C2", "de-escalation"),
        ("movement", "|", "C0", "movement"),
    )
    for kind, marker, color, label in marks:
        rows = e[e["kind"] == kind]
        if not rows.empty:
            y = {"attack": 3.35, "strike": 3.15, "movement": -0.05}.get(kind, 3.5)
            level.scatter(
                day_dates(scenario, rows["time"]),
                np.full(len(rows), y),
                marker=marker,
                color=color,
                s=28,
                label=label,
                zorder=3,
            )
    level.fill_between([], [], color="C1", alpha=0.15, label="militia campaign")
    mark_window_end(ax, scenario)
    date_axis(ax)
    handles = ax.get_legend_handles_labels()
    more = level.get_legend_handles_labels()
    ax.legend(
        handles[0] + more[0],
        handles[1] + more[1],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=7,
        fontsize=7,
    )
    ax.set_title(f"Replication {replication} of {results.label}", fontsize=10)
    return ax


def write_run_plots(results: Results, formats: Sequence[str] = PNG) -> list[Path]:
    """Every plot of a run into ``<results>/plots/``, in each of ``formats``."""
    assert results.path is not None
    folder = results.path / "plots"
    written = []
    for series in FAN_SERIES:
        ax = plot_fan(results, series)
        written.append(save(ax.figure, folder / f"fan_{series}.png", formats=formats))  # type: ignore[arg-type]
    ax = plot_escalation(results)
    written.append(save(ax.figure, folder / "escalation.png", formats=formats))  # type: ignore[arg-type]
    if results.scenario.planned_end_day is not None:
        ax = plot_completion({results.name: results})
        written.append(save(ax.figure, folder / "completion.png", formats=formats))  # type: ignore[arg-type]
    written.append(save(plot_distributions(results), folder / "distributions.png", formats=formats))
    if results.events is not None and not results.events.empty:
        ax = plot_trace(results)
        written.append(save(ax.figure, folder / "trace.png", formats=formats))  # type: ignore[arg-type]
    return written
