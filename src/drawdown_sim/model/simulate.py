"""One replication: build the world, run the window, collect outcomes and records."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from operator import add, itemgetter
from typing import Any

import numpy as np

from ..scenario import Scenario

# The results contract is scenario vocabulary (a study judges options by these names).
from ..scenario.outcomes import (
    _WINDOW_SPECS,
    FOLLOW_ON_SUFFIX,
    OUTCOME_SPECS,
    OUTCOMES,
    OutcomeSpec,
    direction,
)
from .escalation import Escalation
from .forces import ForcePosture
from .isis import Isis
from .militia import Militia
from .politics import Politics
from .records import Attack, Log, Trajectories
from .retaliation import Retaliation
from .scan import scan_threshold, window_reaches
from .streams import Streams, replication_seeds, seed_text
from .world import World

__all__ = ["OUTCOMES", "OUTCOME_SPECS", "OutcomeSpec", "Replication", "direction", "simulate"]

FOLLOW_ON_OUTCOMES: tuple[str, ...] = tuple(n for n in OUTCOMES if n.endswith(FOLLOW_ON_SUFFIX))
"""The follow-on period's columns."""
_FOLLOW_ON_SOURCE = tuple((n, n.removesuffix(FOLLOW_ON_SUFFIX)) for n in FOLLOW_ON_OUTCOMES)
"""(follow-on outcome, the period count it copies), e.g. (attacks_follow_on, attacks)."""

MASS_CASUALTY = 5
"""An attack with at least this many killed + wounded is a mass-casualty event."""

CRISIS = 2
"""The escalation level of a crisis (0 calm, 1 tense, 2 crisis, 3 war)."""

RESURGENCE_WINDOW = 30.0
"""Days over which ISIS counts are compared with the constant-capacity null."""


@dataclass(frozen=True)
class Replication:
    """Outcomes and records of one replication of a scenario."""

    index: int
    seed: str
    outcomes: dict[str, Any]
    log: Log
    horizon: float
    militia_kernel: tuple[float, float, float, float]  # (n, beta, rho, gamma)

    @property
    def trajectories(self) -> Trajectories:
        return self.log.trajectories


def _time_in(trajectory: list[tuple[float, int]], start: float, end: float, least: int) -> float:
    """Days in [start, end) during which the piecewise-constant value is at least ``least``."""
    total = 0.0
    count = len(trajectory)
    for i in range(count):
        t0, value = trajectory[i]
        if t0 >= end:
            break
        t1 = trajectory[i + 1][0] if i + 1 < count else end
        if t1 > start and value >= least:
            total += (t1 if t1 < end else end) - (t0 if t0 > start else start)
    return total


def _integral(
    trajectory: list[tuple[float, float]],
    start: float,
    end: float,
    gate: list[tuple[float, int]] | None = None,
) -> float:
    """Integral over [start, end) of a piecewise-constant value (value x days), counted only
    while ``gate`` (a piecewise-constant 0/1 trajectory) is 1 when given."""
    times = sorted({start, end, *(t for t, _ in trajectory), *(t for t, _ in gate or ())})
    times = [t for t in times if start <= t <= end]
    total = 0.0
    for t0, t1 in zip(times, times[1:], strict=False):
        if gate is not None and not _value_from(gate, t0):
            continue
        total += _value_from(trajectory, t0) * (t1 - t0)
    return total


def _value_from(trajectory: list[tuple[float, Any]], t: float) -> Any:
    """The piecewise-constant value holding from ``t`` on (changes at ``t`` included)."""
    at = bisect_right(trajectory, t, key=_START) - 1
    return trajectory[max(at, 0)][1]


def _on_campaign(campaign: list[tuple[float, int]], attacks: list[Attack]) -> int:
    """How many of ``attacks`` came while the militias were on campaign."""
    return sum(bool(_value_from(campaign, attack.time)) for attack in attacks)


