"""The event log of a replication (events.parquet, ``--trace N``) says what the records say.

Each row is checked against the typed record it comes from, so a row that drops, renames or
mislabels a field fails here, not in an analyst's query.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

import pytest

from drawdown_sim.model.escalation import LEVEL_NAMES
from drawdown_sim.model.events import EVENT_COLUMNS, event_rows
from tests.helpers import replicate, scenario

# Two scenarios with every kind of event between them: the baseline with random shocks, the
# plan's movements, ISIS attacks and a follow-on year; and the window's dated shocks (some
# de-escalations) with a dated strike and a militia already on campaign at the start.
SCENARIOS = {
    "random": scenario("baseline", "shocks.random.rate_per_year=4"),
    "dated": scenario(
        "historical",
        "militia.posture=campaign",
        "retaliation.scheduled=[{date: 2024-10-05, name: dated, size: large, iraqi_killed: 3}]",
    ),
}
CASES = [
    (name, replication) for name, s in SCENARIOS.items() for replication in replicate(s, 6, seed=21)
]


def _pick(row: dict, *columns: str) -> tuple:
    return tuple(row[column] for column in columns)


def _rows_by_kind(name, replication):
    rows = event_rows(replication, SCENARIOS[name])
    by_kind: dict[str, list[dict]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row)
    return rows, by_kind


def test_the_replications_have_every_kind_of_event():
    rows = [row for name, rep in CASES for row in event_rows(rep, SCENARIOS[name])]
    kinds = Counter(row["kind"] for row in rows)
    for kind in (
        "attack",
        "strike",
        "shock",
        "de-escalation",
        "movement",
        "personnel",
        "escalation",
        "posture",
        "isis_attack",
        "completed",
    ):
        assert kinds[kind] > 0, kind
    assert {row["period"] for row in rows} == {"window", "follow_on"}
    assert {row["posture"] for row in rows if row["kind"] == "initial_posture"} == {
        "campaign",
        "restraint",
    }
    assert {row["cause"] for row in rows if row["kind"] == "shock"} == {"scheduled", "random"}
    assert None in {row["parent"] for row in rows if row["kind"] == "strike"}
    attack_parents = {row["parent"] for row in rows if row["kind"] == "attack"}
    assert None in attack_parents and len(attack_parents) > 1


@pytest.mark.parametrize(("name", "replication"), CASES)
def test_rows_are_sorted_typed_and_dated(name, replication):
    rows, _ = _rows_by_kind(name, replication)
    SCENARIO = SCENARIOS[name]
    times = [row["time"] for row in rows]
    assert times == sorted(times)
    window = SCENARIO.window_days
    for row in rows:
        assert tuple(row) == EVENT_COLUMNS
        assert row["replication"] == replication.index
        assert row["date"] == SCENARIO.window.start + timedelta(days=math.floor(row["time"]))
        assert row["period"] == ("window" if row["time"] < window else "follow_on")
        assert isinstance(row["detail"], str) and row["detail"]
        assert isinstance(row["value"], float)


@pytest.mark.parametrize(("name", "replication"), CASES)
def test_the_initial_state_opens_the_log(name, replication):
    rows, _ = _rows_by_kind(name, replication)
    traj = replication.log.trajectories
    personnel, level, posture = rows[:3]
    assert [r["kind"] for r in rows[:3]] == [
        "initial_personnel",
        "initial_escalation",
        "initial_posture",
    ]
    assert all(r["time"] == 0.0 for r in rows[:3])
    assert personnel["personnel"] == traj.personnel[0][1]
    assert personnel["value"] == float(traj.personnel[0][1])
    assert personnel["detail"] == "personnel in Iraq"
    assert level["level"] == traj.escalation[0][1]
    assert level["detail"] == LEVEL_NAMES[traj.escalation[0][1]]
    on_campaign = traj.campaign[0][1]
    assert posture["posture"] == ("campaign" if on_campaign else "restraint")
    assert posture["value"] == float(on_campaign)


@pytest.mark.parametrize(("name", "replication"), CASES)
def test_each_record_is_one_row_with_its_fields(name, replication):
    log = replication.log
    _, by_kind = _rows_by_kind(name, replication)

    attacks = sorted(by_kind.get("attack", []), key=lambda r: r["id"])
    assert len(attacks) == len(log.attacks)
    for row, a in zip(attacks, sorted(log.attacks, key=lambda a: a.id), strict=True):
        expected = (a.time, a.target, a.weapon, a.intercepted, a.killed, a.wounded)
        assert _pick(row, "time", "site", "weapon", "intercepted", "killed", "wounded") == expected
        assert row["cause"] == a.cause
        assert row["parent"] == (a.parent if a.parent >= 0 else None)
        assert row["value"] == float(a.killed + a.wounded)
        assert row["size"] is None and row["severity"] is None and row["iraqi_killed"] is None
        outcome = "intercepted" if a.intercepted else f"{a.killed} killed, {a.wounded} wounded"
        cause = a.cause if a.parent < 0 else f"{a.cause} {a.parent}"
        assert row["detail"] == f"#{a.id} {a.weapon} on {a.target}: {outcome}; cause {cause}"

    strikes = sorted(by_kind.get("strike", []), key=lambda r: r["id"])
    assert len(strikes) == len(log.strikes)
    for row, s in zip(strikes, sorted(log.strikes, key=lambda s: s.id), strict=True):
        expected = (s.time, s.size, s.cause, s.iraqi_killed)
        assert _pick(row, "time", "size", "cause", "iraqi_killed") == expected
        assert row["parent"] == (s.attack if s.attack >= 0 else None)
        assert row["value"] == float(s.iraqi_killed)
        assert row["weapon"] is None and row["site"] is None
        assert row["detail"] == (
            f"#{s.id} {s.size} after attack #{s.attack} ({s.cause}); {s.iraqi_killed} Iraqis killed"
        )

    shocks = by_kind.get("shock", []) + by_kind.get("de-escalation", [])
    assert len(shocks) == len(log.shocks)
    for row, shock in zip(sorted(shocks, key=lambda r: r["time"]), log.shocks, strict=True):
        assert row["kind"] == ("shock" if shock.severity > 0 else "de-escalation")
        assert (row["time"], row["detail"], row["severity"]) == (
            shock.time,
            shock.name,
            shock.severity,
        )
        assert row["cause"] == ("scheduled" if shock.scheduled else "random")
        assert row["value"] == float(shock.severity)

    movements = by_kind.get("movement", [])
    assert [(r["time"], r["site"], r["personnel"]) for r in movements] == sorted(
        (m.start, m.site, m.personnel) for m in log.movements
    )

    personnel = by_kind.get("personnel", [])
    assert [(r["time"], r["personnel"], r["value"], r["detail"]) for r in personnel] == [
        (t, p, float(p), "personnel in Iraq") for t, p in log.trajectories.personnel[1:]
    ]

    for kind in ("escalation", "posture", "completed", "accelerated", "option_cancelled"):
        changes = [c for c in log.changes if c.kind == kind]
        rows = by_kind.get(kind, [])
        assert len(rows) == len(changes)
        for row, c in zip(rows, changes, strict=True):
            assert (row["time"], row["cause"]) == (c.time, c.cause)
            assert row["detail"] == f"{c.value} ({c.cause})"
            if kind == "escalation":
                assert row["level"] == LEVEL_NAMES.index(c.value)
                assert row["value"] == float(row["level"])
            elif kind == "posture":
                assert row["posture"] == c.value
                assert row["value"] == float(c.value == "campaign")
            else:
                assert row["value"] == 0.0

    assert [r["time"] for r in by_kind.get("isis_attack", [])] == log.isis_attacks
    assert all(
        (r["value"], r["detail"]) == (1.0, "ISIS attack on Iraqi forces")
        for r in by_kind.get("isis_attack", [])
    )


def test_an_event_at_the_window_end_belongs_to_the_follow_on():
    s = SCENARIOS["random"]
    replication = replicate(s, 1, seed=3)[0]
    end = float(s.window_days)
    replication.log.isis_attacks[:] = [end - 1e-9, end]
    rows = [r for r in event_rows(replication, s) if r["kind"] == "isis_attack"]
    assert [(r["period"], r["date"]) for r in rows] == [
        ("window", s.window.start + timedelta(days=s.window_days - 1)),
        ("follow_on", s.window.start + timedelta(days=s.window_days)),
    ]
