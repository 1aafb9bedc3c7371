"""Each causal channel of the model (docs/model.md), tested so that cutting it fails a test.

Most tests drive one replication's components directly (a world built and started, then
run to a chosen day, with a strike, shock or attack handed to the component that receives
it) or run one replication with dated strikes and shocks, so their answers are exact. The
few statistical ones use fixed seeds and tolerances of four standard errors of an exact
formula. docs/mutation.md lists, for each test, the cut of the code it was seen to catch.

Every other mechanism is switched off unless a test needs it (``QUIET``), so a test sees
one channel at a time. The whole file runs in a few seconds: ``make mutation`` runs it
against every mutant of the model.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from scipy import stats

from drawdown_sim.analysis.comparison import BOOTSTRAP_BINS, _bootstrap_mean_interval
from drawdown_sim.model.damage import Damage
from drawdown_sim.model.isis import attack_times
from drawdown_sim.model.records import Attack, Strike
from drawdown_sim.model.simulate import Replication, build_world, simulate_seed
from drawdown_sim.model.streams import replication_seeds
from drawdown_sim.model.world import World
from drawdown_sim.scenario import Scenario
from tests.helpers import scenario

pytestmark = pytest.mark.statistical

QUIET = (
    "militia.enabled=false",
    "shocks.enabled=false",
    "escalation.enabled=false",
    "retaliation.enabled=false",
    "politics.enabled=false",
    "isis.enabled=false",
    "drawdown.extension.hazard_per_day=0",
    "drawdown.reversal.hazard_per_day=0",
    "uncertainties={}",
)
"""Every mechanism off but the force posture (negotiated extensions and reversals too): a
test switches on the ones it needs."""

FOUR_SE = 4.0
"""Tolerance of the statistical checks, in standard errors (two-sided false failure about
6e-5 for each)."""

LONG = 36_500.0
"""A dwell (days) that never ends within the horizon."""


@cache
def quiet(name: str, *overrides: str) -> Scenario:
    """The shipped scenario ``name`` with every mechanism off, then ``overrides``."""
    return scenario(name, *QUIET, *overrides)


def world(s: Scenario, replication: int = 0, seed: int = 1) -> World:
    """Replication ``replication`` of ``s``, elaborated and started, at day 0."""
    (sequence,) = replication_seeds(seed, replication, 1)
    return build_world(s, sequence)


def run(s: Scenario, replication: int = 0, seed: int = 1) -> Replication:
    (sequence,) = replication_seeds(seed, replication, 1)
    return simulate_seed(s, sequence, replication)


def strike(size: str = "small", killed: int = 0, at: float = 0.0) -> Strike:
    return Strike(0, at, size, "test", -1, killed)


def attack(at: float = 0.0, killed: int = 0, wounded: int = 0, id_: int = 0) -> Attack:
    return Attack(id_, at, "Baghdad", "rocket", False, killed, wounded, "background", -1)


def pressure_at(r: Replication, t: float) -> float:
    """P(t) from the replication's pressure segments (start, value, asymptote, decay)."""
    segment = [s for s in r.trajectories.pressure if s[0] <= t][-1]
    t0, value, asymptote, decay = segment
    return asymptote + (value - asymptote) * math.exp(-decay * (t - t0))


def level_at(r: Replication, t: float) -> int:
    return [level for time, level in r.trajectories.escalation if time <= t][-1]


# --- Iraqi political pressure -------------------------------------------------------------

POLITICS = ("politics.enabled=true", "politics.initial=0", "retaliation.enabled=true")


def dated_strike(day: str, size: str, killed: int) -> str:
    return (
        f"retaliation.scheduled=[{{date: {day}, name: test strike, size: {size}, "
        f"iraqi_killed: {killed}}}]"
    )


@pytest.mark.parametrize(("size", "killed", "jump"), [("small", 4, 8 + 0.5 * 4), ("large", 6, 28)])
def test_a_strike_raises_pressure_by_its_size_weight_plus_the_iraqis_it_kills(size, killed, jump):
    s = quiet(
        "baseline",
        *POLITICS,
        "politics.casualty_weight=0.5",
        dated_strike("2024-09-11", size, killed),
    )
    r = run(s)
    assert r.log.strikes == [Strike(0, 10.0, size, "scheduled", -1, killed)]
    assert pressure_at(r, 10.0) == pytest.approx(jump, rel=1e-12)
    assert r.outcomes["political_pressure_peak"] == pytest.approx(jump, rel=1e-12)
    # ... and decays with its half-life (45 days), towards 0 outside a crisis.
    assert pressure_at(r, 55.0) == pytest.approx(jump / 2, rel=1e-9)
    assert pressure_at(r, 9.0) == 0.0


def test_pressure_starts_from_its_initial_value_and_without_politics_stays_at_zero():
    on = run(quiet("baseline", "politics.enabled=true", "politics.initial=12"))
    assert pressure_at(on, 0.0) == 12.0 and pressure_at(on, 45.0) == pytest.approx(6.0)
    off = quiet("baseline", "retaliation.enabled=true", dated_strike("2024-09-11", "large", 90))
    r = run(off)
    assert r.outcomes["political_pressure_peak"] == 0.0 and not r.outcomes["option_cancelled"]


def _movement_starts(r: Replication) -> list[float]:
    return [m.start for m in r.log.movements]


@pytest.mark.parametrize("killed", [34, 35])
def test_pressure_reaching_accelerate_at_compresses_the_remaining_plan_once(killed):
    # A large strike on day 100 (2024-12-10) with 34 killed takes P to 59, with 35 to 60,
    # exactly the threshold: a crossing accelerates the movements still to come by 0.6.
    s = quiet("baseline", *POLITICS, dated_strike("2024-12-10", "large", killed))
    planned = _movement_starts(run(quiet("baseline")))
    r = run(s)
    starts = _movement_starts(r)
    if killed == 34:
        assert starts == planned and not r.outcomes["accelerated"]
        return
    assert r.outcomes["accelerated"] and not r.outcomes["option_cancelled"]
    (change,) = [c for c in r.log.changes if c.kind == "accelerated"]
    assert change.time == 100.0
    expected = [t if t <= 100.0 else 100.0 + (t - 100.0) * 0.6 for t in planned]
    assert starts == pytest.approx(expected, rel=1e-12)
    assert r.outcomes["completion_day"] < run(quiet("baseline")).outcomes["completion_day"]


