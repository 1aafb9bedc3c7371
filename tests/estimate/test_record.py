"""The pre-window record and its loader: the shipped record loads; bad records list every
problem on its own line and exit 2."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from drawdown_sim.calibration.record import CUTOFF, load_record, shipped_record
from drawdown_sim.scenario import ScenarioError


def test_shipped_record_covers_the_episodes() -> None:
    record = load_record(shipped_record())
    names = [e.name for e in record.episodes]
    assert names == [
        "late_2019",
        "campaign_2020",
        "truce_2021",
        "agreement_2021",
        "lull_2022",
        "onset_2023",
        "restraint_2024",
    ]
    by = {e.name: e for e in record.episodes}
    assert by["agreement_2021"].timetable == "honoured"
    assert by["lull_2022"].timetable == "complete"
    assert by["restraint_2024"].timetable == "negotiating"
    # The events the issue names are there, each inside its episode.
    assert date(2019, 12, 27) in by["late_2019"].attacks  # K-1
    assert any(d == date(2019, 12, 29) for d, *_ in by["campaign_2020"].strikes)
    assert any(d == date(2020, 1, 3) and s == 3 for d, s, _ in by["campaign_2020"].shocks)
    assert date(2020, 3, 11) in by["campaign_2020"].attacks  # Camp Taji
    assert date(2021, 4, 14) in by["truce_2021"].attacks  # Erbil drone
    # The 2023-24 tallies are the Iraq running totals: 78 attacks to 2024-02-04.
    assert sum(by["onset_2023"].observed) == 78
    assert sum(by["restraint_2024"].observed) == 4
    for episode in record.episodes:
        assert episode.end < CUTOFF
        for count in episode.counts:
            assert episode.start <= count.start <= count.end <= episode.end


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "record"
    shutil.copytree(shipped_record(), folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_bad_record_lists_every_problem(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    # an unknown column
    _edit(folder / "shocks.csv", "date,severity,", "date,severity_level,")
    # overlapping episodes
    _edit(folder / "episodes.csv", "truce_2021,2020-10-11", "truce_2021,2020-10-01")
    # dates out of order
    _edit(
        folder / "strikes.csv",
        "2020-03-12,Jurf",
        "2019-12-01,Jurf",
    )
    # a date on the cut-off
    _edit(folder / "attacks.csv", "2024-08-05,", "2024-09-05,")
    with pytest.raises(ScenarioError) as caught:
        load_record(folder)
    lines = str(caught.value).splitlines()
    assert any("shocks.csv:1: severity_level: unknown column" in line for line in lines)
    assert any("episodes.csv:4: start:" in line and "overlaps" in line for line in lines)
    assert any("strikes.csv:4: date:" in line and "before the previous" in line for line in lines)
    assert any("attacks.csv:36: date:" in line and "cut-off" in line for line in lines)
    assert len(lines) == len(caught.value.problems)


def test_timetable_change_inside_an_episode_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "timetable.csv", "2021-12-09,complete", "2022-06-01,complete")
    with pytest.raises(ScenarioError, match=r"timetable.csv:6: date: .*inside episode"):
        load_record(folder)


def test_bad_record_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from drawdown_sim.cli import app

    folder = _copy(tmp_path)
    _edit(folder / "attack_counts.csv", "2024-02-05,2024-08-31", "2024-02-05,2024-09-30")
    _edit(folder / "postures.csv", "date,posture,", "date,posture,extra,")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["estimate", "--record", str(folder), "--out", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert "cut-off" in lines[0] or "cut-off" in lines[1]
    assert not out.exists()


BAD_RECORDS = {
    "unknown column": ("postures.csv", "date,posture,", "date,posture,extra,", "unknown column"),
    "overlapping episodes": (
        "episodes.csv",
        "truce_2021,2020-10-11",
        "truce_2021,2020-10-01",
        "overlaps",
    ),
    "dates out of order": ("strikes.csv", "2020-03-12,Jurf", "2019-12-01,Jurf", "before the"),
    "a date on the cut-off": ("attacks.csv", "2024-08-05,", "2024-09-01,", "cut-off"),
}


@pytest.mark.parametrize("command", ["estimate", "backtest"])
@pytest.mark.parametrize("problem", sorted(BAD_RECORDS))
def test_each_bad_record_exits_2_naming_file_line_and_field(
    tmp_path: Path, command: str, problem: str
) -> None:
    """``estimate --record`` and ``backtest --score --record``: exit 2, one line per problem
    (each naming the file, line and field), no traceback, nothing written."""
    from typer.testing import CliRunner

    from drawdown_sim.cli import app

    name, old, new, message = BAD_RECORDS[problem]
    folder = _copy(tmp_path)
    _edit(folder / name, old, new)
    with pytest.raises(ScenarioError) as caught:
        load_record(folder)
    problems = caught.value.problems
    out = tmp_path / "out"
    args = {
        "estimate": ["estimate", "--record", str(folder), "--out", str(out)],
        "backtest": ["backtest", "--score", "--record", str(folder), "--json"],
    }[command]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(problems), lines
    flagged = [line for line in lines if f"{name}:" in line and message in line]
    assert len(flagged) == 1, lines
    assert all(str(folder) in line and ":" in line for line in lines)
    assert not out.exists()
