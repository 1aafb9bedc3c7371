"""Hostile and impossible observations for ``fit`` and ``backtest`` (issue 32, items 5, 7,
11 and 16): one line per problem naming file, line and column, exit 2, no traceback, nothing
written, in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drawdown_sim.calibration.observed import MAX_ROWS, MAX_TOTAL, printable
from drawdown_sim.cli import app
from tests.conftest import SCENARIOS

TALLY = "date,total\n2024-01-01,0\n2024-01-09,{}\n2024-01-20,30\n"


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _refused(result, *fragments: str) -> str:
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert len(output.strip().splitlines()) == 1, output
    for fragment in fragments:
        assert fragment in output, output
    return output


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("inf", "not a finite whole number"),
        ("nan", "not a finite whole number"),
        ("1e300", f"above the cap of {MAX_TOTAL:,}"),
        ("1e19", f"above the cap of {MAX_TOTAL:,}"),
        ("100000000", f"above the cap of {MAX_TOTAL:,}"),
        ("9" * 400, f"above the cap of {MAX_TOTAL:,}"),
        ("-5", "negative"),
        ("2.5", "not a whole number"),
    ],
    ids=["inf", "nan", "1e300", "1e19", "1e8", "huge-int", "negative", "fraction"],
)
def test_fit_refuses_impossible_totals_naming_line_and_column(tmp_path: Path, value, fragment):
    path = tmp_path / "t.csv"
    path.write_text(TALLY.format(value))
    output = _refused(_run("fit", str(path), "--count-column", "total"), fragment)
    assert f"{path}:3: total:" in output


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("date,total\n2024-01-01,0\n2024-01-09,12\n2024-01-05,30\n", "dates must be in order"),
        ("date,total\n2024-01-01,0\n2024-01-09,12\n2024-01-09,13\n", "one reading a day"),
        ("date,total\n2024-01-01,0\n2024-01-09,12\n2024-01-20,3\n", "falls from 12 (line 3)"),
        ("date,total\n2024-01-01,0\n9999-12-31,12\n", "outside the dates accepted"),
    ],
    ids=["out-of-order", "two-a-day", "falling", "year-9999"],
)
def test_fit_refuses_inconsistent_tallies(tmp_path: Path, text, fragment):
    path = tmp_path / "t.csv"
    path.write_text(text)
    _refused(_run("fit", str(path), "--count-column", "total"), fragment, str(path))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--start", "9999-12-31"], "--start: 9999-12-31 is outside the dates accepted"),
        (["--end", "0001-01-01"], "--end: 0001-01-01 is outside"),
        (["--start", "2024-02-01", "--end", "2024-01-01"], "is before --start"),
    ],
)
def test_fit_refuses_impossible_periods(tmp_path: Path, args, fragment):
    path = tmp_path / "e.csv"
    path.write_text("date\n" + "".join(f"2024-01-{d:02d}\n" for d in range(1, 29)))
    _refused(_run("fit", str(path), *args), fragment)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("time\n2024-01-01T10:00+00:00\n2024-01-02T10:00\n", "has without a time zone"),
        ("time\n1.0\n2.0\ninf\n", "not a time in days"),
        ("time\n1.0\n2.0\n1e300\n", "not a time in days"),
        ("time\n1.0\n-2.0\n", "not a time in days"),
        ("time\n3.0\n2.0\n", "time order"),
        ("date\n2024-01-03\n2024-01-02\n", "time order"),
    ],
    ids=["mixed-zones", "inf", "1e300", "negative", "numbers-unordered", "dates-unordered"],
)
def test_fit_refuses_bad_event_times(tmp_path: Path, text, fragment):
    path = tmp_path / "e.csv"
    path.write_text(text)
    _refused(_run("fit", str(path)), fragment, f"{path}:")


def test_zoned_timestamps_are_read_in_utc(tmp_path: Path):
    from drawdown_sim.calibration.observed import read_event_log

    path = tmp_path / "e.csv"
    path.write_text("time\n2024-01-01T23:00-02:00\n2024-01-02T06:00+00:00\n")
    log = read_event_log(path)
    assert log.start.isoformat() == "2024-01-02" and log.times == [pytest.approx(1 / 24), 0.25]


def test_an_escape_sequence_in_a_header_never_reaches_the_terminal(tmp_path: Path):
    path = tmp_path / "e.csv"
    osc52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
    path.write_text(f"date,{osc52}\n2024-01-01,1\n")
    output = _refused(_run("fit", str(path), "--time-column", "nope"), "no column 'nope'")
    assert "\x1b" not in output and "\x07" not in output
    assert "\\x1b]52;c;" in output


def test_a_long_header_and_a_long_value_are_cut(tmp_path: Path):
    path = tmp_path / "e.csv"
    path.write_text("date," + ",".join("c" * 5000 + str(k) for k in range(50)) + "\n1,2\n")
    output = _refused(_run("fit", str(path), "--time-column", "nope"), "and 31 more")
    assert len(output) < 1200
    path.write_text("date,total\n2024-01-01,0\n2024-01-02," + "x" * 100_000 + "\n")
    assert len(_refused(_run("fit", str(path), "--count-column", "total"))) < 300
    assert printable("a\u202eb" + "z" * 50, 10) == "a\\u202ebzzzzzzz..."


def test_a_million_row_event_log_is_refused_in_bounded_time(tmp_path: Path):
    path = tmp_path / "big.csv"
    path.write_text("time\n" + "\n".join(f"{k / 1000:.3f}" for k in range(1_000_000)) + "\n")
    began = time.perf_counter()
    _refused(_run("fit", str(path)), f"more than {MAX_ROWS:,} data rows")
    assert time.perf_counter() - began < 10


def test_a_log_past_the_fit_cap_is_refused_before_fitting(tmp_path: Path):
    path = tmp_path / "log.csv"
    path.write_text("time\n" + "\n".join(f"{k / 10:.1f}" for k in range(20_000)) + "\n")
    began = time.perf_counter()
    _refused(_run("fit", str(path)), "more than the fit's cap of 10,000")
    assert time.perf_counter() - began < 10


# --- backtest -------------------------------------------------------------------------------
BACKTEST_2023 = str(SCENARIOS / "backtest_2023.yaml")
BACKTEST_2024 = str(SCENARIOS / "backtest_2024.yaml")
HEADER = "date,cumulative_total,cumulative_iraq\n"


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ("2023-10-17,0,0\n2023-10-30,23,14\n2023-11-14,55,-30\n", "negative"),
        ("2023-10-17,0,0\n2023-10-30,23,14\n2023-11-14,55,3\n", "falls from 14"),
        ("2023-10-17,0,0\n2023-10-30,23,14\n2023-10-20,55,27\n", "dates must be in order"),
        ("2023-10-17,0,0\n2023-10-30,23,14\n2023-10-30,25,15\n", "one reading a day"),
        ("2023-10-17,0,0\n2023-10-30,inf,14\n", "not a finite whole number"),
        ("2023-10-17,0,0\n2023-10-30,1e19,14\n", "above the cap"),
    ],
    ids=["negative", "falling", "out-of-order", "two-a-day", "inf", "overflow"],
)
def test_backtest_refuses_impossible_tallies_and_writes_nothing(tmp_path: Path, rows, fragment):
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + rows)
    out = tmp_path / "out"
    result = _run("backtest", BACKTEST_2023, str(path), "--reps", "10", "--out", str(out))
    _refused(result, fragment, f"{path}:")
    assert not out.exists()


def test_backtest_refuses_an_event_log_out_of_order(tmp_path: Path):
    path = tmp_path / "events.csv"
    path.write_text("date,kind,location\n2024-04-21,attack,Iraq\n2024-03-01,attack,Iraq\n")
    _refused(
        _run("backtest", BACKTEST_2024, str(path), "--reps", "10", "--out", str(tmp_path / "o")),
        "events must be in date order",
        f"{path}:3: date:",
    )
    assert not (tmp_path / "o").exists()
