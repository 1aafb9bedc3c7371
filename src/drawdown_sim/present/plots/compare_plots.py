"""Plots comparing options: distributions, paired differences, the casualty / ISIS trade-off
and overlaid fan charts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...series.daily import UNITS
from ._common import PNG, date_axis, mark_plan, new_axes, option_colour, option_marker, save
from .completion_plots import plot_completion

if TYPE_CHECKING:
    from ...analysis.comparison import Comparison


def label(outcome: str) -> str:
    """A readable label for an outcome column, follow-on included."""
    base = outcome.removesuffix("_follow_on")
    text = OUTCOME_LABELS.get(base, base.replace("_", " "))
    return f"{text} (follow-on)" if base != outcome else text


OUTCOME_LABELS = {
    "attacks": "militia attacks",
    "casualties": "coalition killed + wounded",
    "killed": "coalition killed",
    "wounded": "coalition wounded",
    "slip_days": "slip (days)",
    "isis_attacks": "ISIS attacks",
    "isis_resurgence": "P(ISIS resurgence)",
    "option_cancelled": "P(option cancelled)",
    "political_pressure_peak": "peak political pressure",
}
PANELS = ("attacks", "casualties", "isis_attacks")
"""Outcomes drawn per option: over the window, then (with a follow-on) over the follow-on."""


def _title(comparison: Comparison) -> str:
    first = next(iter(comparison.results.values()))
    return (
        f"{len(comparison.results)} options, {first.replications:,} paired replications, "
        f"seed {first.seed}"
    )


def _values(comparison: Comparison, option: str, outcome: str) -> np.ndarray:
    """One outcome of one option (casualties = killed + wounded), read column by column."""
    result = comparison.results[option]
    if outcome.startswith("casualties"):
        suffix = outcome.removeprefix("casualties")
        values = result.column(f"killed{suffix}") + result.column(f"wounded{suffix}")
    else:
        values = result.column(outcome)
    return values[np.isfinite(values)]


def plot_option_distributions(
    comparison: Comparison, outcome: str = "attacks", ax: Axes | None = None
) -> Axes:
    """Box plots (with a sample of points) of one outcome, side by side per option."""
    ax = new_axes(ax, (6, 4))
    options = comparison.options
    data = [_values(comparison, o, outcome) for o in options]
    ax.boxplot(data, tick_labels=options, showfliers=False, whis=(5, 95))
    rng = np.random.default_rng(0)  # jitter only: fixed so plots are reproducible
    for i, values in enumerate(data, start=1):
        sample = values[rng.permutation(values.size)[:300]]
        colour = option_colour(options[i - 1])
        ax.scatter(i + rng.uniform(-0.18, 0.18, sample.size), sample, s=4, alpha=0.3, color=colour)
        ax.scatter([i], [values.mean()], marker="D", color="C3", zorder=3, s=25)
    ax.set_ylabel(label(outcome))
    ax.tick_params(axis="x", rotation=20)
    ax.set_title(
        label(outcome).capitalize() + " (whiskers 5-95%, diamond = mean)",
        fontsize=9,
    )
    return ax


def plot_forest(comparison: Comparison, outcome: str = "attacks", ax: Axes | None = None) -> Axes:
    """Paired mean difference to the reference with its 95% bootstrap interval."""
    ax = new_axes(ax, (6, 3))
    t = comparison.table
    rows = t[(t["outcome"] == outcome) & (t["option"] != comparison.reference)]
    y = np.arange(len(rows))
    # The interval is drawn as it is, from its ends: a percentile interval need not be
    # centred on the mean (and with skewed paired differences may even sit beside it).
    ax.hlines(y, rows["diff_lo"], rows["diff_hi"], color="C0", lw=1.5)
    ax.plot(rows["diff_lo"], y, "|", rows["diff_hi"], y, "|", color="C0", ms=8)
    ax.plot(rows["diff_mean"], y, "o", color="C0")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, rows["option"])
    ax.set_xlabel(f"{label(outcome)}: option - {comparison.reference}")
    ax.set_title(f"{outcome}: paired difference, 95% interval", fontsize=9)
    return ax


def _paired_totals(comparison: Comparison, option: str, outcome: str) -> pd.Series:
    """Per replication, ``outcome`` over the whole horizon (window plus any follow-on)."""
    result = comparison.results[option]
    parts = ["killed", "wounded"] if outcome == "casualties" else [outcome]
    columns = parts + ([f"{p}_follow_on" for p in parts] if _has_follow_on(comparison) else [])
    total = sum(result.column(c) for c in columns)
    return pd.Series(total, index=result.column("replication").astype(np.int64))


def plot_tradeoff(comparison: Comparison, ax: Axes | None = None) -> Axes:
    """The decision: each option's paired mean difference to the reference in coalition
    casualties (x) and ISIS attacks (y), with 95% intervals as a cross (normal approximation
    to the paired mean); quadrants say which way is better."""
    ax = new_axes(ax, (7.5, 4.2))
    reference = comparison.reference
    period = "window + follow-on" if _has_follow_on(comparison) else "window"
    ref_x = _paired_totals(comparison, reference, "casualties")
    ref_y = _paired_totals(comparison, reference, "isis_attacks")
    for option in comparison.options:
        if option == reference:
            continue
        dx = (_paired_totals(comparison, option, "casualties") - ref_x).dropna().to_numpy()
        dy = (_paired_totals(comparison, option, "isis_attacks") - ref_y).dropna().to_numpy()
        if dx.size < 2 or dy.size < 2:
            continue
        hx = 1.96 * dx.std(ddof=1) / np.sqrt(dx.size)
        hy = 1.96 * dy.std(ddof=1) / np.sqrt(dy.size)
        ax.errorbar(
            [dx.mean()],
            [dy.mean()],
            xerr=[[hx], [hx]],
            yerr=[[hy], [hy]],
            fmt=option_marker(option),
            capsize=4,
            color=option_colour(option),
            label=option,
            ms=8,
        )
    # Options are named in the legend beside the axes, never on the points: names written
    # next to points that sit close together run over one another.
    ax.plot([0], [0], marker="*", color="k", ms=12, ls="none", label=f"{reference} (reference)")
    ax.axhline(0, color="0.4", lw=0.8)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.margins(0.25)
    corners = (
        (0.02, 0.04, "left", "bottom", "fewer casualties,\nfewer ISIS attacks"),
        (0.98, 0.96, "right", "top", "more casualties,\nmore ISIS attacks"),
        (0.02, 0.96, "left", "top", "fewer casualties,\nmore ISIS attacks"),
        (0.98, 0.04, "right", "bottom", "more casualties,\nfewer ISIS attacks"),
    )
    for x, y, ha, va, text in corners:
        ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=8, color="0.45")
    ax.set_xlabel("coalition killed + wounded: option - reference")
    ax.set_ylabel("ISIS attacks on Iraqi forces:\noption - reference")
    ax.set_title(
        f"Trade-off against {reference} ({period}): paired mean differences, 95% intervals\n"
        f"{_title(comparison)}",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


SKEWED_SERIES = ("attack_intensity", "attacks", "isis_rate")
"""Series whose spread across replications is mostly campaigns in a few of them: their
medians sit near zero and one option's quartiles dwarf every other option's."""


def plot_overlaid_fans(
    comparison: Comparison, series: str = "personnel", ax: Axes | None = None
) -> Axes:
    """A daily series for every option: the median with its 25% and 75% quantiles as thin
    lines (no filled band that would hide the other options), or, for a skewed series such
    as the attack intensity, the mean on a log scale, so that an option whose campaigns make
    it ten times another's does not flatten the others to the axis."""
    ax = new_axes(ax)
    skewed = series in SKEWED_SERIES
    count = len(comparison.results)
    for k, (option, result) in enumerate(comparison.results.items()):
        s = result.series
        dates = list(s["date"])
        colour = option_colour(option)
        # Each line a little thinner than the one before: where two options' lines coincide
        # (two plans with the same residual), the earlier shows round the later.
        width = 1.2 + 2.4 * (count - k) / count
        if skewed:
            ax.plot(dates, s[f"{series}_mean"], color=colour, lw=width, label=f"{option} mean")
            continue
        for edge in ("q25", "q75"):
            ax.plot(dates, s[f"{series}_{edge}"], color=colour, lw=0.6, ls=(0, (2, 2)))
        ax.plot(dates, s[f"{series}_q50"], color=colour, lw=width, label=f"{option} median")
    mark_plan(ax, comparison.results[comparison.reference].scenario, phases=False)
    date_axis(ax)
    ax.set_ylabel(UNITS[series] + (" (log scale)" if skewed else ""))
    if skewed:
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("log")
        ax.set_ylim(bottom=1e-3)  # an option with no one left falls to zero: off the axis
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    else:
        ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    what = "mean over replications" if skewed else "median solid, 25% and 75% dotted"
    ax.set_title(
        f"{series.replace('_', ' ').capitalize()} by option ({what}; {_title(comparison)})",
        fontsize=9,
    )
    return ax


