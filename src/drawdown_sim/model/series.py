"""Daily series of one replication over the whole horizon (window and follow-on), derived from
its records with numpy afterwards.

State is piecewise constant (or exponential) between events, so nothing ticks daily during
the run. Day d covers [d, d + 1) days from the window start; state series are read at noon
(d + 0.5), counts over the whole day, and the attack intensity is the expected number of
attacks that day (the increment of the compensator).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

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


class _Points:
    """Change points of one kind from many replications, concatenated in replication order
    (each replication's in time order), and where each replication's points begin."""

    def __init__(self, table: NDArray[np.float64], counts: NDArray[np.int64]) -> None:
        self.table = table  # one value per point (event times), or one row per point
        self.replications = counts.size
        self.start = np.concatenate(([0], np.cumsum(counts)))
        self.owner = np.repeat(np.arange(self.replications), counts)

    @classmethod
    def of(cls, per_replication: Sequence[Sequence[Any]], columns: int = 0) -> _Points:
        """From each replication's points, as recorded: times, or tuples of ``columns``
        values. One array for all of them (one conversion, not one per replication)."""
        counts = np.fromiter((len(p) for p in per_replication), dtype=np.int64)
        values = chain.from_iterable(per_replication)
        if columns:  # the tuples' values in turn: numpy reads a flat run twice as fast
            values = chain.from_iterable(values)
        table = np.fromiter(values, dtype=float)
        return cls(table.reshape(-1, columns) if columns else table, counts)

    def times_between(self, low: float, high: float) -> _Points:
        """The times in ``[low, high)``, sorted within each replication."""
        times, owner = self.times, self.owner
        order = np.lexsort((times, owner))
        order = order[((times >= low) & (times < high))[order]]
        kept = np.bincount(owner[order], minlength=self.replications)
        return _Points(times[order], kept)

    @property
    def times(self) -> NDArray[np.float64]:
        return self.table if self.table.ndim == 1 else self.table[:, 0]

    def latest(
        self, grid: FloatArray, strictly: bool = False, clip: bool = True
    ) -> NDArray[np.int64]:
        """For each replication (row) and grid point (column): the index into the points of
        the replication's last point at the grid point (``strictly``: before it), or -1.

        Several points at one instant: the last one holds. ``clip``: grid points before a
        replication's first point take that first point (its value is extrapolated back).
        """
        size = grid.size
        first = np.searchsorted(grid, self.times, side="right" if strictly else "left")
        inside = first < size
        key = self.owner[inside] * size + first[inside]
        index = np.flatnonzero(inside)
        if key.size:  # of several points reaching the same grid point first, the last holds
            last = np.append(key[1:] != key[:-1], True)
            key, index = key[last], index[last]
        latest = np.full(self.replications * size, -1, dtype=np.int64)
        latest[key] = index
        latest = np.maximum.accumulate(latest.reshape(self.replications, size), axis=1)
        if clip:
            has = self.start[1:] > self.start[:-1]
            before = (latest < 0) & has[:, None]
            latest = np.where(before, self.start[:-1, None], latest)
        return latest


def _step(points: _Points, at: FloatArray) -> FloatArray:
    """Piecewise-constant values at ``at`` (0 for a replication without points)."""
    values = np.append(points.table[:, 1], 0.0)
    return values[points.latest(at)]  # index -1: the appended 0


def _exponential_segments(points: _Points, at: FloatArray, rate: float | None = None) -> FloatArray:
    """Evaluate segments (t0, start value, asymptote[, decay]) at times ``at`` (0 for a
    replication without segments)."""
    latest = points.latest(at)
    table = np.vstack((points.table, np.zeros(points.table.shape[1])))  # row -1: zeros
    t0, start, target = table[latest, 0], table[latest, 1], table[latest, 2]
    decay = table[latest, 3] if rate is None else rate
    values = target + (start - target) * np.exp(-decay * (at - t0))
    return np.where(latest < 0, 0.0, values)


def _background_integral(points: _Points, at: FloatArray) -> FloatArray:
    """Integral from 0 of a piecewise-constant rate at ``at`` (see
    :func:`drawdown_sim.hawkes.background_integral`), per replication."""
    changes = np.append(points.table[:, 0], 0.0)  # entry -1: for a replication without changes
    rates = np.append(points.table[:, 1], 0.0)
    cumulative = np.zeros(changes.size + 1)  # entry -1: 0 for a replication without changes
    for lo, hi in zip(points.start[:-1].tolist(), points.start[1:].tolist(), strict=True):
        if hi > lo:  # each replication's own running sum, as one replication alone has it
            cumulative[lo + 1 : hi] = np.cumsum(rates[lo : hi - 1] * np.diff(changes[lo:hi]))
    latest = points.latest(at)
    values = cumulative[latest] + rates[latest] * (at - changes[latest])
    return np.where(latest < 0, 0.0, values)


def _kernel_integrals(
    points: _Points, grid_points: int, weight: FloatArray, decay: FloatArray
) -> FloatArray:
    """:func:`drawdown_sim.hawkes.kernel_integral_grid` of each replication's events (``weight``
    and ``decay`` per replication): one pass over all events, the recurrence restarting at
    each replication's first."""
    grid = np.arange(grid_points, dtype=float)
    events = points.times_between(0.0, grid_points - 1)
    times = events.table
    first = np.zeros(times.size, dtype=bool)  # each replication's first event
    first[events.start[:-1][events.start[:-1] < times.size]] = True
    gaps = np.diff(times, prepend=0.0)
    # E_j = E_{j-1} * exp(-decay * gap) + 1, from E = 1 at a replication's first event: the
    # factors at once, the running recurrence (which no ufunc expresses) as one plain loop.
    factors = np.exp(-decay[events.owner] * gaps)
    factors[first] = 0.0
    level = 0.0
    excitation = []
    for factor in factors.tolist():
        level = level * factor + 1.0
        excitation.append(level)
    excitation.append(0.0)  # entry -1: unused (masked below)
    excitation_at = np.array(excitation)
    latest = events.latest(grid, strictly=True, clip=False)
    after = latest >= 0
    times = np.append(times, 0.0)
    decayed = np.where(
        after, excitation_at[latest] * np.exp(-decay[:, None] * (grid - times[latest])), 0.0
    )
    earlier = np.where(after, latest - events.start[:-1, None] + 1, 0)
    return np.asarray(weight[:, None] * (earlier - decayed))


