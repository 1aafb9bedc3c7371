"""Observed records read from CSV: running tallies of attacks, and event logs.

Both ``fit`` and ``backtest`` read them. Every problem is one line naming the file, the line
and the column, and nothing of the file's content beyond the offending value (cut short, its
control characters escaped so that nothing in a file can drive the terminal).

Bounds, checked while reading and before any fitting: at most :data:`MAX_BYTES` bytes and
:data:`MAX_ROWS` data rows; running totals are whole numbers from 0 to :data:`MAX_TOTAL`;
dates lie from :data:`FIRST_DATE` to :data:`LAST_DATE`; numeric times are finite days from 0
to :data:`MAX_DAYS`. Observations are checked: dates in order, one running total a day,
totals that never fall, and timestamps all with a time zone or all without.
"""

from __future__ import annotations

import csv
import io
import math
import stat
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024
"""Largest CSV file read (bytes): a daily log of a century is far smaller."""

MAX_ROWS = 100_000
"""Most data rows read from a CSV file (rows): an event a day for 270 years. The file is
refused at the first row past it, before any fitting."""

MAX_TOTAL = 1_000_000
"""Largest running total or count accepted (events): far above any record of attacks, and
small enough that every count is exact in floating point."""

MAX_DAYS = 100_000.0
"""Largest numeric event time (days from the start): about 270 years."""

FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)
"""Dates outside this range are refused (in files and in ``--start``/``--end``)."""


class ObservedDataError(ValueError):
    """A CSV that cannot be used as given (the message is one line for the user)."""


def printable(value: str, limit: int = 40) -> str:
    """``value`` cut to ``limit`` characters (then "...") with every control or format
    character (escape sequences, bidi overrides, NUL) written as its ``\\x``/``\\u`` escape:
    safe to echo to a terminal."""
    cut = value if len(value) <= limit else value[:limit] + "..."
    return "".join(
        ch
        if unicodedata.category(ch)[0] != "C"
        else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in cut
    )


def _short(value: str) -> str:
    return f"'{printable(value)}'"


def check_date(day: date, where: str) -> date:
    """``day`` if it lies in [FIRST_DATE, LAST_DATE]; else an error naming ``where``."""
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ObservedDataError(
            f"{where}: {day.isoformat()} is outside the dates accepted, {FIRST_DATE} to {LAST_DATE}"
        )
    return day


def parse_count(path: Path, line: int, column: str, raw: str) -> int:
    """A running total or count: a whole number from 0 to :data:`MAX_TOTAL`."""
    try:
        value = int(raw)
    except ValueError:
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ObservedDataError(
                f"{path}:{line}: {printable(column)}: {_short(raw)} is not a finite whole number"
            ) from None
        if number != math.floor(number) or abs(number) > MAX_TOTAL:
            if abs(number) > MAX_TOTAL:
                raise ObservedDataError(
                    f"{path}:{line}: {printable(column)}: {_short(raw)} is above the cap of "
                    f"{MAX_TOTAL:,} on totals"
                ) from None
            raise ObservedDataError(
                f"{path}:{line}: {printable(column)}: {_short(raw)} is not a whole number"
            ) from None
        value = int(number)
    if value < 0:
        raise ObservedDataError(
            f"{path}:{line}: {printable(column)}: {_short(raw)} is negative; counts are >= 0"
        )
    if value > MAX_TOTAL:
        raise ObservedDataError(
            f"{path}:{line}: {printable(column)}: {_short(raw)} is above the cap of "
            f"{MAX_TOTAL:,} on totals"
        )
    return value


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
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise ObservedDataError(
                f"{path}: more than {MAX_ROWS:,} data rows (the cap on a CSV read by fit and "
                "backtest)"
            )
        cleaned = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        rows.append((reader.line_num, cleaned))
    return header, rows