@pytest.mark.parametrize("killed", [74, 75])
def test_pressure_reaching_expel_at_cancels_the_option_and_empties_federal_sites(killed):
    # 25 + 75 = 100 = expel_at on day 100: every federal site empties within 120 days.
    s = quiet("baseline", *POLITICS, dated_strike("2024-12-10", "large", killed))
    r = run(s)
    assert r.outcomes["accelerated"]  # 99 and 100 are both past accelerate_at
    if killed == 74:
        assert not r.outcomes["option_cancelled"]
        assert r.outcomes["residual_personnel"] == 150 + 1200 + 300
        return
    assert r.outcomes["option_cancelled"]
    assert r.outcomes["residual_personnel"] == 1200 + 300  # Kurdistan kept, federal gone
    federal = [m for m in r.log.movements if m.site in ("Ain al-Asad", "Baghdad")]
    assert sum(m.personnel for m in federal) == 1000
    assert max(m.end for m in federal) == pytest.approx(100.0 + 120.0)


def test_pressure_drifts_up_only_while_escalation_is_at_crisis_or_war():
    # Tense at first; a serious shock on day 10 makes a crisis, a de-escalation on day 100
    # ends it: P rises towards d / k during the crisis and decays after it.
    s = quiet(
        "baseline",
        "politics.enabled=true",
        "politics.initial=0",
        "escalation.enabled=true",
        "escalation.initial=1",
        f"escalation.dwell_days.tense={LONG}",
        f"escalation.dwell_days.crisis={LONG}",
        "shocks.enabled=true",
        "shocks.random.rate_per_year=0",
        "shocks.scheduled=[{date: 2024-09-11, name: up, severity: 2}, "
        "{date: 2024-12-10, name: down, severity: -1}]",
    )
    r = run(s)
    assert level_at(r, 50.0) == 2 and level_at(r, 150.0) == 1
    k = math.log(2.0) / 45.0
    a = 0.3 / k
    assert pressure_at(r, 10.0) == 0.0
    assert pressure_at(r, 50.0) == pytest.approx(a * (1 - math.exp(-k * 40)), rel=1e-9)
    at_100 = a * (1 - math.exp(-k * 90))
    assert pressure_at(r, 200.0) == pytest.approx(at_100 * math.exp(-k * 100), rel=1e-9)


def test_an_escalation_change_moves_the_political_drift_at_once():
    s = quiet(
        "baseline",
        "politics.enabled=true",
        "politics.initial=0",
        "escalation.enabled=true",
        f"escalation.dwell_days.crisis={LONG}",
        f"escalation.dwell_days.war={LONG}",
    )
    w = world(s)
    w.escalation.shift(+1, "test")  # tense -> crisis at day 0
    w.env.run(until=45.0)
    k = math.log(2.0) / 45.0
    assert w.politics.value(45.0) == pytest.approx(0.3 / k * 0.5, rel=1e-9)
    w.escalation.shift(-1, "test")  # back to tense: no drift, pure decay
    w.env.run(until=90.0)
    assert w.politics.value(90.0) == pytest.approx(0.3 / k * 0.25, rel=1e-9)


def test_a_crisis_drift_above_the_threshold_accelerates_at_the_exact_crossing():
    s = quiet(
        "baseline",
        "politics.enabled=true",
        "politics.initial=0",
        "politics.crisis_drift_per_day=2",
        "escalation.enabled=true",
        "escalation.initial=2",
        f"escalation.dwell_days.crisis={LONG}",
    )
    r = run(s)
    k = math.log(2.0) / 45.0
    a = 2 / k
    (change,) = [c for c in r.log.changes if c.kind == "accelerated"]
    assert change.time == pytest.approx(-math.log(1 - 60 / a) / k, rel=1e-9)
    (cancel,) = [c for c in r.log.changes if c.kind == "option_cancelled"]
    assert cancel.time == pytest.approx(-math.log(1 - 100 / a) / k, rel=1e-9)
    assert (cancel.value, cancel.cause) == ("federal exit", "pressure")


# --- Regional escalation ------------------------------------------------------------------

ESCALATION = (
    "escalation.enabled=true",
    *(f"escalation.dwell_days.{x}={LONG}" for x in ("tense", "crisis", "war")),
)


def test_shift_moves_the_level_by_its_signed_step_within_calm_and_war():
    w = world(quiet("baseline", *ESCALATION))
    e = w.escalation
    assert e.level == 1
    e.shift(+1, "up")
    assert e.level == 2 and e.multiplier == 1.5
    e.shift(-1, "down")
    assert e.level == 1
    e.shift(+5, "up")
    assert e.level == 3 and e.max_level == 3
    e.shift(-9, "down")
    assert e.level == 0 and e.multiplier == 1.0
    assert [c.value for c in w.log.changes] == ["crisis", "tense", "war", "calm"]


def test_with_escalation_off_nothing_moves_the_level():
    w = world(quiet("baseline"))
    w.escalation.shift(+1, "up")
    w.escalation.shock(3, "shock")
    assert w.escalation.level == 0 and w.escalation.multiplier == 1.0


@pytest.mark.parametrize("bump", [0.0, 1.0])
def test_a_strike_raises_escalation_by_one_with_probability_escalation_bump(bump):
    s = quiet(
        "baseline",
        *ESCALATION,
        "retaliation.enabled=true",
        f"retaliation.escalation_bump={bump}",
        dated_strike("2024-09-11", "small", 0),
    )
    r = run(s)
    assert level_at(r, 9.0) == 1
    assert level_at(r, 10.0) == (2 if bump else 1)
    causes = [c.cause for c in r.log.changes if c.kind == "escalation"]
    assert causes == (["US strike 0"] if bump else [])
    off = quiet("baseline", *ESCALATION, dated_strike("2024-09-11", "small", 0))
    assert not run(off).log.strikes  # retaliation off: not even dated strikes


