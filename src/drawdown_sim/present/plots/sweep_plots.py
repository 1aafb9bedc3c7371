"""Plots of a robustness sweep: regret, satisficing fractions, outcome vs key parameter."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ._common import PNG, new_axes, option_colour, option_marker, save

if TYPE_CHECKING:
    from ...analysis.sweeps import Sweep


def _errors(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error-bar lengths (2 x n) from an interval around each value: never negative, and
    none where the interval is unknown."""
    below = np.nan_to_num(value - low, nan=0.0)
    above = np.nan_to_num(high - value, nan=0.0)
    return np.vstack((np.maximum(below, 0.0), np.maximum(above, 0.0)))


def plot_regret(result: Sweep, ax: Axes | None = None) -> Axes:
    """Mean regret (bars, with the 95% interval over the states) and 90th percentile
    (markers) per option, one group per outcome, each outcome scaled by its largest
    90th-percentile regret (or mean regret's upper bound, if larger)."""
    ax = new_axes(ax, (10, 4.5))
    r = result.regret
    options = list(dict.fromkeys(r["option"]))
    outcomes = result.study.outcomes
    width = 0.8 / len(options)
    by_outcome = r.groupby("outcome")
    largest = pd.concat(
        [by_outcome["regret_p90"].max(), by_outcome["regret_hi"].max()], axis=1
    ).max(axis=1)
    scale = largest.loc[outcomes].replace(0, 1).fillna(1)
    for i, option in enumerate(options):
        rows = r[r["option"] == option].set_index("outcome").loc[outcomes]
        x = np.arange(len(outcomes)) + i * width
        mean = (rows["regret_mean"] / scale).to_numpy(dtype=float)
        errors = _errors(
            mean,
            (rows["regret_lo"] / scale).to_numpy(dtype=float),
            (rows["regret_hi"] / scale).to_numpy(dtype=float),
        )
        ax.bar(
            x,
            mean,
            width,
            label=option,
            color=option_colour(option),
            yerr=errors,
            capsize=2,
            error_kw={"elinewidth": 0.8, "ecolor": "0.3"},
        )
        ax.scatter(x, rows["regret_p90"] / scale, marker="_", s=200, color="k", zorder=3)
    # Outcome names are long (isis_attacks_follow_on): slanted, they never run together.
    ax.set_xticks(np.arange(len(outcomes)) + 0.4 - width / 2, outcomes, rotation=20, ha="right")
    ax.set_ylabel("regret / largest regret of the outcome")
    ax.set_title(
        f"Regret against the best option in each state ({result.states_run} states; "
        "bar = mean with its 95% interval, dash = 90th percentile)",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_satisficing(result: Sweep, ax: Axes | None = None) -> Axes:
    ax = new_axes(ax, (7, 4))
    s = result.satisficing
    share = s["satisficing_fraction"].to_numpy(dtype=float)
    errors = _errors(
        share, s["satisficing_lo"].to_numpy(dtype=float), s["satisficing_hi"].to_numpy(dtype=float)
    )
    ax.barh(
        s["option"],
        share,
        color="C2",
        xerr=errors,
        capsize=3,
        error_kw={"elinewidth": 0.8, "ecolor": "0.3"},
    )
    ax.set_xlim(0, 1)
    rules = ", ".join(
        f"{k} {'<= ' + format(v.max, 'g') if v.max is not None else ''}"
        f"{' >= ' + format(v.min, 'g') if v.min is not None else ''}"
        for k, v in result.study.thresholds.items()
    )
    ax.set_xlabel("share of states where every threshold holds (95% Wilson interval)")
    ax.set_title(f"Satisficing: {rules}", fontsize=9)
    return ax


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "\u2212")


