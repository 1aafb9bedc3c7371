"""``drawdown-sim run``: replicate a scenario."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..scenario.bounds import MAX_REPLICATIONS, MAX_SEED
from ._common import (
    EXIT_FAILED_REPLICATIONS,
    ConnectTimeoutOption,
    EngineName,
    EngineOption,
    FormatOption,
    JsonOption,
    NoPlotsOption,
    PlotFormat,
    SchedulerOption,
    WorkersOption,
    _emit,
    _quiet_for_json,
    _records,
    load_or_exit,
    plot_formats,
    resumable,
)
from ._results import _draw, _report_run


def run_command(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.", metavar="SCENARIO")],
    reps: Annotated[
        int | None,
        typer.Option(
            "--reps", min=1, max=MAX_REPLICATIONS, help="Replications (default: the scenario's)."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, max=MAX_SEED, help="Root seed (default: the scenario's)."),
    ] = None,
    workers: WorkersOption = None,
    engine: EngineOption = EngineName.local,
    scheduler: SchedulerOption = None,
    connect_timeout: ConnectTimeoutOption = 10.0,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a scenario key: --set militia.posture=campaign."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Results directory (default: results/<name>/)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish an interrupted run in --out.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace other results or an interrupted run in --out.")
    ] = False,
    trace: Annotated[
        int, typer.Option("--trace", min=0, help="Keep the event log of the first N replications.")
    ] = 0,
    no_plots: NoPlotsOption = False,
    plot_format: FormatOption = PlotFormat.png,
    as_json: JsonOption = False,
) -> None:
    """Replicate a scenario (a file, or the name of a shipped one); write manifest,
    outcomes, daily series, plots and report."""
    formats = plot_formats(plot_format)
    _quiet_for_json(as_json)
    scenario = load_or_exit(scenario_file, set_)
    from ..analysis.run import default_out, run
    from ..present.console import progress_reporter
    from ..runner.engines import make_engine

    with resumable():
        target = out if out is not None else default_out(scenario)
    with (
        resumable("" if "--out" in sys.argv else f" --out {target}"),
        make_engine(engine.value, workers, scheduler, connect_timeout) as chosen,
        progress_reporter(scenario.name) as progress,
    ):
        results = run(
            scenario,
            reps,
            seed,
            engine=chosen,
            out=target,
            resume=resume,
            force=force,
            trace=trace,
            overrides=set_ or [],
            progress=progress,
        )
    # Failures and the summary come first: drawing can fail, and must not hide them.
    failed = _report_run(results)
    if not no_plots and results.replications > 0:
        _draw(results, formats)
    if as_json:
        manifest = results.manifest
        _emit(
            {
                "kind": "run",
                "path": str(results.path),
                "name": results.name,
                "seed": manifest.seed,
                "replications": manifest.replications,
                "replications_failed": manifest.replications_failed,
                "failures": [f.model_dump() for f in manifest.failures],
                "summary": _records(results.summary().rename_axis("outcome").reset_index())
                if results.replications
                else [],
            }
        )
    if failed:
        raise typer.Exit(EXIT_FAILED_REPLICATIONS)
