"""``drawdown-sim calibrate``: a scenario against the public reference figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import JsonOption, _emit, load_or_exit


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
        from ..calibration.checks import checks as calibration_checks

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

    from ..calibration.checks import checks
    from ..present.console import console

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
