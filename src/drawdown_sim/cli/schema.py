"""``drawdown-sim schema``: the JSON Schema of scenario or study files."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ._common import writing


class SchemaKind(StrEnum):
    """Which JSON Schema."""

    scenario = "scenario"
    partial = "scenario-partial"
    study = "study"


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
    from ..scenario.jsonschema import json_schema

    text = json.dumps(json_schema(kind.value), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        from ..runner.outputs import check_single_file, write_single_file

        with writing():
            check_single_file(output, b'"title": "drawdown-sim', "JSON Schema")
            write_single_file(output, text.encode())
        typer.echo(f"wrote {output}")
