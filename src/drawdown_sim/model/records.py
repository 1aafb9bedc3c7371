"""Typed records of one replication: events and the piecewise trajectories of state.

Records are flat tuples appended during the run and turned into tables in one step
afterwards; nothing is formatted while the simulation runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Attack(NamedTuple):
    """A militia attack on a coalition site or movement."""

    id: int
    time: float  # days from window start
    target: str  # site name, or "movement:<site>"
    weapon: str
    intercepted: bool
    killed: int
    wounded: int
    cause: str  # "background", "attack" (triggered), "strike" (provoked)
    parent: int  # id of the triggering attack or strike, -1 for background


class Strike(NamedTuple):
    """A US retaliatory strike on Iraqi soil."""

    id: int
    time: float
    size: str  # "small" | "large"
    cause: str  # "casualties" | "volume"
    attack: int  # id of the attack that prompted it
    iraqi_killed: int


class Shock(NamedTuple):
    """A regional shock (scheduled or random)."""

    time: float
    name: str
    severity: int
    scheduled: bool


class Movement(NamedTuple):
    """A convoy or airlift carrying personnel out of a site."""

    start: float
    end: float
    site: str
    personnel: int


class Change(NamedTuple):
    """A change of a discrete state: posture, escalation, or a political decision."""

    time: float
    kind: str  # posture, escalation, accelerated, option_cancelled, completed, option
    value: str
    cause: str


@dataclass
class Trajectories:
    """Piecewise state, each a list of change points starting at time 0.

    Values hold from their time until the next entry. ``pressure`` and ``capacity`` are
    exponential segments, evaluated by :mod:`drawdown_sim.series.daily`.
    """

    personnel: list[tuple[float, int]] = field(default_factory=list)
    escalation: list[tuple[float, int]] = field(default_factory=list)
    campaign: list[tuple[float, int]] = field(default_factory=list)
    background: list[tuple[float, float]] = field(default_factory=list)
    # X(t), the militias' exposure relative to the window start (dimensionless)
    exposure: list[tuple[float, float]] = field(default_factory=list)
    # (start, value at start, asymptote, decay rate 1/day)
    pressure: list[tuple[float, float, float, float]] = field(default_factory=list)
    # (start, capacity at start, capacity target)
    capacity: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass
class Log:
    """Everything one replication records."""

    attacks: list[Attack] = field(default_factory=list)
    strikes: list[Strike] = field(default_factory=list)
    shocks: list[Shock] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    isis_attacks: list[float] = field(default_factory=list)
    trajectories: Trajectories = field(default_factory=Trajectories)
