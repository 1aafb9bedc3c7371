"""Shared plotting helpers: a headless backend, titles, plan and shock marks, saving."""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import matplotlib

if os.environ.get("MPLBACKEND") is None:
    matplotlib.use("Agg")  # files, not windows: works on servers, in CI and in workers

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ...scenario import Scenario  # noqa: E402

# User text (scenario, phase and shock names) is plain text: "$x$" must not turn into
# mathtext, and a stray "$" must not break every plot.
matplotlib.rcParams["text.parse_math"] = False

SHOCK_COLOR = "#b2182b"
CALM_COLOR = "#2166ac"


def new_axes(ax: Axes | None, size: tuple[float, float] = (9.0, 4.5)) -> Axes:
    if ax is not None:
        return ax
    _, created = plt.subplots(figsize=size, layout="constrained")
    return created


def day_dates(scenario: Scenario, days: Any) -> list[date]:
    return [scenario.window.start + timedelta(days=float(d)) for d in days]


def mark_plan(ax: Axes, scenario: Scenario, phases: bool = True) -> None:
    """Shade drawdown phases (unless ``phases`` is false) and draw scheduled shocks."""
    if phases and scenario.drawdown.enabled:
        # A strip along the top of the axes, not a full-height shade that washes out bands.
        for i, phase in enumerate(scenario.drawdown.phases):
            ax.axvspan(
                phase.start,
                phase.end,
                ymin=0.97,
                ymax=1.0,
                color=("0.45", "0.65")[i % 2],
                lw=0,
                zorder=0,  # type: ignore[arg-type]
                label=f"phase: {phase.name}",
            )
    for shock in scenario.shocks.scheduled:
        color = SHOCK_COLOR if shock.severity > 0 else CALM_COLOR
        ax.axvline(shock.date, color=color, lw=0.8, ls="--", alpha=0.7)  # type: ignore[arg-type]
    if scenario.shocks.scheduled:
        ax.plot([], [], color=SHOCK_COLOR, lw=0.8, ls="--", label="scheduled shock")
    mark_window_end(ax, scenario)


def window_end_date(scenario: Scenario) -> date:
    """The first day after the drawdown window (where the follow-on begins)."""
    return scenario.window.end + timedelta(days=1)


def mark_window_end(ax: Axes, scenario: Scenario) -> None:
    """A solid line where the drawdown window ends and the follow-on period begins."""
    if scenario.follow_on is None:
        return
    ax.axvline(
        window_end_date(scenario),  # type: ignore[arg-type]
        color="0.25",
        lw=1.1,
        ls="-",
        label="window end (follow-on after)",
        zorder=1,
    )


def date_axis(ax: Axes) -> None:
    """Month ticks that stay readable over one year or several (concise labels)."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


PNG: tuple[str, ...] = ("png",)
"""The default file formats of a figure."""


def save(fig: Figure, path: Path, *, formats: Sequence[str] = PNG, record: bool = True) -> Path:
    """Save in every one of ``formats`` (``path`` names the PNG), atomically (temporary
    name, then rename), and close the figure. Returns the first file written.

    ``record``: note each figure in its folder's ``index.json`` before it is written (the
    figures of ``plots/``, which the tool may later remove only because they are listed
    there); a figure's name held by a file the tool did not write, or a folder that is a
    link, is refused (:class:`~drawdown_sim.runner.outputs.OutputRefused`).
    """
    from ...runner.outputs import plots_folder, record_plot

    try:
        folder = plots_folder(path.parent.parent) if path.parent.name == "plots" else path.parent
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in formats:
            target = path.with_suffix(f".{fmt}")
            if record:
                record_plot(target)
            tmp = target.with_name(f".{target.stem}.tmp.{fmt}")
            fig.savefig(tmp, dpi=110, format=fmt, bbox_inches="tight")
            os.replace(tmp, target)
            written.append(target)
    finally:
        plt.close(fig)
    return written[0]


OPTION_COLOURS = {
    "status_quo": "#4d4d4d",
    "status_quo_no_timetable": "#4d4d4d",
    "status_quo_talks": "#9e9e9e",
    "full_exit": "#d6604d",
    "kurdistan_hub": "#4393c3",
    "advisory_500": "#1b7837",
    "accelerated": "#9970ab",
    "baseline": "#e08214",
    "announced": "#e08214",
}
"""Each shipped option's colour in every figure, whatever the order of the arguments."""
_SPARE = ("#8c510a", "#01665e", "#c51b7d", "#35978f", "#b35806", "#542788", "#7f3b08")
OPTION_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h", "<", ">")


def option_colour(name: str) -> str:
    """The option's colour: fixed for the shipped options, and for any other chosen from its
    name alone (a stable hash), so it too keeps its colour whatever the argument order."""
    if name in OPTION_COLOURS:
        return OPTION_COLOURS[name]
    return _SPARE[zlib.crc32(name.encode()) % len(_SPARE)]


def option_marker(name: str) -> str:
    """The option's marker, chosen from its name alone (as its colour)."""
    return OPTION_MARKERS[zlib.crc32(name.encode()) % len(OPTION_MARKERS)]
