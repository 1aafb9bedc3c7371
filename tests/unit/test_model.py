"""Unit tests of the model: determinism, stream independence, each mechanism's rules."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest
import simpy

from drawdown_sim import simulate
from drawdown_sim.model import simulate_seed
from drawdown_sim.model.damage import Damage
from drawdown_sim.model.forces import _loads, _spread
from drawdown_sim.model.simulate import (
    _integral,
    _pressure_peak,
    _time_in,
    _value_at,
    _value_from,
    build_world,
    resurgence_threshold,
)
from drawdown_sim.model.streams import Streams, replication_seeds
from drawdown_sim.model.world import STALLED_STEPS, Redrawable, RunawayReplication, exact_delay
from drawdown_sim.series.daily import SERIES, daily_series
from tests.helpers import REDUCTION, replicate, scenario


def test_same_seed_same_everything():
    s = scenario("historical")
    a, b = simulate(s, seed=5, replication=3), simulate(s, seed=5, replication=3)
    assert a.outcomes == pytest.approx(b.outcomes, nan_ok=True)
    assert a.log == b.log
    assert simulate(s, seed=6, replication=3).log != a.log


def test_replication_seed_is_the_spawned_child():
    root = np.random.SeedSequence(77)
    spawned = root.spawn(10)
    ours = replication_seeds(77, 4, 6)
    for mine, theirs in zip(ours, spawned[4:], strict=True):
        assert mine.entropy == theirs.entropy and mine.spawn_key == theirs.spawn_key


@pytest.mark.parametrize("switch", ["isis.enabled=false", "politics.enabled=false"])
def test_switching_a_mechanism_off_leaves_other_streams_alone(switch):
    # Neither ISIS nor (here, with no strikes) politics feeds back into the attacks, so
    # their switch must not change the attack sequence: each mechanism has its own stream.
    base = scenario("baseline", "retaliation.enabled=false")
    other = scenario("baseline", "retaliation.enabled=false", switch)
    for r in range(20):
        assert (
            simulate(base, replication=r).log.attacks == simulate(other, replication=r).log.attacks
        )


def test_shocks_are_common_to_all_options():
    for r in range(10):
        shocks = {
            simulate(scenario(name), replication=r).log.shocks.__repr__()
            for name in ("baseline", "full_exit", "status_quo")
        }
        assert len(shocks) == 1


def test_identical_options_give_identical_outcomes():
    a = scenario("kurdistan_hub")
    b = scenario("kurdistan_hub", "advisory.name=renamed")
    for r in range(10):
        assert simulate(a, replication=r).log.attacks == simulate(b, replication=r).log.attacks


def test_movements_are_spread_to_end_on_the_phase_end():
    days = _spread(10.0, 100.0, 5, 2.0)
    assert days[0] == 10.0 and days[-1] + 2.0 == pytest.approx(110.0)
    assert _loads({0: 250, 1: 100}, 100) == [(0, 100), (1, 100), (0, 100), (0, 50)]


def test_plan_completes_on_the_planned_end_without_holds():
    s = scenario("full_exit", "escalation.enabled=false", "politics.enabled=false")
    r = simulate(s)
    assert r.outcomes["completion_day"] == pytest.approx(s.window.offset(s.drawdown.phases[-1].end))
    assert r.outcomes["slip_days"] == pytest.approx(0.0)
    assert r.outcomes["completed_on_time"]
    assert r.outcomes["residual_personnel"] == 0
    assert sum(m.personnel for m in r.log.movements) == 2500


def test_status_quo_never_moves():
    r = simulate(scenario("status_quo", "politics.enabled=false"))
    assert r.outcomes["drawdown_complete"] and r.outcomes["completion_day"] == 0.0
    assert not r.log.movements and r.outcomes["residual_personnel"] == 2500


def test_escalation_is_capped_and_scheduled_shocks_land_on_their_dates():
    s = scenario("historical", "escalation.dwell_days.war=1000", "retaliation.enabled=false")
    r = simulate(s)
    days = sorted(shock.time for shock in r.log.shocks)
    assert days == sorted(s.window.offset(x.date) for x in s.shocks.scheduled)
    assert max(level for _, level in r.trajectories.escalation) == 3


def test_pressure_crosses_threshold_at_the_exact_time():
    # Constant crisis: P(t) = a + (P0 - a) exp(-k t) with a = drift / k.
    s = scenario(
        "baseline",
        "escalation.initial=2",
        "escalation.dwell_days.crisis=36500",
        "shocks.enabled=false",
        "retaliation.enabled=false",
        "militia.enabled=false",
        "politics.initial=10",
        "politics.crisis_drift_per_day=2",
        "politics.accelerate_at=50",
        "politics.expel_at=1000",
    )
    r = simulate(s)
    k = math.log(2) / s.politics.half_life_days
    a = 2 / k
    expected = -math.log((50 - a) / (10 - a)) / k
    (change,) = [c for c in r.log.changes if c.kind == "accelerated"]
    assert change.time == pytest.approx(expected, rel=1e-9)
    assert r.outcomes["accelerated"] and not r.outcomes["option_cancelled"]


def test_expulsion_empties_federal_sites():
    s = scenario("kurdistan_hub", "politics.initial=200", "escalation.enabled=false")
    r = simulate(s)
    assert r.outcomes["option_cancelled"]
    assert r.outcomes["residual_personnel"] == 1500  # Kurdistan kept, federal gone


def test_damage_draws_match_the_configured_mix():
    s = scenario("baseline")
    damage = Damage(s, np.random.default_rng(3))
    draws = [damage.resolve(1.0) for _ in range(20000)]
    weapons = np.array([d[0] for d in draws])
    intercepted = np.array([d[1] for d in draws])
    for weapon, share in (("rocket", 0.45), ("drone", 0.45), ("ballistic", 0.10)):
        assert abs((weapons == weapon).mean() - share) < 4 * math.sqrt(share * (1 - share) / 2e4)
    p = s.militia.interception.ballistic
    observed = intercepted[weapons == "ballistic"].mean()
    assert abs(observed - p) < 4 * math.sqrt(p * (1 - p) / (weapons == "ballistic").sum())
    assert all(d[2] == d[3] == 0 for d in draws if d[1])  # intercepted: no casualties


def test_daily_series_agree_with_the_records():
    s = scenario("historical")
    for r in replicate(s, 5, seed=2):
        daily = daily_series(r, s)
        assert daily.shape == (len(SERIES), s.horizon_days)
        window = s.window_days
        attacks = daily[SERIES.index("attacks")]
        assert attacks[:window].sum() == r.outcomes["attacks"]
        assert attacks[window:].sum() == r.outcomes["attacks_follow_on"]
        assert daily[SERIES.index("personnel")][0] == 2500
        assert daily[SERIES.index("personnel")][window - 1] == r.outcomes["residual_personnel"]
        assert daily[SERIES.index("attack_intensity")].min() >= 0


def test_the_daily_intensity_integrates_to_the_expected_count():
    # attack_intensity is the compensator per day, so count - compensator is a martingale:
    # over the window its mean across replications is 0 (within 4 standard errors). A wrong
    # kernel, background or scaling in the series shows up as a bias many SE wide.
    s = scenario("baseline")
    window = s.window_days
    gaps = []
    for r in replicate(s, 300, seed=17):
        intensity = daily_series(r, s)[SERIES.index("attack_intensity")]
        gaps.append(r.outcomes["attacks"] - intensity[:window].sum())
    d = np.array(gaps)
    assert abs(d.mean()) < 4 * d.std(ddof=1) / np.sqrt(d.size), (d.mean(), d.std())


def test_reduction_intensity_is_constant_background_between_attacks():
    s = scenario("baseline", *REDUCTION, "militia.branching_ratio=0")
    r = simulate(s)
    intensity = daily_series(r, s)[SERIES.index("attack_intensity")]
    assert intensity == pytest.approx(np.full(s.horizon_days, s.background_rate("campaign")))


@pytest.mark.parametrize("name", ["baseline", "historical", "full_exit"])
def test_trajectories_are_points_of_their_width_in_time_order_from_day_zero(name):
    """Every trajectory starts at time 0 and is in time order, with points of its width, as
    the daily series read them (their grid lookups and runs of days assume the order)."""
    widths = {"personnel": 2, "escalation": 2, "campaign": 2, "background": 2}
    widths.update(pressure=4, capacity=3)
    s = scenario(name)
    for index, seed in enumerate(replication_seeds(8, 0, 5)):
        trajectories = simulate_seed(s, seed, index).trajectories
        for kind, width in widths.items():
            points = getattr(trajectories, kind)
            if kind == "capacity" and not s.isis.enabled:
                continue
            assert points and all(len(point) == width for point in points), kind
            times = [point[0] for point in points]
            assert times[0] == 0.0 and times == sorted(times), kind


RUNAWAY_MILITIA = ("militia.posture=campaign", "militia.switching=false")


def test_a_replication_past_max_events_fails_with_the_reason():
    s = scenario(
        "baseline", "max_events=1000", *RUNAWAY_MILITIA, "militia.campaign.attack_rate=500"
    )
    with pytest.raises(RunawayReplication) as error:
        simulate(s, seed=1)
    assert re.fullmatch(
        r"more than 1,000 attacks and strikes by day \d+\.\d \(max_events\): the attack "
        r"process runs away; lower the attack rates, the branching ratio or the provocation, "
        r"or raise max_events",
        str(error.value),
    )


def test_max_events_allows_exactly_that_many_attacks_and_strikes():
    s = scenario("baseline", *RUNAWAY_MILITIA, "militia.campaign.attack_rate=5")
    free = simulate(s, seed=2)
    events = len(free.log.attacks) + len(free.log.strikes)
    assert events >= 1000  # the least max_events a scenario may set
    capped = simulate(
        scenario(
            "baseline", *RUNAWAY_MILITIA, "militia.campaign.attack_rate=5", f"max_events={events}"
        ),
        seed=2,
    )
    assert capped.log == free.log
    with pytest.raises(RunawayReplication, match=f"more than {events - 1:,} attacks"):
        simulate(
            scenario(
                "baseline",
                *RUNAWAY_MILITIA,
                "militia.campaign.attack_rate=5",
                f"max_events={events - 1}",
            ),
            seed=2,
        )


def test_a_clock_that_no_longer_advances_fails_after_stalled_steps():
    # Candidates so close together that floating point cannot separate them from now: the
    # replication fails after STALLED_STEPS of them in a row, not one sooner.
    world = build_world(scenario("baseline"), replication_seeds(1, 0, 1)[0])
    for _ in range(STALLED_STEPS):
        world.militia._stall(5.0, 1e20)
    with pytest.raises(RunawayReplication) as error:
        world.militia._stall(5.0, 1e20)
    assert str(error.value) == (
        "simulated time no longer advances on day 5.0: the attack intensity (1e+20/day) is "
        "too high to tell event times apart"
    )


def test_time_at_or_above_a_level_counts_the_days_inside_the_period():
    trajectory = [(0.0, 0), (10.0, 2), (20.0, 3), (35.0, 1)]
    assert _time_in(trajectory, 5.0, 30.0, 2) == 20.0  # [10, 30)
    assert _time_in(trajectory, 15.0, 30.0, 2) == 15.0  # [15, 30)
    assert _time_in(trajectory, 0.0, 50.0, 3) == 15.0  # [20, 35)
    assert _time_in(trajectory, 0.0, 50.0, 1) == 40.0  # [10, 50): the last value to the end
    assert _time_in(trajectory, 36.0, 50.0, 2) == 0.0
    assert _time_in([(0.0, 2)], 3.0, 7.0, 2) == 4.0


def test_integral_of_a_step_value_counts_only_while_the_gate_is_open():
    value = [(0.0, 1.0), (10.0, 3.0)]
    assert _integral(value, 0.0, 20.0) == 40.0
    assert _integral(value, 5.0, 15.0) == 20.0
    gate = [(0.0, 0), (8.0, 1), (12.0, 0)]
    assert _integral(value, 0.0, 20.0, gate) == 2.0 * 1.0 + 2.0 * 3.0


def test_a_step_value_from_a_change_on_and_just_before_it():
    trajectory = [(0.0, 1), (10.0, 2), (20.0, 3)]
    assert [_value_from(trajectory, t) for t in (0.0, 9.9, 10.0, 25.0)] == [1, 1, 2, 3]
    assert [_value_at(trajectory, t) for t in (0.0, 10.0, 10.1, 20.0, 25.0)] == [1, 1, 2, 2, 3]


def test_the_pressure_peak_is_at_a_segment_end():
    k = 0.1
    # rising towards 10 from 0 over [0, 5), then a jump to 12 decaying towards 0 until 30
    segments = [(0.0, 0.0, 10.0, k), (5.0, 7.0, 0.0, k)]
    assert _pressure_peak(segments, 30.0) == 7.0
    rising = [(0.0, 0.0, 10.0, k)]
    assert _pressure_peak(rising, 30.0) == pytest.approx(10.0 * (1 - math.exp(-3.0)))
    assert _pressure_peak([(40.0, 5.0, 0.0, k)], 30.0) == 0.0  # nothing before the end


@pytest.mark.parametrize(("rate", "level"), [(0.3, 9), (0.31, 10), (0.5, 15)])
def test_the_historical_resurgence_level_is_the_reference_years_30_day_count(rate, level):
    # The count a 30-day window of the reference year held on average, rounded up (9.0
    # stays 9), unless chance at the window-start rate needs more.
    s = scenario("baseline", f"isis.resurgence_reference_rate={rate}")
    assert resurgence_threshold(s, 0.5, 365.0) == level
    assert resurgence_threshold(s, 30.0, 365.0) > level  # chance needs more than history


def test_each_attack_names_what_caused_it():
    # Dated strikes with a strong provocation, so that some attacks are provoked.
    strikes = ", ".join(
        f"{{date: {day}, name: s{n}, size: large, iraqi_killed: 1}}"
        for n, day in enumerate(("2024-10-15", "2024-12-15", "2025-02-15", "2025-04-15"))
    )
    s = scenario(
        "baseline",
        "militia.posture=campaign",
        "retaliation.provocation=0.5",
        f"retaliation.scheduled=[{strikes}]",
    )
    every = Counter()
    for replication in replicate(s, 5, seed=4):
        log = replication.log
        attack_times = {a.id: a.time for a in log.attacks}
        strike_times = {s.id: s.time for s in log.strikes}
        causes = Counter(a.cause for a in log.attacks)
        assert set(causes) <= {"background", "attack", "strike"}
        for a in log.attacks:
            if a.cause == "background":
                assert a.parent == -1
            elif a.cause == "attack":
                assert attack_times[a.parent] < a.time
            else:
                assert strike_times[a.parent] < a.time
        every += causes
    assert every["background"] and every["attack"] and every["strike"]


def test_a_process_is_woken_once_an_instant_never_by_itself_nor_once_it_ended():
    world = build_world(scenario("baseline"), replication_seeds(1, 0, 1)[0])
    env = world.env
    watch = Redrawable(world)
    interrupts = []

    def waiting():
        watch.wake("itself")  # a process never interrupts itself
        while True:
            try:
                yield env.timeout(10.0)
                return
            except simpy.Interrupt as interrupt:
                interrupts.append((env.now, interrupt.cause))
                watch.woken()

    def waker():
        yield env.timeout(1.0)
        watch.wake("first")
        watch.wake("same instant")  # one redraw for several changes at once
        yield env.timeout(1.0)
        watch.wake("later")
        yield env.timeout(20.0)
        watch.wake("after the end")

    watch.process = env.process(waiting())
    env.process(waker())
    env.run(until=30.0)
    assert interrupts == [(1.0, "first"), (2.0, "later")]


def test_without_switching_the_posture_never_changes_whatever_moves_the_propensity():
    # Escalation, the timetable and shocks all move the campaign propensity; with
    # switching off none of them may start a campaign.
    s = scenario("historical", "militia.switching=false", "escalation.enabled=true")
    for replication in replicate(s, 5, seed=9):
        changes = replication.log.changes
        assert any(c.kind == "escalation" for c in changes)
        assert not [c for c in changes if c.kind == "posture"]


def test_the_isis_rate_ratio_is_null_without_isis():
    assert simulate(scenario("baseline", "isis.enabled=false")).outcomes["isis_rate_ratio"] is None
    assert simulate(scenario("baseline")).outcomes["isis_rate_ratio"] > 0.0


def test_a_hit_with_a_mean_of_one_casualty_has_exactly_one():
    s = scenario("baseline", "militia.casualties.mean_if_hit=1")
    damage = Damage(s, np.random.default_rng(5))
    draws = [damage.resolve(0.0) for _ in range(2000)]  # no air defence: nothing intercepted
    hits = [(killed, wounded) for _, _, killed, wounded in draws if killed + wounded]
    assert all(killed + wounded == 1 for killed, wounded in hits)
    p = s.militia.casualties.hit_probability
    assert abs(len(hits) / len(draws) - p) < 4 * math.sqrt(p * (1 - p) / len(draws))


def test_isis_candidates_beyond_ten_times_max_events_fail_the_replication():
    # base x (1 + sensitivity) x horizon candidates: 15 x 3 x ~760 days is about 34,000,
    # past 10 x 1,000 but not 10 x 10,000.
    over = ("isis.base_rate=15", "isis.sensitivity=2", "max_events=1000")
    s = scenario("baseline", *over)
    bound = 15 * 3 * s.horizon_days
    with pytest.raises(RunawayReplication) as error:
        simulate(s, seed=1)
    assert str(error.value) == (
        f"about {bound:,.0f} ISIS attack candidates exceed max_events (1,000); lower "
        "isis.base_rate or raise max_events"
    )
    assert simulate(scenario("baseline", *over[:2], "max_events=10000"), seed=1).log.isis_attacks


def test_the_plan_completes_when_its_last_movement_arrives():
    s = scenario("full_exit", "escalation.enabled=false", "politics.enabled=false")
    (done,) = [c for c in simulate(s).log.changes if c.kind == "completed"]
    assert (done.value, done.cause) == ("drawdown", "last movement arrived")


@pytest.mark.parametrize(
    ("now", "at"), [(0.6542014896189854, 4.865972659519584), (0.6385279900981402, 479.375053425059)]
)
def test_a_delay_that_overshoots_by_rounding_is_stepped_back(now, at):
    # Here now + (at - now) lands past ``at``: the delay steps back to land on it or on
    # the float just before it.
    assert now + (at - now) > at
    landed = now + exact_delay(now, at)
    assert landed <= at and math.nextafter(landed, math.inf) >= at


def test_a_replication_seed_must_be_a_child_of_an_integer_root():
    message = "a replication seed is SeedSequence"
    grandchild = np.random.SeedSequence(5).spawn(1)[0].spawn(1)[0]
    with pytest.raises(ValueError, match=message):
        Streams(grandchild)
    with pytest.raises(ValueError, match=message):
        Streams(np.random.SeedSequence([1, 2]))
    Streams(np.random.SeedSequence(5).spawn(3)[2])  # a child: accepted


def test_an_option_in_force_from_the_start_says_so_and_a_plan_on_its_end_is_on_time():
    s = scenario("baseline", "advisory.from=2024-09-01")
    (option,) = [c for c in simulate(s).log.changes if c.kind == "option"]
    assert (option.time, option.cause) == (0.0, "option in force from the start")
    assert simulate(s).outcomes["completed_on_time"]  # on the planned end to the day


def test_campaign_exposure_is_the_exposure_while_on_campaign():
    s = scenario("baseline", "militia.scheduled=[{date: 2024-10-01, posture: campaign, name: a}]")
    r = simulate(s, seed=2)
    traj = r.log.trajectories
    window = float(s.window_days)
    exposure = _integral(traj.exposure, 0.0, window)
    on_campaign = _integral(traj.exposure, 0.0, window, traj.campaign)
    assert r.outcomes["exposure"] == pytest.approx(exposure)
    assert r.outcomes["campaign_exposure"] == pytest.approx(on_campaign)
    assert 0.0 < on_campaign < exposure  # restraint for the first 30 days


def test_the_pressure_peak_may_lie_in_an_earlier_segment():
    segments = [(0.0, 12.0, 0.0, 0.1), (5.0, 3.0, 0.0, 0.1)]  # a fall, then a lower jump
    assert _pressure_peak(segments, 30.0) == 12.0


def test_a_hit_casualty_count_has_its_configured_mean():
    s = scenario("baseline", "militia.casualties.mean_if_hit=1.5")
    damage = Damage(s, np.random.default_rng(6))
    draws = [damage.resolve(0.0) for _ in range(20_000)]
    counts = np.array([k + w for _, _, k, w in draws if k + w])
    assert abs(counts.mean() - 1.5) < 4 * counts.std(ddof=1) / math.sqrt(counts.size)


def test_without_a_follow_on_year_its_outcomes_are_null():
    outcomes = simulate(scenario("baseline", "follow_on=null")).outcomes
    assert outcomes["attacks_follow_on"] is None
    assert outcomes["attacks"] is not None
