"""A self-contained HTML report of a run, a comparison or a sweep.

One file, no external scripts, styles, fonts or images: the figures are inline SVG, so it
reads offline, prints cleanly and can be handed on. Text comes from Jinja2 with autoescaping,
so a scenario description holding markup is shown as text. The first section answers the
question in words built from the numbers in the tables, and nothing else.
"""

from __future__ import annotations

import io
import shlex
import sys
from datetime import UTC, datetime
from functools import singledispatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .content import (
    assumptions,
    compare_answer,
    compare_tables,
    discovery_table,
    run_answer,
    run_tables,
    sweep_answer,
    sweep_tables,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure

    from ...analysis.comparison import Comparison
    from ...analysis.results import Results
    from ...analysis.sweeps import Sweep


def _svg(figure: Figure | SubFigure) -> str:
    """The figure as inline SVG (text kept as text, so it stays sharp and searchable)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    whole = figure.figure  # a SubFigure's parent; a Figure's own
    with plt.rc_context({"svg.fonttype": "none"}):
        whole.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(whole)  # type: ignore[arg-type]
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inline in HTML


REPORT_MARKS = (b'<meta name="generator" content="drawdown-sim', b"<title>drawdown-sim")
"""What shows an HTML file is a report this tool wrote (the second: reports written before the
generator tag), so that ``report -o`` may replace it; nothing else is ever replaced."""


def _render(context: dict[str, Any], target: Path) -> Path:
    from ...runner.manifest import environment
    from ...runner.outputs import check_single_file, write_single_file

    check_single_file(target, REPORT_MARKS, "report")
    env = Environment(
        loader=PackageLoader("drawdown_sim.present.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
    )
    page = env.get_template("report.html.j2").render(
        version=environment().package,
        written=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command=context.pop("command", None) or _command(),
        **context,
    )
    write_single_file(target, page.encode())
    return target


def _command() -> str:
    return shlex.join(["drawdown-sim", *sys.argv[1:]]) if sys.argv else ""


def _period(results: Results) -> str:
    s = results.scenario
    text = f"window {s.window.start} to {s.window.end}"
    if s.follow_on is not None:
        text += f", follow-on to {s.follow_on.end}"
    return text


def _runs(results: list[Results]) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name,
            "description": r.scenario.description,
            "replications": f"{r.replications:,}",
            "seed": r.seed,
        }
        for r in results
    ]


def run_report(results: Results, target: Path | None = None) -> Path:
    """``report.html`` of one run (default: in its results directory)."""
    from ..plots import run_plots
    from ..plots.completion_plots import plot_completion

    figures = []
    if results.replications:  # with every replication failed there is nothing to draw
        for series in run_plots.FAN_SERIES:
            ax = run_plots.plot_fan(results, series)
            figures.append(("fan-" + series, ax.figure, f"Daily {series.replace('_', ' ')}."))
        ax = run_plots.plot_escalation(results)
        figures.append(("escalation", ax.figure, "Share of replications at each escalation level."))
        if results.scenario.planned_end_day is not None:
            ax = plot_completion({results.name: results})
            figures.append(("completion", ax.figure, "Drawdown completion (Kaplan-Meier)."))
        figures.append(
            ("distributions", run_plots.plot_distributions(results), "Outcome distributions.")
        )
    context = {
        "title": f"drawdown-sim: {results.name}",
        "kind_text": "one scenario",
        "answer": run_answer(results),
        "runs": _runs([results]),
        "period": _period(results),
        "assumptions": assumptions(results.scenario),
        "tables": run_tables(results),
        "figures": [{"id": i, "svg": _svg(f), "caption": c} for i, f, c in figures],
        "command": " ".join(results.manifest.environment.command) or None,
    }
    assert results.path is not None or target is not None
    return _render(context, target or results.path / "report.html")  # type: ignore[operator]


def compare_report(comparison: Comparison, target: Path | None = None) -> Path:
    """``report.html`` of a comparison of options."""
    import matplotlib.pyplot as plt

    from ..plots import compare_plots
    from ..plots.completion_plots import plot_completion
    from .decision import compare_first_screen, why_table

    first_screen = compare_first_screen(comparison)
    first_screen["tradeoff"] = _svg(compare_plots.plot_tradeoff(comparison).figure)
    first_screen["tradeoff_caption"] = (
        f"The trade-off against {comparison.reference}: coalition casualties against ISIS "
        "attacks, paired mean differences with 95% intervals."
    )
    figures = [
        ("differences", compare_plots._grid(comparison, "forest"), "Paired differences."),
        ("distributions", compare_plots._grid(comparison, "box"), "Outcomes by option."),
        ("completion", plot_completion(comparison.results).figure, "Drawdown completion."),
    ]
    fig, axes = plt.subplots(2, 1, figsize=(10, 8), layout="constrained")
    compare_plots.plot_overlaid_fans(comparison, "personnel", ax=axes[0])
    compare_plots.plot_overlaid_fans(comparison, "attack_intensity", ax=axes[1])
    figures.append(("fans", fig, "Personnel and attack intensity by option."))
    first = next(iter(comparison.results.values()))
    context = {
        "title": f"drawdown-sim: {len(comparison.results)} options compared",
        "kind_text": f"a comparison against {comparison.reference}",
        "answer": compare_answer(comparison),
        "runs": _runs(list(comparison.results.values())),
        "period": _period(first),
        "assumptions": assumptions(comparison.results[comparison.reference].scenario),
        "tables": compare_tables(comparison),
        "figures": [{"id": i, "svg": _svg(f), "caption": c} for i, f, c in figures],
        "first": first_screen,
        "why": why_table(comparison.decomposition, comparison.reference)
        if comparison.decomposition is not None and not comparison.decomposition.empty
        else None,
    }
    assert comparison.path is not None or target is not None
    return _render(context, target or comparison.path / "report.html")  # type: ignore[operator]


def sweep_report(result: Sweep, options: list[Any], target: Path | None = None) -> Path:
    """``report.html`` of a robustness sweep."""
    from ..plots import sweep_plots
    from .decision import sweep_first_screen

    first_screen = sweep_first_screen(result)
    first_screen["tradeoff"] = _svg(sweep_plots.plot_sweep_tradeoff(result).figure)
    first_screen["tradeoff_caption"] = (
        "The trade-off over the states: filled markers are the Pareto set, hollow ones are "
        "dominated."
    )
    figures = [
        (
            "value-of-information",
            sweep_plots.plot_value_of_information(result).figure,
            "What is worth learning first (EVPPI).",
        ),
        ("regret", sweep_plots.plot_regret(result).figure, "Regret per option and outcome."),
        ("satisficing", sweep_plots.plot_satisficing(result).figure, "Satisficing."),
    ]
    for outcome in result.study.outcomes:
        ax = sweep_plots.plot_outcome_vs_parameter(result, outcome)
        figures.append((f"vs-{outcome}", ax.figure, f"{outcome} across the states."))
    context: dict[str, Any] = {
        "title": f"drawdown-sim: sweep {result.study.name}",
        "kind_text": f"a robustness sweep over {result.states_text} of the world",
        "answer": sweep_answer(result),
        "runs": [
            {
                "name": s.name,
                "description": s.description,
                "replications": f"{result.study.replications:,} per state",
                "seed": result.study.seed,
            }
            for s in options
        ],
        "period": f"window {options[0].window.start} to {options[0].window.end}"
        + (f", follow-on to {options[0].follow_on.end}" if options[0].follow_on else ""),
        "assumptions": assumptions(options[0]),
        "tables": sweep_tables(result),
        "figures": [{"id": i, "svg": _svg(f), "caption": c} for i, f, c in figures],
        "first": first_screen,
    }
    found = _discovery(result)
    if found is not None:
        from ..plots import discovery_plots

        discovery, payload = found
        context["tables"].append(discovery_table(payload, discovery.findings()))
        for name, ax, caption in (
            ("discovery-peeling", discovery_plots.plot_peeling(discovery), "PRIM peeling."),
            (
                "discovery-box",
                discovery_plots.plot_box(result.frame, discovery),
                "The chosen box.",
            ),
        ):
            context["figures"].append({"id": name, "svg": _svg(ax.figure), "caption": caption})
    assert result.path is not None or target is not None
    return _render(context, target or result.path / "report.html")  # type: ignore[operator]


def _discovery(result: Sweep) -> tuple[Any, dict[str, Any]] | None:
    """The scenario discovery saved beside a sweep (``discovery.json``), if any."""
    import json

    if result.path is None or not (result.path / "discovery.json").is_file():
        return None
    from ...analysis.discovery import discovery_from_dict
    from ...runner.files import TABLE_BYTES, read_regular

    payload = json.loads(read_regular(result.path / "discovery.json", TABLE_BYTES))
    return discovery_from_dict(payload), payload


@singledispatch
def write_report(result: object, target: Path | None = None, options: Any = None) -> Path:
    """``report.html`` of a finished run, comparison or sweep (default: in its results
    directory), chosen by the result's type; a sweep's ``options`` (its option scenarios)
    are read from its folder when not given."""
    raise TypeError(f"no report for a {type(result).__name__}")


def _register() -> None:
    """The report of each result type (registered by function: the result classes are
    only names for the type checker at this module's top)."""
    from ...analysis.comparison import Comparison
    from ...analysis.results import Results
    from ...analysis.sweeps import Sweep, load_sweep

    def run(result: Results, target: Path | None = None, options: Any = None) -> Path:
        return run_report(result, target)

    def compare(result: Comparison, target: Path | None = None, options: Any = None) -> Path:
        return compare_report(result, target)

    def sweep(result: Sweep, target: Path | None = None, options: Any = None) -> Path:
        if options is None:
            assert result.path is not None
            options = load_sweep(result.path)[1]
        return sweep_report(result, options, target)

    write_report.register(Results, run)
    write_report.register(Comparison, compare)
    write_report.register(Sweep, sweep)


_register()
