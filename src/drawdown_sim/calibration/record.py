"""The pre-window record (2019-10-01 to 2024-08-31): episodes and their inputs and tallies.

A record is a folder of CSV files (``reference/record_2019_2024/`` ships with the package; its
README says how complete it is):

- ``episodes.csv``: non-overlapping periods simulated one by one (start, end, posture and
  escalation level at the start);
- ``timetable.csv``: the state of the withdrawal talks or timetable from each date (none,
  negotiating, honoured, slipping, complete); it may change only at an episode's start;
- ``shocks.csv``, ``strikes.csv``, ``postures.csv``: the dated regional shocks (severity on the
  schema's scale), US strikes in Iraq and declared militia postures, the model's inputs;
- ``attack_counts.csv``: militia attacks on sites hosting US or coalition forces in Iraq over
  intervals (a tally, with a relative ``uncertainty`` of the count), the observations;
- ``attacks.csv``: the dated attacks known individually (checked against the tallies).

Nothing dated on or after :data:`CUTOFF` may appear: the drawdown window is where the model is
checked, never where it is fitted. :func:`load_record` reports every problem, one line each
(file, line, field), as a :class:`ScenarioError` (the CLI exits 2).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..scenario.errors import Located, ScenarioError

CUTOFF = date(2024, 9, 1)
"""First day of the drawdown window: nothing dated on or after it is calibration data."""
START = date(2019, 10, 1)
"""First day of the record."""

TIMETABLE_STATES = ("none", "negotiating", "honoured", "slipping", "complete")
POSTURES = ("restraint", "campaign")

_COLUMNS: dict[str, tuple[str, ...]] = {
    "episodes.csv": (
        "episode",
        "start",
        "end",
        "initial_posture",
        "initial_level",
        "description",
        "source",
    ),
    "timetable.csv": ("date", "state", "description", "source"),
    "shocks.csv": ("date", "severity", "description", "source"),
    "strikes.csv": (
        "date",
        "location",
        "size",
        "iraqi_killed",
        "approximate",
        "description",
        "source",
    ),
    "postures.csv": ("date", "posture", "description", "source"),
    "attack_counts.csv": ("start", "end", "attacks", "uncertainty", "description", "source"),
    "attacks.csv": (
        "date",
        "location",
        "weapon",
        "perpetrator",
        "us_casualties",
        "approximate",
        "description",
        "source",
    ),
}
FILES = tuple(_COLUMNS)


@dataclass(frozen=True)
class Count:
    """Militia attacks on coalition sites in Iraq from ``start`` to ``end`` (both included)."""

    start: date
    end: date
    attacks: int
    uncertainty: float
    """Relative uncertainty of the tally (0.1: about +-10%); widens its tolerance."""


@dataclass
class Episode:
    """A period simulated on its own, with its inputs and its tallies."""

    name: str
    start: date
    end: date
    initial_posture: str
    initial_level: int
    timetable: str = "none"
    shocks: list[tuple[date, int, str]] = field(default_factory=list)
    strikes: list[tuple[date, str, int, str]] = field(default_factory=list)
    """(date, size small|large, Iraqis killed, description)."""
    postures: list[tuple[date, str, str]] = field(default_factory=list)
    counts: list[Count] = field(default_factory=list)
    attacks: list[date] = field(default_factory=list)
    """Dated militia attacks (for the plots; the tallies are the observations)."""

    @property
    def days(self) -> int:
        """Length in days, both ends included."""
        return (self.end - self.start).days + 1

    @property
    def observed(self) -> list[int]:
        """The tallies' attack counts, in date order."""
        return [c.attacks for c in self.counts]


@dataclass
class Record:
    """The episodes of a record folder, in date order."""

    folder: Path
    episodes: list[Episode]

    @property
    def digest(self) -> str:
        """SHA-256 of the record's CSV files (names and bytes), to detect a changed record."""
        import hashlib

        h = hashlib.sha256()
        for name in FILES:
            h.update(name.encode())
            h.update((self.folder / name).read_bytes())
        return h.hexdigest()


def _rows(path: Path, problems: list[Located]) -> list[tuple[int, dict[str, str]]]:
    """The rows of ``path`` with their line numbers; unknown or missing columns reported."""
    if not path.is_file():
        problems.append(Located(str(path), 0, "", "missing (every record file is required)"))
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        expected = _COLUMNS[path.name]
        unknown = [c for c in header if c not in expected]
        missing = [c for c in expected if c not in header]
        for column in unknown:
            problems.append(
                Located(str(path), 1, column, f"unknown column (expected {', '.join(expected)})")
            )
        for column in missing:
            problems.append(Located(str(path), 1, column, "missing column"))
        if unknown or missing:
            return []
        rows = []
        for row in reader:
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                problems.append(Located(str(path), line, "", "wrong number of fields"))
                continue
            rows.append((line, row))
        return rows


