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

from ..model import OUTCOME_SPECS, OUTCOMES
from ..runner.manifest import ManifestError, RunManifest, read_manifest, write_manifest
from ..runner.store import atomic_write_table
from ..scenario import Scenario
from .completion import (
    Z95,
    CompletionSummary,
    kaplan_meier,
    proportion,
    quantile,
    summarize_completion,
    wilson,
)


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
        """One outcome column as floats (NaN for nulls), read-only: from the table when it is
        held, else read alone from ``outcomes.parquet``. Nothing is kept, so that a summary
        holds a group of columns at a time (:data:`SUMMARY_CELLS`), never a copy of them all."""
        if self._outcomes is not None:
            floats = np.asarray(self._outcomes[name].to_numpy(dtype=float, na_value=np.nan))
        else:
            if self._table is not None:
                column = self._table.column(name)
            else:
                assert self.path is not None
                # One column is read on this thread, unbuffered: read with Arrow's thread
                # pools, the pages each pool thread's allocator kept added 52 MB to the
                # process after summarising 100,000 replications, against 20 MB this way
                # (benchmarks/README.md), at no measurable cost for one column.
                handle = pq.ParquetFile(self.path / "outcomes.parquet", pre_buffer=False)
                column = handle.read(columns=[name], use_threads=False).column(name)
            floats = np.asarray(
                pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=float
            )
        floats.flags.writeable = False  # a view of the held table must not be changed
        return floats

    def save(self, path: str | Path, *, force: bool = False) -> None:
        """Write the layout :meth:`load` reads (manifest last), e.g. a copy elsewhere.

        The folder is checked as a run's would be (:mod:`~drawdown_sim.runner.outputs`):
        files drawdown-sim did not write are never removed or overwritten.

        Raises:
            OutputRefused: the folder holds other files or results (``force`` writes beside
                them), or a foreign file or link where a file of the results goes.
        """
        from ..runner.outputs import prepare_folder

        root = Path(path)
        prepare_folder(root, "run", force=force).remove_ours()
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
        """What a notebook shows (see :mod:`drawdown_sim.analysis.display`)."""
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
        return summarize(
            _Columns(self),
            planned_end=scenario.planned_end_day,
            horizon_days=scenario.horizon_days,
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The run's tables, by name: outcomes, daily series and (traced runs) events."""
        named = {"outcomes": self.outcomes, "series": self.series, "events": self.events}
        return {name: table for name, table in named.items() if table is not None}

    def completion(self) -> CompletionSummary:
        """P(complete by the planned end / the window end), Kaplan-Meier medians, the curve."""
        scenario = self.scenario
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
"""Outcomes that are null where the drawdown is unfinished at the end of the horizon."""


def mean_interval(kind: str, runs: int, mean: float, variance: float) -> tuple[float, float]:
    """95% interval of an outcome's mean over ``runs`` independent replications: Wilson's
    for a share (a yes/no outcome), else the normal approximation ``mean +- 1.96 sd /
    sqrt(runs)``, cut at zero for a count (replications are independent and identically
    distributed, and runs are hundreds to millions). NaN without a mean or with fewer than
    two runs."""
    if runs < 2 or not math.isfinite(mean):
        return math.nan, math.nan
    if kind == "bool":
        share = proportion(round(mean * runs), runs)
        return share.low, share.high
    half = Z95 * math.sqrt(max(variance, 0.0) / runs)
    if kind == "int":
        # A count's mean is never below zero: the interval is cut there (which only raises
        # its coverage), rather than claim a negative number of attacks is plausible.
        return max(mean - half, 0.0), mean + half
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


SUMMARY_CELLS = 200_000
"""Most values (1.6 MB) of complete columns summarised together by :func:`summarize`: all of
a run of up to a few thousand replications at once, a few columns of a large one."""


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
