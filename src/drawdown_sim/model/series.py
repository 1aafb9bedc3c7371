"""Daily series of one replication over the whole horizon (window and follow-on), derived from
its records with numpy afterwards.

State is piecewise constant (or exponential) between events, so nothing ticks daily during
the run. Day d covers [d, d + 1) days from the window start; state series are read at noon
(d + 0.5), counts over the whole day, and the attack intensity is the expected number of
attacks that day (the increment of the compensator).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import hawkes
from ..scenario import Scenario
from .simulate import Replication

FloatArray = NDArray[np.floating[Any]]

SERIES: tuple[str, ...] = (
    "personnel",
    "attack_intensity",
    "attacks",
    "escalation",
    "campaign",
    "political_pressure",
    "isis_rate",
)
"""Daily series names: the results contract (README, results layout)."""

UNITS = {
    "personnel": "personnel in Iraq",
    "attack_intensity": "expected militia attacks/day",
    "attacks": "militia attacks/day",
    "escalation": "escalation level (0-3)",
    "campaign": "share in campaign posture",
    "political_pressure": "political pressure index",
    "isis_rate": "ISIS attacks/day (rate)",
}


def _step(
    points: list[tuple[float, int]] | list[tuple[float, float]],
    at: FloatArray,
) -> FloatArray:
    if not points:
        return np.zeros(at.shape)
    times = np.array([p[0] for p in points])
    values = np.array([p[1] for p in points], dtype=float)
    # Several changes at one instant: the last one holds (side="right").
    return values[np.clip(np.searchsorted(times, at, side="right") - 1, 0, None)]


def _exponential_segments(
    rows: Sequence[tuple[float, ...]], at: FloatArray, rate: float | None = None
) -> FloatArray:
    """Evaluate segments (t0, start value, asymptote[, decay]) at times ``at``."""
    if not rows:
        return np.zeros(at.shape)
    table = np.asarray(rows, dtype=float)
    index = np.clip(np.searchsorted(table[:, 0], at, side="right") - 1, 0, None)
    t0, start, target = table[index, 0], table[index, 1], table[index, 2]
    decay = table[index, 3] if rate is None else rate
    return target + (start - target) * np.exp(-decay * (at - t0))


def daily_series(replication: Replication, scenario: Scenario) -> FloatArray:
    """Array of shape (len(SERIES), days): one row per series in :data:`SERIES` order."""
    days = scenario.horizon_days
    noon = np.arange(days) + 0.5
    edges = np.arange(days + 1, dtype=float)
    traj = replication.trajectories
    log = replication.log
    n, beta, rho, gamma = replication.militia_kernel

    attack_times = np.array([a.time for a in log.attacks])
    strike_times = np.array([s.time for s in log.strikes])
    background = traj.background
    cumulative = (
        hawkes.background_integral(edges, [b[0] for b in background], [b[1] for b in background])
        if background
        else np.zeros(days + 1)
    )
    cumulative = (
        cumulative
        + hawkes.kernel_integral_grid(days + 1, attack_times, n, beta)
        + hawkes.kernel_integral_grid(days + 1, strike_times, rho, gamma)
    )

    isis = scenario.isis
    if isis.enabled and traj.capacity:
        capacity = _exponential_segments(traj.capacity, noon, rate=1.0 / isis.capacity_lag_days)
        isis_rate = isis.base_rate * (1.0 + isis.sensitivity * (1.0 - capacity))
    else:
        isis_rate = np.zeros(days)

    out = np.empty((len(SERIES), days))
    out[0] = _step(traj.personnel, noon)
    # Attacks need a target: no intensity on days that end with nobody left.
    out[1] = np.diff(cumulative) * (_step(traj.personnel, edges[1:] - 1e-9) > 0)
    out[2] = (
        np.bincount(attack_times.astype(np.int64), minlength=days)[:days]
        if len(attack_times)
        else 0.0
    )
    out[3] = _step(traj.escalation, noon)
    out[4] = _step(traj.campaign, noon)
    out[5] = _exponential_segments(traj.pressure, noon)
    out[6] = isis_rate
    return out
