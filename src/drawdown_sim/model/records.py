"""Typed records of one replication: events and the piecewise trajectories of state.

Records are flat tuples appended during the run and turned into tables in one step
afterwards; nothing is formatted while the simulation runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple


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


def _points_of(width: int, what: str) -> Any:
    """A trajectory's field: a flat list of points of ``width`` values (``what``)."""
    return field(default_factory=list, metadata={"width": width, "point": what})


@dataclass
class Trajectories:
    """Piecewise state, each a list of change points starting at time 0, flat: a point's
    values (as many as its field's ``width``: :data:`POINT_WIDTHS`) one after another, as
    the model appends them with ``extend``. Flat, because the daily series of a chunk's
    replications are computed from all of their points at once
    (:mod:`drawdown_sim.model.series`): copying flat lists costs a fraction of unpacking a
    tuple per point, and the model's ``extend`` of a point costs less than keeping it as a
    tuple. :meth:`points` gives them as tuples.

    Values hold from their time until the next point. ``pressure`` and ``capacity`` are
    exponential segments, evaluated by :mod:`drawdown_sim.model.series`.
    """

    personnel: list[float] = _points_of(2, "(time, personnel in Iraq)")
    escalation: list[float] = _points_of(2, "(time, level 0-3)")
    campaign: list[float] = _points_of(2, "(time, 1 in campaign posture else 0)")
    background: list[float] = _points_of(2, "(time, militia background rate, attacks/day)")
    pressure: list[float] = _points_of(4, "(start, value at start, asymptote, decay 1/day)")
    capacity: list[float] = _points_of(3, "(start, ISIS capacity at start, capacity target)")

    def points(self, kind: str) -> list[tuple[Any, ...]]:
        """The change points of trajectory ``kind``, a tuple each."""
        flat = getattr(self, kind)
        return list(zip(*[iter(flat)] * POINT_WIDTHS[kind], strict=True))


POINT_WIDTHS = {f.name: int(f.metadata["width"]) for f in fields(Trajectories)}
"""Values of one change point of each trajectory (:class:`Trajectories`)."""


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