def _value_at(trajectory: list[tuple[float, int]], t: float) -> int:
    """The piecewise-constant value holding just before ``t`` (changes at ``t`` excluded)."""
    value = trajectory[0][1]
    for time, v in trajectory:
        if time >= t:
            break
        value = v
    return value


def _pressure_peak(segments: list[tuple[float, float, float, float]], end: float) -> float:
    """Largest P over [0, end]: each segment is monotone, so its maximum is at an end."""
    peak = -math.inf
    for (t0, start, target, decay), following in zip(segments, [*segments[1:], None], strict=True):
        if t0 > end:
            break
        t1 = min(following[0] if following is not None else end, end)
        peak = max(peak, start, target + (start - target) * math.exp(-decay * (t1 - t0)))
    return peak if peak > -math.inf else 0.0


_TIME = itemgetter(Attack._fields.index("time"))
_START = itemgetter(0)
_INTERCEPTED, _KILLED, _WOUNDED = (
    Attack._fields.index(name) for name in ("intercepted", "killed", "wounded")
)


def resurgence_threshold(scenario: Scenario, baseline_30: float, days: float) -> int:
    """The 30-day ISIS count that marks a resurgence over a period of ``days`` (attacks).

    The larger of the historical level, ``ceil(30 x isis.resurgence_reference_rate)`` (the
    mean 30-day count of the reference year; none when the rate is null), and the smallest
    count that a constant rate at the window-start capacity (``baseline_30`` expected in 30
    days) reaches over the period with probability at most ``isis.resurgence_false_alarm``
    (Naus's scan statistic). So a resurgence is a return to the historical level that the
    window-start rate cannot plausibly produce by chance.
    """
    cfg = scenario.isis
    chance = scan_threshold(baseline_30, days / RESURGENCE_WINDOW, cfg.resurgence_false_alarm)
    if cfg.resurgence_reference_rate is None:
        return chance
    level = math.ceil(RESURGENCE_WINDOW * cfg.resurgence_reference_rate - 1e-9)
    return max(level, chance)


def _period(world: World, isis: np.ndarray, start: float, end: float) -> dict[str, Any]:
    """The count and duration outcomes over [start, end); ``isis`` holds the replication's
    ISIS attack times in order."""
    log = world.log
    # Attacks are recorded as they happen, in time order, so the period is one slice, found
    # by bisection, and its columns are summed in C rather than attack by attack.
    inside_attacks = log.attacks[
        bisect_left(log.attacks, start, key=_TIME) : bisect_left(log.attacks, end, key=_TIME)
    ]
    attacks = len(inside_attacks)
    intercepted = killed = wounded = mass_casualty = 0
    if inside_attacks:
        columns = list(zip(*inside_attacks, strict=True))
        intercepted = sum(columns[_INTERCEPTED])
        killed = sum(columns[_KILLED])
        wounded = sum(columns[_WOUNDED])
        # Attacks with killed + wounded >= MASS_CASUALTY, counted without a Python loop.
        casualties = map(add, columns[_KILLED], columns[_WOUNDED])
        mass_casualty = sum(map(MASS_CASUALTY.__le__, casualties))
    # The times are sorted, so the period is one slice: no masks over the whole array.
    first, last = (int(i) for i in isis.searchsorted((start, end)))
    inside = isis[first:last]
    resurgence = False
    ratio: float | None = None
    if world.isis.enabled:
        threshold = resurgence_threshold(world.scenario, world.isis.baseline_30, end - start)
        resurgence = window_reaches(inside, RESURGENCE_WINDOW, threshold)
        expected = world.isis.baseline_30 / RESURGENCE_WINDOW * (end - start)
        ratio = (last - first) / expected if expected > 0 else None
    return {
        "attacks": attacks,
        "attacks_intercepted": intercepted,
        "killed": killed,
        "wounded": wounded,
        "mass_casualty_events": mass_casualty,
        "us_strikes": sum(start <= s.time < end for s in log.strikes),
        "campaign_days": _time_in(log.trajectories.campaign, start, end, 1),
        "exposure": _integral(log.trajectories.exposure, start, end),
        "campaign_attacks": _on_campaign(log.trajectories.campaign, inside_attacks),
        "campaign_exposure": _integral(
            log.trajectories.exposure, start, end, log.trajectories.campaign
        ),
        "crisis_days": _time_in(log.trajectories.escalation, start, end, CRISIS),
        "isis_attacks": last - first,
        "isis_resurgence": resurgence,
        "isis_rate_ratio": ratio,
    }


