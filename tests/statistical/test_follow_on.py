"""The follow-on year: what each option keeps shows after the drawdown window.

Paired one-sided tests (z > 3.09, false-failure rate 0.1%) on common random numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import outcome, paired_z, replicate, scenario

pytestmark = pytest.mark.statistical

Z_ONE_SIDED = 3.09


@pytest.fixture(scope="module")
def options():
    return {
        name: replicate(
            scenario(
                name, "drawdown.extension.hazard_per_day=0", "drawdown.reversal.hazard_per_day=0"
            ),
            400,
            seed=41,
        )
        for name in ("full_exit", "advisory_500", "kurdistan_hub")
    }


def test_more_residual_personnel_gives_more_attacks_in_the_follow_on(options):
    # advisory_500 and full_exit share the plan's end (2025-09-25); one keeps 500 people.
    kept = outcome(options["advisory_500"], "attacks_follow_on")
    none = outcome(options["full_exit"], "attacks_follow_on")
    finished = outcome(options["full_exit"], "drawdown_complete") == 1
    assert np.all(none[finished] == 0)  # nobody left to attack once full_exit is done
    assert paired_z(kept, none) > Z_ONE_SIDED


def test_less_capacity_gives_more_isis_attacks_in_the_follow_on(options):
    exit_ = outcome(options["full_exit"], "isis_attacks_follow_on")
    small = outcome(options["advisory_500"], "isis_attacks_follow_on")
    hub = outcome(options["kurdistan_hub"], "isis_attacks_follow_on")
    assert paired_z(exit_, small) > Z_ONE_SIDED
    # kurdistan_hub keeps three times advisory_500's people: fewer ISIS attacks, not more.
    assert paired_z(small, hub) > Z_ONE_SIDED


def test_window_columns_keep_their_meaning(options):
    for reps in options.values():
        for r in reps[:50]:
            o = r.outcomes
            window = r.horizon - 365.0
            assert o["attacks"] == sum(a.time < window for a in r.log.attacks)
            assert o["attacks_follow_on"] == sum(a.time >= window for a in r.log.attacks)
            assert o["isis_attacks"] + o["isis_attacks_follow_on"] == len(r.log.isis_attacks)


def test_a_plan_can_slip_past_the_window_end_up_to_its_cap():
    # Regional war throughout (no step-down) holds every movement until the 90-day cap: the
    # plan ends 2025-09-15, so it completes in the follow-on with a slip of 90 days. It used
    # to be capped at the window end (16 days).
    s = scenario(
        "baseline",
        "escalation.initial=3",
        "escalation.dwell_days.war=36500",
        "drawdown.max_slip_days=90",
        "drawdown.extension.hazard_per_day=0",
        "drawdown.reversal.hazard_per_day=0",
        "shocks.enabled=false",
        "retaliation.enabled=false",
        "politics.enabled=false",
    )
    (r,) = replicate(s, 1, seed=5)
    o = r.outcomes
    assert o["slip_days"] == pytest.approx(90.0)
    assert not o["drawdown_complete"] and not o["completion_censored"]
    assert o["completion_day"] > s.window_days


def test_an_unfinished_plan_is_censored_not_capped():
    s = scenario(
        "baseline",
        "escalation.initial=3",
        "escalation.dwell_days.war=36500",
        "drawdown.max_slip_days=2000",
        "shocks.enabled=false",
        "retaliation.enabled=false",
        "politics.enabled=false",
    )
    (r,) = replicate(s, 1, seed=5)
    o = r.outcomes
    assert o["completion_censored"] is True
    assert o["completion_day"] is None and o["slip_days"] is None
    assert o["completed_on_time"] is False and o["drawdown_complete"] is False
