"""``drawdown-sim compare``: options with common random numbers."""

from __future__ import annotations

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
    fail_input,
    plot_formats,
    resolve,
    resumable,
    say,
)
from ._results import _draw, _print_comparison


def compare_command(
    scenario_files: Annotated[
        list[Path],
        typer.Argument(
            help="Two or more scenario files (option files extend the baseline).",
            metavar="SCENARIO...",
        ),
    ],
    reps: Annotated[
        int | None,
        typer.Option(
            "--reps",
            min=1,
            max=MAX_REPLICATIONS,
            help="Replications per option (default: the first scenario's).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, max=MAX_SEED, help="Root seed shared by all options."),
    ] = None,
    workers: WorkersOption = None,
    engine: EngineOption = EngineName.local,
    scheduler: SchedulerOption = None,
    connect_timeout: ConnectTimeoutOption = 10.0,
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            help="Option the others are compared with (default: a status quo, a scenario "
            "without a plan, if one is given; else the first).",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("results/compare"),
    force: Annotated[bool, typer.Option("--force", help="Replace results in --out.")] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish an interrupted compare.")
    ] = False,
    no_plots: NoPlotsOption = False,
    plot_format: FormatOption = PlotFormat.png,
    as_json: JsonOption = False,
) -> None:
    """Run options (files, or names of shipped scenarios) with common random numbers and
    compare them pairwise."""
    formats = plot_formats(plot_format)
    _quiet_for_json(as_json)
    from ..scenario import ScenarioError, load_scenario

    if len(scenario_files) < 2:
        fail_input("compare needs at least two scenarios")
    scenarios, problems = [], []
    for path in scenario_files:
        try:
            scenarios.append(load_scenario(resolve(path)))
        except ScenarioError as error:
            problems.append(str(error))
    if problems:
        fail_input("\n".join(problems))
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        fail_input(f"scenario names must differ to be compared: {', '.join(names)}")
    periods = {
        (s.window.start, s.window.end, s.follow_on.end if s.follow_on else None) for s in scenarios
    }
    if len(periods) > 1:
        say(
            "warning: the options cover different periods (window or follow-on); their "
            "outcomes are counted over different days, so differences mix the option with "
            "the period"
        )
    if reference is not None and reference not in names:
        fail_input(f"--reference: {reference!r} is not one of {', '.join(names)}")
    from ..analysis.comparison import compare
    from ..present.console import console, option_progress
    from ..runner.engines import make_engine

    with (
        resumable(),
        make_engine(engine.value, workers, scheduler, connect_timeout) as chosen,
        option_progress(names) as progress,
    ):
        comparison = compare(
            scenarios,
            reps,
            seed,
            engine=chosen,
            reference=reference,
            out=out,
            force=force,
            resume=resume,
            progress=progress,
        )
    _print_comparison(comparison)
    console.print(f"table: {out / 'comparison.csv'}", highlight=False)
    failed = [
        (name, r.manifest.replications_failed)
        for name, r in comparison.results.items()
        if r.manifest.replications_failed
    ]
    for name, count in failed:
        typer.echo(
            f"{name}: {count} replication(s) failed; see {out / name}/manifest.json", err=True
        )
    if not no_plots:
        _draw(comparison, formats)
    if as_json:
        from ..analysis.comparison import completion_frame

        _emit(
            {
                "kind": "compare",
                "path": str(out),
                "reference": comparison.reference,
                "options": comparison.options,
                "table": _records(comparison.table),
                "completion": _records(completion_frame(comparison.results)),
                "decomposition": _records(comparison.decomposition)
                if comparison.decomposition is not None
                else [],
            }
        )
    if failed:
        raise typer.Exit(EXIT_FAILED_REPLICATIONS)
