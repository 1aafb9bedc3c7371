"""The backtest plot: predictive bands of cumulative attacks with the observed counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.axes import Axes

from ._common import date_axis, mark_plan, new_axes

if TYPE_CHECKING:
    from ...calibration.backtest import Backtest

MARKERS = {"published": "o", "estimated": "s", "event log": "o", "period end": "D"}


def plot_backtest(result: Backtest, ax: Axes | None = None) -> Axes:
    """Median, 25-75% and 5-95% bands of cumulative attacks in Iraq; observed counts on top,
    filled where they fall inside the 90% band."""
    ax = new_axes(ax, (10, 5))
    bands = result.bands
    dates = list(bands["date"])
    ax.fill_between(
        dates,
        bands["q05"],
        bands["q95"],
        step="post",
        color="C0",
        alpha=0.18,
        lw=0,
        label="predictive 5-95%",
    )
    ax.fill_between(
        dates,
        bands["q25"],
        bands["q75"],
        step="post",
        color="C0",
        alpha=0.35,
        lw=0,
        label="predictive 25-75%",
    )
    ax.step(dates, bands["median"], where="post", color="C0", lw=1.5, label="predictive median")
    table = result.table
    for source, rows in table.groupby("source", sort=False):
        inside = rows[rows["in_90"]]
        outside = rows[~rows["in_90"]]
        marker = MARKERS.get(str(source), "o")
        ax.scatter(
            list(inside["date"]),
            inside["observed"],
            marker=marker,
            color="k",
            s=30,
            zorder=4,
            label=f"observed ({source})",
        )
        if not outside.empty:
            ax.scatter(
                list(outside["date"]),
                outside["observed"],
                marker=marker,
                s=40,
                facecolors="none",
                edgecolors="C3",
                linewidths=1.5,
                zorder=4,
                label=f"observed ({source}), outside 90%",
            )
    scenario = result.scenario
    mark_plan(ax, scenario, phases=False)
    for strike in scenario.retaliation.scheduled:
        ax.axvline(strike.date, color="C4", lw=0.8, ls=":")  # type: ignore[arg-type]
    if scenario.retaliation.scheduled:
        ax.plot([], [], color="C4", lw=0.8, ls=":", label="US strike (input)")
    date_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("cumulative militia attacks in Iraq")
    ax.set_title(
        f"Backtest {scenario.name}: {result.replications:,} replications, seed {result.seed}; "
        f"{result.coverage90:.0%} of observed dates inside the 90% band, "
        f"P(no campaign day) {result.p_no_campaign:.0%}",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax
