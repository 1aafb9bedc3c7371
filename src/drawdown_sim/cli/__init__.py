"""The ``drawdown-sim`` command line: the typer app and its commands, one module each
(``cli/<command>.py``). Heavy libraries are imported inside the commands so that
``--help`` and ``--version`` answer at once."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED_REPLICATIONS,
    EXIT_REFUSED,
    EXIT_UNWRITABLE,
    _quiet_for_json,
)
from .backtest import backtest_command
from .calibrate import calibrate_command
from .compare import compare_command
from .discover import discover_command
from .estimate import estimate_command
from .explore import explore_command
from .fit import fit_command
from .init import init_command
from .isis_fit import isis_fit_command
from .report import report_command
from .run import run_command
from .schema import schema
from .sweep import sweep_command
from .validate import validate

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED_REPLICATIONS",
    "EXIT_REFUSED",
    "EXIT_UNWRITABLE",
    "app",
    "main",
]

app = typer.Typer(
    name="drawdown-sim",
    help="Scenario simulator for the phased drawdown of the US-led coalition from Iraq.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"drawdown-sim {version('drawdown-sim')}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Simulate drawdown scenarios, compare advisory-retention options, sweep uncertainty."""
    _quiet_for_json(False)  # each command starts speaking; --json commands silence it


def main() -> None:
    """Console-script entry point."""
    app()


# The commands, in the order --help lists them.
app.callback()(_root)
app.command("validate")(validate)
app.command("schema")(schema)
app.command("run")(run_command)
app.command("compare")(compare_command)
app.command("sweep")(sweep_command)
app.command("discover")(discover_command)
app.command("explore")(explore_command)
app.command("report")(report_command)
app.command("init")(init_command)
app.command("calibrate")(calibrate_command)
app.command("isis-fit")(isis_fit_command)
app.command("fit")(fit_command)
app.command("backtest")(backtest_command)
app.command("estimate")(estimate_command)
