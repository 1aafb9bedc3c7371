"""Daily quantile bands across replications in memory that does not grow with replications.

Each series keeps, per day, a histogram of the replications' values over fixed bins and a
running sum. Integer series (personnel, attacks, escalation, campaign) use one bin per
integer, so their quantiles are exact (numpy's ``inverted_cdf``); continuous series use
log-spaced bins 1.2% wide, so their quantiles are exact to within 0.6%. Histograms add, so
chunks can be folded in from any number of workers; chunks are folded in replication order
so that the float sums, and hence the means, do not depend on the worker count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

from .daily import SERIES, STEP_SERIES, Runs, SeriesBatch

QUANTILES = (0.05, 0.25, 0.50, 0.75, 0.95)
LOG_LOW, LOG_HIGH, PER_DECADE = 1e-4, 1e6, 200
INTEGER_SERIES = {"attacks": 200, "escalation": 3, "campaign": 1}


@dataclass(frozen=True)
class Bins:
    """Fixed bins: integers 0..top, or zero plus log-spaced bins over [1e-4, 1e6]."""

    top: int | None  # None: log bins

    @property
    def size(self) -> int:
        if self.top is not None:
            return self.top + 1
        return 1 + PER_DECADE * int(np.log10(LOG_HIGH / LOG_LOW))

    def index(self, values: NDArray[np.floating[Any]]) -> NDArray[np.int64]:
        """The bin of each value (a new array, which the caller may change)."""
        # In place after the first step: a chunk's series are hundreds of thousands of
        # values, and each pass that allocates a new array costs about as much as its work.
        if self.top is not None:
            rounded = np.rint(values)
            return np.clip(rounded, 0, self.top, out=rounded).astype(np.int64)
        scaled = np.maximum(values, LOG_LOW)
        scaled /= LOG_LOW
        np.log10(scaled, out=scaled)
        scaled *= PER_DECADE
        raw = np.floor(scaled, out=scaled).astype(np.int64)
        raw += 1
        np.clip(raw, 1, self.size - 1, out=raw)
        raw[values < LOG_LOW] = 0
        return raw

    def value(self, index: NDArray[np.int64]) -> NDArray[np.float64]:
        if self.top is not None:
            return index.astype(float)
        centre = LOG_LOW * 10.0 ** ((index - 0.5) / PER_DECADE)
        return np.where(index == 0, 0.0, centre)


def bins_for(series: str, initial_personnel: int) -> Bins:
    if series == "personnel":
        return Bins(initial_personnel if initial_personnel <= 20_000 else None)
    return Bins(INTEGER_SERIES.get(series))


def series_bins(initial_personnel: int) -> dict[str, Bins]:
    """The bins of every daily series."""
    return {s: bins_for(s, initial_personnel) for s in SERIES}


Cells = dict[str, tuple[NDArray[np.int64], NDArray[np.integer[Any]]]]
"""Per series: the distinct occupied cells ``bin * days + day`` in order and their counts,
in the narrowest integer type that holds them."""


@dataclass(frozen=True)
class BandsDelta:
    """One chunk's contribution to :class:`Bands`: the number of replications, the sums of
    their daily series over replications (shape (len(SERIES), days)) and their histogram
    cells (:data:`Cells`)."""

    count: int
    sums: NDArray[np.float64]
    cells: Cells


def chunk_delta(
    daily: NDArray[np.floating[Any]],
    bins: dict[str, Bins],
    runs: Mapping[str, Runs] | None = None,
) -> BandsDelta:
    """A chunk's contribution, computed where the chunk ran (a worker) and small to send:
    per series, the occupied (bin, day) cells and their counts, and the sums over
    replications. Needs no histograms.

    ``runs``: step series given as runs of days (:meth:`SeriesBatch.runs
    <drawdown_sim.series.daily.SeriesBatch.runs>`), counted run by run instead of day by
    day; ``daily`` then holds the other series, in :data:`SERIES` order. Their cells and
    sums are those the same series day by day would give: the cells count the same
    (bin, day) pairs, and the sums, of whole numbers, are exact in any order.

    The counts (at most the chunk's replications) go in the narrowest integer type.
    """
    runs = runs or {}
    replications, _, days = daily.shape
    day = np.arange(days)
    count_type = np.min_scalar_type(replications)
    named = [series for series in SERIES if series not in runs]
    sums = np.empty((len(SERIES), days))
    sums[[SERIES.index(series) for series in named]] = daily.sum(axis=0)
    cells: Cells = {}
    for series in SERIES:
        if series in runs:
            k = SERIES.index(series)
            occupied, counts, sums[k] = _run_cells(runs[series], bins[series], days)
            cells[series] = (occupied.astype(np.int64), counts.astype(count_type))
            continue
        index = bins[series].index(daily[:, named.index(series), :])
        low, high = int(index.min()), int(index.max())  # a chunk has replications
        reached = (high - low + 1) * days  # cells of the bins the chunk reached
        if reached <= 2 * index.size:  # few bins (escalation, posture, attacks, a steady
            # ISIS rate): count densely over those bins alone
            index -= low
            index *= days
            index += day
            dense = np.bincount(index.ravel(), minlength=reached)
            occupied = np.flatnonzero(dense != 0)  # (see save: a mask is found faster)
            counts = dense[occupied]
            occupied += low * days
        else:  # many bins, mostly empty: sort instead (the same cells and counts), in the
            # narrow type where every cell fits, which numpy sorts twice as fast
            narrow = bins[series].size * days <= np.iinfo(np.int32).max
            index *= days
            index += day
            flat = index.ravel().astype(np.int32 if narrow else np.int64)
            occupied, counts = np.unique(flat, return_counts=True)
        cells[series] = (occupied.astype(np.int64), counts.astype(count_type))
    return BandsDelta(replications, sums, cells)


def series_delta(batch: SeriesBatch, bins: dict[str, Bins]) -> BandsDelta:
    """:func:`chunk_delta` of a batch's series, the step series given as runs."""
    runs = {series: batch.runs(series) for series in STEP_SERIES}
    daily = batch.daily([series for series in SERIES if series not in runs])
    return chunk_delta(daily, bins, runs)


def _run_cells(
    runs: Runs, bins: Bins, days: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """The occupied cells of a step series given as runs, their counts, and the series'
    sums over replications, day by day.

    Each run adds one to its value's bin from its first day and takes it off after its
    last: a running sum along the days, over the few bins the runs reach, counts each day of
    each replication in the bin of its value, with no day-by-day array of replications.
    """
    values, first, end = runs
    width = days + 1  # a column past the last day, where runs to the end take their one off
    index = bins.index(values.astype(float))
    present = np.bincount(index, minlength=bins.size) > 0
    reached = np.flatnonzero(present)  # the bins some run reaches, each given a row
    row = (np.cumsum(present) - 1)[index] * width
    size = reached.size * width
    changes = np.bincount(row + first, minlength=size)
    changes -= np.bincount(row + end, minlength=size)
    counts = np.cumsum(changes.reshape(reached.size, width)[:, :days], axis=1)
    # In bin order, then day order: the cells' order. (See save: a mask is found faster.)
    occupied = np.flatnonzero(counts != 0)
    cells = reached[occupied // days] * days + occupied % days
    # The sums day by day, the same way: whole numbers, so every float sum is exact.
    weights = values.astype(float)
    totals = np.bincount(first, weights, minlength=width)
    totals -= np.bincount(end, weights, minlength=width)
    return cells, counts.reshape(-1)[occupied], np.cumsum(totals[:days])


def first_reaching(
    cumulative: NDArray[np.integer[Any]], thresholds: list[float]
) -> NDArray[np.int64]:
    """Per threshold (rows of the result) and column of ``cumulative``, whose columns never
    fall from one row to the next: the first row whose value is not below the threshold
    (the number of rows below it; the row count if none reaches it), by ``np.searchsorted``
    of each column."""
    wanted = np.asarray(thresholds, dtype=float)
    found = [np.searchsorted(column, wanted, side="left") for column in cumulative.T]
    return np.array(found, dtype=np.int64).reshape(cumulative.shape[1], wanted.size).T


RESERVED_BYTES = 32 * 1024 * 1024
"""Most a histogram reserves (address space, not memory) for all of its bins at once."""


class _Histogram:
    """Counts per (bin, day), one row per bin that some replication has reached.

    A dense (bins x days) array would be mostly empty: a continuous series has 2,001 bins
    and a run reaches a few hundred of them, so the dense array of the whole horizon is
    about 12 MB per series, which every new run must fault into memory page by page as it
    first touches it, and which every quantile must scan. Rows are added as bins are first
    reached (in any order) and kept in bin order only when read.
    """

    __slots__ = ("days", "slot", "bins", "counts", "rows")

    def __init__(self, bins: int, days: int) -> None:
        self.days = days
        self.slot = np.full(bins, -1, dtype=np.int64)  # row of each bin; -1: not reached
        # Room for every bin where that is at most RESERVED_BYTES, left uninitialised: a row
        # is cleared when its bin is first reached, so rows never reached cost nothing (the
        # system backs memory only where it is written) and none are copied to grow.
        # (np.zeros would clear it all at once whenever the allocator reuses memory freed
        # before, as in a second run in one process: tens of MB, up to 30 ms, in the process
        # that takes every chunk.) int32: at most 10^7 replications; half the memory.
        room = bins if bins * days * 4 <= RESERVED_BYTES else 0
        self.bins = np.empty(room, dtype=np.int64)  # bin of each row, rows in order reached
        self.counts = np.empty((room, days), dtype=np.int32)  # rows from ``rows`` on: unused
        self.rows = 0

    def add(self, cells: NDArray[np.integer[Any]], counts: NDArray[np.integer[Any]]) -> None:
        """Add ``counts`` to the distinct cells ``bin * days + day``."""
        days = self.days
        cells = cells.astype(np.int64, copy=False)
        bins = cells // days
        rows = self.slot[bins]
        fresh = rows < 0
        if fresh.any():  # bins reached for the first time
            reached = bins[fresh]
            if (reached[1:] >= reached[:-1]).all():  # cells in order, as chunks and
                # checkpoints give them: the distinct bins, without np.unique's sort
                new = reached[np.append(True, reached[1:] != reached[:-1])]
            else:
                new = np.unique(reached)
            total = self.rows + new.size
            if total > self.counts.shape[0]:  # room for twice as many: amortized growth
                grown = np.empty((max(total, 2 * self.counts.shape[0]), days), dtype=np.int32)
                grown[: self.rows] = self.counts[: self.rows]
                self.counts = grown
                self.bins = np.resize(self.bins, grown.shape[0])
            self.counts[self.rows : total] = 0  # the rows of bins first reached
            self.slot[new] = np.arange(self.rows, total)
            self.bins[self.rows : total] = new
            self.rows = total
            rows = self.slot[bins]
        # The cells are distinct, so a buffered += adds each count once (and takes a tenth of
        # the time of the unbuffered ``np.add.at``).
        # A cell's place among the rows: row * days + day = cell + (row - bin) * days, in
        # place (each pass that allocates costs about as much as its arithmetic).
        rows -= bins
        rows *= days
        rows += cells
        flat = self.counts.reshape(-1)
        flat[rows] += counts

    def occupied(self) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
        """(bins reached, in order; their rows of counts), the counts a copy."""
        order = np.argsort(self.bins[: self.rows], kind="stable")
        return self.bins[order], self.counts[order]

    def dense(self) -> NDArray[np.int64]:
        """The whole (bins x days) histogram."""
        full = np.zeros((self.slot.size, self.days), dtype=np.int64)
        full[self.bins[: self.rows]] = self.counts[: self.rows]
        return full

    @property
    def cells(self) -> int:
        """Cells of the whole histogram (bins x days)."""
        return self.slot.size * self.days


class Bands:
    """Accumulates daily series of many replications into histograms and sums."""

    def __init__(self, days: int, initial_personnel: int) -> None:
        self.days = days
        self.count = 0
        self.bins = series_bins(initial_personnel)
        self._histograms = {s: _Histogram(b.size, days) for s, b in self.bins.items()}
        self.sums = np.zeros((len(SERIES), days))

    def histogram(self, series: str) -> NDArray[np.int64]:
        """The (bins x days) counts of ``series`` (a new array, mostly zeros)."""
        return self._histograms[series].dense()

    def add(self, daily: NDArray[np.float64]) -> None:
        """Fold in an array of shape (replications, len(SERIES), days)."""
        self.fold(self.delta(daily))

    def delta(self, daily: NDArray[np.float64]) -> BandsDelta:
        """A chunk's contribution (see :func:`chunk_delta`)."""
        return chunk_delta(daily, self.bins)

    def fold(self, delta: BandsDelta) -> None:
        """Add a chunk's contribution (chunks are folded in order: see the module doc)."""
        if delta.count == 0:
            return
        self.count += delta.count
        self.sums += delta.sums
        for series, (occupied, counts) in delta.cells.items():
            self._histograms[series].add(occupied, counts)

    def quantile(self, series: str, q: float) -> NDArray[np.float64]:
        """Per-day quantile (inverse of the empirical CDF at the bin level)."""
        return self.quantiles(series, (q,))[0]

    def quantiles(self, series: str, qs: tuple[float, ...]) -> list[NDArray[np.float64]]:
        """Per-day quantiles ``qs``, from one cumulative sum of the histogram's occupied bins
        (a bin empty on every day cannot be where the cumulative count first reaches q)."""
        bins = self.bins[series]
        rows, cumulative = self._histograms[series].occupied()
        if self.count == 0 or rows.size == 0:
            return [bins.value(np.zeros(self.days, dtype=np.int64)) for _ in qs]
        # The running sum down the bins, in place: in the counts' own 32-bit type (a cumsum
        # into a new array would widen it to 64 bits, and take seven times as long).
        np.cumsum(cumulative, axis=0, out=cumulative)
        # The first bin where a day's running count reaches q of the replications. The last
        # bin's running count is every replication, so it is always one of the rows; the
        # clamp is for the index's sake alone.
        last = rows.size - 1
        first = first_reaching(cumulative, [q * self.count - 1e-9 for q in qs])
        return [bins.value(rows[np.minimum(at, last)]) for at in first]

    def shares(self, series: str) -> NDArray[np.float64]:
        """Per-day share of replications in each integer bin (e.g. escalation levels)."""
        return self.histogram(series) / max(self.count, 1)

    def table(self) -> dict[str, Any]:
        """Columns of series.parquet: ``<series>_mean`` and ``<series>_q05 .. _q95``, plus
        ``escalation_share_<level>``."""
        columns: dict[str, Any] = {}
        means = self.sums / max(self.count, 1)
        for k, series in enumerate(SERIES):
            columns[f"{series}_mean"] = means[k]
            for q, values in zip(QUANTILES, self.quantiles(series, QUANTILES), strict=True):
                columns[f"{series}_q{round(q * 100):02d}"] = values
        for level, share in enumerate(self.shares("escalation")):
            columns[f"escalation_share_{level}"] = share
        return columns

    # --- checkpoints -------------------------------------------------------------------------
    def save(self, handle: BinaryIO, folded: list[int]) -> None:
        """Write a checkpoint: the histograms sparsely (most cells are empty), uncompressed,
        so it costs milliseconds rather than compressing tens of megabytes of zeros.
        ``folded`` lists the chunks whose replications the bands hold."""
        arrays: dict[str, Any] = {}
        for series, histogram in self._histograms.items():
            rows, block = histogram.occupied()  # cells in order, as of the dense histogram
            # The nonzero cells of a mask: numpy finds those of a boolean array several
            # times as fast as those of an integer one (a checkpoint's main cost).
            local = np.flatnonzero(block != 0)
            cells = rows[local // self.days] * self.days + local % self.days
            narrow = histogram.cells <= np.iinfo(np.int32).max  # (half the bytes to write)
            arrays[f"cells_{series}"] = cells.astype(np.int32) if narrow else cells
            arrays[f"counts_{series}"] = block.ravel()[local]
        np.savez(
            handle,
            count=self.count,
            sums=self.sums,
            folded=np.asarray(folded, dtype=np.int64),
            **arrays,
        )

    def checkpoint_bytes(self) -> int:
        """The most a checkpoint of these bands can take: every cell occupied (a cell index
        and a count each), the sums, and room for the archive's own headers."""
        cells = sum(histogram.cells for histogram in self._histograms.values())
        return 16 * cells + self.sums.nbytes + 1024 * 1024

    def load(self, source: BinaryIO) -> set[int]:
        """Restore from a checkpoint (an open file); returns the chunks folded into it.

        Raises:
            ValueError: the file is not a checkpoint of bands of this shape.
        """
        with np.load(source, allow_pickle=False) as data:
            sums = data["sums"]
            if sums.shape != self.sums.shape:
                raise ValueError("checkpoint of another horizon")
            count = int(data["count"])
            if not 0 <= count <= np.iinfo(np.int32).max:  # the counts are 32-bit
                raise ValueError("checkpoint of an impossible number of replications")
            self.reset()
            for series, histogram in self._histograms.items():
                cells = data[f"cells_{series}"].astype(np.int64, casting="safe")
                counts = data[f"counts_{series}"].astype(np.int64, casting="safe")
                if (
                    cells.ndim != 1
                    or cells.shape != counts.shape
                    or (cells.size and (cells.min() < 0 or cells.max() >= histogram.cells))
                    or (counts.size and (counts.min() < 0 or counts.max() > count))
                    or np.unique(cells).size != cells.size
                ):
                    raise ValueError("checkpoint histograms do not fit")
                histogram.add(cells, counts)
            self.count = count
            self.sums = sums
            return {int(i) for i in data["folded"]}

    def reset(self) -> None:
        """Back to no replications."""
        self.count = 0
        self.sums = np.zeros_like(self.sums)
        self._histograms = {s: _Histogram(b.size, self.days) for s, b in self.bins.items()}