def test_strikes_raise_escalation_in_the_share_escalation_bump():
    s = quiet(
        "baseline", *ESCALATION, "retaliation.enabled=true", "retaliation.escalation_bump=0.3"
    )
    bumped = 0
    for r in range(400):
        w = world(s, replication=r)
        w.retaliation._strike("small", "test", -1, 0)
        bumped += w.escalation.level == 2
    se = math.sqrt(0.3 * 0.7 / 400)
    assert abs(bumped / 400 - 0.3) < FOUR_SE * se


def test_the_level_steps_down_one_at_a_time_after_dwells_of_mean_dwell_days():
    s = quiet(
        "baseline",
        "escalation.enabled=true",
        "escalation.initial=3",
        "escalation.dwell_days.war=14",
        "escalation.dwell_days.crisis=30",
        "escalation.dwell_days.tense=60",
    )
    dwells = []
    for r in range(200):
        replication = run(s, replication=r)
        path = replication.trajectories.escalation
        assert [level for _, level in path] == [3, 2, 1, 0] and path[0] == (0.0, 3)
        changes = replication.log.changes
        assert {c.cause for c in changes if c.kind == "escalation"} == {"dwell ended"}
        times = [t for t, _ in path]
        dwells.append(np.diff(times))
    means = np.mean(dwells, axis=0)
    for mean, expected in zip(means, (14.0, 30.0, 60.0), strict=True):
        assert abs(mean - expected) < FOUR_SE * expected / math.sqrt(200), (means,)


def test_dated_shocks_set_the_level_by_their_severity_and_raise_the_campaign_hazard():
    s = quiet(
        "baseline",
        *ESCALATION,
        "militia.enabled=true",
        "militia.switching=true",
        "shocks.enabled=true",
        "shocks.random.rate_per_year=0",
        "shocks.scheduled=[{date: 2024-09-11, name: a, severity: 1}, "
        "{date: 2024-09-21, name: b, severity: 2}, {date: 2024-10-01, name: c, severity: -2}]",
    )
    w = world(s)
    w.env.run(until=10.5)
    assert w.escalation.level == 2  # a minor shock at tense: one step up
    assert w.militia._raised == pytest.approx(s.militia.shock_hazard.minor)
    w.env.run(until=20.5)
    assert w.escalation.level == 3
    assert w.militia._raised == pytest.approx(
        s.militia.shock_hazard.minor + s.militia.shock_hazard.serious
    )
    w.env.run(until=30.5)
    assert w.escalation.level == 1
    assert w.militia._raised == pytest.approx(
        s.militia.shock_hazard.minor + s.militia.shock_hazard.serious
    )  # a de-escalation raises nothing
    assert [tuple(x) for x in w.log.shocks] == [
        (10.0, "a", 1, True),
        (20.0, "b", 2, True),
        (30.0, "c", -2, True),
    ]
    assert [(c.time, c.value, c.cause) for c in w.log.changes] == [
        (10.0, "crisis", "shock: a"),
        (20.0, "war", "shock: b"),
        (30.0, "tense", "shock: c"),
    ]


def test_dated_shocks_of_one_day_apply_in_the_order_written():
    # From tense: a ceasefire then a serious shock ends in crisis; the other way round, tense.
    s = quiet(
        "baseline",
        *ESCALATION,
        "shocks.enabled=true",
        "shocks.random.rate_per_year=0",
        "shocks.scheduled=[{date: 2024-09-11, name: z, severity: -1}, "
        "{date: 2024-09-11, name: a, severity: 2}]",
    )
    r = run(s)
    assert [x.name for x in r.log.shocks] == ["z", "a"]
    assert level_at(r, 10.0) == 2


@pytest.mark.parametrize(
    ("level", "severity", "after"),
    [(0, 1, 1), (1, 1, 2), (2, 1, 2), (1, 2, 2), (2, 2, 3), (3, 3, 3), (0, 3, 3)]
    + [(2, -1, 1), (1, -1, 0), (1, -3, 0), (3, -2, 1)],
)
def test_a_shock_raises_the_level_to_its_severity_and_one_more_at_it(level, severity, after):
    from drawdown_sim.model.escalation import level_after_shock

    assert level_after_shock(level, severity) == after


def test_the_random_shock_count_is_poisson_with_rate_times_horizon_and_the_severity_mix():
    s = quiet("baseline", "shocks.enabled=true", "shocks.random.rate_per_year=6")
    reps = 400
    schedules = [world(s, replication=r).escalation.schedule for r in range(reps)]
    counts = np.array([len(x) for x in schedules])
    expected = 6.0 / 365.25 * s.horizon_days
    assert abs(counts.mean() - expected) < FOUR_SE * math.sqrt(expected / reps)
    # Poisson: the variance equals the mean (SE of a sample variance ~ sqrt(2 / n) x var).
    assert abs(counts.var(ddof=1) - expected) < FOUR_SE * expected * math.sqrt(2 / reps)
    shocks = [shock for x in schedules for shock in x]
    assert all(not scheduled for _, _, _, scheduled in shocks)
    severities = np.array([severity for _, _, severity, _ in shocks])
    for severity, share in ((1, 0.55), (2, 0.3), (3, 0.15)):
        se = math.sqrt(share * (1 - share) / severities.size)
        assert abs((severities == severity).mean() - share) < FOUR_SE * se
    times = np.array([t for t, _, _, _ in shocks])
    assert stats.kstest(times / s.horizon_days, "uniform").pvalue > 1e-3
    assert all(x == sorted(x) for x in schedules)


def test_without_random_shocks_only_dated_shocks_happen():
    off = quiet("baseline", "shocks.enabled=true", "shocks.random.rate_per_year=0")
    assert all(not world(off, replication=r).escalation.schedule for r in range(20))
    disabled = quiet("baseline", "shocks.enabled=false", "shocks.random.rate_per_year=6")
    assert all(not world(disabled, replication=r).escalation.schedule for r in range(20))


def test_random_shocks_move_the_escalation_level():
    s = quiet("baseline", *ESCALATION, "shocks.enabled=true", "shocks.random.rate_per_year=6")
    r = run(s)
    assert r.log.shocks and all(not x.scheduled for x in r.log.shocks)
    first = r.log.shocks[0]
    assert level_at(r, first.time) == max(first.severity, 1) + (first.severity == 1)


# --- US retaliation -----------------------------------------------------------------------

RETALIATION = (
    "retaliation.enabled=true",
    "retaliation.p_casualty.killed=1",
    "retaliation.p_casualty.wounded=1",
    "retaliation.p_volume=0",
)


@pytest.mark.parametrize(("killed", "wounded", "size"), [(1, 0, "large"), (0, 2, "small")])
def test_a_casualty_attack_brings_a_strike_sized_by_its_deaths(killed, wounded, size):
    w = world(quiet("baseline", *RETALIATION))
    w.retaliation.on_attack(attack(killed=killed, wounded=wounded, id_=7))
    w.env.run(until=100.0)
    (s,) = w.log.strikes
    assert (s.size, s.cause, s.attack) == (size, "casualties", 7)


def test_an_attack_without_casualties_brings_no_strike_and_p_casualty_zero_none():
    w = world(quiet("baseline", *RETALIATION))
    w.retaliation.on_attack(attack())
    none = world(
        quiet(
            "baseline",
            "retaliation.enabled=true",
            "retaliation.p_casualty.killed=0",
            "retaliation.p_casualty.wounded=0",
        )
    )
    none.retaliation.on_attack(attack(killed=3))
    for x in (w, none):
        x.env.run(until=100.0)
        assert not x.log.strikes


@pytest.mark.parametrize(("killed", "delay", "iraqis"), [(1, 5.0, 15.0), (0, 2.0, 2.0)])
def test_strike_delays_and_iraqi_deaths_have_the_configured_means(killed, delay, iraqis):
    w = world(quiet("baseline", *RETALIATION))
    n = 400
    for i in range(n):
        w.retaliation.on_attack(attack(killed=killed, wounded=1 - killed, id_=i))
    w.env.run(until=1000.0)
    times = np.array([s.time for s in w.log.strikes])
    assert times.size == n
    assert abs(times.mean() - delay) < FOUR_SE * delay / math.sqrt(n)
    assert stats.kstest(times / delay, "expon").pvalue > 1e-3
    dead = np.array([s.iraqi_killed for s in w.log.strikes])
    assert abs(dead.mean() - iraqis) < FOUR_SE * math.sqrt(iraqis / n)


@pytest.mark.parametrize(
    ("times", "strikes"),
    [((0, 10, 20), 1), ((0, 15, 30), 1), ((0, 20, 40), 0), ((0, 1, 2, 3, 4, 5), 2)],
)
def test_a_volume_of_attacks_within_the_window_brings_a_small_strike(times, strikes):
    s = quiet(
        "baseline",
        "retaliation.enabled=true",
        "retaliation.volume_attacks=3",
        "retaliation.window_days=30",
        "retaliation.p_volume=1",
    )
    w = world(s)
    for i, t in enumerate(times):
        w.retaliation.on_attack(attack(at=float(t), id_=i))
    w.env.run(until=200.0)
    assert len(w.log.strikes) == strikes
    assert all(x.size == "small" and x.cause == "volume" for x in w.log.strikes)
    assert sorted(x.attack for x in w.log.strikes) == [2, 5][:strikes]  # the third attack


def test_volume_strikes_follow_after_the_wounded_delay():
    s = quiet(
        "baseline",
        "retaliation.enabled=true",
        "retaliation.volume_attacks=1",
        "retaliation.p_volume=1",
    )
    w = world(s)
    n = 400
    for i in range(n):
        w.retaliation.on_attack(attack(id_=i))
    w.env.run(until=1000.0)
    times = np.array([x.time for x in w.log.strikes])
    assert times.size == n
    assert abs(times.mean() - 2.0) < FOUR_SE * 2.0 / math.sqrt(n)


def test_p_casualty_is_chosen_by_whether_anyone_was_killed():
    s = quiet(
        "baseline",
        "retaliation.enabled=true",
        "retaliation.p_casualty.killed=1",
        "retaliation.p_casualty.wounded=0",
        "retaliation.p_volume=0",
    )
    killed, wounded = world(s), world(s)
    killed.retaliation.on_attack(attack(killed=1, wounded=3))
    wounded.retaliation.on_attack(attack(wounded=3))
    for w in (killed, wounded):
        w.env.run(until=200.0)
    assert len(killed.log.strikes) == 1 and not wounded.log.strikes


def test_a_large_dated_strike_ends_a_campaign_with_probability_one():
    s = quiet(
        "baseline",
        *SWITCHING,
        "militia.posture=campaign",
        "militia.restraint_on_strike=1",
        "militia.restraint_hazard_per_day=0",
        "retaliation.enabled=true",
        dated_strike("2024-09-11", "large", 0),
    )
    r = run(s)
    assert r.trajectories.campaign[:2] == [(0.0, 1), (10.0, 0)]


# --- Militia posture and attacks ----------------------------------------------------------

MILITIA = ("militia.enabled=true", "militia.switching=false")


def test_the_background_is_the_postures_rate_times_the_escalation_multiplier_times_exposure():
    s = quiet("baseline", *MILITIA, *ESCALATION)
    w = world(s)
    m = w.militia
    assert w.forces.exposure == 1.0
    assert m.background == pytest.approx(s.background_rate("restraint") * 1.2)
    m.set_posture("campaign", "test")
    assert m.background == pytest.approx(s.background_rate("campaign") * 1.2)
    w.escalation.shift(+1, "test")
    assert m.background == pytest.approx(s.background_rate("campaign") * 1.5)
    assert m.intensity(0.0) == pytest.approx(m.background)
    assert s.background_rate("campaign") > 10 * s.background_rate("restraint")


def test_a_strike_provokes_attacks_by_rho_gamma_decaying_with_the_provocation_delay():
    s = quiet("baseline", *MILITIA, "militia.posture=campaign", "retaliation.enabled=true")
    w = world(s)
    m = w.militia
    background = m.intensity(0.0)
    m.on_strike(strike(), 1.0)
    rho, gamma = 0.5, 1.0 / 7.0
    assert m.intensity(0.0) == pytest.approx(background + rho * gamma)
    assert m.intensity(7.0) == pytest.approx(background + rho * gamma / math.e)


