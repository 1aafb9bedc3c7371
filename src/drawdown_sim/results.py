"""Results of a run: outcomes, daily series, traced events and the manifest, from disk."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .model import OUTCOMES
from .runner.store import atomic_write_json, atomic_write_table
from .scenario import Scenario


@dataclass
class Results:
    """One results directory (``drawdown-sim run`` output) loaded into memory."""

    outcomes: pd.DataFrame
    series: pd.DataFrame
    events: pd.DataFrame | None
    manifest: dict[str, Any]
    path: Path | None = None

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """Load a complete results directory (one with a ``manifest.json``)."""
        root = Path(path)
        manifest_path = root / "manifest.json"
        if not manifest_path.exists():
            raise FileNotFoundError(
                f"{root} holds no complete results (no manifest.json); run "
                "`drawdown-sim run` or finish an interrupted run with --resume"
            )
        manifest = json.loads(manifest_path.read_text())
        events_path = root / "events.parquet"
        return cls(
            outcomes=pq.read_table(root / "outcomes.parquet").to_pandas(),
            series=pq.read_table(root / "series.parquet").to_pandas(),
            events=pq.read_table(events_path).to_pandas() if events_path.exists() else None,
            manifest=manifest,
            path=root,
        )

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
        return len(self.outcomes)

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])

    @property
    def label(self) -> str:
        """``name (N replications, seed S)`` for plot titles."""
        return f"{self.name} ({self.replications:,} replications, seed {self.seed})"

    def summary(self) -> pd.DataFrame:
        """Per outcome: mean, median, 5% and 95% quantiles, and P(> 0) (share for booleans)."""
        return summarize(self.outcomes)


def summarize(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Summary table of outcome columns (see :meth:`Results.summary`)."""
    rows = {}
    for name in OUTCOMES:
        values = outcomes[name].astype(float).to_numpy()
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
