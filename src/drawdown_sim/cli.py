"""The ``drawdown-sim`` command line. Heavy libraries are imported inside commands so that
``--help`` answers at once.
"""

from __future__ import annotations

import json
import math
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from .scenario.bounds import MAX_REPLICATIONS, MAX_SEED, MAX_STATES

if TYPE_CHECKING:
    from .scenario import Scenario, ScenarioError

app = typer.Typer(
    name="drawdown-sim",
    help="Scenario simulator for the phased drawdown of the US-led coalition from Iraq.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

EXIT_FAILED_REPLICATIONS = 1
"""Some replications failed (the others' results are complete and written)."""
EXIT_BAD_INPUT = 2
"""Invalid input or usage: a scenario, study, override, option or results directory that
cannot be read, or a dask scheduler that cannot be reached. Nothing was written."""
EXIT_REFUSED = 3
"""The output folder or file holds something this command must not remove or replace (files
it did not write, other results, results of other settings, an interrupted run, another
process's lock). Nothing was removed."""
EXIT_UNWRITABLE = 4
"""The output cannot be written (permission denied, a read-only file system, a full disk).
What was there before is intact; an interrupted run can be resumed once there is room."""

_WRITE_ERRNOS = frozenset({1, 13, 27, 28, 30, 122})
"""EPERM, EACCES, EFBIG, ENOSPC, EROFS, EDQUOT: an output that cannot be written."""


class EngineName(StrEnum):
    """Where replications run."""

    local = "local"
    dask = "dask"


# Options shared by run, compare and sweep.
WorkersOption = Annotated[
    int | None, typer.Option("--workers", min=1, help="Worker processes (default: CPU count).")
]
EngineOption = Annotated[
    EngineName, typer.Option("--engine", help="local (process pool) or dask (cluster).")
]
SchedulerOption = Annotated[
    str | None, typer.Option("--scheduler", help="Dask scheduler address (with --engine dask).")
]
StatesOption = Annotated[
    int | None,
    typer.Option("--states", min=2, max=MAX_STATES, help="Override the study's number of states."),
]
StudyRepsOption = Annotated[
    int | None,
    typer.Option(
        "--reps",
        min=2,
        max=MAX_REPLICATIONS,
        help="Override replications per option and state.",
    ),
]
ConnectTimeoutOption = Annotated[
    float,
    typer.Option(
        "--connect-timeout", min=0.1, max=600, help="Seconds to reach the dask scheduler."
    ),
]
NoPlotsOption = Annotated[bool, typer.Option("--no-plots", help="Skip the plots and report.")]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help="Print one JSON document to stdout (progress and warnings go to stderr)."
    ),
]


def _quiet_for_json(as_json: bool) -> None:
    """With --json, stdout carries only the JSON document (and without it, everything: the
    console is shared by every command run in one process, as in tests or notebooks)."""
    from .present.console import console

    console.quiet = as_json


def _records(frame: Any) -> list[dict[str, Any]]:
    from .common.jsonable import records

    return records(frame)


def _emit(document: dict[str, Any]) -> None:
    from .common.jsonable import dumps

    sys.stdout.write(dumps(document) + "\n")


class PlotFormat(StrEnum):
    """File formats of the plots."""

    png = "png"
    svg = "svg"
    both = "both"


FormatOption = Annotated[PlotFormat, typer.Option("--format", help="Plot files: png, svg or both.")]


_PLOT_FORMAT = [PlotFormat.png]
"""The command's ``--format``, applied when drawing begins (:func:`_drawn`)."""


def _formats(choice: PlotFormat) -> None:
    """Note the command's ``--format``. Applying it means importing matplotlib, about a
    second, which would delay every run before it starts, and ``--no-plots`` needs none."""
    _PLOT_FORMAT[0] = choice


def _drawn(draw: Callable[[], list[Path]]) -> list[Path]:
    """The files ``draw()`` writes, in the command's ``--format``, a spinner saying so."""
    from .present.console import drawing
    from .present.plots._common import set_formats

    with drawing("drawing the plots"):
        set_formats(_PLOT_FORMAT[0].value)
        return draw()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"drawdown-sim {version('drawdown-sim')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Simulate drawdown scenarios, compare advisory-retention options, sweep uncertainty."""
    _quiet_for_json(False)  # each command starts speaking; --json commands silence it


def say(message: object) -> None:
    """One message to stderr, each line with its control characters escaped and cut when long
    (a scenario's key or a CSV's header may hold a terminal escape sequence)."""
    from .common.text import clean_lines

    typer.echo(clean_lines(str(message)), err=True)


def fail_input(error: ScenarioError | str) -> NoReturn:
    """Print every problem, one per line, to stderr and exit with status 2 (bad input)."""
    say(error)
    raise typer.Exit(EXIT_BAD_INPUT)


