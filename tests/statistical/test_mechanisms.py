"""Mechanism behaviour an analyst expects, each a one-sided paired test.

Options of one replication share their random streams (common random numbers), so each test
compares paired outcomes: the z statistic of the mean paired difference must exceed 3.09
(one-sided false-failure rate 0.1%). The effects are large against their standard errors
(z well above 6 with these seeds and sizes), so the tests have power near 1.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import outcome, paired_z, replicate, scenario

pytestmark = pytest.mark.statistical

Z_ONE_SIDED = 3.09
NO_RENEGOTIATION = ("drawdown.extension.hazard_per_day=0", "drawdown.reversal.hazard_per_day=0")
"""Plans kept as planned: the mechanisms compared here are not the negotiation's (its own
tests are in test_slip.py), whose hazards differ between options that keep people and those
that do not."""

FROZEN = (
    "militia.posture=campaign",
    "militia.switching=false",
    "retaliation.enabled=false",
    "politics.enabled=false",
    *NO_RENEGOTIATION,
)


def test_more_residual_personnel_gives_more_attacks():
    hub = replicate(scenario("kurdistan_hub", *FROZEN), 400, seed=21)
    exit_ = replicate(scenario("full_exit", *FROZEN), 400, seed=21)
    assert paired_z(outcome(hub, "attacks"), outcome(exit_, "attacks")) > Z_ONE_SIDED
    assert outcome(hub, "residual_personnel").mean() > outcome(exit_, "residual_personnel").mean()


def test_higher_escalation_multiplier_gives_more_attacks():
    low = replicate(scenario("baseline", *FROZEN), 300, seed=22)
    high = replicate(
        scenario(
            "baseline",
            *FROZEN,
            # The campaign rate is anchored at its reference level (crisis): raising the
            # multiplier there would only rescale mu. Raise it at the other levels.
            "escalation.attack_multiplier.tense=2.0",
            "escalation.attack_multiplier.war=3.0",
        ),
        300,
        seed=22,
    )
    assert paired_z(outcome(high, "attacks"), outcome(low, "attacks")) > Z_ONE_SIDED


def test_holding_at_escalation_delays_completion():
    # Holding already at 'tense' (the initial level) delays the plan; never holding does not.
    hold = replicate(
        scenario(
            "baseline",
            "drawdown.hold_at_escalation=1",
            "drawdown.max_slip_days=90",
            "politics.enabled=false",
            *NO_RENEGOTIATION,
        ),
        300,
        seed=23,
    )
    free = replicate(
        scenario(
            "baseline",
            "drawdown.hold_at_escalation=null",
            "drawdown.max_slip_days=90",
            "politics.enabled=false",
            *NO_RENEGOTIATION,
        ),
        300,
        seed=23,
    )
    assert paired_z(outcome(hold, "slip_days"), outcome(free, "slip_days")) > Z_ONE_SIDED
    assert np.all(outcome(free, "slip_days") == 0.0)  # no hold, no politics: on time
    assert outcome(hold, "slip_days").max() <= 90.0 + 1e-9  # capped at max_slip_days


def test_large_strike_makes_restraint_more_likely():
    deadly = (
        "militia.posture=campaign",
        "uncertainties={}",  # a single run: no sweep ranges to keep stable
        "militia.casualties.hit_probability=0.6",
        "militia.casualties.killed_fraction=0.5",
        "retaliation.p_casualty.killed=1",
        "militia.restraint_hazard_per_day=0",
        "politics.enabled=false",
    )
    ends = replicate(scenario("baseline", *deadly, "militia.restraint_on_strike=1"), 300, 24)
    never = replicate(scenario("baseline", *deadly, "militia.restraint_on_strike=0"), 300, 24)
    assert paired_z(outcome(never, "campaign_days"), outcome(ends, "campaign_days")) > Z_ONE_SIDED


def test_less_advisory_capacity_gives_more_isis_attacks():
    hub = replicate(scenario("kurdistan_hub", *NO_RENEGOTIATION), 400, seed=25)
    exit_ = replicate(scenario("full_exit", *NO_RENEGOTIATION), 400, seed=25)
    assert paired_z(outcome(exit_, "isis_attacks"), outcome(hub, "isis_attacks")) > Z_ONE_SIDED


def test_isis_rate_matches_its_formula_at_constant_capacity():
    # No drawdown and no option change: capacity stays at its initial value C.
    s = scenario("status_quo", "politics.enabled=false", "isis.full_support_personnel=3500")
    reps = replicate(s, 600, seed=26)
    weighted = sum(p.personnel * (1.0 if p.region == "federal" else 0.5) for p in s.sites)
    capacity = min(1.0, weighted / 3500)
    expected = s.isis.base_rate * (1 + s.isis.sensitivity * (1 - capacity)) * s.window.days
    counts = outcome(reps, "isis_attacks")
    assert abs(counts.mean() - expected) < 4 * np.sqrt(expected / counts.size)