class _Reader:
    """Field parsers that record a problem and return None on a bad value."""

    def __init__(self, path: Path, problems: list[Located]) -> None:
        self.path = str(path)
        self.problems = problems

    def bad(self, line: int, column: str, message: str) -> None:
        self.problems.append(Located(self.path, line, column, message))

    def day(self, line: int, row: dict[str, str], column: str) -> date | None:
        text = row[column].strip()
        try:
            value = date.fromisoformat(text)
        except ValueError:
            self.bad(line, column, f"{text!r} is not an ISO date (YYYY-MM-DD)")
            return None
        if value >= CUTOFF:
            self.bad(
                line,
                column,
                f"{value} is on or after the calibration cut-off {CUTOFF}: the drawdown window "
                "is where the model is checked, never where it is fitted",
            )
            return None
        if value < START:
            self.bad(line, column, f"{value} is before the record's start {START}")
            return None
        return value

    def integer(
        self, line: int, row: dict[str, str], column: str, low: int, high: int
    ) -> int | None:
        text = row[column].strip()
        try:
            value = int(text)
        except ValueError:
            self.bad(line, column, f"{text!r} is not an integer")
            return None
        if not low <= value <= high:
            self.bad(line, column, f"{value} is outside {low}..{high}")
            return None
        return value

    def number(self, line: int, row: dict[str, str], column: str, low: float) -> float | None:
        text = row[column].strip()
        try:
            value = float(text)
        except ValueError:
            self.bad(line, column, f"{text!r} is not a number")
            return None
        if not value >= low or value != value or value == float("inf"):
            self.bad(line, column, f"{value:g} must be a finite number >= {low:g}")
            return None
        return value

    def one_of(
        self, line: int, row: dict[str, str], column: str, allowed: tuple[str, ...]
    ) -> str | None:
        text = row[column].strip()
        if text not in allowed:
            self.bad(line, column, f"{text!r} is not one of {', '.join(allowed)}")
            return None
        return text

    def text(self, line: int, row: dict[str, str], column: str) -> str:
        text = row[column].strip()
        if not text:
            self.bad(line, column, "empty (every row names what happened and its source)")
        return text

    def ordered(self, dated: list[tuple[int, date]], column: str) -> None:
        """Rows must be in date order."""
        for (_, before), (line, day) in zip(dated, dated[1:], strict=False):
            if day < before:
                self.bad(
                    line, column, f"{day} is before the previous row's {before} (sort by date)"
                )


