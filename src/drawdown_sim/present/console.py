"""Terminal output for the CLI: progress (a rich bar on a terminal, sparse lines otherwise)
and summary tables."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..analysis.completion import CompletionSummary, Estimate
from ..common.numbers import difference, estimate, number, share, with_interval

if TYPE_CHECKING:
    import pandas as pd

    from ..analysis.comparison import Comparison
    from ..analysis.sweeps import Sweep
    from ..runner.protocol import Progress as ProgressFn

# Outside a terminal (logs, CI, pipes) rich would wrap tables at 80 columns.
# Piped output is not wrapped to a terminal: tables keep one line per row.
console = Console(width=None if Console().is_terminal else 10_000)
errors = Console(stderr=True)


PLAIN_SECONDS = 5.0
"""Most time between two progress lines off a terminal while replications are finishing
(besides a line every 10%)."""


@contextmanager
def progress_reporter(label: str) -> Iterator[ProgressFn]:
    """A progress callback: a live bar with replications/s and ETA on a terminal, else a
    plain line every 10%, and every PLAIN_SECONDS while it advances (logs and CI stay
    readable, and a heavy run still shows it is moving)."""
    if console.is_terminal:
        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} reps/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        task = bar.add_task(label, total=None, rate="-")
        started = time.perf_counter()
        first: list[int] = []

        def update(done: int, total: int) -> None:
            if not first:
                first.append(done)
            rate = (done - first[0]) / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total, rate=f"{rate:,.0f}")

        with bar:
            yield update
        return
    state = {"next": 0.0, "started": time.perf_counter(), "said": -math.inf, "done": -1.0}

    def plain(done: int, total: int) -> None:
        now = time.perf_counter()
        step = done >= state["next"] * total or done == total
        # A heavy run also says how far it is every PLAIN_SECONDS, not only every 10%.
        slow = now - state["said"] >= PLAIN_SECONDS and done > state["done"]
        if step or slow:
            elapsed = now - state["started"]
            errors.print(f"{label}: {done}/{total} replications ({elapsed:.1f} s)", highlight=False)
            if step:
                state["next"] = done / total + 0.1
            state["said"], state["done"] = now, float(done)

    yield plain


@contextmanager
def drawing(what: str) -> Iterator[None]:
    """A spinner saying what is being drawn while it is (plots and reports take seconds),
    removed when done. Only on a terminal: in logs and pipes, stderr keeps one line per
    problem and stdout only the results."""
    if console.is_terminal and not console.quiet:
        with console.status(f"{what}...", spinner="dots"):
            yield
        return
    yield


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    columns = (
        "outcome",
        "mean",
        "mean's 95% CI",
        "median",
        "5%",
        "95%",
        "P(>0) (95% CI)",
        "censored",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "outcome" else "right")
    for name, row in summary.iterrows():
        censored = row.get("censored", 0.0)
        cells = [number(row[c]) for c in ("mean", "median", "q05", "q95")]
        if censored and censored > 0:
            # Censored: no mean over the finished runs only; a quantile the Kaplan-Meier
            # estimate never reaches is unknown beyond the horizon.
            cells = ["censored" if cells[0] == "-" else cells[0]] + [
                "not reached" if c == "-" else c for c in cells[1:]
            ]
        low, high = row.get("mean_lo", float("nan")), row.get("mean_hi", float("nan"))
        interval = "" if low != low else f"{number(low)} to {number(high)}"
        table.add_row(
            str(name),
            cells[0],
            interval,
            *cells[1:],
            _share(row, "p_positive"),
            f"{censored:.0%}" if censored else "",
        )
    return table


def _estimate(e: Estimate, percent: bool = False) -> str:
    return estimate(e.value, e.low, e.high, reached=e.reached, percent=percent)


def completion_table(summaries: dict[str, CompletionSummary], title: str) -> Table:
    """P(complete by the planned end / window end), censoring and Kaplan-Meier medians."""
    table = Table(title=title, title_justify="left")
    for column in (
        "option",
        "by planned end",
        "by window end",
        "unfinished at horizon",
        "median completion day",
        "median slip (days)",
    ):
        table.add_column(column, justify="left" if column == "option" else "right")
    for name, c in summaries.items():
        if not c.has_plan:  # no plan: completion means nothing for it
            table.add_row(name, *["n/a"] * 5)
            continue
        table.add_row(
            name,
            _estimate(c.by_planned_end, percent=True),
            _estimate(c.by_window_end, percent=True),
            _estimate(c.censored, percent=True),
            _estimate(c.median_day),
            _estimate(c.median_slip),
        )
    table.caption = (
        "95% intervals; medians are Kaplan-Meier estimates with plans unfinished at the end "
        "of the horizon censored there."
    )
    return table


@contextmanager
def option_progress(options: list[str]) -> Iterator[Callable[[str, int, int], None]]:
    """Progress of several runs: one bar per option on a terminal, plain lines otherwise."""
    reporters: dict[str, ProgressFn] = {}
    stack = ExitStack()
    with stack:

        def update(option: str, done: int, total: int) -> None:
            if option not in reporters:
                reporters[option] = stack.enter_context(progress_reporter(option))
            reporters[option](done, total)

        yield update


def _share(row: Any, name: str) -> str:
    """'62% [59, 65]': a share of replications with its 95% Wilson interval."""
    nan = float("nan")
    return share(row[name], row.get(f"{name}_lo", nan), row.get(f"{name}_hi", nan))


def comparison_table(comparison: Comparison) -> Table:
    """Key outcomes per option, with the paired difference to the reference."""
    import pandas as pd

    from ..analysis.comparison import KEY_OUTCOMES

    table = Table(
        title=f"Options compared with {comparison.reference!r} (paired, common random numbers)",
        title_justify="left",
    )
    for column in (
        "outcome",
        "option",
        "mean [95% CI]",
        "90% interval",
        "diff vs ref [95% CI]",
        "better / worse / tie (95% CI)",
        "var. reduction",
    ):
        table.add_column(column, justify="left" if column in ("outcome", "option") else "right")
    t = comparison.table
    for outcome in KEY_OUTCOMES:
        rows = t[t["outcome"] == outcome]
        if rows.empty:
            continue
        for _, row in rows.iterrows():
            is_ref = row["option"] == comparison.reference
            censored = row.get("censored", 0.0) or 0.0
            if is_ref:
                diff = "reference"
            elif pd.isna(row["diff_mean"]):
                diff = "censored: see completion" if censored else "-"
            else:
                diff = difference(row["diff_mean"], row["diff_lo"], row["diff_hi"])
            shares = (
                ""
                if is_ref or pd.isna(row["p_tie"])
                else (
                    " / ".join(_share(row, name) for name in ("p_better", "p_worse", "p_tie"))
                    if not pd.isna(row["p_better"])
                    else f"tie {_share(row, 'p_tie')}"
                )
            )
            gain = (
                ""
                if is_ref or pd.isna(row["variance_reduction"])
                else "no variance"
                if row["variance_reduction"] == float("inf")
                else f"{row['variance_reduction']:.1f}x"
            )
            mean = "censored" if censored and pd.isna(row["mean"]) else number(row["mean"])
            mean = with_interval(mean, row.get("mean_lo", math.nan), row.get("mean_hi", math.nan))
            high = "not reached" if pd.isna(row["q95"]) else number(row["q95"])
            table.add_row(
                outcome,
                str(row["option"]),
                mean,
                f"{number(row['q05'])} - {high}",
                diff,
                shares,
                gain,
            )
        table.add_section()
    return table


def sweep_tables(result: Sweep) -> list[Table]:
    """Regret per option and outcome, and satisficing fractions."""
    regret = Table(
        title=f"Robustness across {result.states_text} of the world "
        f"({result.study.replications} replications per option and state)",
        title_justify="left",
    )
    for column in (
        "outcome",
        "option",
        "mean (95%)",
        "regret mean (95%)",
        "regret p90",
        "best in (95%)",
    ):
        regret.add_column(column, justify="left" if column in ("outcome", "option") else "right")

    def bounds(row: Any, name: str) -> tuple[float, float]:
        return row.get(f"{name}_lo", math.nan), row.get(f"{name}_hi", math.nan)

    for outcome, rows in result.regret.groupby("outcome", sort=False):
        for _, row in rows.iterrows():
            regret.add_row(
                str(outcome),
                str(row["option"]),
                with_interval(number(row["mean"]), *bounds(row, "mean")),
                with_interval(number(row["regret_mean"]), *bounds(row, "regret")),
                number(row["regret_p90"]),
                share(row["best_in_states"], *bounds(row, "best_in")),
            )
        regret.add_section()
    satisficing = Table(
        title="Satisficing fraction (share of states meeting every threshold)", title_justify="left"
    )
    satisficing.add_column("option")
    satisficing.add_column("fraction (95%)", justify="right")
    for _, row in result.satisficing.iterrows():
        satisficing.add_row(
            str(row["option"]),
            share(row["satisficing_fraction"], row["satisficing_lo"], row["satisficing_hi"]),
        )
    method = result.sensitivity.attrs.get("method", "RBD-FAST first-order")
    sensitivity = Table(
        title=f"Uncertain parameters the outcomes measurably depend on ({method} index, mean "
        "over options, with its 95% half-width; only indices whose interval excludes zero)",
        title_justify="left",
    )
    for column in ("outcome", "parameter", "index"):
        sensitivity.add_column(column, justify="right" if column == "index" else "left")
    means = result.sensitivity.groupby(["outcome", "parameter"], sort=False)[
        ["S1", "S1_conf"]
    ].mean()
    for outcome in result.study.outcomes:
        if outcome not in means.index.get_level_values(0):
            continue
        indices: Any = means.loc[outcome]
        clear = indices[(indices["S1"] - indices["S1_conf"]) > 0].sort_values("S1", ascending=False)
        if clear.empty:
            undefined = indices["S1"].isna().all()
            sensitivity.add_row(
                outcome,
                "not estimable with these states"
                if undefined
                else "none distinguishable from zero",
                "",
            )
        for parameter, row in clear.head(3).iterrows():
            sensitivity.add_row(outcome, str(parameter), f"{row['S1']:.2f} +- {row['S1_conf']:.2f}")
        sensitivity.add_section()
    return [regret, satisficing, sensitivity]


def decomposition_table(parts: pd.DataFrame, reference: str) -> Table:
    """Why the options differ: the difference in mean militia attacks by channel
    (:mod:`drawdown_sim.analysis.decomposition`), each with its 95% interval."""
    from ..analysis.decomposition import GROUPS, LABELS, wide

    table = Table(
        title=f"Why the options differ in militia attacks (vs {reference!r}; the parts sum "
        "to the difference, 95% CI)",
        title_justify="left",
    )
    columns = ("total", *GROUPS)
    table.add_column("option")
    table.add_column("period")
    for column in columns:
        table.add_column(LABELS[column].split(":")[0], justify="right")
    for _, row in wide(parts, columns).iterrows():
        cells = [difference(row[c], row[f"{c}_low"], row[f"{c}_high"]) for c in columns]
        table.add_row(str(row["option"]), str(row["period"]).replace("_", "-"), *cells)
    return table