def test_an_attack_excites_further_attacks_by_n_beta():
    s = quiet("baseline", *MILITIA, "militia.posture=campaign")
    first = run(s).log.attacks[0].time
    w = world(s)
    w.env.run(until=first + 1e-6)
    (a,) = w.log.attacks
    assert a.time == first and a.cause == "background"
    n, beta = 0.35, 0.5
    expected = w.militia.background + n * beta * math.exp(-beta * 1e-6)
    assert w.militia.intensity(first + 1e-6) == pytest.approx(expected, rel=1e-12)


def test_the_attack_count_is_the_hawkes_mean_and_triggered_attacks_the_branching_share():
    # Campaign all along, no drawdown, nothing else: E N(T) for an exponential kernel.
    s = quiet("status_quo", *MILITIA, "militia.posture=campaign")
    reps = [run(s, replication=r) for r in range(40)]
    counts = np.array([len(r.log.attacks) for r in reps])
    mu, n, beta, horizon = s.background_rate("campaign"), 0.35, 0.5, s.horizon_days
    expected = (
        mu / (1 - n) * (horizon - n / ((1 - n) * beta) * (1 - math.exp(-(1 - n) * beta * horizon)))
    )
    # Var N(T) ~ mu T / (1 - n)^3 for T much longer than the kernel.
    se = math.sqrt(mu * horizon / (1 - n) ** 3 / counts.size)
    assert abs(counts.mean() - expected) < FOUR_SE * se
    causes = [a.cause for r in reps for a in r.log.attacks]
    triggered = causes.count("attack") / len(causes)
    assert abs(triggered - n) < 0.05  # share of offspring in a long stationary run


def test_a_movement_adds_its_own_exposure_and_its_site_loses_its_share():
    s = quiet("full_exit", *MILITIA)
    w = world(s)
    f = w.forces
    due, site, size, _ = f.plan[0]
    sites = s.sites
    a = s.militia.exposure_exponent
    norm = sum(x.attack_propensity * x.personnel**a for x in sites)
    left = [x.personnel for x in sites]
    left[site] -= size
    at_sites = sum(x.attack_propensity * p**a for x, p in zip(sites, left, strict=True)) / norm
    w.env.run(until=due + 1.0)  # on the road for movement_days = 2
    moving = s.drawdown.movement_exposure * size / s.drawdown.movement_size
    assert f.exposure == pytest.approx(at_sites + moving, rel=1e-12)
    assert w.militia.background == pytest.approx(s.background_rate("restraint") * f.exposure)
    assert f.total == 2500 and sum(f.personnel) == 2500 - size
    w.env.run(until=due + 2.5)  # arrived
    assert f.exposure == pytest.approx(at_sites, rel=1e-12) and f.total == 2500 - size


@pytest.mark.parametrize("exponent", [0.5, 0.0])
def test_with_nobody_left_there_is_no_exposure_and_no_attack(exponent):
    # An empty site offers nothing even at exponent 0, where p^a is 1 for anyone there.
    s = quiet(
        "full_exit", *MILITIA, "militia.posture=campaign", f"militia.exposure_exponent={exponent}"
    )
    r = run(s)
    done = r.outcomes["completion_day"]
    assert done is not None and r.outcomes["residual_personnel"] == 0
    assert r.log.attacks and all(a.time < done for a in r.log.attacks)
    w = world(s)
    w.env.run(until=done + 1.0)
    assert w.forces.exposure == 0.0 and w.militia.intensity(done + 1.0) == 0.0


SWITCHING = ("militia.enabled=true", "militia.switching=true", *ESCALATION)


def test_the_campaign_hazard_is_its_raisers_times_timetable_and_escalation_factors():
    s = quiet("baseline", *SWITCHING, "retaliation.enabled=true")
    w = world(s)
    m, cfg = w.militia, s.militia
    h0 = cfg.campaign_hazard_per_day
    honoured, tense = cfg.timetable_factor.honoured, cfg.escalation_factor.tense
    assert w.forces.timetable_state == "honoured"
    assert m.campaign_hazard() == pytest.approx(h0 * honoured * tense)
    m.on_shock(2)  # a serious shock, for shock_days
    raised = h0 + cfg.shock_hazard.serious
    assert m.campaign_hazard() == pytest.approx(raised * honoured * tense)
    m.on_strike(strike(killed=10), 1.0)  # ten militia members killed
    raised += 10 * cfg.killed_hazard
    assert m.campaign_hazard() == pytest.approx(raised * honoured * tense)
    w.escalation.shift(+1, "test")
    assert m.campaign_hazard() == pytest.approx(raised * honoured * cfg.escalation_factor.crisis)
    w.env.run(until=cfg.shock_days - 0.5)
    assert m.campaign_hazard() == pytest.approx(raised * honoured * cfg.escalation_factor.crisis)
    w.env.run(until=cfg.shock_days + 0.5)  # both effects over
    assert m.campaign_hazard() == pytest.approx(h0 * honoured * cfg.escalation_factor.crisis)


@pytest.mark.parametrize(
    ("name", "overrides", "state"),
    [
        ("status_quo", (), "none"),
        ("status_quo", ("drawdown.talks=true",), "negotiating"),
        ("baseline", (), "honoured"),
    ],
)
def test_the_timetable_state_sets_the_timetable_factor(name, overrides, state):
    s = quiet(name, *SWITCHING, *overrides)
    w = world(s)
    assert w.forces.timetable_state == state
    factor = getattr(s.militia.timetable_factor, state)
    tense = s.militia.escalation_factor.tense
    assert w.militia.campaign_hazard() == pytest.approx(
        s.militia.campaign_hazard_per_day * factor * tense
    )


def test_a_held_plan_is_slipping_and_a_finished_one_complete():
    s = quiet("baseline", *SWITCHING, "escalation.initial=3", "drawdown.hold_at_escalation=3")
    w = world(s)
    first = w.forces.plan[0][0]
    w.env.run(until=first + 1.0)
    assert w.forces.timetable_state == "slipping"
    assert w.militia.campaign_hazard() == pytest.approx(
        s.militia.campaign_hazard_per_day
        * s.militia.timetable_factor.slipping
        * s.militia.escalation_factor.war
    )
    w.env.run(until=s.horizon_days - 1.0)
    assert w.forces.timetable_state == "complete"
    assert w.militia.campaign_hazard() == pytest.approx(
        s.militia.campaign_hazard_per_day
        * s.militia.timetable_factor.complete
        * s.militia.escalation_factor.war
    )