def _column(path: Path, header: list[str], name: str | None, fallbacks: tuple[str, ...]) -> str:
    if name is not None:
        if name not in header:
            listed = ", ".join(printable(h, 40) for h in header[:20])
            more = f" and {len(header) - 20} more" if len(header) > 20 else ""
            raise ObservedDataError(
                f"{path}:1: no column {_short(name)}; the columns are {printable(listed, 300)}"
                f"{more}"
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
        day = date.fromisoformat(value[:10]) if len(value) >= 10 else date.fromisoformat(value)
    except ValueError:
        raise ObservedDataError(
            f"{path}:{line}: {printable(column)}: {_short(value)} is not an ISO date (YYYY-MM-DD)"
        ) from None
    return check_date(day, f"{path}:{line}: {printable(column)}")


@dataclass(frozen=True)
class Tallies:
    """Running totals: report dates and cumulative counts (non-decreasing)."""

    dates: list[date]
    counts: list[int]
    column: str

    def days(self) -> list[float]:
        """Report dates as day offsets from the first."""
        return [float((d - self.dates[0]).days) for d in self.dates]


def _period(start: date | None, end: date | None) -> None:
    """The ``--start``/``--end`` options: in the accepted range and in order."""
    if start is not None:
        check_date(start, "--start")
    if end is not None:
        check_date(end, "--end")
    if start is not None and end is not None and end < start:
        raise ObservedDataError(f"--end: {end} is before --start {start}")


def read_tallies(
    path: Path,
    count_column: str,
    time_column: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Tallies:
    """Rows with a date and a running total; rows with an empty total are skipped.

    Every dated total is checked, in the period or not: dates in order, one total a day, a
    total that never falls (see the module's bounds)."""
    _period(start, end)
    header, rows = read_rows(path)
    time_col = _column(path, header, time_column, ("date",))
    count_col = _column(path, header, count_column, ())
    name_t, name_c = printable(time_col), printable(count_col)
    dates: list[date] = []
    counts: list[int] = []
    previous: tuple[int, date, int] | None = None  # (line, date, total) of the last total
    for line, row in rows:
        raw = row.get(count_col, "")
        if not raw:
            continue
        day = parse_day(path, line, time_col, row.get(time_col, ""))
        count = parse_count(path, line, count_col, raw)
        if previous is not None:
            before_line, before_day, before_count = previous
            if day < before_day:
                raise ObservedDataError(
                    f"{path}:{line}: {name_t}: {day} is before {before_day} (line "
                    f"{before_line}); dates must be in order"
                )
            if day == before_day:
                raise ObservedDataError(
                    f"{path}:{line}: {name_t}: a second total on {day} (the first on line "
                    f"{before_line}); keep one reading a day"
                )
            if count < before_count:
                raise ObservedDataError(
                    f"{path}:{line}: {name_c}: the running total falls from {before_count} "
                    f"(line {before_line}) to {count}; tallies must not decrease"
                )
        previous = (line, day, count)
        if (start is not None and day < start) or (end is not None and day > end):
            continue
        dates.append(day)
        counts.append(count)
    if len(dates) < 2:
        raise ObservedDataError(
            f"{path}: {name_c}: fewer than two dated totals in the period; a tally needs a "
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
    """One row per event, in time order; the time column holds ISO dates, ISO timestamps
    (all with a time zone, then read in UTC, or all without) or numbers (days).

    Numbers are days from ``start`` (or from 0 when no start is given), finite, from 0 to
    :data:`MAX_DAYS`.
    """
    _period(start, end)
    header, rows = read_rows(path)
    col = _column(path, header, time_column, ("date", "time"))
    name = printable(col)
    values = [(line, row.get(col, "")) for line, row in rows]
    if not values:
        raise ObservedDataError(f"{path}: no events")
    numeric = all(_is_number(v) for _, v in values)
    daily = False
    if numeric:
        times: list[float] = []
        for line, value in values:
            t = float(value)
            if not math.isfinite(t) or not 0.0 <= t <= MAX_DAYS:
                raise ObservedDataError(
                    f"{path}:{line}: {name}: {_short(value)} is not a time in days from 0 to "
                    f"{MAX_DAYS:,.0f}"
                )
            if times and t < times[-1]:
                raise ObservedDataError(
                    f"{path}:{line}: {name}: {_short(value)} is before the row above; events "
                    "must be in time order"
                )
            times.append(t)
        origin = start or date(1970, 1, 1)
        last = end
        if last is None:
            last = date.fromordinal(origin.toordinal() + int(times[-1]))
            check_date(last, f"{path}: {name}: the last event's date")
        horizon_end = float((last - origin).days + 1)
        kept = [t for t in times if t < horizon_end]
        return EventLog(kept, origin, last, False, running_total_columns(header, rows, col))
    stamps: list[datetime] = []
    zoned: tuple[int, bool] | None = None  # (line, has a zone) of the first timestamp
    for line, value in values:
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            raise ObservedDataError(
                f"{path}:{line}: {name}: {_short(value)} is not an ISO date or time"
            ) from None
        check_date(stamp.date(), f"{path}:{line}: {name}")
        has_zone = stamp.tzinfo is not None
        if zoned is None:
            zoned = (line, has_zone)
        elif has_zone != zoned[1]:
            kinds = ("without", "with") if has_zone else ("with", "without")
            raise ObservedDataError(
                f"{path}:{line}: {name}: {_short(value)} has {kinds[1]} a time zone, line "
                f"{zoned[0]} {kinds[0]} one; give every time the same way"
            )
        if has_zone:
            stamp = stamp.astimezone(UTC).replace(tzinfo=None)
        if stamps and stamp < stamps[-1]:
            raise ObservedDataError(
                f"{path}:{line}: {name}: {_short(value)} is before the row above; events must "
                "be in time order"
            )
        daily = daily or len(value) <= 10
        stamps.append(stamp)
    first = start or stamps[0].date()
    last = end or stamps[-1].date()
    origin = datetime.combine(first, datetime.min.time())
    times = [(s - origin).total_seconds() / 86400.0 for s in stamps if first <= s.date() <= last]
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
        if not all(v.isascii() and v.isdigit() and len(v) <= 12 for v in values):
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
