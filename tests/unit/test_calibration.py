"""The shipped defaults reproduce the reference figures they were calibrated to."""

from __future__ import annotations

import pytest
from scipy import stats
from typer.testing import CliRunner

from drawdown_sim.calibration import campaign_rate_in_iraq, checks
from drawdown_sim.cli import app
from tests.helpers import scenario


def test_campaign_rate_is_read_from_the_reference():
    rate, source = campaign_rate_in_iraq()
    assert rate == pytest.approx(170 * 47 / 102 / 110)
    assert "2023-12-21" in source


def test_baseline_defaults_match_the_reference():
    by_name = {c.name: c for c in checks(scenario("baseline"), draws=100_000)}
    assert by_name["campaign attacks/day in Iraq (at crisis)"].model == pytest.approx(
        by_name["campaign attacks/day in Iraq (at crisis)"].reference, rel=0.05
    )
    assert by_name["restraint attacks/day in Iraq (at tense)"].model == pytest.approx(
        by_name["restraint attacks/day in Iraq (at tense)"].reference, rel=0.15
    )
    assert by_name["casualties per attack"].model == pytest.approx(1.094, rel=0.15)
    assert by_name["share of casualties killed"].model == pytest.approx(3 / 186, rel=0.1)
    # Two mass-casualty events in about 170 attacks: the model's share must lie in the exact
    # 95% Poisson interval of that rate.
    lo, hi = stats.chi2.ppf(0.025, 4) / 2 / 170, stats.chi2.ppf(0.975, 6) / 2 / 170
    assert lo < by_name["share of attacks with >= 5 casualties"].model < hi


def test_calibrate_command_prints_the_table():
    result = CliRunner().invoke(app, ["calibrate", "--set", "militia.branching_ratio=0.3"])
    assert result.exit_code == 0, result.output
    assert "casualties per attack" in result.output and "reference" in result.output