def fail_refused(error: object) -> NoReturn:
    """The output holds what this command must not remove or replace: exit 3."""
    say(error)
    raise typer.Exit(EXIT_REFUSED)


def fail_unwritable(error: object) -> NoReturn:
    """The output cannot be written: exit 4."""
    say(error)
    raise typer.Exit(EXIT_UNWRITABLE)


@contextmanager
def writing() -> Iterator[None]:
    """Turn a refused output into exit 3 and an output that cannot be written (a full disk, a
    read-only folder) into exit 4, each in one line."""
    from .runner.outputs import OutputRefused, OutputUnwritable

    try:
        yield
    except OutputRefused as error:
        fail_refused(error)
    except OutputUnwritable as error:
        fail_unwritable(error)
    except OSError as error:
        if error.errno not in _WRITE_ERRNOS:
            raise
        where = f"{error.filename}: " if error.filename else ""
        fail_unwritable(
            f"{where}cannot write ({error.strerror}); what was there before is intact"
            + ("; free some space and rerun with --resume" if error.errno == 28 else "")
        )


class _OneLine:
    """Logging handler: the package's warnings (a discarded chunk, a capped --workers) as
    one line each on stderr."""

    @staticmethod
    def install() -> None:
        import logging

        logger = logging.getLogger("drawdown_sim")
        if not any(getattr(h, "_drawdown_cli", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("warning: %(message)s"))
            handler._drawdown_cli = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
            logger.setLevel(logging.WARNING)
            logger.propagate = False


@contextmanager
def resumable(extra: str = "") -> Iterator[None]:
    """Turn a refused directory into exit 3, an unreachable engine into exit 2 and Ctrl-C
    into exit 130 with the command that finishes the interrupted work (this command line,
    ``--resume`` instead of ``--force``)."""
    words = [shlex.quote(a) for a in sys.argv[1:] if a not in ("--force", "--resume")]
    command = " ".join(["drawdown-sim", *words]) + extra
    from .runner.engines import EngineError
    from .runner.manifest import ManifestError
    from .runner.store import RunRefused
    from .scenario.bounds import RunStopped

    _OneLine.install()
    try:
        with writing():
            yield
    except RunStopped as error:  # a bound (exit 2) or a run that ran away (exit 1)
        say(error)
        raise typer.Exit(error.exit_code) from None
    except RunRefused as error:
        fail_refused(error)
    except (EngineError, ManifestError) as error:
        fail_input(str(error))
    except KeyboardInterrupt:
        say(f"interrupted; finish with: {command} --resume")
        raise typer.Exit(130) from None


def resolve(path: Path, kind: str = "scenario") -> Path:
    """A path, or the shipped scenario (study) of that name when no such file exists."""
    from .scenario.shipped import resolve as shipped

    return shipped(path, kind)


def reference_file(path: Path) -> Path:
    from .scenario.shipped import reference_file as shipped

    return shipped(path)


def load_or_exit(path: Path, overrides: list[str] | None = None) -> Scenario:
    """Load a scenario or report its problems and exit 2."""
    from .scenario import ScenarioError, load_scenario

    try:
        return load_scenario(resolve(path), overrides or [])
    except ScenarioError as error:
        fail_input(error)


def _describe(scenario: Scenario) -> str:
    personnel = scenario.initial_personnel
    phases = len(scenario.drawdown.phases) if scenario.drawdown.enabled else 0
    residual = sum(scenario.advisory.residual.values())
    return (
        f"{scenario.name}: {scenario.window.start} to {scenario.window.end} "
        f"({scenario.window.days} days), {len(scenario.sites)} sites, {personnel} personnel, "
        f"{phases} phase(s), option {scenario.advisory.name!r} "
        f"({scenario.advisory.mission}, {residual} named residual), "
        f"{len(scenario.shocks.scheduled)} scheduled shock(s), "
        f"{len(scenario.ranges)} uncertain parameter(s)"
        + (f", posterior {scenario.posterior}" if scenario.posterior else "")
    )


def _looks_like_study(path: Path) -> bool:
    """A study names option files and has no sites of its own."""
    from .scenario import ScenarioError
    from .scenario.loader import load_document

    try:
        data = load_document(path).data
    except ScenarioError:
        return False  # the scenario loader reports it
    return "options" in data and "sites" not in data


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="Scenario or study YAML files, or names of shipped scenarios."),
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a key, e.g. --set militia.posture=campaign."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check scenario and study files; print a summary of each valid one. Exit 2 if any is
    invalid."""
    from .scenario import ScenarioError, load_scenario
    from .scenario.study import load_study

    failed = False
    checked: list[dict[str, Any]] = []
    for path in files:
        target = resolve(path)
        if target == path and not path.exists():
            target = resolve(path, "study")
        try:
            if _looks_like_study(target):
                study, options = load_study(target)
                from .scenario.bounds import study_states
                from .scenario.study import design_parameters

                run_states = study_states(study, len(design_parameters(options[0])))
                summary = (
                    f"study {study.name}: {len(options)} options "
                    f"({', '.join(o.name for o in options)}), {run_states} states x "
                    f"{study.replications} replications"
                )
            else:
                summary = _describe(load_scenario(target, set_ or []))
        except ScenarioError as error:
            if as_json:
                checked.append(
                    {"file": str(path), "ok": False, "problems": str(error).splitlines()}
                )
            else:
                say(error)
            failed = True
            continue
        checked.append({"file": str(path), "ok": True, "summary": summary})
        if not as_json:
            from .common.text import clean

            typer.echo(clean(f"ok  {path}: {summary}", None))
    if as_json:
        _emit({"valid": not failed, "files": checked})
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


class SchemaKind(StrEnum):
    """Which JSON Schema."""

    scenario = "scenario"
    partial = "scenario-partial"
    study = "study"


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the JSON Schema here instead of stdout."),
    ] = None,
    kind: Annotated[
        SchemaKind,
        typer.Option(
            "--kind",
            help="scenario (a complete file), scenario-partial (a file with extends: every "
            "key optional) or study.",
        ),
    ] = SchemaKind.scenario,
) -> None:
    """Print a JSON Schema of scenario or study files (for editors and check-jsonschema)."""
    from .scenario.jsonschema import json_schema

    text = json.dumps(json_schema(kind.value), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        from .runner.outputs import check_single_file, write_single_file

        with writing():
            check_single_file(output, b'"title": "drawdown-sim', "JSON Schema")
            write_single_file(output, text.encode())
        typer.echo(f"wrote {output}")


@app.command("run")
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
    _formats(plot_format)
    _quiet_for_json(as_json)
    scenario = load_or_exit(scenario_file, set_)
    from .analysis.run import default_out, run
    from .present.console import progress_reporter
    from .runner.engines import make_engine

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
        _draw("run", results)
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


def _draw(kind: str, *args: Any) -> None:
    """Plots then report.html; a failure to draw never changes the run's status or hides
    its summary: it is reported in one line."""
    from .present.console import console

    try:
        from .present.plots import plot_all

        plots = _drawn(lambda: plot_all(args[0].path))
    except Exception as error:  # noqa: BLE001 - the results are complete whatever happens here
        say(f"warning: the plots could not be drawn: {type(error).__name__}: {error}")
    else:
        if plots:
            console.print("plots:   " + ", ".join(str(p) for p in plots), highlight=False)
    _write_report(kind, *args)


def _write_report(kind: str, *args: Any) -> None:
    """Write report.html; a failure to draw never changes the run's status or hides its
    summary: it is reported in one line."""
    from .present.console import drawing

    try:
        from .present import report

        with drawing("writing the report"):
            path = getattr(report, f"{kind}_report")(*args)
    except Exception as error:  # noqa: BLE001 - the results are complete whatever happens here
        say(f"warning: the report could not be written: {type(error).__name__}: {error}")
        return
    from .present.console import console

    console.print(f"report: {path}", highlight=False)


def _print_run_summary(results: Any) -> None:
    from .present.console import completion_table, console, summary_table

    console.print(summary_table(results.summary(), f"{results.label}"))
    if results.scenario.planned_end_day is not None:
        console.print(completion_table({results.name: results.completion()}, "Drawdown completion"))


def _report_run(results: Any) -> bool:
    """Print the summary, where the results are and any failures; whether any failed."""
    from .present.console import console

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


@app.command("compare")
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
    _formats(plot_format)
    _quiet_for_json(as_json)
    from .scenario import ScenarioError, load_scenario

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
    from .analysis.comparison import compare
    from .present.console import console, option_progress
    from .runner.engines import make_engine

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
        _draw("compare", comparison)
    if as_json:
        from .analysis.comparison import completion_frame

        _emit(
            {
                "kind": "compare",
                "path": str(out),
                "reference": comparison.reference,
                "options": comparison.options,
                "table": _records(comparison.table),
                "completion": _records(completion_frame(comparison.results)),
            }
        )
    if failed:
        raise typer.Exit(EXIT_FAILED_REPLICATIONS)


def _print_comparison(comparison: Any) -> None:
    from .present.console import comparison_table, completion_table, console

    console.print(comparison_table(comparison))
    console.print(
        completion_table(
            {name: r.completion() for name, r in comparison.results.items()},
            "Drawdown completion by option",
        )
    )


def _study_or_exit(path: Path, states: int | None, reps: int | None) -> tuple[Any, list[Scenario]]:
    """A study (a file or a shipped name) and its options, with --states and --reps applied;
    its problems reported and exit 2."""
    from .scenario import ScenarioError
    from .scenario.study import load_study, with_counts

    try:
        study, options = load_study(resolve(path, "study"))
        return with_counts(study, options, states, reps), options
    except ScenarioError as error:
        fail_input(error)


@app.command("sweep")
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
    _formats(plot_format)
    _quiet_for_json(as_json)

    study, options = _study_or_exit(study_file, states, reps)
    from .analysis.sweeps import sweep
    from .present.console import console, progress_reporter, sweep_tables
    from .runner.engines import make_engine

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
        _draw("sweep", result, options)
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


@app.command("discover")
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
    _formats(plot_format)
    _quiet_for_json(as_json)

    study, options = _study_or_exit(study_file, states, reps)
    chosen_option = option or options[0].name
    if chosen_option not in [o.name for o in options]:
        fail_input(
            f"--option: {chosen_option[:40]!r} is not one of {', '.join(o.name for o in options)}"
        )
    from .analysis.discovery import ConditionError, evaluate_condition

    try:  # a bad condition is refused before anything runs
        import pandas as pd

        from .model import OUTCOMES

        evaluate_condition(where, pd.DataFrame({name: [0.0] for name in OUTCOMES}))
    except ConditionError as error:
        fail_input(f"--where: {error}")
    from .analysis.sweeps import sweep
    from .present.console import console, progress_reporter
    from .runner.engines import make_engine

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
    from .analysis.discovery import discover_frame

    try:
        found = discover_frame(result.frame, result.parameters, where, chosen_option, threshold)
    except ConditionError as error:
        fail_input(f"--where: {error}")
    assert result.path is not None
    from .runner.store import atomic_write_json

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
        from .present.plots.discovery_plots import write_discovery_plots

        folder = result.path / "plots"
        try:
            plots = _drawn(lambda: write_discovery_plots(result.frame, found, folder))
        except Exception as error:  # noqa: BLE001 - the discovery is saved whatever happens
            typer.echo(f"warning: the plots could not be drawn: {type(error).__name__}", err=True)
        else:
            console.print("plots:   " + ", ".join(str(p) for p in plots), highlight=False)
        _write_report("sweep", result, options)


@app.command("explore")
def explore_command(
    directory: Annotated[
        Path, typer.Argument(help="A results directory (run, compare or sweep).", metavar="DIR")
    ],
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1 (default: a free one)."),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser; print the address only.")
    ] = False,
) -> None:
    """Explore a results directory interactively in the browser (this machine only; the
    explore extra). Stop with Ctrl-C."""
    if not directory.is_dir():
        fail_input(f"{directory}: not a results directory")
    import pyarrow as pa

    from .present.explorer import PANEL_MISSING, serve
    from .runner.manifest import ManifestError

    def announce(address: str) -> None:
        typer.echo(f"explorer of {directory} at {address} (Ctrl-C stops it)", err=True)

    try:
        serve(directory, port, show=not no_browser, announce=announce)
    except ImportError:
        fail_input(PANEL_MISSING)
    except (ManifestError, FileNotFoundError) as error:
        fail_input(str(error))
    except (ValueError, KeyError, pa.ArrowException) as error:
        fail_input(
            f"{directory}: cannot read these results ({type(error).__name__}); rerun "
            "the command that made them with --force"
        )
    except OSError as error:
        fail_input(f"cannot serve on port {port}: {error.strerror or error}")
    except KeyboardInterrupt:
        pass
    typer.echo("explorer stopped", err=True)


@app.command("report")
def report_command(
    directory: Annotated[
        Path, typer.Argument(help="A results directory (run, compare or sweep).", metavar="DIR")
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Where to write the HTML (default DIR/report.html)."),
    ] = None,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not redraw the plots.")] = False,
    plot_format: FormatOption = PlotFormat.png,
) -> None:
    """Summarise a results directory and write a self-contained HTML report of it. The
    report goes to a new file or replaces a report drawdown-sim wrote; nothing else."""
    _formats(plot_format)
    from .present import report

    if not directory.is_dir():
        fail_input(f"{directory}: not a results directory")
    from .runner.outputs import check_single_file

    with writing():  # the output is checked before any work
        check_single_file(output or directory / "report.html", report.REPORT_MARKS, "report")
    import pyarrow as pa

    from .analysis.comparison import Comparison
    from .analysis.loading import load
    from .analysis.results import Results
    from .runner.manifest import ManifestError

    unreadable = (
        f"{directory}: cannot read these results (%s); they are damaged or incomplete: "
        "rerun the command that made them"
    )
    try:
        result = load(directory)
        if isinstance(result, Comparison):
            _print_comparison(result)
        elif isinstance(result, Results):
            _report_run(result)
        else:
            from .present.console import console, sweep_tables

            for table in sweep_tables(result):
                console.print(table)
    except (ManifestError, FileNotFoundError) as error:
        fail_input(str(error))
    except (OSError, ValueError, KeyError, pa.ArrowException) as error:
        fail_input(unreadable % type(error).__name__)
    from .present.console import drawing

    if not no_plots:
        from .present.plots import plot_all

        try:
            _drawn(lambda: plot_all(directory))
        except Exception as error:  # noqa: BLE001 - the report is still worth writing
            say(f"warning: the plots could not be drawn: {type(error).__name__}: {error}")
    with writing():
        try:
            with drawing("writing the report"):
                if isinstance(result, Comparison):
                    path = report.compare_report(result, output)
                elif isinstance(result, Results):
                    path = report.run_report(result, output)
                else:
                    from .analysis.sweeps import load_sweep

                    path = report.sweep_report(result, load_sweep(directory)[1], output)
        except (ValueError, KeyError, pa.ArrowException) as error:
            from .runner.outputs import OutputRefused

            if isinstance(error, OutputRefused):
                raise
            fail_input(unreadable % type(error).__name__)
    typer.echo(f"report: {path}")


@app.command("init")
def init_command(
    directory: Annotated[Path, typer.Argument(help="Working folder to create.", metavar="DIR")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the shipped files already in DIR.")
    ] = False,
) -> None:
    """Copy the shipped scenarios, studies, JSON schemas and notebooks into a working folder
    (the scenarios' $schema lines point at DIR/schema/)."""
    from .scenario.shipped import init

    try:
        written = init(directory, force)
    except FileExistsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    except OSError as error:
        fail_input(f"{str(directory)[:80]}: cannot write there ({error.strerror})")
    for folder in written:
        typer.echo(f"wrote {folder}/")
    typer.echo(f"next: cd {directory} && drawdown-sim run scenarios/baseline.yaml")


@app.command("calibrate")
def calibrate_command(
    scenario_file: Annotated[
        Path, typer.Argument(help="Scenario YAML file.", metavar="SCENARIO")
    ] = Path("baseline"),
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a scenario key.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Compare a scenario's implied attack rates and casualties with the public reference."""
    scenario = load_or_exit(scenario_file, set_)
    if as_json:
        from .calibration.checks import checks as calibration_checks

        _emit(
            {
                "scenario": scenario.name,
                "checks": [
                    {
                        "figure": c.name,
                        "reference": c.reference,
                        "low": c.low,
                        "high": c.high,
                        "model": c.model,
                        "inside": c.inside,
                        "target": c.target,
                        "source": c.source,
                    }
                    for c in calibration_checks(scenario)
                ],
            }
        )
        return
    from rich.table import Table

    from .calibration.checks import checks
    from .present.console import console

    table = Table(
        title=f"Calibration of {scenario.name} against the reference data", title_justify="left"
    )
    for column in ("figure", "reference [95% interval]", "model", "inside", "source"):
        table.add_column(
            column,
            justify="right" if column in ("reference [95% interval]", "model") else "left",
        )
    for check in checks(scenario):
        interval = f" [{check.low:.3g}, {check.high:.3g}]" if check.low == check.low else ""
        inside = "target" if check.target else {True: "yes", False: "NO", None: "-"}[check.inside]
        table.add_row(
            check.name,
            f"{check.reference:.3g}{interval}" if check.reference == check.reference else "-",
            f"{check.model:.3g}",
            inside,
            check.source,
        )
    table.caption = (
        "A target is a figure the model is set to reproduce, so it is met by construction; "
        "every other figure is a check."
    )
    console.print(table)


def _date_option(value: str | None, option: str) -> Any:
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        fail_input(f"{option}: {value[:40]!r} is not an ISO date (YYYY-MM-DD)")


@app.command("isis-fit")
def isis_fit_command() -> None:
    """Fit the ISIS trend and capacity effect to the shipped 2018-2023 tallies (JSON)."""
    from .calibration.isis_fit import summary

    _emit(summary())


@app.command("fit")
def fit_command(
    events_file: Annotated[
        Path, typer.Argument(help="CSV: one row per event, or running totals.", metavar="EVENTS")
    ],
    time_column: Annotated[
        str | None,
        typer.Option("--time-column", help="Column of dates, timestamps or days (default date)."),
    ] = None,
    count_column: Annotated[
        str | None,
        typer.Option(
            "--count-column",
            help="Column of running totals: fit the tallies as interval-censored counts.",
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First day observed (ISO date).")
    ] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day observed (ISO date).")] = None,
    imputations: Annotated[
        int,
        typer.Option(
            "--imputations",
            min=1,
            max=1000,
            help="Placements of imputed times within days (date-only event logs).",
        ),
    ] = 20,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=MAX_SEED, help="Seed of the imputations.")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Fit an exponential-kernel Hawkes process by maximum likelihood (background rate per
    day, branching ratio, mean trigger delay in days), with the likelihood-ratio test against
    a Poisson process. Running totals are fitted by the exact likelihood of the counts
    between reports."""
    from .calibration.fitting import FitError, fit_daily_events, fit_event_times, fit_tallies
    from .calibration.observed import ObservedDataError, printable, read_event_log, read_tallies

    first, last = _date_option(start, "--start"), _date_option(end, "--end")
    try:
        if count_column is not None:
            tallies = read_tallies(
                reference_file(events_file), count_column, time_column, first, last
            )
            result = fit_tallies(
                tallies.days(), tallies.counts, start=tallies.dates[0], end=tallies.dates[-1]
            )
        else:
            log = read_event_log(reference_file(events_file), time_column, first, last)
            if log.running_totals:
                column = log.running_totals[0]
                typer.echo(
                    f"note: column '{printable(column)}' only grows, like running totals, but "
                    f"each row is fitted as one event; to fit the totals, pass --count-column "
                    f"{printable(column)}",
                    err=True,
                )
            if log.daily:
                days = [float(int(t)) for t in log.times]
                result = fit_daily_events(
                    days, log.horizon, imputations, seed, start=log.start, end=log.end
                )
            else:
                result = fit_event_times(log.times, log.horizon)
    except (ObservedDataError, FitError) as error:
        fail_input(str(error))
    if as_json:
        _emit(result.to_json())
        return
    from rich.table import Table

    from .common.numbers import number
    from .present.console import console

    console.print(
        f"Hawkes fit of {events_file.name}: {result.events} events over "
        f"{number(result.days)} days; {result.method}"
        + (f", {result.imputations} imputations (Rubin's rules)" if result.imputations > 1 else ""),
        highlight=False,
        soft_wrap=True,
    )
    from rich.markup import escape

    table = Table(title_justify="left")
    unknown = 0
    for column in ("parameter", "estimate", "std. error", "95% interval", "unit"):
        table.add_column(column, justify="left" if column in ("parameter", "unit") else "right")
    for label, parameter, unit, floor, ceiling in (
        ("background rate", result.background_rate, "events/day", 0.0, None),
        ("branching ratio", result.branching_ratio, "events per event", 0.0, 1.0),
        ("mean trigger delay", result.trigger_days, "days", 0.0, None),
    ):
        low, high = parameter.interval()
        low = max(low, floor)
        high = min(high, ceiling) if ceiling is not None else high
        estimable = math.isfinite(parameter.stderr)
        profiled = parameter.low is not None
        unknown += not estimable and not profiled
        table.add_row(
            label,
            f"{parameter.estimate:.3g}" if math.isfinite(parameter.estimate) else "-",
            f"{parameter.stderr:.2g}" if estimable else ("-" if profiled else "not estimable"),
            escape(f"[{low:.3g}, {high:.3g}]") if estimable or profiled else "-",
            unit,
        )
    test = result.poisson_test
    ks = (
        f"Time-rescaling Kolmogorov-Smirnov p-value {result.ks_pvalue:.2f} (below 0.05 rejects "
        "the fitted model). "
        if math.isfinite(result.ks_pvalue)
        else ""
    )
    lr = (
        f"Likelihood-ratio test against a Poisson process (n = 0): {test.statistic:.2f}, "
        f"p = {test.p_value:.3f}, reference {test.reference}. "
        if test is not None
        else ""
    )
    table.caption = (
        ks
        + lr
        + (
            "The branching ratio's interval is the profile-likelihood interval; the others "
            "are estimate +- 1.96 standard errors, cut to the parameter's range."
            if result.branching_ratio.low is not None
            else "Intervals are estimate +- 1.96 standard errors, cut to the parameter's range."
        )
        + (
            " A standard error is not estimable where the likelihood gives no curvature, as "
            "when an estimate sits at the edge of its range (such as a branching ratio at 0)."
            if unknown
            else ""
        )
    )
    console.print(table)


@app.command("backtest")
def backtest_command(
    scenario_file: Annotated[
        Path | None,
        typer.Argument(help="Scenario of a past period (or a shipped name).", metavar="SCENARIO"),
    ] = None,
    observed_file: Annotated[
        Path | None,
        typer.Argument(help="Observed running totals or event log (CSV).", metavar="OBSERVED"),
    ] = None,
    reps: Annotated[int, typer.Option("--reps", min=10, max=1_000_000)] = 1000,
    seed: Annotated[int | None, typer.Option("--seed", min=0, max=MAX_SEED)] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for the table and plot (default: results/backtest/<name>/)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace other results in --out (other files are kept)."),
    ] = False,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a scenario key (key=value).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    score: Annotated[
        bool,
        typer.Option(
            "--score",
            help="Leave each episode of the pre-window record out, estimate on the others and "
            "score it (CRPS, log score, Brier, PIT) against two naive forecasts.",
        ),
    ] = False,
) -> None:
    """Lay the scenario's predictive band of cumulative attacks over the observed record:
    the predictive percentile of each observed count and whether it is in the 50% and 90%
    bands. With --score (no arguments): proper scores, leaving one episode out."""
    if score:
        if scenario_file is not None or observed_file is not None or set_ or out is not None:
            fail_input(
                "--score takes no SCENARIO, OBSERVED, --set or --out: it scores the "
                "shipped episodes"
            )
        _score_episodes(reps, 0 if seed is None else seed, as_json)
        return
    if scenario_file is None or observed_file is None:
        fail_input("backtest needs SCENARIO and OBSERVED (or --score)")
    scenario = load_or_exit(scenario_file, set_)
    from .calibration.backtest import backtest, read_observations, to_csv
    from .calibration.observed import ObservedDataError

    try:
        observations = read_observations(reference_file(observed_file), scenario)
    except ObservedDataError as error:
        fail_input(str(error))
    from .analysis.run import RESULTS
    from .runner.outputs import prepare_folder

    target = out if out is not None else RESULTS / "backtest" / scenario.name
    with writing():  # checked before the replications run
        folder = prepare_folder(target, "backtest", force=force, what="backtest")
    result = backtest(scenario, observations, reps, seed)
    summary = {
        "kind": "backtest",
        "scenario": scenario.name,
        "replications": reps,
        "coverage_50": result.coverage50,
        "coverage_90": result.coverage90,
        "final_pit": float(result.final()["pit"]),
        "p_no_campaign": result.p_no_campaign,
        "observations": json.loads(result.table.to_json(orient="records", date_format="iso")),
        "table": str(target / "backtest.csv"),
        "plot": str(target / "backtest.png"),
    }
    from .present.plots._common import save
    from .present.plots.backtest_plots import plot_backtest
    from .runner.files import atomic_write_bytes
    from .runner.store import atomic_write_json

    with writing():
        folder.remove_ours()
        atomic_write_json(target / "backtest.json", summary)  # first: marks the folder ours
        atomic_write_bytes(target / "backtest.csv", to_csv(result))
        ax = plot_backtest(result)
        save(ax.figure, target / "backtest.png", record=False)  # type: ignore[arg-type]
    if as_json:
        _emit(summary)
        return
    from rich.table import Table

    from .present.console import console

    table = Table(
        title=f"Backtest of {scenario.name} ({reps:,} replications): cumulative attacks in Iraq",
        title_justify="left",
    )
    for column in ("date", "observed", "source", "median", "50% band", "90% band", "PIT"):
        table.add_column(column, justify="left" if column in ("date", "source") else "right")
    for _, row in result.table.iterrows():
        table.add_row(
            str(row["date"]),
            str(row["observed"]),
            str(row["source"]),
            str(row["median"]),
            f"{row['q25']}-{row['q75']}" + (" in" if row["in_50"] else " OUT"),
            f"{row['q05']}-{row['q95']}" + (" in" if row["in_90"] else " OUT"),
            f"{row['pit']:.2f}",
        )
    console.print(table)
    console.print(
        f"{result.coverage90:.0%} of observed dates inside the 90% band, "
        f"{result.coverage50:.0%} inside the 50% band; P(no campaign day) "
        f"{result.p_no_campaign:.0%}. PIT: the predictive percentile of the observed count "
        "(midpoint of [F(y-1), F(y)]).",
        soft_wrap=True,
        highlight=False,
    )
    console.print(f"table: {target / 'backtest.csv'}\nplot: {target / 'backtest.png'}")


@app.command("estimate")
def estimate_command(
    record: Annotated[
        Path | None,
        typer.Option("--record", help="Record folder (default: the shipped 2019-2024 record)."),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the posterior, diagnostics and plots.")
    ] = Path("results/estimate"),
    budget: Annotated[
        int,
        typer.Option("--budget", min=20, max=10_000_000, help="Simulated particles in all."),
    ] = 3000,
    scenario_file: Annotated[
        Path, typer.Option("--scenario", help="Scenario whose other parameters are kept.")
    ] = Path("baseline"),
    seed: Annotated[int, typer.Option("--seed", min=0)] = 20240906,
    engine: Annotated[str, typer.Option("--engine", help="local or dask.")] = "local",
    workers: Annotated[int, typer.Option("--workers", min=1, max=256)] = 1,
    force: Annotated[
        bool, typer.Option("--force", help="Replace estimate's own files in --out.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """A posterior over the posture regime and the attack process by rejection ABC (pyabc): the
    model run on each episode of the pre-window record (2019-10-01 to 2024-08-31), the
    baseline's swept ranges as priors. Resumes an interrupted run in --out."""
    _quiet_for_json(as_json)
    from .calibration.record import load_record, shipped_record
    from .scenario import ScenarioError

    if engine not in ("local", "dask"):
        fail_input(f"--engine: {engine!r} is not local or dask")
    try:
        loaded = load_record(record if record is not None else shipped_record())
    except ScenarioError as error:
        fail_input(error)
    base = load_or_exit(scenario_file)
    try:
        import pyabc  # noqa: F401
    except ImportError:
        fail_input("estimate needs pyabc: pip install 'drawdown-sim[estimate]'")
    from .calibration.estimate import EstimateRefused, estimate, width_table
    from .present.console import console, progress_reporter

    try:
        with resumable(), progress_reporter("estimate (simulations)") as progress:
            result = estimate(
                loaded,
                base,
                out,
                budget,
                seed=seed,
                force=force,
                engine=engine,
                workers=workers,
                progress=progress,
            )
            from .present.plots.estimate_plots import write_estimate_plots

            write_estimate_plots(result)
    except EstimateRefused as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_REFUSED) from None
    d = result.diagnostics
    if as_json:
        _emit({**d, "files": [str(f) for f in result.files]})
        return
    from rich.table import Table

    table = Table(
        title=f"Posterior on {d['record']} ({d['simulations']:,} simulations, "
        f"{d['generations']} generations, ESS {d['ess']:.0f} of {d['draws']})",
        title_justify="left",
    )
    for column in ("parameter", "prior 90%", "median", "posterior 90%", "width ratio", ""):
        table.add_column(column, justify="left" if column == "parameter" else "right")
    for row in width_table(d):
        table.add_row(
            row["parameter"],
            "{:.3g}-{:.3g}".format(*row["prior_90"]),
            f"{row['posterior_median']:.3g}",
            "{:.3g}-{:.3g}".format(*row["posterior_90"]),
            f"{row['width_ratio']:.2f}",
            "identified" if row["identified"] else "NOT identified",
        )
    console.print(table)
    console.print(
        f"predictive: {d['predictive']['inside_90']:.0%} of the record's tallies inside the "
        f"90% interval, {d['predictive']['inside_50']:.0%} inside the 50% interval",
        highlight=False,
    )
    for f in result.files:
        console.print(str(f), highlight=False)


def _score_episodes(reps: int, seed: int, as_json: bool) -> None:
    """``backtest --score``: leave one episode out, print scores and skills."""
    import numpy as np

    from .calibration.observed import ObservedDataError
    from .calibration.scoring import HORIZONS, pooled_skills, score_all

    try:
        results = score_all(reps=reps, seed=seed)
    except ObservedDataError as error:
        fail_input(str(error))
    pooled = pooled_skills(results, seed)
    if as_json:
        _emit(
            {
                "replications": reps,
                "seed": seed,
                "episodes": [r.to_json() for r in results],
                "pooled_skill": pooled,
                "skill": "1 - score/naive score for CRPS and Brier; the mean log-score gain "
                "(nats per block) for the log score; 95% paired percentile bootstrap intervals",
            }
        )
        return
    from rich.table import Table

    from .present.console import console

    def interval(skill: dict[str, float | None]) -> str:
        value, low, high = skill["skill"], skill["low"], skill["high"]
        if value is None:
            return "-"
        text = f"{value:+.2f}"
        return text + (
            f" [{low:+.2f}, {high:+.2f}]" if low is not None and high is not None else ""
        )

    for result in results:
        table = Table(
            title=f"Held out: {result.episode.name} ({result.episode.start} to "
            f"{result.episode.end}), {reps:,} replications",
            title_justify="left",
        )
        for column in (
            "score",
            "model",
            *(f.name for f in result.naive),
            *(f"skill vs {f.name}" for f in result.naive),
        ):
            table.add_column(column, justify="left" if column == "score" else "right")
        skills = result.skills(seed)
        for label, attribute, key, fmt in (
            (f"CRPS, {len(result.blocks)} blocks of ~30 days", "crps", "crps", "{:.2f}"),
            ("log score (nats)", "log_score", "log_score", "{:.2f}"),
            (
                f"Brier, onset within {'/'.join(map(str, HORIZONS))} days",
                "brier",
                "brier",
                "{:.3f}",
            ),
        ):
            table.add_row(
                label,
                fmt.format(float(np.mean(getattr(result.model, attribute)))),
                *(fmt.format(float(np.mean(getattr(f, attribute)))) for f in result.naive),
                *(interval(skills[f.name][key]) for f in result.naive),
            )
        console.print(table)
        console.print(
            "PIT of the blocks: "
            + ", ".join(f"{p:.2f}" for p in result.model.pit)
            + (("; " + "; ".join(result.fallbacks)) if result.fallbacks else ""),
            soft_wrap=True,
            highlight=False,
        )
    console.print(
        "Pooled skill (1 - score/naive; log score: gain in nats): "
        + "; ".join(
            f"vs {name}: CRPS {interval(s['crps'])}, log {interval(s['log_score'])}, "
            f"Brier {interval(s['brier'])}"
            for name, s in pooled.items()
        ),
        soft_wrap=True,
        highlight=False,
    )


def main() -> None:
    """Console-script entry point."""
    app()
