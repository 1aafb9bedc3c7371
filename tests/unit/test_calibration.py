"""The shipped defaults reproduce the reference figures they were calibrated to."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from drawdown_sim.calibration.checks import campaign_kernel_fit, campaign_rate_in_iraq, checks
from drawdown_sim.cli import app
from drawdown_sim.common.hawkes import expected_count
from tests.helpers import scenario


def test_campaign_rate_is_read_from_the_reference():
    rate, source = campaign_rate_in_iraq()
    assert rate == pytest.approx(170 * 47 / 102 / 110)
    assert "2023-12-21" in source


@pytest.fixture(scope="module")
def fit():
    return campaign_kernel_fit()


def test_baseline_defaults_match_the_reference(fit):
    by_name = {c.name.split(" (")[0]: c for c in checks(scenario("baseline"), 100_000, fit=fit)}
    campaign = by_name["campaign attacks/day in Iraq"]
    assert campaign.model == pytest.approx(campaign.reference, rel=0.01)
    # The two posture rates are targets the model is built to meet, with their intervals;
    # a target is not counted as a check passed.
    for name in ("campaign attacks/day in Iraq", "restraint attacks/day in Iraq"):
        target = by_name[name]
        assert target.target and target.inside is None
        assert target.low < target.reference < target.high
    # The campaign rate's interval: log-scale delta method over the over-dispersed count
    # (variance x 1/(1-n)^2, n the scenario's branching ratio) and the Iraq share (47 of 102).
    n = scenario("baseline").militia.branching_ratio
    sd = np.sqrt(1 / (170 * (1 - n) ** 2) + (1 - 47 / 102) / 47)
    rate = 170 * 47 / 102 / 110
    assert campaign.low == pytest.approx(rate * np.exp(-1.959964 * sd), rel=1e-6)
    assert campaign.high == pytest.approx(rate * np.exp(1.959964 * sd), rel=1e-6)
    # Every figure with a reference interval lies inside it: counts (exact Poisson intervals)
    # and the fitted kernel (its profile-likelihood interval).
    outside = [c.name for c in checks(scenario("baseline"), 100_000, fit=fit) if c.inside is False]
    assert outside == []
    assert by_name["casualties per attack"].model == pytest.approx(143 / 169, rel=0.1)


def test_kernel_defaults_are_consistent_with_the_fit(fit):
    # The tallies do not identify the kernel (the interval for n runs from 0): the default
    # and the whole swept range lie inside the fit's 95% interval.
    s = scenario("baseline")
    low, high = fit.branching_ratio.interval()
    assert low == 0.0
    swept_low, swept_high = s.uncertainties["militia.branching_ratio"].support
    assert low <= swept_low <= s.militia.branching_ratio <= swept_high <= high


@pytest.mark.parametrize(
    "overrides",
    [
        (),
        ("militia.branching_ratio=0.05",),
        ("militia.branching_ratio=0.7", "militia.trigger_days=5"),
    ],
)
def test_sweeping_the_kernel_keeps_the_calibrated_campaign_rate(overrides):
    # The campaign regime is parameterised by its observed rate; mu is derived with the
    # transient mean from an empty history, so any kernel reproduces 0.71 attacks/day over the
    # 110-day reference period at crisis level.
    s = scenario("baseline", *overrides)
    m = s.militia
    mu = s.background_rate("campaign") * s.escalation.attack_multiplier.crisis
    count = expected_count(mu, m.branching_ratio, 1 / m.trigger_days, 110.0)
    assert count / 110.0 == pytest.approx(m.campaign.attack_rate, rel=1e-9)


def test_calibrate_command_prints_the_table():
    result = CliRunner().invoke(app, ["calibrate", "--set", "militia.branching_ratio=0.3"])
    assert result.exit_code == 0, result.output
    assert "casualties per attack" in result.output and "reference" in result.output
    assert "target" in result.output
    document = CliRunner().invoke(app, ["calibrate", "--json"])
    assert document.exit_code == 0, document.output
    rows = {row["figure"].split(" (")[0]: row for row in json.loads(document.stdout)["checks"]}
    campaign = rows["campaign attacks/day in Iraq"]
    assert campaign["target"] is True and campaign["inside"] is None
    assert campaign["low"] < campaign["reference"] < campaign["high"]
    assert rows["casualties per attack"]["target"] is False
