"""Backtests on the pre-window record, and the posture regime that must reproduce it.

The 2023-24 campaign (attack process) and the 2024 restraint (posture regime) are run at
modest replication counts; a default change that breaks either fails here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from drawdown_sim.calibration.backtest import backtest, read_observations
from drawdown_sim.cli import app
from tests.conftest import ROOT, SCENARIOS
from tests.helpers import outcome, replicate, scenario

pytestmark = pytest.mark.statistical

REFERENCE = ROOT / "src" / "drawdown_sim" / "reference"
TALLIES = REFERENCE / "us_attacks_2023_2024.csv"
EVENTS = REFERENCE / "events_2023_2025.csv"


def test_observed_iraq_counts_from_the_tallies():
    s = scenario("backtest_2023")
    observed = read_observations(TALLIES, s)
    by_date = {o.day.isoformat(): (o.count, o.source) for o in observed}
    assert by_date["2023-10-30"] == (14, "published")
    assert by_date["2023-12-21"] == (47, "published")
    # After the last published split: 47 plus 47/102 of the total's increase since then.
    assert by_date["2024-02-04"] == (round(47 + 47 / 102 * (170 - 102)), "estimated")
    assert [o.count for o in observed] == sorted(o.count for o in observed)


def test_observed_iraq_attacks_from_the_event_log():
    s = scenario("backtest_2024")
    observed = read_observations(EVENTS, s)
    assert [o.day.isoformat() for o in observed[:-1]] == [
        "2024-04-21",
        "2024-07-16",
        "2024-07-25",
        "2024-08-05",
    ]
    assert observed[-1].count == 4 and observed[-1].day.isoformat() == "2024-08-31"


def test_backtest_2023_covers_the_published_dates():
    s = scenario("backtest_2023")
    result = backtest(s, read_observations(TALLIES, s), reps=400, seed=1)
    assert result.coverage90 >= 0.8, result.table
    assert result.p_no_campaign == 0.0  # campaign from the start, by the record


def test_backtest_2024_restraint_and_its_few_attacks_are_central():
    s = scenario("backtest_2024")
    result = backtest(s, read_observations(EVENTS, s), reps=600, seed=2)
    final = result.final()
    # The observed 4 attacks lie in the central 80% of the predictive law: its PIT interval
    # [F(y-1), F(y)] meets [0.1, 0.9].
    assert final["pit_low"] <= 0.9 and final["pit_high"] >= 0.1, final
    # So does the observed absence of a campaign: P(no campaign day) is at least 10%, and
    # with the propensity regime far more (the old coin per shock gave restraint far less).
    assert result.p_no_campaign >= 0.5


def test_a_major_shock_without_a_timetable_starts_a_campaign(tmp_path: Path):
    # October 2023: Hamas's attack on Israel (severity 3), no timetable and no talks; the
    # campaign began ten days later. The same regime that keeps 2024 quiet must make an
    # onset within a month likely here.
    path = tmp_path / "onset_2023.yaml"
    path.write_text(
        f"""extends: {SCENARIOS / "baseline.yaml"}
name: onset_2023
window: {{start: 2023-10-07, end: 2023-11-06}}
follow_on: null
drawdown: {{enabled: false, phases: []}}
militia: {{posture: restraint}}
escalation: {{initial: 1}}
shocks:
  random: {{rate_per_year: 0}}
  scheduled: [{{date: 2023-10-07, name: Hamas attacks Israel, severity: 3}}]
politics: {{enabled: false}}
isis: {{enabled: false}}
"""
    )
    from drawdown_sim.scenario import load_scenario

    reps = replicate(load_scenario(path), 600, seed=3)
    onset = np.mean(outcome(reps, "campaign_days") > 0)
    assert onset >= 0.6, onset


def test_timetable_state_changes_the_propensity():
    # The same world with and without withdrawal talks: talks lower the campaign hazard.
    talks = replicate(scenario("backtest_2024"), 300, seed=4)
    none = replicate(scenario("backtest_2024", "drawdown.talks=false"), 300, seed=4)
    p_talks = np.mean(outcome(talks, "campaign_days") > 0)
    p_none = np.mean(outcome(none, "campaign_days") > 0)
    se = np.sqrt((p_talks * (1 - p_talks) + p_none * (1 - p_none)) / 300)
    assert p_none - p_talks > 3.09 * se, (p_none, p_talks)


def test_backtest_command_writes_table_and_plot(tmp_path: Path):
    out = tmp_path / "bt"
    result = CliRunner().invoke(
        app,
        [
            "backtest",
            str(SCENARIOS / "backtest_2024.yaml"),
            str(EVENTS),
            "--reps",
            "50",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "backtest.csv").exists() and (out / "backtest.png").stat().st_size > 10_000
    assert "P(no campaign day)" in result.output


def test_backtest_command_refuses_a_csv_it_cannot_read(tmp_path: Path):
    bad = tmp_path / "x.csv"
    bad.write_text("when,what\n2024-01-01,1\n")
    result = CliRunner().invoke(app, ["backtest", str(SCENARIOS / "backtest_2024.yaml"), str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
