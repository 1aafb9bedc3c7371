"""Results of a run: outcomes, daily series, traced events and the manifest, from disk."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .completion import (
    GROUPED_RESOLUTION,
    Z95,
    CompletionSummary,
    hour_counts,
    kaplan_meier,
    kaplan_meier_from_counts,
    proportion,
    quantile,
    summarize_completion,
    wilson,
)
from .model import OUTCOME_SPECS, OUTCOMES
from .runner.manifest import ManifestError, RunManifest, read_manifest, write_manifest
from .runner.store import atomic_write_table
from .scenario import Scenario


class SeriesFrame(pd.DataFrame):
    """The wide table of ``series.parquet`` (a DataFrame as before), callable for its other
    forms: ``frame(tidy=True)`` and ``frame(xarray=True)``."""

    def __call__(self, tidy: bool = False, xarray: bool = False) -> Any:
        from .tidy import series_dataset, tidy_series

        if xarray:
            return series_dataset(self)
        return tidy_series(self) if tidy else pd.DataFrame(self)


class Results:
    """One results directory (``drawdown-sim run`` output).

    Tables are read from disk on first use, so summarising or plotting a run of 100,000
    replications reads only the columns it needs.
    """

    def __init__(
        self,
        manifest: RunManifest,
        path: Path | None = None,
        outcomes: pd.DataFrame | None = None,
        series: pd.DataFrame | None = None,
        events: pd.DataFrame | None = None,
    ) -> None:
        self.manifest = manifest
        self.path = path
        self._outcomes = outcomes
        self._series = series
        self._events = events
        self._scenario: Scenario | None = None
        self._rows: int | None = None  # rows of outcomes.parquet, once read
        self._floats: dict[str, np.ndarray] = {}  # columns as floats, of a table held whole
        self._table: pa.Table | None = None  # outcomes.parquet as read, for its columns

    @classmethod
    def written(
        cls, path: Path, manifest: RunManifest, scenario: Scenario, outcomes: pa.Table | None
    ) -> Results:
        """The results a run has just written to ``path``, from what it holds, nothing read
        back: its manifest, its scenario as run (validated already: validating a scenario
        costs tens of milliseconds, which a compare would otherwise pay again for every
        option it finishes) and, when it was held whole, the table of ``outcomes.parquet``.
        """
        results = cls(manifest, path)
        results._scenario = scenario
        results._table = outcomes
        return results

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """Open a complete run directory (one with a run's ``manifest.json``).

        Raises:
            ManifestError: no manifest, a damaged one, one of another format version, or
                the manifest of a compare or sweep; one line that says which.
            FileNotFoundError: a table the manifest promises is missing.
        """
        root = Path(path)
        manifest = read_manifest(root)
        if not isinstance(manifest, RunManifest):
            raise ManifestError(
                f"{root} holds a {manifest.kind}, not a run; open it with "
                f"drawdown_sim.load({str(root)!r})"
            )
        for name in ("outcomes", "series"):
            if not (root / f"{name}.parquet").is_file():
                raise FileNotFoundError(f"{root / name}.parquet is missing; rerun with --force")
        if manifest.trace and not (root / "events.parquet").is_file():
            raise FileNotFoundError(f"{root}/events.parquet is missing; rerun with --force")
        return cls(manifest, root)

    def _read(self, name: str) -> pd.DataFrame | None:
        if self.path is None or not (self.path / f"{name}.parquet").exists():
            return None
        return pq.read_table(self.path / f"{name}.parquet").to_pandas()

    @property
    def outcomes(self) -> pd.DataFrame:
        """One row per replication: ``replication``, ``seed`` and the outcomes."""
        if self._outcomes is None:
            if self._table is not None:  # already read for its columns
                self._outcomes = self._table.to_pandas()
                self._table = None
            else:
                self._outcomes = self._read("outcomes")
        assert self._outcomes is not None
        return self._outcomes

    @property
    def series(self) -> SeriesFrame:
        """Daily means and quantile bands: one row per day, ``<series>_mean`` and
        ``<series>_qNN`` columns. Called, it gives other forms:
        ``results.series(tidy=True)`` one row per (day, series, statistic) and
        ``results.series(xarray=True)`` an xarray ``Dataset`` (see :class:`SeriesFrame`)."""
        if self._series is None:
            self._series = self._read("series")
        assert self._series is not None
        return SeriesFrame(self._series)

    @property
    def events(self) -> pd.DataFrame | None:
        """Event log of the traced replications (``--trace N``), or None."""
        if self._events is None:
            self._events = self._read("events")
        return self._events

    def column(self, name: str) -> np.ndarray:
        """One outcome column as floats (NaN for nulls), read alone when the table is not
        loaded."""
        if self._outcomes is None and self.path is not None and self._streams():
            # ParquetFile.read, not read_table: the dataset layer behind read_table holds
            # about 70 bytes per row of Python objects even for a single column. (A smaller
            # table is read whole, once, rather than opening the file for every column.)
            table = pq.ParquetFile(self.path / "outcomes.parquet").read(columns=[name])
            column = pc.cast(table.column(name), pa.float64())
            return np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)
        # A table held whole is small: its columns are converted once and kept (a summary,
        # a comparison and its reference each ask for every column), read-only so that no
        # caller can change what the next one gets.
        floats = self._floats.get(name)
        if floats is None:
            if self._outcomes is None and self.path is not None:
                # Straight from the file's Arrow columns: no DataFrame is built just to
                # summarise a run (pandas' own conversion takes several times as long).
                if self._table is None:
                    self._table = pq.read_table(self.path / "outcomes.parquet")
                column = pc.cast(self._table.column(name), pa.float64())
                floats = np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)
            else:
                floats = np.asarray(self.outcomes[name].to_numpy(dtype=float, na_value=np.nan))
            floats.flags.writeable = False  # on this array (or view) only, not the table
            self._floats[name] = floats
        return floats

    def save(self, path: str | Path) -> None:
        """Write the layout :meth:`load` reads (manifest last), e.g. a copy elsewhere."""
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        atomic_write_table(
            root / "outcomes.parquet", pa.Table.from_pandas(self.outcomes, preserve_index=False)
        )
        atomic_write_table(
            root / "series.parquet", pa.Table.from_pandas(self.series, preserve_index=False)
        )
        if self.events is not None:
            atomic_write_table(
                root / "events.parquet", pa.Table.from_pandas(self.events, preserve_index=False)
            )
        write_manifest(root, self.manifest)

    @property
    def scenario(self) -> Scenario:
        if self._scenario is None:  # validated once: summaries and plots ask for it often
            self._scenario = Scenario.model_validate(self.manifest.scenario)
        return self._scenario

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def replications(self) -> int:
        return self.manifest.replications_done

    @property
    def seed(self) -> int:
        return self.manifest.seed

    def __repr__(self) -> str:
        from .display import results_repr

        return results_repr(self)

    def _repr_html_(self) -> str:
        """What a notebook shows (see :mod:`drawdown_sim.display`)."""
        from .display import results_html

        return results_html(self)

    @property
    def label(self) -> str:
        """``name (N replications, seed S)`` for plot titles."""
        return f"{self.name} ({self.replications:,} replications, seed {self.seed})"

    def summary(self) -> pd.DataFrame:
        """Per outcome: mean with its 95% interval (``mean_lo``, ``mean_hi``: the Monte Carlo
        error of the mean, see :func:`mean_interval`), median, 5% and 95% quantiles, P(> 0)
        (share for booleans) and the share censored. Completion and slip are censored where
        the plan is unfinished at the end of the horizon: their quantiles are Kaplan-Meier
        estimates and their mean is left empty rather than averaged over the finished runs
        only."""
        scenario = self.scenario
        if self._streams():
            assert self.path is not None
            return streamed_summary(
                self.path / "outcomes.parquet", scenario.planned_end_day, scenario.horizon_days
            )
        return summarize(
            _Columns(self),
            planned_end=scenario.planned_end_day,
            horizon_days=scenario.horizon_days,
        )

    def _streams(self) -> bool:
        """Whether summaries stream row group by row group (very large runs on disk)."""
        if self._outcomes is not None or self.path is None:
            return False
        if self._rows is None:
            self._rows = pq.ParquetFile(self.path / "outcomes.parquet").metadata.num_rows
        return bool(self._rows > STREAM_ROWS)

    def completion(self) -> CompletionSummary:
        """P(complete by the planned end / the window end), Kaplan-Meier medians, the curve."""
        scenario = self.scenario
        if self._streams():
            assert self.path is not None
            return streamed_completion(
                self.path / "outcomes.parquet",
                scenario.planned_end_day,
                scenario.window_days,
                scenario.horizon_days,
            )
        return summarize_completion(
            self.column("completion_day"),
            scenario.planned_end_day,
            scenario.window_days,
            scenario.horizon_days,
        )


class _Columns:
    """Outcome columns read one at a time on demand: a summary of a million replications
    holds one column (8 MB) at a time, never the whole table."""

    def __init__(self, results: Results) -> None:
        self._results = results

    def __getitem__(self, name: str) -> np.ndarray:
        return self._results.column(name)


CENSORED_OUTCOMES = ("completion_day", "slip_days")

STREAM_ROWS = 50_000
"""Above this many replications, summaries stream the outcomes file one row group of one
column at a time (memory bounded by a row group and a histogram), instead of holding a
column: exact for counts and yes/no outcomes; continuous quantiles to within
(max - min) / :data:`FLOAT_BINS`; censored outcomes by grouped Kaplan-Meier to the hour."""

FLOAT_BINS = 100_000


def _batches(path: Path, name: str) -> Any:
    """One column of a Parquet file, one row group at a time, as float arrays (NaN: null)."""
    handle = pq.ParquetFile(path)
    for group in range(handle.metadata.num_row_groups):
        column = handle.read_row_group(group, columns=[name]).column(0)
        yield np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def mean_interval(kind: str, runs: int, mean: float, variance: float) -> tuple[float, float]:
    """95% interval of an outcome's mean over ``runs`` independent replications: Wilson's
    for a share (a yes/no outcome), else the normal approximation ``mean +- 1.96 sd /
    sqrt(runs)`` (replications are independent and identically distributed, and runs are
    hundreds to millions). NaN without a mean or with fewer than two runs."""
    if runs < 2 or not math.isfinite(mean):
        return math.nan, math.nan
    if kind == "bool":
        share = proportion(round(mean * runs), runs)
        return share.low, share.high
    half = Z95 * math.sqrt(max(variance, 0.0) / runs)
    return mean - half, mean + half


def _with_interval(
    row: dict[str, float], kind: str, runs: int, variance: float, positive: tuple[int, int]
) -> dict[str, float]:
    """``row`` with ``mean_lo`` and ``mean_hi`` after its ``mean``, then ``std`` (the sample
    standard deviation across replications, in the outcome's unit; empty where the mean
    is), and the Wilson interval of its ``p_positive`` (``positive`` = (runs above zero,
    runs it is a share of)), ``p_positive_lo`` and ``p_positive_hi``, after that."""
    low, high = mean_interval(kind, runs, row["mean"], variance)
    std = math.sqrt(variance) if math.isfinite(row["mean"]) and variance >= 0 else math.nan
    positive_lo, positive_hi = wilson(*positive)
    ordered: dict[str, float] = {}
    for key, value in row.items():
        ordered[key] = value
        if key == "mean":
            ordered.update(mean_lo=low, mean_hi=high, std=std)
        if key == "p_positive":
            ordered.update(p_positive_lo=positive_lo, p_positive_hi=positive_hi)
    return ordered


def _quantile_from_counts(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """numpy's ``inverted_cdf`` quantile of a sample given as sorted values and counts."""
    cumulative = np.cumsum(counts)
    return float(values[np.searchsorted(cumulative, q * cumulative[-1], side="left")])


def _streamed_column(path: Path, name: str, kind: str) -> dict[str, float] | None:
    total = positive = finite = 0
    summed = 0.0
    mean = squares = 0.0  # running mean and sum of squared deviations (Chan et al.)
    low, high = math.inf, -math.inf
    counts: dict[float, int] = {}
    for batch in _batches(path, name):
        ok = batch[np.isfinite(batch)]
        before = finite
        finite += ok.size
        total += batch.size
        if not ok.size:
            continue
        summed += float(ok.sum())
        batch_mean = float(ok.mean())
        delta = batch_mean - mean
        squares += float(((ok - batch_mean) ** 2).sum()) + delta**2 * before * ok.size / finite
        mean += delta * ok.size / finite
        positive += int((ok > 0).sum())
        low, high = min(low, float(ok.min())), max(high, float(ok.max()))
        if kind != "float":  # counts and booleans: exact counts of each value
            values, n = np.unique(ok, return_counts=True)
            for v, c in zip(values.tolist(), n.tolist(), strict=True):
                counts[v] = counts.get(v, 0) + c
    if finite == 0:
        return None
    if kind != "float":
        values = np.array(sorted(counts))
        n = np.array([counts[v] for v in values.tolist()])
        q = [_quantile_from_counts(values, n, p) for p in (0.5, 0.05, 0.95)]
    else:  # a second pass: a fine histogram between the extremes
        edges = np.linspace(low, high, FLOAT_BINS + 1) if high > low else np.array([low, low])
        histogram = np.zeros(max(edges.size - 1, 1), dtype=np.int64)
        for batch in _batches(path, name):
            ok = batch[np.isfinite(batch)]
            if high > low:
                histogram += np.histogram(ok, bins=edges)[0]
            else:
                histogram[0] += ok.size
        centres = (edges[:-1] + edges[1:]) / 2 if high > low else np.array([low])
        q = [_quantile_from_counts(centres, histogram, p) for p in (0.5, 0.05, 0.95)]
    row = dict(
        mean=summed / finite,
        median=q[0],
        q05=q[1],
        q95=q[2],
        p_positive=positive / finite,
        censored=0.0,
    )
    variance = squares / (finite - 1) if finite > 1 else 0.0
    return _with_interval(row, kind, finite, variance, (positive, finite))


def _streamed_hours(path: Path, name: str, offset: float) -> tuple[dict[int, int], int, int]:
    """Finished values (minus ``offset``) counted by the hour, finished count, runs."""
    hours: dict[int, int] = {}
    finished = runs = 0
    for batch in _batches(path, name):
        runs += batch.size
        ok = batch[np.isfinite(batch)] - offset
        finished += ok.size
        for k, c in hour_counts(ok).items():
            hours[k] = hours.get(k, 0) + c
    return hours, finished, runs


def streamed_summary(path: Path, planned_end: float | None, horizon_days: float) -> pd.DataFrame:
    """:func:`summarize` of an outcomes file, streamed (see :data:`STREAM_ROWS`)."""
    rows: dict[str, dict[str, float]] = {}
    for name in OUTCOMES:
        if name in CENSORED_OUTCOMES:
            # The slip column is already relative to the planned end: only its censoring time
            # (the horizon's end) moves.
            offset = (planned_end or 0.0) if name == "slip_days" else 0.0
            hours, finished, runs = _streamed_hours(path, name, 0.0)
            curve = kaplan_meier_from_counts(hours, runs, horizon_days - offset)
            share = (runs - finished) / runs if runs else math.nan
            mean = variance = math.nan
            if share == 0.0:
                mean = float(
                    sum(k * c for k, c in hours.items()) * GROUPED_RESOLUTION / max(finished, 1)
                )
                variance = sum(
                    c * (k * GROUPED_RESOLUTION - mean) ** 2 for k, c in hours.items()
                ) / max(finished - 1, 1)
            positive = sum(c for k, c in hours.items() if k > 0)
            row = dict(
                mean=mean,
                median=quantile(curve, 0.5).value,
                q05=quantile(curve, 0.05).value,
                q95=quantile(curve, 0.95).value,
                p_positive=positive / runs if runs else math.nan,
                censored=share,
            )
            rows[name] = _with_interval(row, "float", finished, variance, (positive, runs))
            continue
        column = _streamed_column(path, name, OUTCOME_SPECS[name].kind)
        if column is not None:
            rows[name] = column
    return pd.DataFrame.from_dict(rows, orient="index")


def streamed_completion(
    path: Path, planned_end: float | None, window_days: float, horizon_days: float
) -> CompletionSummary:
    """:func:`summarize_completion` of an outcomes file, streamed by the hour."""
    end = 0.0 if planned_end is None else planned_end
    hours, finished, runs = _streamed_hours(path, "completion_day", 0.0)
    slips, _, _ = _streamed_hours(path, "completion_day", end)
    by_planned = sum(c for k, c in hours.items() if k * GROUPED_RESOLUTION <= end + 1e-9)
    by_window = sum(c for k, c in hours.items() if k * GROUPED_RESOLUTION <= window_days)
    curve = kaplan_meier_from_counts(hours, runs, horizon_days)
    slip_curve = kaplan_meier_from_counts(slips, runs, horizon_days - end)
    return CompletionSummary(
        runs=runs,
        by_planned_end=proportion(by_planned, runs),
        by_window_end=proportion(by_window, runs),
        censored=proportion(runs - finished, runs),
        median_day=quantile(curve, 0.5),
        median_slip=quantile(slip_curve, 0.5),
        curve=curve,
    )


"""Outcomes that are null where the drawdown is unfinished at the end of the horizon."""


def _censored_row(values: np.ndarray, offset: float, horizon_days: float) -> dict[str, float]:
    """Summary of a censored column (NaN: censored at ``horizon_days - offset``)."""
    curve = kaplan_meier(values, horizon_days - offset)
    finite = values[np.isfinite(values)]
    share = float(np.isnan(values).mean()) if values.size else np.nan
    uncensored = bool(finite.size and share == 0.0)
    row = dict(
        mean=float(finite.mean()) if uncensored else np.nan,
        median=quantile(curve, 0.5).value,
        q05=quantile(curve, 0.05).value,
        q95=quantile(curve, 0.95).value,
        p_positive=float((finite > 0).sum() / values.size) if values.size else np.nan,
        censored=share,
    )
    variance = float(finite.var(ddof=1)) if uncensored and finite.size > 1 else np.nan
    positive = (int((finite > 0).sum()), int(values.size))
    return _with_interval(row, "float", int(finite.size), variance, positive)


SUMMARY_CELLS = 1_000_000
"""Most values (8 MB) of complete columns summarised together by :func:`summarize`."""


def _quantile_method(name: str) -> Literal["linear", "inverted_cdf"]:
    """Continuous outcomes interpolate; counts and shares take values that occur."""
    return "linear" if OUTCOME_SPECS[name].kind == "float" else "inverted_cdf"


def _summary_rows(columns: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Summary rows of columns of one length without nulls, summarised together: one
    quantile, mean and variance call per quantile method instead of one per column. Each
    row is exactly the one-column computation's (numpy reduces each row of the stacked
    array as it reduces the column alone)."""
    rows: dict[str, dict[str, float]] = {}
    for method in ("linear", "inverted_cdf"):
        names = [name for name in columns if _quantile_method(name) == method]
        if not names:
            continue
        stacked = np.stack([columns[name] for name in names])  # one outcome per row
        runs = stacked.shape[1]
        q05, median, q95 = np.quantile(stacked, [0.05, 0.5, 0.95], axis=1, method=method)
        means = stacked.mean(axis=1)
        variances = stacked.var(axis=1, ddof=1) if runs > 1 else np.zeros(len(names))
        positive = np.count_nonzero(stacked > 0, axis=1)
        del stacked
        for at, name in enumerate(names):
            row = dict(
                mean=float(means[at]),
                median=float(median[at]),
                q05=float(q05[at]),
                q95=float(q95[at]),
                p_positive=int(positive[at]) / runs,
                censored=0.0,
            )
            rows[name] = _with_interval(
                row, OUTCOME_SPECS[name].kind, runs, float(variances[at]), (int(positive[at]), runs)
            )
    return rows


def summarize(
    outcomes: pd.DataFrame | dict[str, np.ndarray] | _Columns,
    *,
    planned_end: float | None = None,
    horizon_days: float | None = None,
) -> pd.DataFrame:
    """Summary table of outcome columns (see :meth:`Results.summary`).

    Count quantiles are values that occur (numpy's ``inverted_cdf``), never interpolated.
    Columns that are null throughout (the follow-on's, without a follow-on) are left out.
    Columns are read one at a time; complete ones (no nulls, the usual case) are summarised
    together in groups of at most :data:`SUMMARY_CELLS` values, the others one by one, so
    memory is bounded by a group or one column, whichever is larger.
    """
    rows: dict[str, dict[str, float] | None] = {}  # None: in a group not yet summarised
    group: dict[str, np.ndarray] = {}

    def summarise_group() -> None:
        rows.update(_summary_rows(group))
        group.clear()

    for name in OUTCOMES:
        values = np.asarray(outcomes[name], dtype=float)  # one column at a time
        if name in CENSORED_OUTCOMES and horizon_days is not None:
            offset = (planned_end or 0.0) if name == "slip_days" else 0.0
            rows[name] = _censored_row(values, offset, horizon_days)
            continue
        finite = np.isfinite(values)
        if values.size and finite.all():
            if group and (len(group) + 1) * values.size > SUMMARY_CELLS:
                summarise_group()
            group[name] = values
            rows[name] = None
            continue
        complete = values[finite]  # its non-null values, summarised alone
        del values, finite  # before the next column is read
        if complete.size:
            rows.update(_summary_rows({name: complete}))
    if group:
        summarise_group()
    return pd.DataFrame.from_dict(rows, orient="index")
