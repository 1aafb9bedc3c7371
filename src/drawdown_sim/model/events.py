"""The event log of one replication as flat rows (events.parquet, ``--trace N``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..scenario import Scenario
from .escalation import LEVEL_NAMES
from .simulate import Replication

EVENT_COLUMNS = ("replication", "time", "date", "kind", "site", "detail", "value")
"""``value`` carries the number a plot needs: level, personnel, casualties, severity."""


def event_rows(replication: Replication, scenario: Scenario) -> list[dict[str, Any]]:
    """Every recorded event, sorted by time, with the initial state at time 0."""
    start = scenario.window.start
    log = replication.log
    traj = log.trajectories
    rows: list[tuple[float, str, str, str, float]] = [
        (0.0, "initial_personnel", "", "personnel in Iraq", float(traj.personnel[0][1])),
        (
            0.0,
            "initial_escalation",
            "",
            LEVEL_NAMES[traj.escalation[0][1]],
            float(traj.escalation[0][1]),
        ),
        (
            0.0,
            "initial_posture",
            "",
            "campaign" if traj.campaign[0][1] else "restraint",
            float(traj.campaign[0][1]),
        ),
    ]
    for a in log.attacks:
        outcome = "intercepted" if a.intercepted else f"{a.killed} killed, {a.wounded} wounded"
        cause = a.cause if a.parent < 0 else f"{a.cause} {a.parent}"
        rows.append(
            (
                a.time,
                "attack",
                a.target,
                f"#{a.id} {a.weapon}: {outcome}; cause {cause}",
                float(a.killed + a.wounded),
            )
        )
    for s in log.strikes:
        rows.append(
            (
                s.time,
                "strike",
                "",
                f"#{s.id} {s.size} after attack #{s.attack} "
                f"({s.cause}); {s.iraqi_killed} Iraqis killed",
                float(s.iraqi_killed),
            )
        )
    for shock in log.shocks:
        kind = "shock" if shock.severity > 0 else "de-escalation"
        rows.append((shock.time, kind, "", shock.name, float(shock.severity)))
    for m in log.movements:
        rows.append(
            (m.start, "movement", m.site, f"{m.personnel} personnel leave", float(m.personnel))
        )
    for t, personnel in traj.personnel[1:]:
        rows.append((t, "personnel", "", "personnel in Iraq", float(personnel)))
    for c in log.changes:
        value = (
            float(LEVEL_NAMES.index(c.value))
            if c.kind == "escalation"
            else (float(c.value == "campaign") if c.kind == "posture" else 0.0)
        )
        rows.append((c.time, c.kind, "", f"{c.value} ({c.cause})", value))
    for t in log.isis_attacks:
        rows.append((t, "isis_attack", "", "ISIS attack on Iraqi forces", 1.0))
    rows.sort(key=lambda row: row[0])
    return [
        {
            "replication": replication.index,
            "time": t,
            "date": start + timedelta(days=int(t)),
            "kind": kind,
            "site": site,
            "detail": detail,
            "value": value,
        }
        for t, kind, site, detail, value in rows
    ]
