"""Plots of a robustness sweep: regret, satisficing fractions, outcome vs key parameter."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from scipy import stats

from ._common import new_axes, save

if TYPE_CHECKING:
    from ..sweeps import Sweep


def plot_regret(result: Sweep, ax: Axes | None = None) -> Axes:
    """Mean regret (bars) and 90th percentile (markers) per option, one group per outcome,
    each outcome scaled by its largest 90th-percentile regret."""
    ax = new_axes(ax, (10, 4.5))
    r = result.regret
    options = list(dict.fromkeys(r["option"]))
    outcomes = result.study.outcomes
    width = 0.8 / len(options)
    for i, option in enumerate(options):
        rows = r[r["option"] == option].set_index("outcome").loc[outcomes]
        scale = r.groupby("outcome")["regret_p90"].max().loc[outcomes].replace(0, 1)
        x = np.arange(len(outcomes)) + i * width
        ax.bar(x, rows["regret_mean"] / scale, width, label=option, color=f"C{i}")
        ax.scatter(x, rows["regret_p90"] / scale, marker="_", s=200, color="k", zorder=3)
    ax.set_xticks(np.arange(len(outcomes)) + 0.4 - width / 2, outcomes)
    ax.set_ylabel("regret / largest 90th-percentile regret")
    ax.set_title(
        f"Regret against the best option in each state ({result.study.states} states; "
        "bar = mean, dash = 90th percentile)",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    return ax


def plot_satisficing(result: Sweep, ax: Axes | None = None) -> Axes:
    ax = new_axes(ax, (7, 4))
    s = result.satisficing
    ax.barh(s["option"], s["satisficing_fraction"], color="C2")
    ax.set_xlim(0, 1)
    rules = ", ".join(
        f"{k} {'<= ' + format(v.max, 'g') if v.max is not None else ''}"
        f"{' >= ' + format(v.min, 'g') if v.min is not None else ''}"
        for k, v in result.study.thresholds.items()
    )
    ax.set_xlabel("share of states where every threshold holds")
    ax.set_title(f"Satisficing: {rules}", fontsize=9)
    return ax


def key_parameter(result: Sweep, outcome: str) -> str:
    """The uncertain parameter with the largest |Spearman correlation| with the outcome."""
    f = result.frame
    scores = {p: abs(stats.spearmanr(f[p], f[outcome]).statistic) for p in result.parameters}
    return max(scores, key=lambda p: np.nan_to_num(scores[p]))


def plot_outcome_vs_parameter(result: Sweep, outcome: str, ax: Axes | None = None) -> Axes:
    ax = new_axes(ax, (6, 4))
    parameter = key_parameter(result, outcome)
    for i, (option, rows) in enumerate(result.frame.groupby("option", sort=False)):
        rows = rows.sort_values(parameter)
        ax.plot(rows[parameter], rows[outcome], "o-", ms=3, lw=0.8, color=f"C{i}", label=option)
    ax.set_xlabel(parameter)
    ax.set_ylabel(f"{outcome} (mean per state)")
    ax.set_title(f"{outcome} against its most influential parameter", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def write_sweep_plots(result: Sweep) -> list[Path]:
    assert result.path is not None
    folder = result.path / "plots"
    written = []
    ax = plot_regret(result)
    written.append(save(ax.figure, folder / "regret.png"))  # type: ignore[arg-type]
    ax = plot_satisficing(result)
    written.append(save(ax.figure, folder / "satisficing.png"))  # type: ignore[arg-type]
    n = len(result.study.outcomes)
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4), layout="constrained", squeeze=False)
    for ax, outcome in zip(axes[0], result.study.outcomes, strict=True):
        plot_outcome_vs_parameter(result, outcome, ax=ax)
    written.append(save(fig, folder / "outcome_vs_parameter.png"))
    return written
