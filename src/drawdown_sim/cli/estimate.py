"""``drawdown-sim estimate``: a posterior over the record (ABC)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import EXIT_REFUSED, _emit, _quiet_for_json, fail_input, load_or_exit, resumable


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
    from ..calibration.record import load_record, shipped_record
    from ..scenario import ScenarioError

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
    from ..calibration.estimate import EstimateRefused, estimate, width_table
    from ..present.console import console, progress_reporter

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
            from ..present.plots.estimate_plots import write_estimate_plots

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
