"""Backtests: the model's predictive distribution of cumulative attacks against the record.

A backtest runs a scenario of a period before the drawdown window (``scenarios/
backtest_2023.yaml``, ``backtest_2024.yaml``) and lays the predictive distribution of the
cumulative number of attacks in Iraq over the observed counts. For each observed date it
reports the predictive percentile (PIT) of the observed count and whether the count lies in
the central 50% and 90% bands. For a count the PIT is an interval, [F(y - 1), F(y)]; the
table gives its midpoint, and "in the 90% band" means q05 <= y <= q95 with quantiles that are
counts (numpy's ``inverted_cdf``).

Observed counts come from either file of the reference data:

- running totals (a ``date`` column and ``cumulative_*`` columns): the Iraq count where it
  was published; elsewhere the last published Iraq count plus the Iraq share of the total's
  increase since then (share from the last published split). Such dates are marked
  ``estimated`` in the table.
- an event log (``date`` and ``kind`` columns): rows of kind ``attack`` or
  ``attack_with_casualties`` whose location names Iraq or one of the scenario's sites.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..model import replication_seeds, simulate_seed
from ..scenario import Scenario
from .observed import ObservedDataError, parse_count, parse_day, read_rows

ATTACK_KINDS = ("attack", "attack_with_casualties")


@dataclass(frozen=True)
class Observation:
    """An observed cumulative count of attacks in Iraq since the scenario's start."""

    day: date
    count: int
    source: str  # "published", "estimated", "event log", "window end"


@dataclass(frozen=True)
class Backtest:
    """The predictive check of one scenario against the record."""

    scenario: Scenario
    replications: int
    seed: int
    table: pd.DataFrame  # one row per observation
    bands: pd.DataFrame  # per day: cumulative attacks q05 q25 q50 q75 q95
    p_no_campaign: float  # share of replications with no campaign day
    campaign_days: np.ndarray  # per replication

    @property
    def coverage90(self) -> float:
        return float(self.table["in_90"].mean())

    @property
    def coverage50(self) -> float:
        return float(self.table["in_50"].mean())

    def final(self) -> pd.Series:
        """The last observation's row (the whole period)."""
        return self.table.iloc[-1]


def read_observations(path: Path, scenario: Scenario) -> list[Observation]:
    """Observed cumulative attacks in Iraq from a tallies file or an event log."""
    header, rows = read_rows(path)
    if "kind" in header:
        return _from_event_log(path, rows, scenario)
    if "cumulative_iraq" in header or "cumulative_total" in header:
        return _from_tallies(path, rows, scenario)
    raise ObservedDataError(
        f"{path}:1: neither an event log (date, kind, location) nor running totals (date, "
        "cumulative_iraq and/or cumulative_total)"
    )


def _within(scenario: Scenario, day: date) -> bool:
    return scenario.window.start <= day <= scenario.horizon_end


def _from_tallies(
    path: Path, rows: list[tuple[int, dict[str, str]]], scenario: Scenario
) -> list[Observation]:
    """Every row is checked, in the period or not: dates in order, one row a day, running
    totals whole numbers from 0 to the cap that never fall (each column on its own)."""
    parsed: list[tuple[date, int | None, int | None, int]] = []
    last_seen: dict[str, tuple[int, int]] = {}  # column -> (line, value) of its last total
    for line, row in rows:
        day = parse_day(path, line, "date", row.get("date", ""))
        if parsed and day <= parsed[-1][0]:
            before, before_line = parsed[-1][0], parsed[-1][3]
            raise ObservedDataError(
                f"{path}:{line}: date: "
                + (
                    f"a second row on {day} (the first on line {before_line}); keep one "
                    "reading a day"
                    if day == before
                    else f"{day} is before {before} (line {before_line}); dates must be in order"
                )
            )
        values: dict[str, int | None] = {}
        for column in ("cumulative_total", "cumulative_iraq"):
            text = row.get(column, "")
            values[column] = parse_count(path, line, column, text) if text else None
            value = values[column]
            if value is not None:
                if column in last_seen and value < last_seen[column][1]:
                    raise ObservedDataError(
                        f"{path}:{line}: {column}: the running total falls from "
                        f"{last_seen[column][1]} (line {last_seen[column][0]}) to {value}; "
                        "tallies must not decrease"
                    )
                last_seen[column] = (line, value)
        parsed.append((day, values["cumulative_total"], values["cumulative_iraq"], line))
    splits = [(t, i) for _, t, i, _ in parsed if t is not None and t > 0 and i is not None]
    share = splits[-1][1] / splits[-1][0] if splits else 1.0
    base: tuple[int, int] | None = None  # (total, iraq) at the scenario start
    last_iraq: tuple[int, int] | None = None  # (total, iraq) at the last published split
    out: list[Observation] = []
    for day, total, iraq, line in parsed:
        if day < scenario.window.start:
            continue
        if not _within(scenario, day):
            break
        if base is None:
            if total is None:
                raise ObservedDataError(f"{path}:{line}: the first row in the period needs a total")
            base = (total, iraq if iraq is not None else round(total * share))
            last_iraq = base
            continue
        assert last_iraq is not None
        if iraq is not None:
            count, source = iraq, "published"
            if total is not None:
                last_iraq = (total, iraq)
        elif total is not None:
            count = round(last_iraq[1] + share * (total - last_iraq[0]))
            source = "estimated"
        else:
            continue
        out.append(Observation(day, count - base[1], source))
    if not out:
        raise ObservedDataError(f"{path}: no counts reported inside the scenario's period")
    return out


