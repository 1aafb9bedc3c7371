"""Daily series of one replication over the whole horizon (window and follow-on), derived from
its records with numpy afterwards.

State is piecewise constant (or exponential) between events, so nothing ticks daily during
the run. Day d covers [d, d + 1) days from the window start; state series are read at noon
(d + 0.5), counts over the whole day, and the attack intensity is the expected number of
attacks that day (the increment of the compensator).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..model.simulate import Replication
from ..scenario import Scenario

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

STEP_SERIES: tuple[str, ...] = ("personnel", "attacks", "escalation", "campaign")
"""Series that are whole numbers (a head count, a day's attacks, a level, a share of one
replication: 0 or 1) constant over runs of days, so that :meth:`SeriesBatch.runs` can give
them as runs. Each but attacks is read from the trajectory of its own name."""


class Runs(NamedTuple):
    """A step series of a batch as runs of days: the value ``values[i]`` holds on days
    ``first[i]`` to ``end[i] - 1`` of one replication (empty when ``end[i] <= first[i]``),
    and each day of each replication lies in exactly one run."""

    values: NDArray[np.int64]
    first: NDArray[np.int64]
    end: NDArray[np.int64]


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
    def of(cls, values: list[float], counts: list[int], columns: int = 0) -> _Points:
        """From the points' values in a flat run (times, or ``columns`` values a point) and
        how many points each replication has."""
        table = np.fromiter(values, dtype=float, count=len(values))  # (np.array: 15% longer)
        return cls(table.reshape(-1, columns) if columns else table, np.array(counts, np.int64))

    def times_between(self, low: float, high: float) -> _Points:
        """The times in ``[low, high)``, sorted within each replication."""
        times, owner = self.times, self.owner
        inside = (times >= low) & (times < high)
        rising = (times[1:] >= times[:-1]) | (owner[1:] != owner[:-1])
        if rising.all():  # in order already, as events are recorded: what the sort would give
            order = np.flatnonzero(inside)
        else:
            order = np.lexsort((times, owner))
            order = order[inside[order]]
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
        first = _positions(grid, self.times, strictly)
        inside = first < size
        # Points are in time order within a replication, so those at a grid point are the
        # replication's first ``reached`` points: count them (a running sum, which numpy
        # does nine times as fast as a running maximum) rather than track the last index.
        reached = np.bincount(
            self.owner[inside] * size + first[inside], minlength=self.replications * size
        ).reshape(self.replications, size)
        np.cumsum(reached, axis=1, out=reached)
        start = self.start[:-1, None]
        latest = reached  # in place: two passes over a chunk's grid instead of six
        if clip:  # start + max(reached - 1, 0): before the first point, the first point
            latest += start - 1
            np.maximum(latest, start, out=latest)
            latest[self.start[1:] == self.start[:-1]] = -1  # replications without points
        else:
            none = latest == 0
            latest += start - 1
            latest[none] = -1
        return latest


def _positions(grid: FloatArray, times: FloatArray, strictly: bool) -> NDArray[np.int64]:
    """``np.searchsorted(grid, times)``: for each time, how many grid points lie before it
    (``strictly``: at or before it).

    The series' grids are whole days from 0 or from noon (0.5), where this is arithmetic:
    a time's distance from the first grid point is exact (from 0.25 to 1 day by Sterbenz's
    lemma, above that because a half is a multiple of the time's last bit; an earlier time
    lies before the second grid point whatever the rounding, and a later one than 2**52
    days after the last), and so are its ceiling and floor. Binary search takes five times
    as long."""
    size = grid.size
    start = float(grid[0]) if size else 0.0
    if start not in (0.0, 0.5) or not np.array_equal(grid, np.arange(size) + start):
        return np.searchsorted(grid, times, side="right" if strictly else "left")
    position = times - start
    if strictly:  # grid points at or before: floor(t - start) + 1
        np.floor(position, out=position)
        position += 1.0
    else:  # grid points before: ceil(t - start)
        np.ceil(position, out=position)
    np.clip(position, 0, size, out=position)
    return position.astype(np.int64)


def _noons(days: int) -> FloatArray:
    """The noon of each day of the horizon, in days from the window start: when the state
    series are read."""
    return np.arange(days) + 0.5


def _step(points: _Points, at: FloatArray) -> FloatArray:
    """Piecewise-constant values at ``at`` (0 for a replication without points)."""
    values = np.append(points.table[:, 1], 0.0)
    return values[points.latest(at)]  # index -1: the appended 0


def _exponential_segments(points: _Points, at: FloatArray, rate: float | None = None) -> FloatArray:
    """Evaluate segments (t0, start value, asymptote[, decay]) at times ``at`` (0 for a
    replication without segments)."""
    latest = points.latest(at)
    # One column at a time, each contiguous and with a 0 at its end (index -1), for take.
    columns = np.zeros((points.table.shape[1], points.table.shape[0] + 1))
    columns[:, :-1] = points.table.T
    t0, values, target = (column.take(latest) for column in columns[:3])
    decay = columns[3].take(latest) if rate is None else rate
    # target + (start - target) x exp(-decay x (at - t0)), in place (see _kernel_integrals)
    factor = np.subtract(at, t0, out=t0)
    np.multiply(-decay, factor, out=factor)
    np.exp(factor, out=factor)
    values -= target
    values *= factor
    values += target
    values[latest < 0] = 0.0
    return values


def _background_integral(points: _Points, at: FloatArray) -> FloatArray:
    """Integral from 0 of a piecewise-constant rate at ``at`` (see
    :func:`drawdown_sim.common.hawkes.background_integral`), per replication."""
    changes = np.append(points.table[:, 0], 0.0)  # entry -1: for a replication without changes
    rates = np.append(points.table[:, 1], 0.0)
    # Each replication's own running sum of rate x duration, as one replication alone has it:
    # the products laid out one replication a row (zeros after its last), summed along rows.
    counts = np.diff(points.start)
    position = np.arange(points.owner.size) - points.start[points.owner]
    ended = position < counts[points.owner] - 1  # a change with another after it
    products = np.zeros((points.replications, max(counts.max(initial=0) - 1, 0)))
    products[points.owner[ended], position[ended]] = rates[:-1][ended] * np.diff(changes)[ended]
    np.cumsum(products, axis=1, out=products)
    cumulative = np.zeros(changes.size + 1)  # entry -1: 0 for a replication without changes
    cumulative[1:-1][ended] = products[points.owner[ended], position[ended]]
    latest = points.latest(at)
    # cumulative + rate x (at - change), in place (see _kernel_integrals)
    values = changes.take(latest)
    np.subtract(at, values, out=values)
    values *= rates.take(latest)
    values += cumulative.take(latest)
    values[latest < 0] = 0.0
    return values


def _kernel_integrals(
    points: _Points, grid_points: int, weight: FloatArray, decay: FloatArray
) -> FloatArray:
    """:func:`drawdown_sim.common.hawkes.kernel_integral_grid` of each replication's events
    (``weight`` and ``decay`` per replication): one pass over all events, the recurrence
    restarting at each replication's first."""
    grid = np.arange(grid_points, dtype=float)
    events = points.times_between(0.0, grid_points - 1)
    times = events.table
    first = np.zeros(times.size, dtype=bool)  # each replication's first event
    first[events.start[:-1][events.start[:-1] < times.size]] = True
    gaps = np.diff(times, prepend=0.0)
    # A replication's first gap runs back to the previous replication's last event: negative,
    # and its factor (set to 0 below) would overflow where the decay differs per replication.
    gaps[first] = 0.0
    # E_j = E_{j-1} * exp(-decay * gap) + 1, from E = 1 at a replication's first event: the
    # factors at once, the running recurrence (which no ufunc expresses) as one plain loop.
    factors = np.exp(-decay[events.owner] * gaps)
    factors[first] = 0.0
    level = 0.0
    excitation: list[float] = []
    record = excitation.append
    for factor in factors.tolist():
        level = level * factor + 1.0
        record(level)
    record(0.0)  # entry -1: unused (masked below)
    latest = events.latest(grid, strictly=True, clip=False)
    before = latest < 0  # grid points up to a replication's first event
    # excitation at the last event x exp(-decay x (grid - its time)), in place: each pass
    # over a chunk's grid that allocates costs about as much as its arithmetic
    decayed = np.append(times, 0.0).take(latest)
    np.subtract(grid, decayed, out=decayed)
    np.multiply(-decay[:, None], decayed, out=decayed)
    np.exp(decayed, out=decayed)
    decayed *= np.array(excitation).take(latest)
    decayed[before] = 0.0
    earlier = latest - events.start[:-1, None] + 1  # events so far
    earlier[before] = 0
    integral = earlier - decayed
    integral *= weight[:, None]
    return integral