def load_record(folder: str | Path) -> Record:
    """Read and check a record folder; raise :class:`ScenarioError` listing every problem."""
    folder = Path(folder)
    problems: list[Located] = []
    if not folder.is_dir():
        raise ScenarioError([Located(str(folder), 0, "", "not a folder (a record is a folder)")])
    read: dict[str, list[tuple[int, dict[str, str]]]] = {
        name: _rows(folder / name, problems) for name in FILES
    }

    # episodes
    r = _Reader(folder / "episodes.csv", problems)
    episodes: list[tuple[int, Episode]] = []
    names: set[str] = set()
    for line, row in read["episodes.csv"]:
        name = r.text(line, row, "episode")
        if name in names:
            r.bad(line, "episode", f"{name!r} appears twice")
        names.add(name)
        start, end = r.day(line, row, "start"), r.day(line, row, "end")
        posture = r.one_of(line, row, "initial_posture", POSTURES)
        level = r.integer(line, row, "initial_level", 0, 3)
        r.text(line, row, "source")
        if start is not None and end is not None and end < start:
            r.bad(line, "end", f"{end} is before the episode's start {start}")
            continue
        if None in (start, end, posture, level) or not name:
            continue
        assert start is not None and end is not None and posture is not None and level is not None
        episodes.append((line, Episode(name, start, end, posture, level)))
    r.ordered([(line, e.start) for line, e in episodes], "start")
    for (_, previous), (line, current) in zip(episodes, episodes[1:], strict=False):
        if current.start <= previous.end:
            r.bad(
                line,
                "start",
                f"episode {current.name!r} ({current.start} to {current.end}) overlaps "
                f"{previous.name!r} ({previous.start} to {previous.end})",
            )
    found = [e for _, e in episodes]

    def owner(day: date) -> Episode | None:
        for episode in found:
            if episode.start <= day <= episode.end:
                return episode
        return None

    # timetable
    r = _Reader(folder / "timetable.csv", problems)
    changes: list[tuple[int, date, str]] = []
    for line, row in read["timetable.csv"]:
        day = r.day(line, row, "date")
        state = r.one_of(line, row, "state", TIMETABLE_STATES)
        r.text(line, row, "source")
        if day is not None and state is not None:
            changes.append((line, day, state))
    r.ordered([(line, day) for line, day, _ in changes], "date")
    for each in found:
        states = [state for _, day, state in changes if day <= each.start]
        each.timetable = states[-1] if states else "none"
    for line, day, state in changes:
        host = owner(day)
        if host is not None and day != host.start and state != host.timetable:
            r.bad(
                line,
                "date",
                f"the timetable changes to {state!r} inside episode {host.name!r} "
                f"({host.start} to {host.end}); split the episode there",
            )

    # shocks, strikes, postures
    r = _Reader(folder / "shocks.csv", problems)
    dated: list[tuple[int, date]] = []
    for line, row in read["shocks.csv"]:
        day = r.day(line, row, "date")
        severity = r.integer(line, row, "severity", -3, 3)
        description = r.text(line, row, "description")
        r.text(line, row, "source")
        if severity == 0:
            r.bad(line, "severity", "0 is no shock: use 1-3, or -1..-3 for a de-escalation")
            continue
        if day is None or severity is None:
            continue
        dated.append((line, day))
        host = owner(day)
        if host is not None:
            host.shocks.append((day, severity, description))
    r.ordered(dated, "date")

    r = _Reader(folder / "strikes.csv", problems)
    dated = []
    for line, row in read["strikes.csv"]:
        day = r.day(line, row, "date")
        size = r.one_of(line, row, "size", ("small", "large"))
        killed = r.integer(line, row, "iraqi_killed", 0, 10_000)
        r.one_of(line, row, "approximate", ("true", "false"))
        description = r.text(line, row, "description")
        r.text(line, row, "source")
        if day is None or size is None or killed is None:
            continue
        dated.append((line, day))
        host = owner(day)
        if host is not None:
            host.strikes.append((day, size, killed, description))
    r.ordered(dated, "date")

    r = _Reader(folder / "postures.csv", problems)
    dated = []
    for line, row in read["postures.csv"]:
        day = r.day(line, row, "date")
        posture = r.one_of(line, row, "posture", POSTURES)
        description = r.text(line, row, "description")
        r.text(line, row, "source")
        if day is None or posture is None:
            continue
        dated.append((line, day))
        host = owner(day)
        if host is not None:
            host.postures.append((day, posture, description))
    r.ordered(dated, "date")

    # tallies: each inside one episode, not overlapping each other
    r = _Reader(folder / "attack_counts.csv", problems)
    counted: list[tuple[int, Count]] = []
    for line, row in read["attack_counts.csv"]:
        start, end = r.day(line, row, "start"), r.day(line, row, "end")
        attacks = r.integer(line, row, "attacks", 0, 1_000_000)
        uncertainty = r.number(line, row, "uncertainty", 0.0)
        r.text(line, row, "source")
        if start is None or end is None or attacks is None or uncertainty is None:
            continue
        if end < start:
            r.bad(line, "end", f"{end} is before the interval's start {start}")
            continue
        count = Count(start, end, attacks, uncertainty)
        counted.append((line, count))
        host = owner(start)
        if host is None or end > host.end:
            r.bad(
                line,
                "start",
                f"the interval {start} to {end} does not lie inside one episode",
            )
            continue
        host.counts.append(count)
    r.ordered([(line, c.start) for line, c in counted], "start")
    for (_, earlier), (line, later) in zip(counted, counted[1:], strict=False):
        if later.start <= earlier.end:
            r.bad(
                line,
                "start",
                f"the interval {later.start} to {later.end} overlaps the previous one "
                f"({earlier.start} to {earlier.end})",
            )

    r = _Reader(folder / "attacks.csv", problems)
    dated = []
    for line, row in read["attacks.csv"]:
        day = r.day(line, row, "date")
        r.one_of(line, row, "weapon", ("rocket", "drone", "ballistic", "other"))
        perpetrator = r.text(line, row, "perpetrator")
        r.integer(line, row, "us_casualties", 0, 100_000)
        r.one_of(line, row, "approximate", ("true", "false"))
        r.text(line, row, "source")
        if day is None:
            continue
        dated.append((line, day))
        host = owner(day)
        if host is not None and perpetrator == "militia":
            host.attacks.append(day)
    r.ordered(dated, "date")
    for _, count in counted:
        known = sum(1 for e in found for day in e.attacks if count.start <= day <= count.end)
        if known > count.attacks:
            problems.append(
                Located(
                    str(folder / "attack_counts.csv"),
                    0,
                    "attacks",
                    f"{count.start} to {count.end}: {count.attacks} attacks, fewer than the "
                    f"{known} dated militia attacks in attacks.csv",
                )
            )

    if problems:
        raise ScenarioError(problems)
    return Record(folder, found)


def shipped_record() -> Path:
    """The record folder that ships with the package."""
    return Path(__file__).parent.parent / "reference" / "record_2019_2024"


def summary(record: Record) -> list[dict[str, Any]]:
    """One row per episode: dates, timetable, inputs and tallied attacks."""
    return [
        {
            "episode": e.name,
            "start": e.start.isoformat(),
            "end": e.end.isoformat(),
            "timetable": e.timetable,
            "shocks": len(e.shocks),
            "strikes": len(e.strikes),
            "tallies": len(e.counts),
            "attacks": sum(e.observed),
        }
        for e in record.episodes
    ]