def _first_spells(s: Scenario, reps: int) -> tuple[np.ndarray, np.ndarray]:
    """Days to the first campaign, and that campaign's length, in each replication."""
    starts, lengths = [], []
    for r in range(reps):
        replication = run(s, replication=r)
        path = replication.trajectories.campaign
        assert [x for _, x in path[:3]] == [0, 1, 0]
        causes = {c.cause for c in replication.log.changes if c.kind == "posture"}
        assert causes == {"propensity"}  # switches the hazard drew, nothing else
        starts.append(path[1][0])
        lengths.append(path[2][0] - path[1][0])
    return np.array(starts), np.array(lengths)


def test_posture_spells_end_at_their_exact_hazards():
    # status quo: timetable 'none' (factor 2), escalation off (level 0, factor 0.5), so the
    # campaign hazard is exactly campaign_hazard_per_day; the campaign ends at its own.
    s = quiet(
        "status_quo",
        "militia.enabled=true",
        "militia.campaign_hazard_per_day=0.02",
        "militia.restraint_hazard_per_day=0.05",
        "militia.campaign.attack_rate=0.05",
    )
    starts, lengths = _first_spells(s, 150)
    assert stats.kstest(starts * 0.02, "expon").pvalue > 1e-3
    assert stats.kstest(lengths * 0.05, "expon").pvalue > 1e-3


@pytest.mark.parametrize(
    ("size", "uniform", "after"),
    [("large", 0.49, "restraint"), ("large", 0.51, "campaign"), ("small", 0.0, "campaign")],
)
def test_a_large_strike_ends_a_campaign_with_probability_restraint_on_strike(size, uniform, after):
    s = quiet("baseline", *SWITCHING, "militia.posture=campaign", "militia.restraint_on_strike=0.5")
    w = world(s)
    w.militia.on_strike(strike(size), uniform)
    assert w.militia.posture == after
    changes = [(c.value, c.cause) for c in w.log.changes if c.kind == "posture"]
    assert changes == ([] if after == "campaign" else [("restraint", "large US strike")])


def test_a_raised_propensity_retimes_the_next_campaign():
    # A hazard near zero until a major dated shock on day 10 raises it to 1 a day for 30
    # days: the campaign starts within the raised spell, not at the switch time drawn at the
    # start, which lies far beyond the horizon.
    s = quiet(
        "status_quo",
        "militia.enabled=true",
        "militia.switching=true",
        "militia.campaign_hazard_per_day=0.000001",
        "militia.shock_hazard.major=1",
        "militia.shock_days=30",
        "shocks.enabled=true",
        "shocks.random.rate_per_year=0",
        "shocks.scheduled=[{date: 2024-09-11, name: war, severity: 3}]",
    )
    for r in range(5):
        path = run(s, replication=r).trajectories.campaign
        assert 10.0 < path[1][0] < 40.0 and path[1][1] == 1


def test_dated_posture_changes_happen_on_their_dates():
    s = quiet(
        "baseline",
        *MILITIA,
        "militia.scheduled=[{date: 2024-10-01, posture: campaign, name: a}, "
        "{date: 2024-11-01, posture: restraint, name: b}]",
    )
    r = run(s)
    assert r.trajectories.campaign == [(0.0, 0), (30.0, 1), (61.0, 0)]
    assert [(c.value, c.cause) for c in r.log.changes if c.kind == "posture"] == [
        ("campaign", "scheduled: a"),
        ("restraint", "scheduled: b"),
    ]


# --- What one attack does -----------------------------------------------------------------


def test_interception_is_air_defence_times_the_weapon_factor_and_hits_cause_casualties():
    s = quiet(
        "baseline",
        "militia.casualties.dispersion=10",
        "militia.casualties.killed_fraction=0.3",
        "militia.casualties.hit_probability=0.4",
    )
    n = 20_000
    open_ = Damage(s, np.random.default_rng(11))
    draws = [open_.resolve(0.0) for _ in range(n)]
    assert not any(d[1] for d in draws)  # no air defence: nothing intercepted
    hit = np.array([d[2] + d[3] > 0 for d in draws])
    assert abs(hit.mean() - 0.4) < FOUR_SE * math.sqrt(0.4 * 0.6 / n)
    casualties = np.array([d[2] + d[3] for d in draws])[hit]
    # 1 + NegBin(r = 10, mean 5.3): variance 5.3 + 5.3^2 / 10
    assert abs(casualties.mean() - 6.3) < FOUR_SE * math.sqrt((5.3 + 5.3**2 / 10) / hit.sum())
    killed = np.array([d[2] for d in draws])[hit]
    share = killed.sum() / casualties.sum()
    assert abs(share - 0.3) < FOUR_SE * math.sqrt(0.3 * 0.7 / casualties.sum()) * 3
    defended = Damage(s, np.random.default_rng(12))
    draws = [defended.resolve(0.8) for _ in range(n)]
    for weapon in ("rocket", "drone", "ballistic"):
        p = 0.8 * getattr(s.militia.interception, weapon)
        got = np.array([d[1] for d in draws if d[0] == weapon])
        assert abs(got.mean() - p) < FOUR_SE * math.sqrt(p * (1 - p) / got.size), weapon


def test_attacks_are_intercepted_at_the_attacked_sites_air_defence():
    # Only Ain al-Asad defends itself, completely: elsewhere, and on the road, nothing is
    # intercepted; there, the weapon's factor of attacks is.
    s = quiet(
        "baseline",
        *MILITIA,
        "militia.posture=campaign",
        "sites.0.air_defense=1",
        "sites.1.air_defense=0",
        "sites.2.air_defense=0",
        "sites.3.air_defense=0",
    )
    attacks = run(s).log.attacks
    defended = [a for a in attacks if a.target == "Ain al-Asad"]
    assert len(defended) > 50 and len(attacks) > len(defended)
    assert not any(a.intercepted for a in attacks if a.target != "Ain al-Asad")
    expected = sum(getattr(s.militia.interception, a.weapon) for a in defended)
    observed = sum(a.intercepted for a in defended)
    assert abs(observed - expected) < FOUR_SE * math.sqrt(expected)


