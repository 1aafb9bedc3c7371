"""One replication: build the world, run the window, collect outcomes and records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..scenario import Scenario
from .escalation import Escalation
from .forces import ForcePosture
from .isis import Isis
from .militia import Militia
from .politics import Politics
from .records import Log, Trajectories
from .retaliation import Retaliation
from .streams import Streams, replication_seeds, seed_text
from .world import World


@dataclass(frozen=True)
class OutcomeSpec:
    """An outcome column: its type and which way is better (``""``: neither)."""

    kind: str  # "int" | "float" | "bool"
    better: str  # "lower" | "higher" | ""


OUTCOME_SPECS: dict[str, OutcomeSpec] = {
    "attacks": OutcomeSpec("int", "lower"),
    "attacks_intercepted": OutcomeSpec("int", ""),
    "killed": OutcomeSpec("int", "lower"),
    "wounded": OutcomeSpec("int", "lower"),
    "mass_casualty_events": OutcomeSpec("int", "lower"),
    "us_strikes": OutcomeSpec("int", "lower"),
    "campaign_days": OutcomeSpec("float", "lower"),
    "crisis_days": OutcomeSpec("float", "lower"),
    "max_escalation": OutcomeSpec("int", "lower"),
    "drawdown_complete": OutcomeSpec("bool", "higher"),
    "completion_day": OutcomeSpec("float", ""),
    "slip_days": OutcomeSpec("float", "lower"),
    "accelerated": OutcomeSpec("bool", "lower"),
    "option_cancelled": OutcomeSpec("bool", "lower"),
    "residual_personnel": OutcomeSpec("int", ""),
    "political_pressure_peak": OutcomeSpec("float", "lower"),
    "isis_attacks": OutcomeSpec("int", "lower"),
    "isis_resurgence": OutcomeSpec("bool", "lower"),
}
"""The results contract of MODEL.md section 5, in column order: type and better direction."""

OUTCOMES: tuple[str, ...] = tuple(OUTCOME_SPECS)
"""Outcome names in column order."""

MASS_CASUALTY = 5
"""An attack with at least this many killed + wounded is a mass-casualty event."""

RESURGENCE_WINDOW = 30.0
"""Days over which ISIS counts are compared with the baseline expectation."""


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


def _time_in(trajectory: list[tuple[float, int]], horizon: float, predicate: Any) -> float:
    """Days in [0, horizon] during which ``predicate(value)`` holds (piecewise constant)."""
    total = 0.0
    for (start, value), (end, _) in zip(trajectory, [*trajectory[1:], (horizon, 0)], strict=True):
        if predicate(value):
            total += min(end, horizon) - start
    return total


def _resurgence(times: list[float], baseline_30: float, factor: float) -> bool:
    """Whether some 30-day window holds more than ``factor`` x the baseline expectation."""
    if not times or baseline_30 <= 0.0:
        return False
    t = np.asarray(times)
    counts = np.searchsorted(t, t + RESURGENCE_WINDOW, side="left") - np.arange(t.size)
    return bool(counts.max() > factor * baseline_30)


def _outcomes(world: World) -> dict[str, Any]:
    log = world.log
    horizon = world.horizon
    casualties = [a.killed + a.wounded for a in log.attacks]
    forces = world.forces
    completion = forces.completion_day
    return {
        "attacks": len(log.attacks),
        "attacks_intercepted": sum(a.intercepted for a in log.attacks),
        "killed": sum(a.killed for a in log.attacks),
        "wounded": sum(a.wounded for a in log.attacks),
        "mass_casualty_events": sum(c >= MASS_CASUALTY for c in casualties),
        "us_strikes": len(log.strikes),
        "campaign_days": _time_in(log.trajectories.campaign, horizon, bool),
        "crisis_days": _time_in(log.trajectories.escalation, horizon, lambda e: e >= 2),
        "max_escalation": world.escalation.max_level,
        "drawdown_complete": completion is not None,
        "completion_day": float("nan") if completion is None else completion,
        "slip_days": forces.slip_days(),
        "accelerated": forces.accelerated,
        "option_cancelled": forces.option_cancelled,
        "residual_personnel": forces.total,
        "political_pressure_peak": world.politics.peak,
        "isis_attacks": len(log.isis_attacks),
        "isis_resurgence": _resurgence(
            log.isis_attacks, world.isis.baseline_30, world.scenario.isis.resurgence_factor
        ),
    }


def simulate_seed(scenario: Scenario, seed: np.random.SeedSequence, index: int = 0) -> Replication:
    """Run one replication from an explicit seed sequence (the runners' entry point)."""
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
    world.env.run(until=world.horizon)
    world.politics.finish()
    world.isis.finish()
    militia = world.militia
    return Replication(
        index=index,
        seed=seed_text(seed),
        outcomes=_outcomes(world),
        log=world.log,
        horizon=world.horizon,
        militia_kernel=(militia.n, militia.beta, militia.rho, militia.gamma),
    )


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
