"""Plans that slip as plans do: negotiated extensions, reversals and closure blocks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from drawdown_sim.model.simulate import simulate
from tests.helpers import outcome, replicate, scenario

pytestmark = pytest.mark.statistical

QUIET = (
    "escalation.enabled=false",
    "shocks.enabled=false",
    "politics.enabled=false",
    "retaliation.enabled=false",
    "drawdown.hold_at_escalation=null",
)
"""No escalation, no holds, no political pressure: only the negotiation can move the plan."""


def test_an_extension_moves_completion_past_the_planned_end_without_any_escalation():
    s = scenario(
        "baseline",
        *QUIET,
        "drawdown.extension.hazard_per_day=1.0",
        "drawdown.reversal.hazard_per_day=0",
        "drawdown.max_slip_days=36525",
    )
    for r in replicate(s, 20, seed=3):
        assert r.outcomes["max_escalation"] == 0
        assert r.outcomes["plan_extended"]
        # Past the planned end: completed later, or still unfinished at the horizon (a delay
        # longer than the year after the plan; censored).
        if r.outcomes["completion_censored"]:
            continue
        assert r.outcomes["slip_days"] > 1.0
        assert r.outcomes["completion_day"] > s.planned_end_day
    # Cut the mechanism: the same plan completes on its planned end.
    cut = scenario(
        "baseline",
        *QUIET,
        "drawdown.extension.hazard_per_day=0",
        "drawdown.reversal.hazard_per_day=0",
    )
    for r in replicate(cut, 5, seed=3):
        assert r.outcomes["slip_days"] == pytest.approx(0.0, abs=1e-6)
        assert not r.outcomes["plan_extended"]


def test_the_extension_delay_follows_its_gamma_distribution():
    # One phase, one certain extension, no bound: the slip is the drawn delay, which must be
    # gamma with the stated mean and shape. Kolmogorov-Smirnov at a 0.1% level: with the
    # fixed seed this is deterministic; a correct sampler fails it one seed in a thousand.
    s = scenario(
        "baseline",
        *QUIET,
        "drawdown.extension.hazard_per_day=1.0",
        "drawdown.reversal.hazard_per_day=0",
        "drawdown.max_slip_days=36525",
        "drawdown.extension.delay_mean_days=60",
        "drawdown.extension.delay_shape=3",
    )
    slips = outcome(replicate(s, 300, seed=11), "slip_days")
    result = stats.kstest(slips, stats.gamma(3.0, scale=20.0).cdf)
    assert result.pvalue > 0.001, result


def test_max_slip_days_bounds_the_extension():
    s = scenario(
        "baseline",
        *QUIET,
        "drawdown.extension.hazard_per_day=1.0",
        "drawdown.reversal.hazard_per_day=0",
        "drawdown.max_slip_days=30",
        "drawdown.extension.delay_mean_days=120",
    )
    slips = outcome(replicate(s, 50, seed=2), "slip_days")
    assert slips.max() <= 30.0 + 1e-6
    assert (slips > 29.0).mean() > 0.9  # nearly every drawn delay exceeds the bound


def test_extension_probability_matches_the_hazard():
    # At calm and no pressure the hazard is constant, h x residual_factor (the baseline keeps
    # Erbil), from day 0 until the last movement leaves: P(extension) = 1 - exp(-h f T)
    # exactly. Tolerance: 3.3 standard errors of the binomial proportion (false failure
    # about 1 in 1,000).
    h, reps = 0.002, 600
    s = scenario(
        "baseline",
        *QUIET,
        f"drawdown.extension.hazard_per_day={h}",
        "drawdown.reversal.hazard_per_day=0",
    )
    last_departure = s.planned_end_day - s.drawdown.movement_days
    p = 1.0 - math.exp(-h * s.drawdown.extension.residual_factor * last_departure)
    extended = outcome(replicate(s, reps, seed=17), "plan_extended")
    se = math.sqrt(p * (1.0 - p) / reps)
    assert abs(extended.mean() - p) < 3.3 * se, (extended.mean(), p)


def test_the_residual_option_and_escalation_modulate_the_hazard():
    base = (
        *QUIET,
        "drawdown.extension.hazard_per_day=0.01",
        "drawdown.reversal.hazard_per_day=0",
    )
    # A residual factor of 0 removes extensions for a plan that keeps people...
    kept = scenario("baseline", *base, "drawdown.extension.residual_factor=0")
    assert outcome(replicate(kept, 40, seed=4), "plan_extended").sum() == 0
    # ...and not for one that keeps nobody.
    exit_ = scenario("full_exit", *base, "drawdown.extension.residual_factor=0")
    assert outcome(replicate(exit_, 40, seed=4), "plan_extended").mean() > 0.5
    # Escalation held at war with a factor of 0 there removes them too.
    war = scenario(
        "baseline",
        "shocks.enabled=false",
        "politics.enabled=false",
        "escalation.initial=3",
        "escalation.dwell_days.war=36525",
        "drawdown.hold_at_escalation=null",
        "drawdown.extension.hazard_per_day=0.01",
        "drawdown.reversal.hazard_per_day=0",
        "drawdown.extension.escalation_factor={calm: 1, tense: 1, crisis: 1, war: 0}",
    )
    assert outcome(replicate(war, 40, seed=4), "plan_extended").sum() == 0


def test_a_reversal_keeps_a_residual_presence():
    s = scenario(
        "full_exit",
        *QUIET,
        "drawdown.extension.hazard_per_day=0",
        "drawdown.reversal.hazard_per_day=0.01",
    )
    reps = replicate(s, 40, seed=9)
    reversed_ = outcome(reps, "plan_reversed").astype(bool)
    residual = outcome(reps, "residual_personnel")
    assert 0 < reversed_.sum() < reversed_.size
    assert (residual[reversed_] > 0).all()
    assert (residual[~reversed_] == 0).all()
    # A reversed plan never completes: the last movement on the road is not the drawdown done.
    completion = outcome(reps, "completion_day")
    assert np.isnan(completion[reversed_]).all()
    assert np.isnan(outcome(reps, "slip_days")[reversed_]).all()
    assert not outcome(reps, "drawdown_complete")[reversed_].astype(bool).any()
    assert not np.isnan(completion[~reversed_]).any()
    # Cut it: nobody stays.
    cut = scenario(
        "full_exit",
        *QUIET,
        "drawdown.reversal.hazard_per_day=0",
        "drawdown.extension.hazard_per_day=0",
    )
    assert outcome(replicate(cut, 10, seed=9), "residual_personnel").max() == 0


def test_a_closure_block_moves_the_base_in_one_movement_near_the_phase_end():
    overrides = (
        *QUIET,
        "drawdown.extension.hazard_per_day=0",
        "drawdown.reversal.hazard_per_day=0",
    )
    s = scenario("baseline", *overrides, "sites.0.closure={lead_days: 10}")
    r = simulate(s, replication=0)
    out = [m for m in r.log.movements if m.site == "Ain al-Asad"]
    assert len(out) == 1
    (block,) = out
    assert block.personnel == s.sites[0].personnel
    end = s.window.offset(s.drawdown.phases[0].end)
    assert block.end == pytest.approx(end - 10.0)
    # Baghdad (reduced, not closed) is still spread over the phase.
    assert len([m for m in r.log.movements if m.site == "Baghdad"]) > 1
    # Cut the block: the base leaves in movements spread over the phase.
    spread = simulate(scenario("baseline", *overrides, "sites.0.closure=null"), replication=0)
    starts = [m.start for m in spread.log.movements if m.site == "Ain al-Asad"]
    assert len(starts) == 7 and np.ptp(starts) > 100


def test_each_phase_is_extended_at_most_once():
    # An extension hazard of one a day extends each of full_exit's two phases as soon as
    # its movements are pending, and never one phase twice.
    s = scenario(
        "full_exit",
        *QUIET,
        "drawdown.extension.hazard_per_day=1",
        "drawdown.reversal.hazard_per_day=0",
        "drawdown.max_slip_days=365",
    )
    for r in range(5):
        changes = simulate(s, seed=3, replication=r).log.changes
        extended = [c.cause for c in changes if c.kind == "extended"]
        assert extended == ["phase 0 renegotiated", "phase 1 renegotiated"]


def test_a_residual_factor_above_one_raises_the_hazard_as_much():
    # The thinning bound must include the residual factor when it exceeds 1, or the
    # extension rate would stop at the bound: P(extension) = 1 - exp(-h f T) with f = 3.
    h, f, reps = 0.002, 3.0, 300
    s = scenario(
        "baseline",
        *QUIET,
        f"drawdown.extension.hazard_per_day={h}",
        f"drawdown.extension.residual_factor={f}",
        "drawdown.reversal.hazard_per_day=0",
    )
    last_departure = s.planned_end_day - s.drawdown.movement_days
    p = 1.0 - math.exp(-h * f * last_departure)
    extended = outcome(replicate(s, reps, seed=19), "plan_extended")
    se = math.sqrt(p * (1.0 - p) / reps)
    assert abs(extended.mean() - p) < 3.3 * se, (extended.mean(), p)
