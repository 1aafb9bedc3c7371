"""``drawdown-sim sweep``: every option of a study in sampled states of the world."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    StatesOption,
    StudyRepsOption,
    WorkersOption,
    _emit,
    _quiet_for_json,
    _records,
    plot_formats,
    resumable,
)
from ._results import _draw, _study_or_exit


def sweep_command(
    study_file: Annotated[Path, typer.Argument(help="Study YAML file.", metavar="STUDY")],
    workers: WorkersOption = None,
    engine: EngineOption = EngineName.local,
    scheduler: SchedulerOption = None,
    connect_timeout: ConnectTimeoutOption = 10.0,
    states: StatesOption = None,
    reps: StudyRepsOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default: results/<study name>/)."),
    ] = None,
    no_plots: NoPlotsOption = False,
    plot_format: FormatOption = PlotFormat.png,
    resume: Annotated[bool, typer.Option("--resume", help="Finish an interrupted sweep.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace results in --out.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run every option of a study in Latin-hypercube states of the world; report regret and
    satisficing fractions."""
    formats = plot_formats(plot_format)
    _quiet_for_json(as_json)

    study, options = _study_or_exit(study_file, states, reps)
    from ..analysis.sweeps import sweep
    from ..present.console import console, progress_reporter, sweep_tables
    from ..runner.engines import make_engine

    with (
        resumable(),
        make_engine(engine.value, workers, scheduler, connect_timeout) as chosen,
        progress_reporter(study.name) as progress,
    ):
        result = sweep(
            study,
            options,
            engine=chosen,
            out=out,
            resume=resume,
            force=force,
            progress=progress,
        )
    for table in sweep_tables(result):
        console.print(table)
    console.print(
        f"results: {result.path}/ (manifest.json, sweep.parquet, regret.csv, satisficing.csv, "
        "sensitivity.csv, pareto.csv, pareto_differences.csv, "
        + ("weighted.csv, " if result.weighted is not None else "")
        + "flips.csv, value_of_information.csv)",
        highlight=False,
    )
    failed = result.manifest.replications_failed if result.manifest is not None else 0
    if failed:
        typer.echo(f"{failed} replication(s) failed; see {result.path}/manifest.json", err=True)
    if not no_plots:
        _draw(result, formats, options)
    if as_json:
        _emit(
            {
                "kind": "sweep",
                "path": str(result.path),
                "states": result.states_run,
                "replications": result.study.replications,
                "regret": _records(result.regret),
                "satisficing": _records(result.satisficing),
                "sensitivity": _records(result.sensitivity),
                "pareto": _records(result.pareto),
                "pareto_differences": _records(result.differences),
                **({"weighted": _records(result.weighted)} if result.weighted is not None else {}),
                "flips": _records(result.flips),
                "value_of_information": _records(result.value_of_information),
                "replications_failed": failed,
            }
        )
    if failed:
        raise typer.Exit(EXIT_FAILED_REPLICATIONS)