def key_parameter(result: Sweep, outcome: str) -> tuple[str, str]:
    """The uncertain parameter most strongly rank-correlated with ``outcome`` over the states
    (see :func:`drawdown_sim.analysis.sweeps.rank_correlations`), and a caption that says how sure
    that is: whether its correlation is distinguishable from zero, and from the next one's."""
    from ...analysis.sweeps import rank_correlations

    table = rank_correlations(result.frame, result.parameters, outcome)
    if table.empty:
        return result.parameters[0], f"{outcome} does not vary over the states"
    top = table.iloc[0]
    stated = (
        f"{top['parameter']}: Spearman rho {_signed(top['rho'])} "
        f"(95% {_signed(top['low'])} to {_signed(top['high'])}, {int(top['states'])} states)"
    )
    if top["low"] <= 0.0 <= top["high"]:
        return top["parameter"], f"{stated}; indistinguishable from no correlation"
    if len(table) > 1:
        runner_up = table.iloc[1]
        top_low = min(abs(top["low"]), abs(top["high"]))
        runner_high = max(abs(runner_up["low"]), abs(runner_up["high"]))
        if runner_high >= top_low:
            return top["parameter"], (
                f"{stated}; not clearly stronger than {runner_up['parameter']} "
                f"(rho {_signed(runner_up['rho'])})"
            )
    return top["parameter"], f"{stated}; the strongest rank correlation"


def plot_outcome_vs_parameter(
    result: Sweep, outcome: str, ax: Axes | None = None, legend: bool = True
) -> Axes:
    """Each state's mean outcome against the parameter it is most rank-correlated with
    (points), and per option the mean over states in each fifth of the parameter's range
    (line). Other parameters vary from state to state, so neighbouring states are not a
    curve: the points are not joined."""
    ax = new_axes(ax, (6, 4.5))
    parameter, caption = key_parameter(result, outcome)
    values = result.frame[parameter].astype(float)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, 6)))
    for option, rows in result.frame.groupby("option", sort=False):
        colour = option_colour(str(option))
        x, y = rows[parameter].astype(float), rows[outcome].astype(float)
        ax.scatter(x, y, s=6, alpha=0.35, color=colour, lw=0)
        if edges.size > 2:
            bins = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, edges.size - 2)
            means = y.groupby(bins).mean()
            centres = x.groupby(bins).mean()
            ax.plot(
                centres,
                means,
                "-",
                marker=option_marker(str(option)),
                ms=4,
                lw=1.6,
                color=colour,
                label=str(option),
            )
        else:
            ax.plot([], [], "-", color=colour, label=str(option))
    ax.set_xlabel(parameter)
    ax.set_ylabel(f"{outcome} (mean per state; line: mean per fifth)")
    ax.set_title(textwrap.fill(caption, 58), fontsize=8)
    if legend:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_value_of_information(result: Sweep, ax: Axes | None = None) -> Axes:
    """EVPPI of each uncertain parameter (bars, sorted, with 95% intervals): how much the
    expected loss would fall if the parameter were known before choosing."""
    table = result.value_of_information
    assert table is not None
    judged = str(table["judged_on"].iloc[0]) if len(table) else ""
    rows = table[table["judged_on"] == judged].dropna(subset=["evppi"])
    rows = rows.sort_values("evppi", kind="stable")
    ax = new_axes(ax, (8, max(3.0, 0.32 * len(rows) + 1.2)))
    value = rows["evppi"].to_numpy(dtype=float)
    errors = _errors(value, rows["low"].to_numpy(dtype=float), rows["high"].to_numpy(dtype=float))
    colours = ["#2166ac" if d else "0.65" for d in rows["decisive"].astype(bool)]
    ax.barh(
        rows["parameter"],
        value,
        xerr=errors,
        color=colours,
        capsize=2,
        error_kw={"elinewidth": 0.8, "ecolor": "0.3"},
    )
    ax.axvline(0, color="k", lw=0.8)
    unit = "weighted score (lower is better)" if judged == "weighted score" else judged
    ax.set_xlabel(f"EVPPI: fall in the expected {unit} if the parameter were known")
    ax.set_title(
        "What is worth learning first: expected value of partial perfect information\n"
        f"(cross-fitted spline regression, {result.frame['state'].nunique()} states; "
        "bar = estimate with 95% interval, blue = interval above zero)",
        fontsize=9,
    )
    ax.tick_params(axis="y", labelsize=8)
    return ax


