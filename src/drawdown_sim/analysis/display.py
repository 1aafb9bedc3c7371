"""Short text and HTML summaries of results objects, for the console and notebooks.

``repr(results)`` is one line that says what a :class:`~drawdown_sim.analysis.results.Results`,
:class:`~drawdown_sim.analysis.comparison.Comparison` or
:class:`~drawdown_sim.analysis.sweeps.Sweep` holds
(read from its manifest: nothing else is read). ``_repr_html_`` (what Jupyter shows) adds
the key table: a run's summary, a comparison's paired differences, a sweep's regret and
satisficing.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .comparison import Comparison
    from .results import Results
    from .sweeps import Sweep

SUMMARY_COLUMNS = ["mean", "mean_lo", "mean_hi", "std", "median", "q05", "q95", "p_positive"]
"""Columns of :meth:`Results.summary` shown in a notebook."""


def _where(path: object) -> str:
    return f" at {path}" if path is not None else " (in memory)"


def results_repr(results: Results) -> str:
    return (
        f"<Results {results.name!r}: {results.replications:,} replications, "
        f"seed {results.seed}{_where(results.path)}>"
    )


def comparison_repr(comparison: Comparison) -> str:
    first = next(iter(comparison.results.values()), None)
    reps = f", {first.replications:,} replications each" if first is not None else ""
    return (
        f"<Comparison of {len(comparison.options)} options {comparison.options} "
        f"against {comparison.reference!r}{reps}{_where(comparison.path)}>"
    )


def sweep_repr(sweep: Sweep) -> str:
    states = int(sweep.frame["state"].nunique()) if "state" in sweep.frame else 0
    return (
        f"<Sweep {sweep.study.name!r}: {states:,} states x {len(sweep.options)} options "
        f"{sweep.options}, parameters {sweep.parameters}{_where(sweep.path)}>"
    )


def _table(frame: pd.DataFrame, caption: str) -> str:
    return f"<p><b>{html.escape(caption)}</b></p>" + frame.to_html(
        float_format=lambda x: f"{x:,.3g}", na_rep="", border=0
    )


def results_html(results: Results) -> str:
    summary = results.summary()
    columns = [c for c in SUMMARY_COLUMNS if c in summary.columns]
    return f"<p>{html.escape(results_repr(results))}</p>" + _table(
        summary[columns], "Outcomes per replication (mean with its 95% interval)"
    )


def comparison_html(comparison: Comparison) -> str:
    table = comparison.table
    columns = [
        c
        for c in table.columns
        if c in ("option", "outcome", "mean", "diff", "diff_lo", "diff_hi", "mean_lo", "mean_hi")
    ]
    shown = table[columns] if columns else table
    return f"<p>{html.escape(comparison_repr(comparison))}</p>" + _table(
        shown, f"Paired differences from {comparison.reference}"
    )


def sweep_html(sweep: Sweep) -> str:
    return (
        f"<p>{html.escape(sweep_repr(sweep))}</p>"
        + _table(sweep.regret, "Regret over the states")
        + _table(sweep.satisficing, "Satisficing: share of states meeting every threshold")
    )
