"""Results of a run: outcomes, daily series, traced events and the manifest, from disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .completion import CompletionSummary, kaplan_meier, quantile, summarize_completion
from .model import OUTCOME_SPECS, OUTCOMES
from .runner.store import atomic_write_json, atomic_write_table
from .scenario import Scenario


class Results:
    """One results directory (``drawdown-sim run`` output).

    Tables are read from disk on first use, so summarising or plotting a run of 100,000
    replications reads only the columns it needs.
    """

    def __init__(
        self,
        manifest: dict[str, Any],
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

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """Open a complete results directory (one with a ``manifest.json``)."""
        root = Path(path)
        manifest_path = root / "manifest.json"
        if not manifest_path.exists():
            raise FileNotFoundError(
                f"{root} holds no complete results (no manifest.json); run "
                "`drawdown-sim run` or finish an interrupted run with --resume"
            )
        return cls(json.loads(manifest_path.read_text()), root)

    def _read(self, name: str) -> pd.DataFrame | None:
        if self.path is None or not (self.path / f"{name}.parquet").exists():
            return None
        return pq.read_table(self.path / f"{name}.parquet").to_pandas()

    @property
    def outcomes(self) -> pd.DataFrame:
        """One row per replication: ``replication``, ``seed`` and the outcomes."""
        if self._outcomes is None:
            self._outcomes = self._read("outcomes")
        assert self._outcomes is not None
        return self._outcomes

    @property
    def series(self) -> pd.DataFrame:
        """Daily means and quantile bands."""
        if self._series is None:
            self._series = self._read("series")
        assert self._series is not None
        return self._series

    @property
    def events(self) -> pd.DataFrame | None:
        """Event log of the traced replications (``--trace N``), or None."""
        if self._events is None:
            self._events = self._read("events")
        return self._events

    def column(self, name: str) -> np.ndarray:
        """One outcome column as floats (NaN for nulls), read alone when the table is not
        loaded."""
        if self._outcomes is None and self.path is not None:
            # ParquetFile.read, not read_table: the dataset layer behind read_table holds
            # about 70 bytes per row of Python objects even for a single column.
            table = pq.ParquetFile(self.path / "outcomes.parquet").read(columns=[name])
            column = pc.cast(table.column(name), pa.float64())
            return np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)
        return np.asarray(self.outcomes[name].to_numpy(dtype=float, na_value=np.nan))

    def save(self, path: str | Path) -> None:
        """Write the same layout ``load`` reads (manifest last)."""
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
        atomic_write_json(root / "manifest.json", self.manifest)

    @property
    def scenario(self) -> Scenario:
        return Scenario.model_validate(self.manifest["scenario"])

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def replications(self) -> int:
        return int(self.manifest.get("replications_done", len(self.outcomes)))

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])

    @property
    def label(self) -> str:
        """``name (N replications, seed S)`` for plot titles."""
        return f"{self.name} ({self.replications:,} replications, seed {self.seed})"

    def summary(self) -> pd.DataFrame:
        """Per outcome: mean, median, 5% and 95% quantiles, P(> 0) (share for booleans) and
        the share censored. Completion and slip are censored where the plan is unfinished
        at the end of the horizon: their quantiles are Kaplan-Meier estimates and their mean
        is left empty rather than averaged over the finished runs only."""
        scenario = self.scenario
        return summarize(
            _Columns(self),
            planned_end=scenario.planned_end_day,
            horizon_days=scenario.horizon_days,
        )

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


def _censored_row(values: np.ndarray, offset: float, horizon_days: float) -> dict[str, float]:
    """Summary of a censored column (NaN: censored at ``horizon_days - offset``)."""
    curve = kaplan_meier(values, horizon_days - offset)
    finite = values[np.isfinite(values)]
    share = float(np.isnan(values).mean()) if values.size else np.nan
    return dict(
        mean=float(finite.mean()) if finite.size and share == 0.0 else np.nan,
        median=quantile(curve, 0.5).value,
        q05=quantile(curve, 0.05).value,
        q95=quantile(curve, 0.95).value,
        p_positive=float((finite > 0).sum() / values.size) if values.size else np.nan,
        censored=share,
    )


def summarize(
    outcomes: pd.DataFrame | dict[str, np.ndarray] | _Columns,
    *,
    planned_end: float | None = None,
    horizon_days: float | None = None,
) -> pd.DataFrame:
    """Summary table of outcome columns (see :meth:`Results.summary`).

    Count quantiles are values that occur (numpy's ``inverted_cdf``), never interpolated.
    Columns that are null throughout (the follow-on's, without a follow-on) are left out. Each
    column is read, summarised and dropped before the next, so memory is one column's worth.
    """
    rows = {}
    for name in OUTCOMES:
        values = np.asarray(outcomes[name], dtype=float)  # one column at a time
        finite = values[np.isfinite(values)]
        if name in CENSORED_OUTCOMES and horizon_days is not None:
            offset = (planned_end or 0.0) if name == "slip_days" else 0.0
            rows[name] = _censored_row(values, offset, horizon_days)
            del values, finite
            continue
        if finite.size == 0:
            continue
        method: Literal["linear", "inverted_cdf"] = (
            "linear" if OUTCOME_SPECS[name].kind == "float" else "inverted_cdf"
        )
        rows[name] = dict(
            mean=float(finite.mean()),
            median=float(np.quantile(finite, 0.5, method=method)),
            q05=float(np.quantile(finite, 0.05, method=method)),
            q95=float(np.quantile(finite, 0.95, method=method)),
            p_positive=float((finite > 0).mean()),
            censored=0.0,
        )
        del values, finite  # before the next column is read
    return pd.DataFrame.from_dict(rows, orient="index")
