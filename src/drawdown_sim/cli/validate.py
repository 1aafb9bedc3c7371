"""``drawdown-sim validate``: check scenario and study files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from ..scenario import Scenario


from ._common import EXIT_BAD_INPUT, JsonOption, _emit, resolve, say


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
    from ..scenario import ScenarioError
    from ..scenario.loader import load_document

    try:
        data = load_document(path).data
    except ScenarioError:
        return False  # the scenario loader reports it
    return "options" in data and "sites" not in data


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
    from ..scenario import ScenarioError, load_scenario
    from ..scenario.study import load_study

    failed = False
    checked: list[dict[str, Any]] = []
    for path in files:
        target = resolve(path)
        if target == path and not path.exists():
            target = resolve(path, "study")
        try:
            if _looks_like_study(target):
                study, options = load_study(target)
                from ..scenario.bounds import study_states
                from ..scenario.study import design_parameters

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
            from ..common.text import clean

            typer.echo(clean(f"ok  {path}: {summary}", None))
    if as_json:
        _emit({"valid": not failed, "files": checked})
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)
