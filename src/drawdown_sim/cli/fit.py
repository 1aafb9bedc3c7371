"""``drawdown-sim fit``: fit the militia's Hawkes process to an event log or tallies."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from ..scenario.bounds import MAX_SEED
from ._common import _emit, fail_input, reference_file


def _date_option(value: str | None, option: str) -> Any:
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        fail_input(f"{option}: {value[:40]!r} is not an ISO date (YYYY-MM-DD)")


def fit_command(
    events_file: Annotated[
        Path, typer.Argument(help="CSV: one row per event, or running totals.", metavar="EVENTS")
    ],
    time_column: Annotated[
        str | None,
        typer.Option("--time-column", help="Column of dates, timestamps or days (default date)."),
    ] = None,
    count_column: Annotated[
        str | None,
        typer.Option(
            "--count-column",
            help="Column of running totals: fit the tallies as interval-censored counts.",
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First day observed (ISO date).")
    ] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day observed (ISO date).")] = None,
    imputations: Annotated[
        int,
        typer.Option(
            "--imputations",
            min=1,
            max=1000,
            help="Placements of imputed times within days (date-only event logs).",
        ),
    ] = 20,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=MAX_SEED, help="Seed of the imputations.")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Fit an exponential-kernel Hawkes process by maximum likelihood (background rate per
    day, branching ratio, mean trigger delay in days), with the likelihood-ratio test against
    a Poisson process. Running totals are fitted by the exact likelihood of the counts
    between reports."""
    from ..calibration.fitting import FitError, fit_daily_events, fit_event_times, fit_tallies
    from ..calibration.observed import ObservedDataError, printable, read_event_log, read_tallies

    first, last = _date_option(start, "--start"), _date_option(end, "--end")
    try:
        if count_column is not None:
            tallies = read_tallies(
                reference_file(events_file), count_column, time_column, first, last
            )
            result = fit_tallies(
                tallies.days(), tallies.counts, start=tallies.dates[0], end=tallies.dates[-1]
            )
        else:
            log = read_event_log(reference_file(events_file), time_column, first, last)
            if log.running_totals:
                column = log.running_totals[0]
                typer.echo(
                    f"note: column '{printable(column)}' only grows, like running totals, but "
                    f"each row is fitted as one event; to fit the totals, pass --count-column "
                    f"{printable(column)}",
                    err=True,
                )
            if log.daily:
                days = [float(int(t)) for t in log.times]
                result = fit_daily_events(
                    days, log.horizon, imputations, seed, start=log.start, end=log.end
                )
            else:
                result = fit_event_times(log.times, log.horizon)
    except (ObservedDataError, FitError) as error:
        fail_input(str(error))
    if as_json:
        _emit(result.to_json())
        return
    from rich.table import Table

    from ..common.numbers import number
    from ..present.console import console

    console.print(
        f"Hawkes fit of {events_file.name}: {result.events} events over "
        f"{number(result.days)} days; {result.method}"
        + (f", {result.imputations} imputations (Rubin's rules)" if result.imputations > 1 else ""),
        highlight=False,
        soft_wrap=True,
    )
    from rich.markup import escape

    table = Table(title_justify="left")
    unknown = 0
    for column in ("parameter", "estimate", "std. error", "95% interval", "unit"):
        table.add_column(column, justify="left" if column in ("parameter", "unit") else "right")
    for label, parameter, unit, floor, ceiling in (
        ("background rate", result.background_rate, "events/day", 0.0, None),
        ("branching ratio", result.branching_ratio, "events per event", 0.0, 1.0),
        ("mean trigger delay", result.trigger_days, "days", 0.0, None),
    ):
        low, high = parameter.interval()
        low = max(low, floor)
        high = min(high, ceiling) if ceiling is not None else high
        estimable = math.isfinite(parameter.stderr)
        profiled = parameter.low is not None
        unknown += not estimable and not profiled
        table.add_row(
            label,
            f"{parameter.estimate:.3g}" if math.isfinite(parameter.estimate) else "-",
            f"{parameter.stderr:.2g}" if estimable else ("-" if profiled else "not estimable"),
            escape(f"[{low:.3g}, {high:.3g}]") if estimable or profiled else "-",
            unit,
        )
    test = result.poisson_test
    ks = (
        f"Time-rescaling Kolmogorov-Smirnov p-value {result.ks_pvalue:.2f} (below 0.05 rejects "
        "the fitted model). "
        if math.isfinite(result.ks_pvalue)
        else ""
    )
    lr = (
        f"Likelihood-ratio test against a Poisson process (n = 0): {test.statistic:.2f}, "
        f"p = {test.p_value:.3f}, reference {test.reference}. "
        if test is not None
        else ""
    )
    table.caption = (
        ks
        + lr
        + (
            "The branching ratio's interval is the profile-likelihood interval; the others "
            "are estimate +- 1.96 standard errors, cut to the parameter's range."
            if result.branching_ratio.low is not None
            else "Intervals are estimate +- 1.96 standard errors, cut to the parameter's range."
        )
        + (
            " A standard error is not estimable where the likelihood gives no curvature, as "
            "when an estimate sits at the edge of its range (such as a branching ratio at 0)."
            if unknown
            else ""
        )
    )
    console.print(table)
