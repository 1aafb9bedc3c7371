"""Shared by the commands: exit statuses, option types, one-line messages and failures (``say``,
``fail_*``), turning refused or unwritable outputs into exit statuses (``writing``,
``resumable``), scenario loading."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ..scenario.bounds import MAX_REPLICATIONS, MAX_STATES

if TYPE_CHECKING:
    from ..scenario import Scenario, ScenarioError


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
    from ..present.console import console

    console.quiet = as_json


def _records(frame: Any) -> list[dict[str, Any]]:
    from ..common.jsonable import records

    return records(frame)


def _emit(document: dict[str, Any]) -> None:
    from ..common.jsonable import dumps

    sys.stdout.write(dumps(document) + "\n")


class PlotFormat(StrEnum):
    """File formats of the plots."""

    png = "png"
    svg = "svg"
    both = "both"


FormatOption = Annotated[PlotFormat, typer.Option("--format", help="Plot files: png, svg or both.")]


def plot_formats(choice: PlotFormat) -> tuple[str, ...]:
    """The file formats of the command's ``--format``, handed down to the plot writers (no
    matplotlib import here: it takes about a second and ``--no-plots`` needs none)."""
    return ("png", "svg") if choice is PlotFormat.both else (choice.value,)


def _drawn(draw: Callable[[], list[Path]]) -> list[Path]:
    """The files ``draw()`` writes, a spinner saying so."""
    from ..present.console import drawing

    with drawing("drawing the plots"):
        return draw()


def say(message: object) -> None:
    """One message to stderr, each line with its control characters escaped and cut when long
    (a scenario's key or a CSV's header may hold a terminal escape sequence)."""
    from ..common.text import clean_lines

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
    from ..runner.outputs import OutputRefused, OutputUnwritable

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
    from ..runner.engines import EngineError
    from ..runner.manifest import ManifestError
    from ..runner.store import RunRefused
    from ..scenario.bounds import RunStopped

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
    from ..scenario.shipped import resolve as shipped

    return shipped(path, kind)


def reference_file(path: Path) -> Path:
    from ..scenario.shipped import reference_file as shipped

    return shipped(path)


def load_or_exit(path: Path, overrides: list[str] | None = None) -> Scenario:
    """Load a scenario or report its problems and exit 2."""
    from ..scenario import ScenarioError, load_scenario

    try:
        return load_scenario(resolve(path), overrides or [])
    except ScenarioError as error:
        fail_input(error)
