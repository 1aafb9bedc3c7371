"""Plots: thin functions ``plot_x(results, ..., ax=None) -> Axes`` and file writers."""

from collections.abc import Sequence
from functools import singledispatch
from pathlib import Path

from ...analysis.comparison import Comparison
from ...analysis.results import Results
from ...analysis.sweeps import Sweep
from ._common import PNG
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
    "write_plots",
    "plot_distribution",
    "plot_distributions",
    "plot_escalation",
    "plot_fan",
    "plot_trace",
    "write_run_plots",
]


@singledispatch
def write_plots(result: object, formats: Sequence[str] = PNG) -> list[Path]:
    """Every plot of a finished run (:class:`~drawdown_sim.analysis.results.Results`),
    comparison or sweep into its ``plots/`` folder, in each of ``formats`` (``png``,
    ``svg``); the files written. Chosen by the result's type."""
    raise TypeError(f"no plots for a {type(result).__name__}")


@write_plots.register
def _run(result: Results, formats: Sequence[str] = PNG) -> list[Path]:
    if result.replications == 0:
        return []  # every replication failed: nothing to draw
    return write_run_plots(result, formats)


@write_plots.register
def _compare(result: Comparison, formats: Sequence[str] = PNG) -> list[Path]:
    from .compare_plots import write_compare_plots

    return write_compare_plots(result, formats)


@write_plots.register
def _sweep(result: Sweep, formats: Sequence[str] = PNG) -> list[Path]:
    from .sweep_plots import write_sweep_plots

    return write_sweep_plots(result, formats)


def plot_all(path: str | Path, formats: Sequence[str] = PNG) -> list[Path]:
    """Draw every plot of the finished results in ``path`` into ``path/plots/``; the files
    written. The computation never draws: this is how a script or notebook gets the plots
    the command line makes (:func:`write_plots` of the result it holds, without reading)."""
    from ...analysis.loading import load

    return write_plots(load(path), formats)