def plot_sweep_tradeoff(result: Sweep, ax: Axes | None = None) -> Axes:
    """The trade-off over the states: each option's mean coalition killed + wounded (x) and
    ISIS attacks (y), window and follow-on together where both exist, with 95% bootstrap
    intervals over the states; options of the Pareto set filled, dominated ones hollow."""
    from ...analysis.sweeps import _state_bootstrap

    ax = new_axes(ax, (7.5, 4.0))
    frame = result.frame
    both = "killed_both" in frame and frame["killed_both"].notna().any()
    x_col = ["killed_both", "wounded_both"] if both else ["killed", "wounded"]
    y_col = "isis_attacks_both" if both else "isis_attacks"
    members = set()
    if result.pareto is not None:
        members = set(result.pareto.loc[result.pareto["pareto"].astype(bool), "option"])
    for option, rows in frame.groupby("option", sort=False):
        rows = rows.sort_values("state")
        x = (rows[x_col[0]] + rows[x_col[1]]).to_numpy(dtype=float)
        y = rows[y_col].to_numpy(dtype=float)
        xl, xh = _state_bootstrap(x, result.study.seed)
        yl, yh = _state_bootstrap(y, result.study.seed)
        mx, my = float(np.nanmean(x)), float(np.nanmean(y))
        colour = option_colour(str(option))
        ax.errorbar(
            [mx],
            [my],
            xerr=_errors(np.array([mx]), np.array([xl]), np.array([xh])),
            yerr=_errors(np.array([my]), np.array([yl]), np.array([yh])),
            fmt=option_marker(str(option)),
            color=colour,
            ms=9,
            capsize=3,
            # Hollow markers are see-through and drawn on top, so that a dominated option
            # next to a member of the Pareto set shows both.
            mfc=colour if option in members else "none",
            mew=1.5,
            elinewidth=1.0,
            zorder=2 if option in members else 3,
            label=f"{option}" + (" (Pareto set)" if option in members else " (dominated)"),
        )
    period = "window + follow-on" if both else "window"
    ax.set_xlabel(f"coalition killed + wounded, {period} (mean over states)")
    ax.set_ylabel(f"ISIS attacks on Iraqi forces, {period}")
    ax.set_title(
        f"Trade-off over {frame['state'].nunique()} states (95% intervals over the states; "
        "lower left is better)",
        fontsize=9,
    )
    ax.margins(0.15)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


def write_sweep_plots(result: Sweep, formats: Sequence[str] = PNG) -> list[Path]:
    """Every plot of a sweep into ``<sweep>/plots/``, in each of ``formats``."""
    assert result.path is not None
    folder = result.path / "plots"
    written = []
    ax = plot_regret(result)
    written.append(save(ax.figure, folder / "regret.png", formats=formats))  # type: ignore[arg-type]
    ax = plot_satisficing(result)
    written.append(save(ax.figure, folder / "satisficing.png", formats=formats))  # type: ignore[arg-type]
    n = len(result.study.outcomes)
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 5), layout="constrained", squeeze=False)
    for ax, outcome in zip(axes[0], result.study.outcomes, strict=True):
        plot_outcome_vs_parameter(result, outcome, ax=ax, legend=False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8)
    written.append(save(fig, folder / "outcome_vs_parameter.png", formats=formats))
    ax = plot_sweep_tradeoff(result)
    written.append(save(ax.figure, folder / "tradeoff.png", formats=formats))  # type: ignore[arg-type]
    if result.value_of_information is not None and len(result.value_of_information):
        ax = plot_value_of_information(result)
        written.append(save(ax.figure, folder / "value_of_information.png", formats=formats))  # type: ignore[arg-type]
    return written
