"""Posterior predictive plots of ``estimate``: one per episode of the record."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from ._common import date_axis

if TYPE_CHECKING:
    from ...calibration.estimate import Estimate
    from ...calibration.record import Episode


def write_estimate_plots(result: Estimate) -> list[Path]:
    """The posterior predictive plots of a finished estimate, in its folder; the files
    written (also added to ``result.files``)."""
    from ...calibration.estimate import PREDICTIVE_PREFIX

    if result.predictive is None or result.out is None:
        return []
    files = predictive_plots(result.episodes, result.predictive, result.out, PREDICTIVE_PREFIX)
    result.files += files
    return files


def predictive_plots(
    episodes: list[Episode], sims: np.ndarray, out: Path, prefix: str
) -> list[Path]:
    """Cumulative militia attacks over each episode: the posterior predictive median, 50% and
    90% bands at the end of each tallied interval, and the record's tallies (with their
    stated uncertainty as error bars). ``sims`` is draws x tallies, episodes in order."""
    files = []
    at = 0
    for episode in episodes:
        k = len(episode.counts)
        part = np.cumsum(sims[:, at : at + k], axis=1)
        at += k
        observed = np.cumsum(episode.observed)
        # Each tally's stated uncertainty, carried to the running total as a sum of squares.
        spread = np.sqrt(
            np.cumsum([(c.uncertainty * c.attacks) ** 2 + c.attacks for c in episode.counts])
        )
        ends = [c.end + timedelta(days=1) for c in episode.counts]
        starts = [episode.counts[0].start]
        xs = starts + ends
        zero = np.zeros((part.shape[0], 1))
        full = np.hstack([zero, part])
        q05, q25, q50, q75, q95 = np.quantile(full, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        fig, ax = plt.subplots(figsize=(8.0, 4.2), layout="constrained")
        ax.fill_between(xs, q05, q95, color="C0", alpha=0.18, lw=0, label="predictive 5-95%")
        ax.fill_between(xs, q25, q75, color="C0", alpha=0.35, lw=0, label="predictive 25-75%")
        ax.plot(xs, q50, color="C0", lw=1.6, marker=".", label="predictive median")
        ax.errorbar(
            ends,
            observed,
            yerr=1.64 * spread,
            fmt="o",
            color="black",
            ms=4,
            capsize=3,
            label="record (+-1.64 sd: Poisson and stated uncertainty)",
        )
        ax.set_title(
            f"{episode.name}: {episode.start} to {episode.end} (timetable: {episode.timetable})"
        )
        ax.set_ylabel("militia attacks in Iraq, cumulative (attacks)")
        ax.set_ylim(bottom=0)
        date_axis(ax)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        path = out / f"{prefix}{episode.name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        files.append(path)
    return files