# --- Force posture: hold at escalation ------------------------------------------------------

HOLD = (
    "escalation.enabled=true",
    "escalation.initial=3",
    f"escalation.dwell_days.war={LONG}",
    f"escalation.dwell_days.crisis={LONG}",
    "drawdown.hold_at_escalation=3",
    "drawdown.max_slip_days=90",
)


def test_a_plan_held_at_war_slips_until_the_level_drops():
    # Held from the first movement's due day (61) until a de-escalation on day 100.
    s = quiet(
        "baseline",
        *HOLD,
        "shocks.enabled=true",
        "shocks.random.rate_per_year=0",
        "shocks.scheduled=[{date: 2024-12-10, name: ceasefire, severity: -1}]",
    )
    planned = _movement_starts(run(quiet("baseline")))
    r = run(s)
    slip = 100.0 - planned[0]
    assert r.outcomes["slip_days"] == pytest.approx(slip)
    assert _movement_starts(r) == pytest.approx([t + slip for t in planned])


def test_a_plan_held_throughout_slips_by_max_slip_days_then_proceeds():
    r = run(quiet("baseline", *HOLD))
    assert r.outcomes["slip_days"] == pytest.approx(90.0)
    assert not r.outcomes["completion_censored"]
    free = run(quiet("baseline", *HOLD, "drawdown.hold_at_escalation=null"))
    assert free.outcomes["slip_days"] == pytest.approx(0.0)
    below = run(quiet("baseline", *HOLD, "escalation.initial=2"))
    assert below.outcomes["slip_days"] == pytest.approx(0.0)


# --- ISIS and the advisory option -----------------------------------------------------------

ISIS = ("isis.enabled=true",)


def test_support_weighs_personnel_by_region_and_by_the_options_mission_once_in_force():
    s = quiet("baseline", *ISIS, "isis.full_support_personnel=3500")
    w = world(s)
    # 1,000 federal at weight 1, 1,500 in Kurdistan at 0.5, all counter-terrorism for now.
    assert w.forces.support() == pytest.approx(1000 + 0.5 * 1500)
    assert w.isis.capacity(0.0) == pytest.approx(1750 / 3500)
    w.env.run(until=s.horizon_days - 1.0)
    # After the planned end the 1,650 kept advise (0.8): 150 federal, 1,500 in Kurdistan.
    assert w.forces.option_active
    (change,) = [c for c in w.log.changes if c.kind == "option"]
    assert (change.value, change.cause) == (s.advisory.name, "planned end")
    assert w.forces.support() == pytest.approx(0.8 * (150 + 0.5 * 1500))
    assert w.isis._target == pytest.approx(0.8 * 900 / 3500)


def test_capacity_relaxes_towards_its_target_with_its_lag_and_sets_the_rate():
    s = quiet("full_exit", *ISIS, "isis.full_support_personnel=3500", "isis.sensitivity=2")
    w = world(s)
    w.env.run(until=s.horizon_days - 1.0)
    t0, start, target = w.log.trajectories.capacity[-1]
    assert target == 0.0 and start > 0.0  # everyone gone
    tau = s.isis.capacity_lag_days
    t = t0 + tau
    assert w.isis.capacity(t) == pytest.approx(start / math.e, rel=1e-12)
    rate = s.isis.base_rate * (1 + 2.0 * (1 - start / math.e))
    assert w.isis.rate(t) == pytest.approx(rate, rel=1e-12)


def test_isis_attack_times_have_the_integrated_rate():
    # Capacity decaying from 1 to 0 with lag tau: E N = b H (1 + k) - b k tau (1 - e^(-H/tau)).
    base, k, tau, horizon = 0.3, 1.0, 120.0, 300.0
    segments = np.array([[0.0, 1.0, 0.0]])
    expected = base * horizon * (1 + k) - base * k * tau * (1 - math.exp(-horizon / tau))
    counts = np.array(
        [
            attack_times(segments, horizon, base, k, tau, np.random.default_rng(i)).size
            for i in range(300)
        ]
    )
    assert abs(counts.mean() - expected) < FOUR_SE * math.sqrt(expected / counts.size)
    times = attack_times(segments, horizon, base, k, tau, np.random.default_rng(1))
    assert np.all(np.diff(times) >= 0) and times.min() >= 0 and times.max() < horizon


def test_less_advisory_capacity_means_a_superset_of_isis_attacks():
    # The hub keeps at least full_exit's capacity at every moment once its residual keeps the
    # mission weight of the people leaving (advising weighs 0.8: the hub's switch to it, while
    # full_exit's last federal movements are still under way, would lower it for a few days).
    hub = quiet(
        "kurdistan_hub", *ISIS, "sites.0.closure=null", "advisory.mission=counter_terrorism"
    )
    exit_ = quiet("full_exit", *ISIS, "sites.0.closure=null")
    more = 0
    for r in range(5):
        kept, gone = (
            run(hub, replication=r).log.isis_attacks,
            run(exit_, replication=r).log.isis_attacks,
        )
        assert set(kept) <= set(gone)
        more += len(gone) - len(kept)
    assert more > 20
    insensitive = (*ISIS, "isis.sensitivity=0")
    same = [
        run(quiet(name, *insensitive)).log.isis_attacks for name in ("kurdistan_hub", "full_exit")
    ]
    assert same[0] == same[1]


# --- Comparison: the bootstrap of a large run's paired differences -----------------------------


def test_the_binned_bootstrap_keeps_the_spread_of_a_skewed_difference():
    # 4,096 bins keep a resampled mean within (max - min) / 8192 of its exact value; ten bins
    # (numpy's default) would move each mean by up to a twentieth of the range. Two extreme
    # values set the range, so with ten bins every other difference falls in one bin and the
    # interval shrinks to a third of its width.
    rng = np.random.default_rng(8)
    d = np.concatenate([rng.normal(0.0, 1.0, 50_000), [50.0, -50.0]])
    assert np.unique(d).size > BOOTSTRAP_BINS
    lo, hi = _bootstrap_mean_interval(d, np.random.default_rng(9))
    half = 1.96 * d.std(ddof=1) / math.sqrt(d.size)
    assert lo == pytest.approx(d.mean() - half, abs=0.1 * half)
    assert hi == pytest.approx(d.mean() + half, abs=0.1 * half)


