"""The event log of one replication as typed rows (events.parquet, ``--trace N``).

One row per event, sorted by time, with the initial state at time 0. Every detail has its
own typed column, null where it does not apply (a strike has no weapon, a shock no site), so
that an event log is queried, not parsed. ``detail`` keeps a sentence for people; ``value``
the one number a plot of that kind needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..scenario import Scenario
from .escalation import LEVEL_NAMES
from .simulate import Replication


@dataclass(frozen=True)
class EventColumn:
    """A column of events.parquet: its type (``int``, ``float``, ``bool``, ``date``,
    ``category`` (dictionary-encoded) or ``text``), unit and meaning."""

    kind: str
    unit: str
    description: str


EVENT_SPECS: dict[str, EventColumn] = {
    "replication": EventColumn("int", "", "Replication index r"),
    "time": EventColumn("float", "days", "Days from the window start"),
    "date": EventColumn("date", "", "Calendar day of the event"),
    "period": EventColumn(
        "category",
        "",
        "window (before the drawdown window's end: time < the window's days, the span of the "
        "outcome columns) or follow_on (after it, within the follow-on period)",
    ),
    "kind": EventColumn(
        "category",
        "",
        "attack, strike, shock, de-escalation, movement, personnel, escalation, posture, "
        "option, completed, accelerated, option_cancelled, isis_attack, or initial_personnel, "
        "initial_escalation, initial_posture at time 0",
    ),
    "id": EventColumn("int", "", "Attack or strike number within the replication"),
    "site": EventColumn(
        "category", "", "Attacked site (movement:<site> for a convoy), or a movement's site"
    ),
    "weapon": EventColumn("category", "", "Attack weapon: rocket, drone or ballistic"),
    "intercepted": EventColumn("bool", "", "Attack intercepted"),
    "killed": EventColumn("int", "personnel", "Coalition personnel killed in the attack"),
    "wounded": EventColumn("int", "personnel", "Coalition personnel wounded in the attack"),
    "cause": EventColumn(
        "category",
        "",
        "Attack: background, attack (triggered) or strike (provoked); strike: casualties, "
        "volume or scheduled; shock: scheduled or random; a change of state: what caused it",
    ),
    "parent": EventColumn(
        "int",
        "",
        "Attack: the triggering attack or provoking strike id; strike: the prompting attack id",
    ),
    "size": EventColumn("category", "", "Strike size: small or large"),
    "iraqi_killed": EventColumn("int", "persons", "Iraqis killed by the strike"),
    "severity": EventColumn("int", "", "Shock severity 1-3 (0: de-escalation)"),
    "level": EventColumn("int", "", "Escalation level 0-3 from this event"),
    "posture": EventColumn("category", "", "Militia posture from this event"),
    "personnel": EventColumn(
        "int", "personnel", "Personnel in Iraq from this event, or carried by a movement"
    ),
    "detail": EventColumn("text", "", "The event in words"),
    "value": EventColumn(
        "float",
        "",
        "The number a plot of this kind needs: level, personnel, casualties, severity",
    ),
}
EVENT_COLUMNS: tuple[str, ...] = tuple(EVENT_SPECS)


def _row(
    replication: int, time: float, kind: str, detail: str, value: float, **typed: Any
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS)
    row.update(replication=replication, time=time, kind=kind, detail=detail, value=value)
    row.update(typed)
    return row


def event_rows(replication: Replication, scenario: Scenario) -> list[dict[str, Any]]:
    """Every recorded event, sorted by time, with the initial state at time 0."""
    start = scenario.window.start
    log = replication.log
    traj = log.trajectories
    r = replication.index
    personnel0 = traj.personnel[0][1]
    level0 = traj.escalation[0][1]
    posture0 = "campaign" if traj.campaign[0][1] else "restraint"
    rows = [
        _row(
            r,
            0.0,
            "initial_personnel",
            "personnel in Iraq",
            float(personnel0),
            personnel=personnel0,
        ),
        _row(r, 0.0, "initial_escalation", LEVEL_NAMES[level0], float(level0), level=level0),
        _row(r, 0.0, "initial_posture", posture0, float(traj.campaign[0][1]), posture=posture0),
    ]
    for a in log.attacks:
        outcome = "intercepted" if a.intercepted else f"{a.killed} killed, {a.wounded} wounded"
        cause = a.cause if a.parent < 0 else f"{a.cause} {a.parent}"
        rows.append(
            _row(
                r,
                a.time,
                "attack",
                f"#{a.id} {a.weapon} on {a.target}: {outcome}; cause {cause}",
                float(a.killed + a.wounded),
                id=a.id,
                site=a.target,
                weapon=a.weapon,
                intercepted=a.intercepted,
                killed=a.killed,
                wounded=a.wounded,
                cause=a.cause,
                parent=a.parent if a.parent >= 0 else None,
            )
        )
    for s in log.strikes:
        rows.append(
            _row(
                r,
                s.time,
                "strike",
                f"#{s.id} {s.size} after attack #{s.attack} ({s.cause}); "
                f"{s.iraqi_killed} Iraqis killed",
                float(s.iraqi_killed),
                id=s.id,
                cause=s.cause,
                parent=s.attack if s.attack >= 0 else None,
                size=s.size,
                iraqi_killed=s.iraqi_killed,
            )
        )
    for shock in log.shocks:
        kind = "shock" if shock.severity > 0 else "de-escalation"
        rows.append(
            _row(
                r,
                shock.time,
                kind,
                shock.name,
                float(shock.severity),
                severity=shock.severity,
                cause="scheduled" if shock.scheduled else "random",
            )
        )
    for m in log.movements:
        rows.append(
            _row(
                r,
                m.start,
                "movement",
                f"{m.personnel} personnel leave {m.site}",
                float(m.personnel),
                site=m.site,
                personnel=m.personnel,
            )
        )
    for t, personnel in traj.personnel[1:]:
        rows.append(
            _row(r, t, "personnel", "personnel in Iraq", float(personnel), personnel=personnel)
        )
    for c in log.changes:
        typed: dict[str, Any] = {"cause": c.cause}
        value = 0.0
        if c.kind == "escalation":
            typed["level"] = LEVEL_NAMES.index(c.value)
            value = float(typed["level"])
        elif c.kind == "posture":
            typed["posture"] = c.value
            value = float(c.value == "campaign")
        rows.append(_row(r, c.time, c.kind, f"{c.value} ({c.cause})", value, **typed))
    for t in log.isis_attacks:
        rows.append(_row(r, t, "isis_attack", "ISIS attack on Iraqi forces", 1.0))
    rows.sort(key=lambda row: row["time"])
    window = scenario.window_days
    for row in rows:
        row["date"] = start + timedelta(days=int(row["time"]))
        row["period"] = "window" if row["time"] < window else "follow_on"
    return rows
