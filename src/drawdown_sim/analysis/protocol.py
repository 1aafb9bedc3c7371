"""What a finished run, comparison and sweep share, so that presenting one needs no string
saying which it is: plots and the report dispatch on the type
(:func:`drawdown_sim.present.plots.write_plots`,
:func:`drawdown_sim.present.report.write_report`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from ..runner.manifest import CompareManifest, RunManifest, SweepManifest


@runtime_checkable
class Result(Protocol):
    """A finished :class:`~drawdown_sim.analysis.results.Results`,
    :class:`~drawdown_sim.analysis.comparison.Comparison` or
    :class:`~drawdown_sim.analysis.sweeps.Sweep`."""

    @property
    def path(self) -> Path | None:
        """Its results directory (None: held in memory only)."""

    @property
    def manifest(self) -> RunManifest | CompareManifest | SweepManifest | None:
        """What made it: settings, seeds, environment (None: held in memory only)."""

    def summary(self) -> pd.DataFrame:
        """Its headline table."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table it holds, by name."""
