"""The completion curve: P(drawdown complete by date), a right-censored Kaplan-Meier estimate."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes

from ._common import date_axis, mark_window_end, new_axes, option_colour

if TYPE_CHECKING:
    from ...analysis.results import Results


def plot_completion(results: dict[str, Results], ax: Axes | None = None) -> Axes:
    """Kaplan-Meier P(complete by date) per option, with its 95% band, each option's planned
    end (open circle) and the share still unfinished where the horizon censors it."""
    ax = new_axes(ax, (9.5, 4.5))
    scenario = None
    for name, result in results.items():
        if result.scenario.planned_end_day is None:
            continue  # no plan (the status quo): nothing to complete
        scenario = result.scenario
        start = scenario.window.start
        completion = result.completion()
        curve = completion.curve
        if curve.days.size == 0:
            continue
        # A step curve from 0 at the window start to its last value at the horizon end.
        days = np.concatenate(([0.0], curve.days, [curve.censored_at]))
        cdf = np.concatenate(([0.0], curve.cdf, [curve.cdf[-1]]))
        low = np.concatenate(([0.0], curve.low, [curve.low[-1]]))
        high = np.concatenate(([0.0], curve.high, [curve.high[-1]]))
        dates = [start + timedelta(days=float(d)) for d in days]
        color = option_colour(name)  # the option keeps its colour in every figure
        ax.fill_between(dates, low, high, step="post", color=color, alpha=0.18, lw=0)
        unfinished = f", {completion.censored.value:.0%} unfinished" if curve.censored_share else ""
        ax.step(dates, cdf, where="post", color=color, lw=1.6, label=f"{name}{unfinished}")
        planned = scenario.planned_end_day
        if planned is not None:
            at = start + timedelta(days=planned)
            # The planned date as a dotted line: the curve's distance to its right is the slip.
            ax.axvline(at, color=color, ls=":", lw=1.0, alpha=0.8)
            ax.plot([at], [completion.by_planned_end.value], "o", mfc="white", color=color, ms=6)
    if scenario is not None:
        mark_window_end(ax, scenario)
    ax.plot([], [], "o:", mfc="white", color="0.3", label="planned end (dotted)")
    date_axis(ax)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("P(drawdown complete by date)")
    ax.set_xlabel("completion date (planned end dotted)")
    ax.set_title(
        "Drawdown completion (Kaplan-Meier, 95% band; unfinished plans censored at the "
        "horizon end)",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax
