"""Plots: thin functions ``plot_x(results, ..., ax=None) -> Axes`` and file writers."""

from pathlib import Path

from .run_plots import (
    plot_distribution,
    plot_distributions,
    plot_escalation,
    plot_fan,
    plot_trace,
    write_run_plots,
)

__all__ = [
    "plot_all",
    "plot_distribution",
    "plot_distributions",
    "plot_escalation",
    "plot_fan",
    "plot_trace",
    "write_run_plots",
]


def plot_all(path: str | Path) -> list[Path]:
    """Draw every plot of the finished results in ``path`` into ``path/plots/``; the files
    written. The computation never draws: this is how a script or notebook gets the plots
    the command line makes."""
    from ...analysis.comparison import Comparison
    from ...analysis.loading import load
    from ...analysis.results import Results

    result = load(path)
    if isinstance(result, Results):
        if result.replications == 0:
            return []  # every replication failed: nothing to draw
        return list(write_run_plots(result))
    if isinstance(result, Comparison):
        from .compare_plots import write_compare_plots

        return list(write_compare_plots(result))
    from .sweep_plots import write_sweep_plots

    return list(write_sweep_plots(result))