def _outcomes(world: World) -> dict[str, Any]:
    log = world.log
    window = world.window_days
    forces = world.forces
    # A reversal abandons the plan as agreed: its last movement arriving is not the drawdown
    # completing, so a reversed plan never completes (a negative "slip" would reward it).
    completion = None if forces.reversed else forces.completion_day
    trajectories = log.trajectories
    decided = {c.kind for c in log.changes if c.time < window}
    slip = forces.slip_days()
    planned_end = forces.planned_end
    isis = world.isis.times
    outcomes: dict[str, Any] = _period(world, isis, 0.0, window)
    outcomes.update(
        max_escalation=max(level for t, level in trajectories.escalation if t < window),
        drawdown_complete=completion is not None and completion <= window,
        completion_day=completion,
        completion_censored=completion is None,
        completed_on_time=not forces.has_plan
        or (completion is not None and completion <= planned_end + 1e-9),
        slip_days=None if forces.reversed else slip,
        accelerated="accelerated" in decided,
        option_cancelled="option_cancelled" in decided,
        plan_extended="extended" in decided,
        plan_reversed="reversed" in decided,
        residual_personnel=_value_at(trajectories.personnel, window + 1e-9),
        political_pressure_peak=_pressure_peak(trajectories.pressure, window)
        if world.politics.enabled
        else 0.0,
    )
    ordered = {name: outcomes[name] for name in _WINDOW_SPECS}
    follow_on = _period(world, isis, window, world.horizon) if world.horizon > window else {}
    for name, period_name in _FOLLOW_ON_SOURCE:
        ordered[name] = follow_on.get(period_name)
    return ordered


def build_world(scenario: Scenario, seed: np.random.SeedSequence) -> World:
    """The world of one replication, elaborated and started but not yet run."""
    world = World(scenario, Streams.spawn(seed))
    # Construction order is irrelevant to randomness (each mechanism has its own stream);
    # the components reference each other, so all exist before any starts.
    world.escalation = Escalation(world)
    world.militia = Militia(world)
    world.forces = ForcePosture(world)
    world.retaliation = Retaliation(world)
    world.politics = Politics(world)
    world.isis = Isis(world)
    for component in (
        world.forces,
        world.isis,
        world.politics,
        world.militia,
        world.retaliation,
        world.escalation,
    ):
        component.start()
    return world


def simulate_seed(scenario: Scenario, seed: np.random.SeedSequence, index: int = 0) -> Replication:
    """Run one replication from an explicit seed sequence (the runners' entry point)."""
    world = build_world(scenario, seed)
    try:
        world.env.run(until=world.horizon)
        world.isis.finish()
    finally:
        world.streams.release()
    militia = world.militia
    replication = Replication(
        index=index,
        seed=seed_text(seed),
        outcomes=_outcomes(world),
        log=world.detach_log(),
        horizon=world.horizon,
        militia_kernel=(militia.n, militia.beta, militia.rho, militia.gamma),
    )
    world.dismantle()  # freed here by reference counting, not later by the collector
    return replication


def simulate(scenario: Scenario, seed: int | None = None, replication: int = 0) -> Replication:
    """Run replication ``replication`` of ``scenario`` (a pure function: no I/O, no printing).

    Args:
        scenario: a validated scenario.
        seed: root seed; defaults to ``scenario.seed``.
        replication: index r; the replication uses ``SeedSequence(seed).spawn(r + 1)[r]``.
    """
    root = scenario.seed if seed is None else seed
    (sequence,) = replication_seeds(root, replication, 1)
    return simulate_seed(scenario, sequence, replication)
