"""``drawdown-sim init``: a working folder with the shipped files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import EXIT_REFUSED, fail_input


def init_command(
    directory: Annotated[Path, typer.Argument(help="Working folder to create.", metavar="DIR")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the shipped files already in DIR.")
    ] = False,
) -> None:
    """Copy the shipped scenarios, studies, JSON schemas and notebooks into a working folder
    (the scenarios' $schema lines point at DIR/schema/)."""
    from ..scenario.shipped import init

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