def daily_series(replication: Replication, scenario: Scenario) -> FloatArray:
    """Array of shape (len(SERIES), days): one row per series in :data:`SERIES` order."""
    return daily_series_batch([replication], scenario)[0]


def daily_series_batch(replications: Sequence[Replication], scenario: Scenario) -> FloatArray:
    """Array of shape (replications, len(SERIES), days): :func:`daily_series` of each."""
    batch = SeriesBatch(scenario)
    for replication in replications:
        batch.add(replication)
    return batch.series()


# Each kind of point the series need, and its values a point (0: event times alone).
_COLUMNS = {
    "personnel": 2,
    "escalation": 2,
    "campaign": 2,
    "background": 2,
    "pressure": 4,
    "capacity": 3,  # (start, capacity at start, target)
    "attacks": 0,  # times alone
    "strikes": 0,
}
_KINDS = tuple(_COLUMNS)
_STATE = tuple(kind for kind, columns in _COLUMNS.items() if columns)  # the trajectories
_TIME = attrgetter("time")  # of an attack or strike


class SeriesBatch:
    """The daily series of many replications (a chunk's worth), computed together.

    :meth:`add` keeps only what the series need of a replication (its event times and state
    trajectories, one flat run of floats per kind), so the replication itself can be freed
    at once; :meth:`series` (or :meth:`daily`, for some of them) then turns each kind into
    one array for the whole batch and computes the series for all replications in
    whole-array operations over their change points, a fraction of the cost of one
    replication at a time. Each value comes from the same floating-point operations as for a
    replication alone, so the series do not depend on how replications are batched.
    :meth:`runs` gives a step series as runs of days instead, for counting without a value
    a day (:func:`drawdown_sim.series.bands.chunk_delta`).
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.kernels: list[tuple[float, float, float, float]] = []
        # Per kind of point (state trajectories, attacks, strikes): every replication's
        # values in one flat run, and how many points each replication has.
        self.values: dict[str, list[float]] = {kind: [] for kind in _KINDS}
        self.counts: dict[str, list[int]] = {kind: [] for kind in _KINDS}
        self._converted: dict[str, _Points] | None = None  # the points as arrays (_points)

    def __len__(self) -> int:
        return len(self.kernels)

    def add(self, replication: Replication) -> None:
        """Keep what the series need of ``replication``: its points, flattened now, while
        they are fresh in the cache (a whole chunk's tuples, read at the end, come mostly
        from main memory). Raises ValueError, keeping nothing of it, if a trajectory has a
        point of the wrong width, which would shift every later replication's points."""
        log = replication.log
        values, counts = self.values, self.counts
        self._converted = None
        kept = {kind: len(values[kind]) for kind in _STATE}  # to take them back on error
        for kind in _STATE:
            points = getattr(log.trajectories, kind)
            run = values[kind]
            extend = run.extend
            for point in points:  # (a third faster than extending by chain.from_iterable)
                extend(point)
            if len(run) - kept[kind] != len(points) * _COLUMNS[kind]:
                for taken, size in kept.items():
                    del values[taken][size:]
                    del counts[taken][len(self) :]
                raise ValueError(
                    f"{kind} trajectory: every point must have {_COLUMNS[kind]} values"
                )
            counts[kind].append(len(points))
        for kind, events in (("attacks", log.attacks), ("strikes", log.strikes)):
            values[kind].extend(map(_TIME, events))
            counts[kind].append(len(events))
        self.kernels.append(replication.militia_kernel)

    def one(self, index: int) -> SeriesBatch:
        """A batch of the ``index``-th replication alone."""
        alone = SeriesBatch(self.scenario)
        alone.kernels = [self.kernels[index]]
        for kind in _KINDS:
            width = max(_COLUMNS[kind], 1)  # values a point
            counts = self.counts[kind]
            low = sum(counts[:index]) * width
            alone.values[kind] = self.values[kind][low : low + counts[index] * width]
            alone.counts[kind] = [counts[index]]
        return alone

    def series(self) -> FloatArray:
        """Array of shape (replications, len(SERIES), days), each series a contiguous block
        in memory."""
        return self.daily(SERIES)

    def _points(self) -> dict[str, _Points]:
        """Each kind's points as arrays, converted once for however many series are asked."""
        if self._converted is None:
            self._converted = {
                kind: _Points.of(self.values[kind], self.counts[kind], _COLUMNS[kind])
                for kind in _KINDS
            }
        return self._converted

    def daily(self, names: Sequence[str]) -> FloatArray:
        """Array of shape (replications, len(names), days): the series ``names`` (of
        :data:`SERIES`), in that order, each a contiguous block in memory."""
        scenario = self.scenario
        count = len(self)
        days = scenario.horizon_days
        noon = _noons(days)
        points = self._points()
        # Laid out one series after another, each a contiguous block, and returned as the
        # transpose: their bins (runner.bands) are taken series by series, block by block.
        by_series = np.empty((len(names), count, days))
        for row, name in zip(by_series, names, strict=True):
            if name == "attacks":
                row[:] = np.bincount(self._attack_cells(), minlength=count * days).reshape(
                    count, days
                )
            elif name in STEP_SERIES:  # read at noon from the trajectory of its name
                row[:] = _step(points[name], noon)
            elif name == "attack_intensity":
                row[:] = self._attack_intensity(points)
            elif name == "political_pressure":
                row[:] = _exponential_segments(points["pressure"], noon)
            elif name == "isis_rate":
                row[:] = self._isis_rate(points)
            else:
                raise ValueError(f"no daily series {name!r}")
        return by_series.transpose(1, 0, 2)

    def runs(self, name: str) -> Runs:
        """The step series ``name`` (of :data:`STEP_SERIES`) as runs of days: what
        :meth:`daily` gives of it, day by day, without the day-by-day array.

        Raises:
            ValueError: a value is not a whole number of at most 2**40 (the sums of runs over
                a chunk's replications are exact only for such values), or a replication's
                points are out of time order.
        """
        if name == "attacks":
            return self._attack_runs()
        points = self._points()[name]
        days = self.scenario.horizon_days
        noon = _noons(days)
        # A point holds from the first noon at or after it (as _Points.latest reaches it)
        # until the next point of its replication takes over; a replication's first point
        # holds from day 0 (clipped, as in _step) and its last to the end.
        first = _positions(noon, points.times, strictly=False)
        start, stop = points.start[:-1], points.start[1:]
        has = stop > start
        first[start[has]] = 0
        end = np.empty_like(first)
        end[:-1] = first[1:]
        end[stop[has] - 1] = days
        values = points.table[:, 1]
        if not np.array_equal(values, np.trunc(values)) or np.abs(values).max(initial=0) > 2**40:
            raise ValueError(f"{name}: step series values must be whole numbers")
        if (end < first).any():
            raise ValueError(f"{name}: a replication's points are out of time order")
        # A replication without points is 0 throughout (as _step gives it).
        without = np.count_nonzero(~has)
        return Runs(
            np.concatenate((values, np.zeros(without))).astype(np.int64),
            np.concatenate((first, np.zeros(without, np.int64))),
            np.concatenate((end, np.full(without, days, np.int64))),
        )

    def _attack_runs(self) -> Runs:
        """Attacks a day as runs: a run of one day for each day of a replication with
        attacks (their number), and runs of 0 over the days between."""
        days, count = self.scenario.horizon_days, len(self)
        cell, number = np.unique(self._attack_cells(), return_counts=True)
        owner, day = np.divmod(cell, days)  # by replication, then day
        # Each day with attacks is preceded by a run of 0 from the end of the one before
        # (of the same replication; else from day 0), and each replication ends with one.
        after = np.zeros_like(day)
        same = owner[1:] == owner[:-1]
        after[1:][same] = day[:-1][same] + 1
        last = np.zeros(count, np.int64)
        ends = np.append(~same, True)  # each replication's last day with attacks
        last[owner[ends]] = day[ends] + 1
        zeros = np.zeros(day.size + count, np.int64)
        return Runs(
            np.concatenate((number, zeros)),
            np.concatenate((day, after, last)),
            np.concatenate((day + 1, day, np.full(count, days, np.int64))),
        )

    def _attack_cells(self) -> NDArray[np.int64]:
        """Each attack within the horizon as ``replication * days + day``, as both
        :meth:`daily` and :meth:`runs` count attacks a day."""
        attacks = self._points()["attacks"]
        days = self.scenario.horizon_days
        day = attacks.times.astype(np.int64)
        counted = day < days
        return attacks.owner[counted] * days + day[counted]

    def _attack_intensity(self, points: dict[str, _Points]) -> FloatArray:
        """Expected militia attacks a day: the day's increment of the compensator."""
        days = self.scenario.horizon_days
        edges = np.arange(days + 1, dtype=float)
        n, beta, rho, gamma = np.array(self.kernels, dtype=float).reshape(-1, 4).T
        cumulative = (
            _background_integral(points["background"], edges)
            + _kernel_integrals(points["attacks"], days + 1, n, beta)
            + _kernel_integrals(points["strikes"], days + 1, rho, gamma)
        )
        intensity = np.diff(cumulative, axis=1)
        # Attacks need a target: no intensity on days that end with nobody left (the days
        # themselves read only when some replication ever has nobody, or no points at all).
        personnel = points["personnel"]
        if (personnel.table[:, 1] <= 0).any() or (np.diff(personnel.start) == 0).any():
            intensity *= _step(personnel, edges[1:] - 1e-9) > 0
        return intensity

    def _isis_rate(self, points: dict[str, _Points]) -> FloatArray:
        """ISIS attacks a day (the rate at noon), 0 for a replication without capacity."""
        isis = self.scenario.isis
        days = self.scenario.horizon_days
        without = np.array(self.counts["capacity"]) == 0
        if not isis.enabled or without.all():
            return np.zeros((len(self), days))
        lagged = _exponential_segments(
            points["capacity"], _noons(days), rate=1.0 / isis.capacity_lag_days
        )
        isis_rate = isis.base_rate * (1.0 + isis.sensitivity * (1.0 - lagged))
        isis_rate[without] = 0.0
        return isis_rate
