"""Plots: thin functions ``plot_x(results, ..., ax=None) -> Axes`` and file writers."""

from .run_plots import (
    plot_distribution,
    plot_distributions,
    plot_escalation,
    plot_fan,
    plot_trace,
    write_run_plots,
)

__all__ = [
    "plot_distribution",
    "plot_distributions",
    "plot_escalation",
    "plot_fan",
    "plot_trace",
    "write_run_plots",
]