FOREST_PANELS = ("attacks", "wounded", "isis_attacks")


def _has_follow_on(comparison: Comparison) -> bool:
    return comparison.results[comparison.reference].scenario.follow_on is not None


def _grid(comparison: Comparison, draw: str) -> Figure:
    """One row for the window and, with a follow-on period, one for the follow-on."""
    base = PANELS if draw == "box" else FOREST_PANELS
    rows = [("", "the window")]
    if _has_follow_on(comparison):
        rows.append(("_follow_on", "the follow-on"))
    fig, axes = plt.subplots(
        len(rows), len(base), figsize=(15, 4.2 * len(rows)), layout="constrained", squeeze=False
    )
    for (suffix, period), row in zip(rows, axes, strict=True):
        for ax, outcome in zip(row, base, strict=True):
            if draw == "box":
                plot_option_distributions(comparison, f"{outcome}{suffix}", ax=ax)
            else:
                plot_forest(comparison, f"{outcome}{suffix}", ax=ax)
            text = label(outcome)
            what = "paired difference, 95% interval" if draw != "box" else ""
            ax.set_title(
                f"{text[0].upper()}{text[1:]}, {period}" + (f": {what}" if what else ""), fontsize=9
            )
    note = "whiskers 5-95%, diamond = mean" if draw == "box" else "option minus reference"
    fig.suptitle(f"{_title(comparison)} ({note})", fontsize=10)
    return fig


def write_compare_plots(comparison: Comparison, formats: Sequence[str] = PNG) -> list[Path]:
    """Every plot of a comparison into ``<comparison>/plots/``, in each of ``formats``."""
    assert comparison.path is not None
    folder = comparison.path / "plots"
    written = [
        save(_grid(comparison, "box"), folder / "distributions.png", formats=formats),
        save(_grid(comparison, "forest"), folder / "differences.png", formats=formats),
    ]
    ax = plot_tradeoff(comparison)
    written.append(save(ax.figure, folder / "tradeoff.png", formats=formats))  # type: ignore[arg-type]
    fig, axes = plt.subplots(2, 1, figsize=(10, 8), layout="constrained")
    plot_overlaid_fans(comparison, "personnel", ax=axes[0])
    plot_overlaid_fans(comparison, "attack_intensity", ax=axes[1])
    written.append(save(fig, folder / "fans.png", formats=formats))
    ax = plot_completion(comparison.results)
    written.append(save(ax.figure, folder / "completion.png", formats=formats))  # type: ignore[arg-type]
    return written