def daily_series(replication: Replication, scenario: Scenario) -> FloatArray:
    """Array of shape (len(SERIES), days): one row per series in :data:`SERIES` order."""
    return daily_series_batch([replication], scenario)[0]


def daily_series_batch(replications: Sequence[Replication], scenario: Scenario) -> FloatArray:
    """Array of shape (replications, len(SERIES), days): :func:`daily_series` of each."""
    batch = SeriesBatch(scenario)
    for replication in replications:
        batch.add(replication)
    return batch.series()


_STATE = ("personnel", "escalation", "campaign", "background", "pressure", "capacity")
_COLUMNS = {"personnel": 2, "escalation": 2, "campaign": 2, "background": 2, "pressure": 4}


class SeriesBatch:
    """The daily series of many replications (a chunk's worth), computed together.

    :meth:`add` keeps only what the series need of a replication (its event times and state
    trajectories, as the plain lists the run recorded), so the replication itself can be
    freed at once; :meth:`series` then turns each kind into one array for the whole batch
    and computes every series for all replications in whole-array operations over their
    change points, a fraction of the cost of one replication at a time. Each value comes
    from the same floating-point operations as for a replication alone, so the series do not
    depend on how replications are batched.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.kernels: list[tuple[float, float, float, float]] = []
        self.attacks: list[list[float]] = []
        self.strikes: list[list[float]] = []
        self.state: dict[str, list[list[Any]]] = {kind: [] for kind in _STATE}

    def __len__(self) -> int:
        return len(self.kernels)

    def add(self, replication: Replication) -> None:
        log = replication.log
        trajectories = log.trajectories
        self.attacks.append([attack.time for attack in log.attacks])
        self.strikes.append([strike.time for strike in log.strikes])
        for kind in _STATE:
            self.state[kind].append(getattr(trajectories, kind))
        self.kernels.append(replication.militia_kernel)

    def one(self, index: int) -> SeriesBatch:
        """A batch of the ``index``-th replication alone."""
        alone = SeriesBatch(self.scenario)
        alone.kernels = [self.kernels[index]]
        alone.attacks = [self.attacks[index]]
        alone.strikes = [self.strikes[index]]
        alone.state = {kind: [points[index]] for kind, points in self.state.items()}
        return alone

    def series(self) -> FloatArray:
        """Array of shape (replications, len(SERIES), days)."""
        scenario = self.scenario
        count = len(self)
        days = scenario.horizon_days
        noon = np.arange(days) + 0.5
        edges = np.arange(days + 1, dtype=float)
        n, beta, rho, gamma = np.array(self.kernels, dtype=float).reshape(-1, 4).T
        state = {
            kind: _Points.of(points, _COLUMNS.get(kind, 3))  # capacity: (start, at start, target)
            for kind, points in self.state.items()
        }

        attacks = _Points.of(self.attacks)
        cumulative = (
            _background_integral(state["background"], edges)
            + _kernel_integrals(attacks, days + 1, n, beta)
            + _kernel_integrals(_Points.of(self.strikes), days + 1, rho, gamma)
        )

        isis = scenario.isis
        without = [not c for c in self.state["capacity"]]
        if isis.enabled and not all(without):
            lagged = _exponential_segments(
                state["capacity"], noon, rate=1.0 / isis.capacity_lag_days
            )
            isis_rate = isis.base_rate * (1.0 + isis.sensitivity * (1.0 - lagged))
            isis_rate[without] = 0.0
        else:
            isis_rate = np.zeros((count, days))

        out = np.empty((count, len(SERIES), days))
        out[:, 0] = _step(state["personnel"], noon)
        # Attacks need a target: no intensity on days that end with nobody left.
        out[:, 1] = np.diff(cumulative, axis=1) * (_step(state["personnel"], edges[1:] - 1e-9) > 0)
        day = attacks.times.astype(np.int64)
        counted = day < days
        out[:, 2] = np.bincount(
            attacks.owner[counted] * days + day[counted], minlength=count * days
        ).reshape(count, days)
        out[:, 3] = _step(state["escalation"], noon)
        out[:, 4] = _step(state["campaign"], noon)
        out[:, 5] = _exponential_segments(state["pressure"], noon)
        out[:, 6] = isis_rate
        return out
