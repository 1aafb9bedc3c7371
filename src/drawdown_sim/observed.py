"""Observed records read from CSV: running tallies of attacks, and event logs.

Both ``fit`` and ``backtest`` read them. Every problem is one line naming the file, the line
and the column, and nothing of the file's content beyond the offending value (cut short).
"""

from __future__ import annotations

import csv
import io
import stat
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024
"""Largest CSV file read (bytes): a daily log of a century is far smaller."""


class ObservedDataError(ValueError):
    """A CSV that cannot be used as given (the message is one line for the user)."""


def _short(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line number, row) pairs of a small regular CSV file."""
    try:
        info = path.stat()
    except OSError as error:
        raise ObservedDataError(f"{path}: cannot read it ({error.strerror or error})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ObservedDataError(f"{path}: not a regular file")
    if info.st_size > MAX_BYTES:
        raise ObservedDataError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ObservedDataError(f"{path}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise ObservedDataError(f"{path}: empty, or no header line")
    rows = []
    for row in reader:
        cleaned = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        rows.append((reader.line_num, cleaned))
    return header, rows


def _column(path: Path, header: list[str], name: str | None, fallbacks: tuple[str, ...]) -> str:
    if name is not None:
        if name not in header:
            raise ObservedDataError(
                f"{path}:1: no column {name!r}; the columns are {', '.join(header)[:200]}"
            )
        return name
    for candidate in fallbacks:
        if candidate in header:
            return candidate
    raise ObservedDataError(
        f"{path}:1: no {' or '.join(repr(f) for f in fallbacks)} column; name the time "
        "column with --time-column"
    )


def parse_day(path: Path, line: int, column: str, value: str) -> date:
    try:
        return date.fromisoformat(value[:10]) if len(value) >= 10 else date.fromisoformat(value)
    except ValueError:
        raise ObservedDataError(
            f"{path}:{line}: {column}: {_short(value)} is not an ISO date (YYYY-MM-DD)"
        ) from None


@dataclass(frozen=True)
class Tallies:
    """Running totals: report dates and cumulative counts (non-decreasing)."""

    dates: list[date]
    counts: list[int]
    column: str

    def days(self) -> list[float]:
        """Report dates as day offsets from the first."""
        return [float((d - self.dates[0]).days) for d in self.dates]


def read_tallies(
    path: Path,
    count_column: str,
    time_column: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Tallies:
    """Rows with a date and a running total; rows with an empty total are skipped."""
    header, rows = read_rows(path)
    time_col = _column(path, header, time_column, ("date",))
    count_col = _column(path, header, count_column, ())
    dates: list[date] = []
    counts: list[int] = []
    for line, row in rows:
        raw = row.get(count_col, "")
        if not raw:
            continue
        day = parse_day(path, line, time_col, row.get(time_col, ""))
        if (start is not None and day < start) or (end is not None and day > end):
            continue
        try:
            count = int(float(raw))
            if count < 0 or count != float(raw):
                raise ValueError
        except ValueError:
            raise ObservedDataError(
                f"{path}:{line}: {count_col}: {_short(raw)} is not a whole number >= 0"
            ) from None
        if dates and day < dates[-1]:
            raise ObservedDataError(f"{path}:{line}: {time_col}: {day} is before {dates[-1]}")
        if counts and count < counts[-1]:
            raise ObservedDataError(
                f"{path}:{line}: {count_col}: the running total falls from {counts[-1]} to "
                f"{count}; tallies must not decrease"
            )
        dates.append(day)
        counts.append(count)
    if len(dates) < 2:
        raise ObservedDataError(
            f"{path}: {count_col}: fewer than two dated totals in the period; a tally needs a "
            "start and at least one report"
        )
    return Tallies(dates, counts, count_col)


@dataclass(frozen=True)
class EventLog:
    """Event times: day offsets from ``start``; ``daily`` when only dates were given."""

    times: list[float]
    start: date
    end: date
    daily: bool
    running_totals: tuple[str, ...] = ()
    """Columns that look like running totals (see :func:`running_total_columns`): the file
    may be tallies read here as one event per row."""

    @property
    def horizon(self) -> float:
        """Days observed: from the start to the end of the end date."""
        return float((self.end - self.start).days + 1)


def read_event_log(
    path: Path,
    time_column: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> EventLog:
    """One row per event; the time column holds ISO dates, ISO timestamps or numbers (days).

    Numbers are days from ``start`` (or from 0 when no start is given).
    """
    header, rows = read_rows(path)
    col = _column(path, header, time_column, ("date", "time"))
    values = [(line, row.get(col, "")) for line, row in rows]
    if not values:
        raise ObservedDataError(f"{path}: no events")
    numeric = all(_is_number(v) for _, v in values)
    times: list[float] = []
    daily = False
    if numeric:
        origin = start or date(1970, 1, 1)
        raw = [float(v) for _, v in values]
        first, last = start or origin, end
        times = sorted(raw)
        if last is None:
            last = date.fromordinal(origin.toordinal() + int(max(times)))
        horizon_end = float((last - origin).days + 1)
        times = [t for t in times if 0.0 <= t < horizon_end]
        return EventLog(times, first, last, False, running_total_columns(header, rows, col))
    stamps: list[datetime] = []
    for line, value in values:
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            raise ObservedDataError(
                f"{path}:{line}: {col}: {_short(value)} is not an ISO date or time"
            ) from None
        daily = daily or len(value) <= 10
        stamps.append(stamp)
    first = start or min(stamps).date()
    last = end or max(stamps).date()
    origin = datetime.combine(first, datetime.min.time())
    times = sorted(
        (s - origin).total_seconds() / 86400.0 for s in stamps if first <= s.date() <= last
    )
    return EventLog(times, first, last, daily, running_total_columns(header, rows, col))


def running_total_columns(
    header: list[str], rows: list[tuple[int, dict[str, str]]], time_column: str
) -> tuple[str, ...]:
    """Columns other than the time column whose values are whole numbers that never fall,
    grow overall and not always by one (a row counter grows by one): running totals."""
    if len(rows) < 2:
        return ()
    found = []
    for name in header:
        if name == time_column:
            continue
        values = [row.get(name, "") for _, row in rows]
        if not all(v.isdigit() for v in values):
            continue
        counts = [int(v) for v in values]
        steps = [b - a for a, b in zip(counts, counts[1:], strict=False)]
        if min(steps) >= 0 and counts[-1] > counts[0] and any(step != 1 for step in steps):
            found.append(name)
    return tuple(found)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
