"""``drawdown-sim discover``: PRIM scenario discovery over a sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import (
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
    _drawn,
    _emit,
    _quiet_for_json,
    fail_input,
    plot_formats,
    resumable,
    writing,
)
from ._results import _study_or_exit, _write_report


def discover_command(
    study_file: Annotated[
        Path, typer.Argument(help="Study YAML file or shipped study name.", metavar="STUDY")
    ],
    where: Annotated[
        str,
        typer.Option(
            "--where",
            help="The condition to explain, on an option's mean outcomes in a state: "
            '"killed + wounded >= 10", "slip_days >= 60".',
        ),
    ],
    option: Annotated[
        str | None, typer.Option("--option", help="Which option's states (default: the first).")
    ] = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", min=0.05, max=1.0, help="Least density of the box (0-1)."),
    ] = 0.8,
    workers: WorkersOption = None,
    engine: EngineOption = EngineName.local,
    scheduler: SchedulerOption = None,
    connect_timeout: ConnectTimeoutOption = 10.0,
    states: StatesOption = None,
    reps: StudyRepsOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="The sweep's directory (default: results/<study name>/)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace results in --out.")] = False,
    no_plots: NoPlotsOption = False,
    plot_format: FormatOption = PlotFormat.png,
    as_json: JsonOption = False,
) -> None:
    """Scenario discovery: run (or reuse) a study's sweep and find, with PRIM, the ranges of
    the uncertain parameters in which a condition on the outcomes holds."""
    formats = plot_formats(plot_format)
    _quiet_for_json(as_json)

    study, options = _study_or_exit(study_file, states, reps)
    chosen_option = option or options[0].name
    if chosen_option not in [o.name for o in options]:
        fail_input(
            f"--option: {chosen_option[:40]!r} is not one of {', '.join(o.name for o in options)}"
        )
    from ..analysis.discovery import ConditionError, evaluate_condition

    try:  # a bad condition is refused before anything runs
        import pandas as pd

        from ..model import OUTCOMES

        evaluate_condition(where, pd.DataFrame({name: [0.0] for name in OUTCOMES}))
    except ConditionError as error:
        fail_input(f"--where: {error}")
    from ..analysis.sweeps import sweep
    from ..present.console import console, progress_reporter
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
            resume=not force,
            force=force,
            progress=progress,
        )
    from ..analysis.discovery import discover_frame

    try:
        found = discover_frame(result.frame, result.parameters, where, chosen_option, threshold)
    except ConditionError as error:
        fail_input(f"--where: {error}")
    assert result.path is not None
    from ..runner.store import atomic_write_json

    with writing():
        atomic_write_json(result.path / "discovery.json", found.to_dict())
    if as_json:
        _emit({"path": str(result.path), **found.to_dict()})
    else:
        from rich.table import Table

        for line in found.findings():
            console.print(line, highlight=False, markup=False)
        table = Table(title="The box (restricted parameters first)", title_justify="left")
        for column in ("parameter", "box", "sampled range", "restricted", "quasi-p"):
            table.add_column(column)
        for r in found.limits.to_dict(orient="records"):
            table.add_row(
                str(r["parameter"]),
                f"{r['low']:.4g} to {r['high']:.4g}",
                f"{r['full_low']:.4g} to {r['full_high']:.4g}",
                "yes" if r["restricted"] else "no",
                "-" if r["qp"] != r["qp"] else f"{r['qp']:.2g}",
            )
        console.print(table)
        console.print(f"saved: {result.path / 'discovery.json'}", highlight=False)
    if not no_plots:
        from ..present.plots.discovery_plots import write_discovery_plots

        folder = result.path / "plots"
        try:
            plots = _drawn(lambda: write_discovery_plots(result.frame, found, folder, formats))
        except Exception as error:  # noqa: BLE001 - the discovery is saved whatever happens
            typer.echo(f"warning: the plots could not be drawn: {type(error).__name__}", err=True)
        else:
            console.print("plots:   " + ", ".join(str(p) for p in plots), highlight=False)
        _write_report(result, options)
