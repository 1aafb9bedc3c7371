"""Shared by run, compare, sweep, discover and report: print a result's tables, draw its plots and
write its report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ..scenario import Scenario


from ._common import _drawn, fail_input, resolve, say


def _draw(result: Any, formats: tuple[str, ...], options: Any = None) -> None:
    """Plots then report.html of the result the command holds (nothing is read again); a
    failure to draw never changes the run's status or hides its summary: it is reported in
    one line."""
    from ..present.console import console

    try:
        from ..present.plots import write_plots

        plots = _drawn(lambda: write_plots(result, formats))
    except Exception as error:  # noqa: BLE001 - the results are complete whatever happens here
        say(f"warning: the plots could not be drawn: {type(error).__name__}: {error}")
    else:
        if plots:
            console.print("plots:   " + ", ".join(str(p) for p in plots), highlight=False)
    _write_report(result, options)


def _write_report(result: Any, options: Any = None) -> None:
    """Write report.html; a failure to draw never changes the run's status or hides its
    summary: it is reported in one line."""
    from ..present.console import drawing

    try:
        from ..present.report import write_report

        with drawing("writing the report"):
            path = write_report(result, options=options)
    except Exception as error:  # noqa: BLE001 - the results are complete whatever happens here
        say(f"warning: the report could not be written: {type(error).__name__}: {error}")
        return
    from ..present.console import console

    console.print(f"report: {path}", highlight=False)


def _print_run_summary(results: Any) -> None:
    from ..present.console import completion_table, console, summary_table

    console.print(summary_table(results.summary(), f"{results.label}"))
    if results.scenario.planned_end_day is not None:
        console.print(completion_table({results.name: results.completion()}, "Drawdown completion"))


def _report_run(results: Any) -> bool:
    """Print the summary, where the results are and any failures; whether any failed."""
    from ..present.console import console

    manifest = results.manifest
    if results.replications > 0:
        _print_run_summary(results)
    timings = manifest.timings
    console.print(
        f"{manifest.replications_done:,} replications in "
        f"{timings.elapsed_seconds:.1f} s ({timings.replications_per_second:,.0f}"
        f"/s, {manifest.engine} engine, {manifest.workers} workers)"
    )
    console.print(
        f"results: {results.path}/ (manifest.json, outcomes.parquet, series.parquet"
        + (", events.parquet" if results.events is not None else "")
        + ")",
        highlight=False,
    )
    failed = manifest.replications_failed
    if failed:
        for failure in manifest.failures[:10]:
            say(f"replication {failure.replication} (seed {failure.seed}) failed: {failure.error}")
        typer.echo(f"{failed} replication(s) failed; see manifest.json", err=True)
    return bool(failed)


def _print_comparison(comparison: Any) -> None:
    from ..present.console import (
        comparison_table,
        completion_table,
        console,
        decomposition_table,
    )

    console.print(comparison_table(comparison))
    console.print(
        completion_table(
            {name: r.completion() for name, r in comparison.results.items()},
            "Drawdown completion by option",
        )
    )
    if comparison.decomposition is not None and not comparison.decomposition.empty:
        console.print(decomposition_table(comparison.decomposition, comparison.reference))


def _study_or_exit(path: Path, states: int | None, reps: int | None) -> tuple[Any, list[Scenario]]:
    """A study (a file or a shipped name) and its options, with --states and --reps applied;
    its problems reported and exit 2."""
    from ..scenario import ScenarioError
    from ..scenario.study import load_study, with_counts

    try:
        study, options = load_study(resolve(path, "study"))
        return with_counts(study, options, states, reps), options
    except ScenarioError as error:
        fail_input(error)
