"""Plots comparing options: distributions, paired differences, the casualty / ISIS trade-off
and overlaid fan charts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..model.series import UNITS
from ._common import date_axis, mark_plan, new_axes, save

if TYPE_CHECKING:
    from ..comparison import Comparison

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
PANELS = ("attacks", "casualties", "slip_days", "isis_attacks")


def _title(comparison: Comparison) -> str:
    first = next(iter(comparison.results.values()))
    return (
        f"{len(comparison.results)} options, {first.replications:,} paired replications, "
        f"seed {first.seed}"
    )


def _values(comparison: Comparison, option: str, outcome: str) -> np.ndarray:
    o = comparison.results[option].outcomes
    v = (o["killed"] + o["wounded"]) if outcome == "casualties" else o[outcome]
    values = v.to_numpy(dtype=float)
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
        ax.scatter(i + rng.uniform(-0.18, 0.18, sample.size), sample, s=4, alpha=0.3, color="C0")
        ax.scatter([i], [values.mean()], marker="D", color="C3", zorder=3, s=25)
    ax.set_ylabel(OUTCOME_LABELS.get(outcome, outcome))
    ax.tick_params(axis="x", rotation=20)
    ax.set_title(
        OUTCOME_LABELS.get(outcome, outcome).capitalize() + " (whiskers 5-95%, diamond = mean)",
        fontsize=9,
    )
    return ax


def plot_forest(comparison: Comparison, outcome: str = "attacks", ax: Axes | None = None) -> Axes:
    """Paired mean difference to the reference with its 95% bootstrap interval."""
    ax = new_axes(ax, (6, 3))
    t = comparison.table
    rows = t[(t["outcome"] == outcome) & (t["option"] != comparison.reference)]
    y = np.arange(len(rows))
    err = np.vstack([rows["diff_mean"] - rows["diff_lo"], rows["diff_hi"] - rows["diff_mean"]])
    ax.errorbar(rows["diff_mean"], y, xerr=err, fmt="o", color="C0", capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, rows["option"])
    ax.set_xlabel(f"{OUTCOME_LABELS.get(outcome, outcome)}: option - {comparison.reference}")
    ax.set_title(f"{outcome}: paired difference, 95% interval", fontsize=9)
    return ax


def plot_tradeoff(comparison: Comparison, ax: Axes | None = None) -> Axes:
    """Coalition casualties against ISIS attacks: option means with 5-95% intervals."""
    ax = new_axes(ax, (7, 5))
    for i, option in enumerate(comparison.options):
        x = _values(comparison, option, "casualties")
        y = _values(comparison, option, "isis_attacks")
        xerr = [[x.mean() - np.quantile(x, 0.05)], [np.quantile(x, 0.95) - x.mean()]]
        yerr = [[y.mean() - np.quantile(y, 0.05)], [np.quantile(y, 0.95) - y.mean()]]
        ax.errorbar(
            [x.mean()],
            [y.mean()],
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            capsize=3,
            color=f"C{i}",
            label=option,
            alpha=0.9,
        )
        ax.annotate(
            option, (x.mean(), y.mean()), textcoords="offset points", xytext=(6, 6), fontsize=8
        )
    ax.set_xlabel("coalition killed + wounded in the window (mean, 5-95%)")
    ax.set_ylabel("ISIS attacks on Iraqi forces (mean, 5-95%)")
    ax.set_title(
        f"Trade-off: coalition casualties vs ISIS attacks ({_title(comparison)})", fontsize=9
    )
    ax.legend(fontsize=8)
    return ax


def plot_overlaid_fans(
    comparison: Comparison, series: str = "personnel", ax: Axes | None = None
) -> Axes:
    """Median and 25-75% band of a daily series for every option."""
    ax = new_axes(ax)
    for i, (option, result) in enumerate(comparison.results.items()):
        s = result.series
        dates = list(s["date"])
        ax.fill_between(
            dates, s[f"{series}_q25"], s[f"{series}_q75"], color=f"C{i}", alpha=0.2, lw=0
        )
        ax.plot(dates, s[f"{series}_q50"], color=f"C{i}", lw=1.5, label=f"{option} median")
    mark_plan(ax, comparison.results[comparison.reference].scenario, phases=False)
    date_axis(ax)
    ax.set_ylabel(UNITS[series])
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title(
        f"{series.replace('_', ' ').capitalize()} by option (median, 25-75%; {_title(comparison)})",
        fontsize=9,
    )
    return ax


FOREST_PANELS = ("attacks", "wounded", "slip_days", "isis_attacks")


def _grid(comparison: Comparison, draw: str) -> Figure:
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), layout="constrained")
    panels = PANELS if draw == "box" else FOREST_PANELS
    for ax, outcome in zip(axes.flat, panels, strict=True):
        if draw == "box":
            plot_option_distributions(comparison, outcome, ax=ax)
        else:
            plot_forest(comparison, outcome, ax=ax)
    fig.suptitle(_title(comparison), fontsize=10)
    return fig


def write_compare_plots(comparison: Comparison) -> list[Path]:
    assert comparison.path is not None
    folder = comparison.path / "plots"
    written = [
        save(_grid(comparison, "box"), folder / "distributions.png"),
        save(_grid(comparison, "forest"), folder / "differences.png"),
    ]
    ax = plot_tradeoff(comparison)
    written.append(save(ax.figure, folder / "tradeoff.png"))  # type: ignore[arg-type]
    fig, axes = plt.subplots(2, 1, figsize=(10, 8), layout="constrained")
    plot_overlaid_fans(comparison, "personnel", ax=axes[0])
    plot_overlaid_fans(comparison, "attack_intensity", ax=axes[1])
    written.append(save(fig, folder / "fans.png"))
    return written
