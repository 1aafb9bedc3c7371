"""``drawdown-sim backtest``: a scenario against observed tallies; ``--score``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..scenario.bounds import MAX_SEED
from ._common import _emit, fail_input, load_or_exit, reference_file, writing


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
    record: Annotated[
        Path | None,
        typer.Option(
            "--record", help="With --score: record folder (default: the shipped 2019-2024 one)."
        ),
    ] = None,
    budget: Annotated[
        int,
        typer.Option(
            "--budget",
            min=20,
            max=10_000_000,
            help="With --score: simulated particles of each leave-one-out fit.",
        ),
    ] = 400,
) -> None:
    """Lay the scenario's predictive band of cumulative attacks over the observed record:
    the predictive percentile of each observed count and whether it is in the 50% and 90%
    bands. With --score (no arguments): proper scores, leaving one episode out."""
    if score:
        if scenario_file is not None or observed_file is not None or set_ or out is not None:
            fail_input(
                "--score takes no SCENARIO, OBSERVED, --set or --out: it scores the "
                "record's episodes"
            )
        _score_episodes(record, budget, reps, 0 if seed is None else seed, as_json)
        return
    if scenario_file is None or observed_file is None:
        fail_input("backtest needs SCENARIO and OBSERVED (or --score)")
    if record is not None:
        fail_input("--record is for --score (the record's episodes, left out one by one)")
    scenario = load_or_exit(scenario_file, set_)
    from ..calibration.backtest import backtest, read_observations, to_csv
    from ..calibration.observed import ObservedDataError

    try:
        observations = read_observations(reference_file(observed_file), scenario)
    except ObservedDataError as error:
        fail_input(str(error))
    from ..analysis.run import RESULTS
    from ..runner.outputs import prepare_folder

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
    from ..present.plots._common import save
    from ..present.plots.backtest_plots import plot_backtest
    from ..runner.files import atomic_write_bytes
    from ..runner.store import atomic_write_json

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

    from ..present.console import console

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


def _score_episodes(
    record_folder: Path | None, budget: int, reps: int, seed: int, as_json: bool
) -> None:
    """``backtest --score``: leave each episode of the record out, print scores and skills."""
    import numpy as np

    from ..calibration.record import load_record, shipped_record
    from ..scenario import ScenarioError

    try:
        record = load_record(record_folder if record_folder is not None else shipped_record())
    except ScenarioError as error:
        fail_input(error)
    try:
        import pyabc  # noqa: F401
    except ImportError:
        fail_input("backtest --score needs pyabc: pip install 'drawdown-sim[estimate]'")
    from ..calibration.scoring import pooled_skills, score_all
    from ..present.console import progress_reporter

    base = load_or_exit(Path("baseline"))
    with progress_reporter("backtest --score (held-out episodes)") as progress:
        results, skipped = score_all(
            record, base, budget=budget, reps=reps, seed=seed, progress=progress
        )
    pooled = pooled_skills(results, seed)
    if as_json:
        _emit(
            {
                "record": record.folder.name,
                "budget": budget,
                "replications": reps,
                "seed": seed,
                "episodes": [r.to_json() for r in results],
                "not_scored": skipped,
                "pooled_skill": pooled,
                "skill": "1 - score/naive score for CRPS and Brier; the mean log-score gain "
                "(nats per block) for the log score; 95% paired percentile bootstrap intervals "
                "over the scored items (low, high) and, pooled, over whole episodes "
                "(episode_low, episode_high)",
            }
        )
        return
    from rich.table import Table

    from ..present.console import console

    def interval(skill: dict[str, float | None]) -> str:
        value, low, high = skill["skill"], skill["low"], skill["high"]
        if value is None:
            return "-"
        text = f"{value:+.2f}"
        return text + (
            f" [{low:+.2f}, {high:+.2f}]" if low is not None and high is not None else ""
        )

    def mean(values: list[float], fmt: str) -> str:
        return fmt.format(float(np.mean(values))) if values else "-"

    for result in results:
        table = Table(
            title=f"Held out: {result.episode.name} ({result.episode.start} to "
            f"{result.episode.end}), fitted on the others at budget {budget:,}, "
            f"{reps:,} replications at resampled posterior draws",
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
        horizons = "/".join(map(str, result.horizons)) or "none observed"
        for label, attribute, key, fmt in (
            (f"CRPS, {len(result.blocks)} block(s)", "crps", "crps", "{:.2f}"),
            ("log score (nats)", "log_score", "log_score", "{:.2f}"),
            (f"Brier, onset within {horizons} days", "brier", "brier", "{:.3f}"),
        ):
            table.add_row(
                label,
                mean(getattr(result.model, attribute), fmt),
                *(mean(getattr(f, attribute), fmt) for f in result.naive),
                *(interval(skills[f.name][key]) for f in result.naive),
            )
        console.print(table)
        console.print(
            "PIT of the blocks: "
            + ", ".join(f"{p:.2f}" for p in result.model.pit)
            + (("; censored: " + "; ".join(result.censored)) if result.censored else ""),
            soft_wrap=True,
            highlight=False,
        )
    for line in skipped:
        console.print(f"not scored: {line}", highlight=False)

    def by_episode(skill: dict[str, float | None]) -> str:
        low, high = skill["episode_low"], skill["episode_high"]
        text = interval({**skill, "low": None, "high": None})
        return text + (
            f" [{low:+.2f}, {high:+.2f}]" if low is not None and high is not None else ""
        )

    console.print(
        "Pooled skill (1 - score/naive; log score: gain in nats), 95% intervals resampling "
        "whole episodes: "
        + "; ".join(
            f"vs {name}: CRPS {by_episode(s['crps'])}, log {by_episode(s['log_score'])}, "
            f"Brier {by_episode(s['brier'])}"
            for name, s in pooled.items()
        ),
        soft_wrap=True,
        highlight=False,
    )
