"""Open any finished results directory by its manifest's kind, and draw its plots."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..runner.manifest import read_manifest

if TYPE_CHECKING:
    from .comparison import Comparison
    from .results import Results
    from .sweeps import Sweep


def load(path: str | Path) -> Results | Comparison | Sweep:
    """The finished results in ``path``: :class:`Results` for a run, :class:`Comparison`
    for a compare, :class:`Sweep` for a sweep (each read lazily where it can be).

    Raises:
        ManifestError: no finished results there, or a damaged or foreign manifest.
    """
    manifest = read_manifest(Path(path))
    if manifest.kind == "compare":
        from .comparison import Comparison

        return Comparison.load(path)
    if manifest.kind == "sweep":
        from .sweeps import Sweep

        return Sweep.load(path)
    from .results import Results

    return Results.load(path)


def plot_all(path: str | Path) -> list[Path]:
    """Draw every plot of the finished results in ``path`` into ``path/plots/``; the files
    written. The computation never draws: this is how a script or notebook gets the plots
    the command line makes."""
    from .comparison import Comparison
    from .results import Results

    result = load(path)
    if isinstance(result, Results):
        if result.replications == 0:
            return []  # every replication failed: nothing to draw
        from ..present.plots import write_run_plots

        return list(write_run_plots(result))
    if isinstance(result, Comparison):
        from ..present.plots.compare_plots import write_compare_plots

        return list(write_compare_plots(result))
    from ..present.plots.sweep_plots import write_sweep_plots

    return list(write_sweep_plots(result))
