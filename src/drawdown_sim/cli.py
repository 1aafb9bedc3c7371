"""The ``drawdown-sim`` command line. Heavy libraries are imported inside commands so that
``--help`` answers at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, Optional

import typer

if TYPE_CHECKING:
    from .scenario import Scenario, ScenarioError

app = typer.Typer(
    name="drawdown-sim",
    help="Scenario simulator for the phased drawdown of the US-led coalition from Iraq.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

EXIT_BAD_INPUT = 2


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"drawdown-sim {version('drawdown-sim')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Simulate drawdown scenarios, compare advisory-retention options, sweep uncertainty."""


def fail_input(error: ScenarioError | str) -> NoReturn:
    """Print every problem, one per line, to stderr and exit with status 2 (bad input)."""
    typer.echo(str(error), err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def load_or_exit(path: Path, overrides: list[str] | None = None) -> Scenario:
    """Load a scenario or report its problems and exit 2."""
    from .scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path, overrides or [])
    except ScenarioError as error:
        fail_input(error)


def _describe(scenario: Scenario) -> str:
    personnel = sum(site.personnel for site in scenario.sites)
    phases = len(scenario.drawdown.phases) if scenario.drawdown.enabled else 0
    residual = sum(scenario.advisory.residual.values())
    return (f"{scenario.name}: {scenario.window.start} to {scenario.window.end} "
            f"({scenario.window.days} days), {len(scenario.sites)} sites, {personnel} personnel, "
            f"{phases} phase(s), option {scenario.advisory.name!r} "
            f"({scenario.advisory.mission}, {residual} named residual), "
            f"{len(scenario.shocks.scheduled)} scheduled shock(s), "
            f"{len(scenario.uncertainties)} uncertain parameter(s)")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    set_: Annotated[
        Optional[list[str]],  # noqa: UP007 - typer needs Optional here
        typer.Option("--set", help="Override a key, e.g. --set militia.posture=campaign."),
    ] = None,
) -> None:
    """Check scenario files; print a summary of each valid one. Exit 2 if any is invalid."""
    from .scenario import ScenarioError, load_scenario

    failed = False
    for path in files:
        try:
            scenario = load_scenario(path, set_ or [])
        except ScenarioError as error:
            typer.echo(str(error), err=True)
            failed = True
            continue
        typer.echo(f"ok  {path}: {_describe(scenario)}")
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def schema(
    output: Annotated[
        Optional[Path],  # noqa: UP007
        typer.Option("-o", "--output", help="Write the JSON Schema here instead of stdout."),
    ] = None,
) -> None:
    """Print the JSON Schema of scenario files (for editor completion and checking)."""
    from .scenario.jsonschema import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(output)
        typer.echo(f"wrote {output}")


def main() -> None:
    """Console-script entry point."""
    app()
