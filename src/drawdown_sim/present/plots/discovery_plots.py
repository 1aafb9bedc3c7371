"""Plots of scenario discovery: PRIM's peeling trade-off and the chosen box."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from ...analysis.discovery import Discovery, evaluate_condition
from ._common import PNG, new_axes, save


def plot_peeling(discovery: Discovery, ax: Axes | None = None) -> Axes:
    """Coverage against density along the peeling trajectory, coloured by the number of
    restricted parameters; the chosen box circled, the same rule's box scored on states it
    was not found on as a diamond with 95% intervals, the density threshold dashed."""
    ax = new_axes(ax, (7, 4.5))
    t = discovery.trajectory
    points = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
    chosen = t.loc[discovery.chosen]
    ax.scatter(
        [chosen["coverage"]],
        [chosen["density"]],
        s=160,
        facecolors="none",
        edgecolors="C3",
        lw=1.8,
        label=f"chosen box: coverage {chosen['coverage']:.0%}, density {chosen['density']:.0%}",
    )
    held = discovery.held_out
    if held is not None and held.in_box and held.cases:
        # Wilson intervals contain their estimate; the clip only absorbs rounding.
        coverage_lo, coverage_hi = held.coverage_interval
        density_lo, density_hi = held.density_interval
        ax.errorbar(
            [held.coverage],
            [held.density],
            xerr=[[max(held.coverage - coverage_lo, 0.0)], [max(coverage_hi - held.coverage, 0.0)]],
            yerr=[[max(held.density - density_lo, 0.0)], [max(density_hi - held.density, 0.0)]],
            fmt="D",
            color="C1",
            ms=7,
            capsize=3,
            label=f"on states it was not found on: coverage {held.coverage:.0%}, "
            f"density {held.density:.0%} (95% intervals)",
        )
    ax.axhline(discovery.threshold, color="0.4", ls="--", lw=0.9, label="density threshold")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage: share of the states of interest inside the box")
    ax.set_ylabel("density: share of the box's states of interest")
    top = int(t["res_dim"].max())
    ax.figure.colorbar(points, ax=ax, label="restricted parameters", ticks=range(top + 1))
    ax.set_title(
        f"PRIM peeling for {discovery.option}: {discovery.condition} "
        f"({discovery.cases} of {discovery.states} states)",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="lower left")
    return ax


def plot_box(frame: pd.DataFrame, discovery: Discovery, ax: Axes | None = None) -> Axes:
    """The states on the two most clearly restricted parameters, those of interest in
    colour, with the chosen box drawn over them."""
    ax = new_axes(ax, (6.5, 5))
    rows = frame[frame["option"] == discovery.option]
    limits = discovery.limits
    shown = list(limits["parameter"][:2])
    if len(shown) < 2:
        shown = [*shown, *[p for p in limits["parameter"] if p not in shown]][:2]
    x_name, y_name = shown
    holds = evaluate_condition(discovery.condition, rows)
    ax.scatter(rows[x_name][~holds], rows[y_name][~holds], s=14, color="0.7", label="other")
    ax.scatter(rows[x_name][holds], rows[y_name][holds], s=18, color="C3", label="of interest")
    box = limits.set_index("parameter")
    ax.add_patch(
        Rectangle(
            (box.loc[x_name, "low"], box.loc[y_name, "low"]),
            box.loc[x_name, "high"] - box.loc[x_name, "low"],
            box.loc[y_name, "high"] - box.loc[y_name, "low"],
            fill=False,
            edgecolor="k",
            lw=1.5,
            label="chosen box",
        )
    )
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.set_title(f"{discovery.condition}: the box on its two main parameters", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def write_discovery_plots(
    frame: pd.DataFrame, discovery: Discovery, folder: Path, formats: Sequence[str] = PNG
) -> list[Path]:
    """``discovery_peeling`` and ``discovery_box`` in ``folder``, in each of ``formats``."""
    written = []
    for name, draw in (
        ("discovery_peeling", lambda: plot_peeling(discovery)),
        ("discovery_box", lambda: plot_box(frame, discovery)),
    ):
        ax = draw()
        written.append(save(ax.figure, folder / f"{name}.png", formats=formats))  # type: ignore[arg-type]
    return written
