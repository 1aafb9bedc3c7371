"""Results of a run: outcomes, daily series, traced events and the manifest, from disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .model import OUTCOMES
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
        """One outcome column as floats, read alone when the table is not loaded."""
        if self._outcomes is None and self.path is not None:
            table = pq.read_table(self.path / "outcomes.parquet", columns=[name])
            return table.column(name).to_numpy().astype(float)
        return self.outcomes[name].to_numpy(dtype=float)

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
        """Per outcome: mean, median, 5% and 95% quantiles, and P(> 0) (share for booleans)."""
        return summarize({name: self.column(name) for name in OUTCOMES})


def summarize(outcomes: pd.DataFrame | dict[str, np.ndarray]) -> pd.DataFrame:
    """Summary table of outcome columns (see :meth:`Results.summary`)."""
    rows = {}
    for name in OUTCOMES:
        values = np.asarray(outcomes[name], dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            rows[name] = dict(mean=np.nan, median=np.nan, q05=np.nan, q95=np.nan, p_positive=np.nan)
            continue
        rows[name] = dict(
            mean=float(finite.mean()),
            median=float(np.median(finite)),
            q05=float(np.quantile(finite, 0.05)),
            q95=float(np.quantile(finite, 0.95)),
            p_positive=float((finite > 0).mean()),
        )
    return pd.DataFrame.from_dict(rows, orient="index")