def _from_event_log(
    path: Path, rows: list[tuple[int, dict[str, str]]], scenario: Scenario
) -> list[Observation]:
    """Attacks in Iraq or at the scenario's sites; every row's date is checked and the rows
    must be in date order."""
    places = ["iraq", *(site.name.lower() for site in scenario.sites)]
    days = []
    previous: tuple[int, date] | None = None
    for line, row in rows:
        day = parse_day(path, line, "date", row.get("date", ""))
        if previous is not None and day < previous[1]:
            raise ObservedDataError(
                f"{path}:{line}: date: {day} is before {previous[1]} (line {previous[0]}); "
                "events must be in date order"
            )
        previous = (line, day)
        if row.get("kind", "") not in ATTACK_KINDS:
            continue
        location = row.get("location", "").lower()
        if not any(place in location for place in places):
            continue
        if _within(scenario, day):
            days.append(day)
    out = [Observation(d, k, "event log") for k, d in enumerate(days, start=1)]
    out.append(Observation(scenario.horizon_end, len(days), "period end"))
    return out


def simulate_paths(
    scenario: Scenario, reps: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``reps`` replications of ``scenario``: cumulative attacks in Iraq through the end of
    each day (reps x days), days on campaign, and the first day on campaign (days from the
    start; inf when the militias never campaign)."""
    days = scenario.horizon_days
    cumulative = np.zeros((reps, days), dtype=np.int64)
    campaign_days = np.zeros(reps)
    onset = np.full(reps, np.inf)
    for r, sequence in enumerate(replication_seeds(seed, 0, reps)):
        replication = simulate_seed(scenario, sequence, r)
        times = np.array([a.time for a in replication.log.attacks], dtype=float)
        per_day = np.bincount(times.astype(np.int64), minlength=days)[:days]
        cumulative[r] = np.cumsum(per_day)
        total = replication.outcomes["campaign_days"]
        follow = replication.outcomes.get("campaign_days_follow_on") or 0.0
        campaign_days[r] = total + follow
        onset[r] = next(
            (t for t, value in replication.log.trajectories.campaign if value >= 1), np.inf
        )
    return cumulative, campaign_days, onset


def backtest(
    scenario: Scenario, observations: list[Observation], reps: int = 1000, seed: int | None = None
) -> Backtest:
    """Simulate ``reps`` replications and place each observation in the predictive law."""
    seed = scenario.seed if seed is None else seed
    days = scenario.horizon_days
    cumulative, campaign_days, _ = simulate_paths(scenario, reps, seed)
    rows = []
    for obs in observations:
        d = int(scenario.window.offset(obs.day))
        sample = cumulative[:, d]  # attacks through the end of the observed day
        below = float((sample < obs.count).mean())
        at_most = float((sample <= obs.count).mean())
        q = np.quantile(sample, [0.05, 0.25, 0.5, 0.75, 0.95], method="inverted_cdf")
        rows.append(
            {
                "date": obs.day,
                "day": d,
                "observed": obs.count,
                "source": obs.source,
                "q05": int(q[0]),
                "q25": int(q[1]),
                "median": int(q[2]),
                "q75": int(q[3]),
                "q95": int(q[4]),
                "pit_low": below,
                "pit_high": at_most,
                "pit": (below + at_most) / 2,
                "in_50": bool(q[1] <= obs.count <= q[3]),
                "in_90": bool(q[0] <= obs.count <= q[4]),
            }
        )
    quantiles = np.quantile(
        cumulative, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0, method="inverted_cdf"
    )
    bands = pd.DataFrame(
        {
            "day": np.arange(days),
            "date": [scenario.window.start + timedelta(days=k) for k in range(days)],
            **{name: quantiles[i] for i, name in enumerate(("q05", "q25", "median", "q75", "q95"))},
        }
    )
    return Backtest(
        scenario,
        reps,
        seed,
        pd.DataFrame(rows),
        bands,
        float((campaign_days == 0).mean()),
        campaign_days,
    )


def to_csv(result: Backtest) -> bytes:
    buffer = io.StringIO()
    result.table.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode()