def test_an_expelled_option_keeps_nobody_at_federal_sites():
    # The option in force from the start: of Baghdad's 300, the 150 kept advise (0.8).
    s = quiet("baseline", *ISIS, "advisory.from=2024-09-01")
    w = world(s)
    f = w.forces
    kurdistan = 0.5 * 0.8 * 1500
    assert f.support() == pytest.approx(700 + 150 + 0.8 * 150 + kurdistan)
    f.cancel_option()
    assert f.option_cancelled and f.residual == [0, 0, 1200, 300]
    # Everyone at a federal site now leaves, on the pre-drawdown mission until they go.
    assert f.support() == pytest.approx(700 + 300 + kurdistan)
    assert w.isis._target == pytest.approx(min(1.0, f.support() / 1500))


def test_an_option_cancelled_mid_drawdown_moves_everyone_at_federal_sites_once():
    # Cancelled while the plan's movements are under way: the one drawdown clock takes up
    # the new plan, so each federal member leaves once and Kurdistan keeps its people.
    s = quiet("baseline")
    w = world(s)
    w.env.run(until=120.0)
    f = w.forces
    assert f.plan and f._clock.process.is_alive
    before = sum(m.personnel for m in w.log.movements)
    federal_left = sum(
        p for p, site in zip(f.personnel, f.sites, strict=True) if site.region == "federal"
    )
    f.cancel_option()
    w.env.run(until=s.horizon_days)
    starts = [m.start for m in w.log.movements]
    assert starts == sorted(starts)  # the new plan runs in time order
    moved = sum(m.personnel for m in w.log.movements) - before
    assert moved == federal_left
    assert [
        p for p, site in zip(f.personnel, f.sites, strict=True) if site.region == "federal"
    ] == [0, 0]
    assert f.personnel[2:] == [1200, 300]


def test_an_option_cancelled_after_the_drawdown_moves_the_federal_residual_out():
    # The drawdown clock has ended; cancelling starts it again for Baghdad's 150.
    s = quiet("baseline")
    w = world(s)
    w.env.run(until=s.planned_end_day + 5.0)
    f = w.forces
    assert not f.plan and f.personnel[:2] == [0, 150]
    f.cancel_option()
    w.env.run(until=s.horizon_days)
    assert f.personnel == [0, 0, 1200, 300]


def test_a_second_strike_adds_to_the_pressure_left_by_the_first():
    s = quiet(
        "baseline",
        *POLITICS,
        "retaliation.scheduled=[{date: 2024-09-11, name: a, size: small, iraqi_killed: 2}, "
        "{date: 2024-09-21, name: b, size: large, iraqi_killed: 3}]",
    )
    r = run(s)
    first = 8 + 2
    assert pressure_at(r, 10.0) == pytest.approx(first)
    left = first * 2 ** (-10 / 45)
    assert pressure_at(r, 20.0) == pytest.approx(left + 25 + 3, rel=1e-12)
    assert pressure_at(r, 65.0) == pytest.approx((left + 28) / 2, rel=1e-9)


def test_a_disabled_pressure_stays_at_zero_through_crises_and_strikes():
    s = quiet("baseline", "escalation.enabled=true", "politics.initial=50")
    w = world(s)
    w.escalation.shift(+1, "crisis")
    w.politics.on_strike(strike("large", 50))
    w.env.run(until=100.0)
    assert w.politics.value(0.0) == 0.0 and w.politics.value(100.0) == 0.0
    assert not w.log.trajectories.pressure and not w.forces.accelerated


CRISIS_LATER = (
    "politics.enabled=true",
    "politics.crisis_drift_per_day=2",
    "escalation.enabled=true",
    f"escalation.dwell_days.crisis={LONG}",
    f"escalation.dwell_days.tense={LONG}",
    "shocks.enabled=true",
    "shocks.random.rate_per_year=0",
)


def test_a_crisis_that_begins_later_starts_timing_the_crossing_then():
    s = quiet(
        "baseline",
        *CRISIS_LATER,
        "politics.initial=0",
        "shocks.scheduled=[{date: 2024-09-11, name: up, severity: 2}]",
    )
    r = run(s)
    k = math.log(2.0) / 45.0
    a = 2 / k
    (change,) = [c for c in r.log.changes if c.kind == "accelerated"]
    assert change.time == pytest.approx(10.0 - math.log(1 - 60 / a) / k, rel=1e-9)


def test_a_crisis_that_ends_before_the_crossing_does_not_accelerate():
    # Drift 2/day from day 10 would cross 60 about day 45; the crisis ends on day 30.
    s = quiet(
        "baseline",
        *CRISIS_LATER,
        "politics.initial=0",
        "shocks.scheduled=[{date: 2024-09-11, name: up, severity: 2}, "
        "{date: 2024-10-01, name: down, severity: -1}]",
    )
    r = run(s)
    assert not r.outcomes["accelerated"] and not r.outcomes["option_cancelled"]
    assert r.outcomes["political_pressure_peak"] < 60


def test_a_crossing_less_than_a_day_ahead_happens_at_its_exact_time():
    s = quiet(
        "baseline",
        *CRISIS_LATER,
        "politics.initial=59",
        "politics.expel_at=1000",
        "escalation.initial=2",
    )
    r = run(s)
    k = math.log(2.0) / 45.0
    a = 2 / k
    (change,) = [c for c in r.log.changes if c.kind == "accelerated"]
    assert change.time == pytest.approx(-math.log((60 - a) / (59 - a)) / k, rel=1e-9)
    assert change.time < 1.0  # (dP/dt about 1.1 a day at 59)


def test_the_large_run_bootstrap_of_no_pairs_is_undefined_and_of_one_pair_is_that_pair():
    lo, hi = _bootstrap_mean_interval(np.array([]), np.random.default_rng(0))
    assert math.isnan(lo) and math.isnan(hi)
    assert _bootstrap_mean_interval(np.array([2.5]), np.random.default_rng(0)) == (2.5, 2.5)
