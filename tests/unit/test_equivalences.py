"""The model's and the bands' computations give exactly what their direct definitions give.

Thinning judged ahead, draws in blocks, a period's attacks summed by column, the resurgence
test without the sliding count, the in-place ISIS rate, step series counted as runs: each is
checked against the direct computation, draw for draw, on the same seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from drawdown_sim.model import replication_seeds, simulate_seed
from drawdown_sim.model.damage import BLOCK, Damage
from drawdown_sim.model.isis import attack_times
from drawdown_sim.model.scan import max_window_count, window_reaches
from drawdown_sim.model.streams import Exponentials, Streams, Uniforms
from drawdown_sim.model.world import Timer, call_later, exact_delay
from drawdown_sim.scenario.threats import WEAPONS
from tests.helpers import scenario

# Attacks depend on nothing but the background (drawdown exposure, posture, escalation) and
# their own excitation: no strikes, no posture switches.
NO_STRIKES = ("retaliation.enabled=false", "militia.switching=false")


def one_by_one_thinning(
    seed: np.random.SeedSequence,
    background: list[tuple[float, float]],
    n: float,
    beta: float,
    horizon: float,
) -> list[float]:
    """Ogata thinning one candidate at a time, as the model did before it judged ahead.

    ``background`` is the replication's background trajectory (day, attacks/day). Each
    candidate takes a waiting-time uniform and an acceptance uniform from the attack stream,
    an attack one more (its target). A rise of the background makes the waiting candidate
    stale (its waiting time is spent, a new one drawn); a fall keeps it.
    """
    uniforms = Uniforms(Streams.spawn(seed).attacks)
    level = background[0][1]  # at the start; later entries (day 0 included) are changes
    changes = list(background[1:])
    excitation, excitation_at = 0.0, 0.0
    attacks: list[float] = []

    def intensity(t: float) -> float:
        if level == 0.0:
            return 0.0
        decayed = excitation * math.exp(-beta * (t - excitation_at)) if excitation else 0.0
        return level + decayed

    def draw(t: float, bound: float) -> float | None:
        return t + uniforms.exponential() / bound if bound > 0.0 else None

    bound = intensity(0.0)
    pending = draw(0.0, bound)
    while True:
        change = changes[0][0] if changes else math.inf
        if min(change, pending if pending is not None else math.inf) >= horizon:
            return attacks
        if pending is None or change < pending:
            day, value = changes.pop(0)
            rose = value > level
            level = value
            if rose:
                bound = intensity(day)
                pending = draw(day, bound)
            continue
        t = pending
        u = uniforms() * bound
        current = intensity(t)
        if u < current:
            uniforms()  # the target
            attacks.append(t)
            excitation = (
                excitation * math.exp(-beta * (t - excitation_at)) if excitation else 0.0
            ) + n * beta
            excitation_at = t
            current += n * beta
        bound = current
        pending = draw(t, bound)


@pytest.mark.parametrize(
    "overrides",
    [
        NO_STRIKES,  # restraint, drawdown: the exposure and background rise and fall
        (*NO_STRIKES, "militia.posture=campaign"),  # a strongly self-exciting campaign
    ],
)
def test_thinning_ahead_is_thinning_one_candidate_at_a_time(overrides):
    s = scenario("baseline", *overrides)
    n, beta = s.militia.branching_ratio, 1.0 / s.militia.trigger_days
    compared = 0
    for index, seed in enumerate(replication_seeds(11, 0, 40)):
        replication = simulate_seed(s, seed, index)
        expected = one_by_one_thinning(
            seed, replication.trajectories.background, n, beta, replication.horizon
        )
        got = [a.time for a in replication.log.attacks]
        assert len(got) == len(expected), f"replication {index}"
        # The clock lands on a time computed ahead, or on the float just before it.
        assert got == pytest.approx(expected, rel=1e-15, abs=1e-12), f"replication {index}"
        compared += len(got)
    assert compared > 150  # enough attacks, rises and falls to mean something


def test_the_look_aheads_intensity_is_the_models_intensity(monkeypatch):
    # The thinning loop computes the intensity inline (its hot path); at every attack it
    # must be exactly what Militia._terms gives, strikes' provocation term included.
    from drawdown_sim.model.militia import Militia

    checked = []
    attack_due = Militia._attack_due

    def checking(self: Militia) -> None:
        assert self._due is not None
        _, intensity, decayed = self._due
        now = self.world.env.now
        assert (intensity, decayed) == self._terms(now)
        checked.append(self._provocation > 0.0)
        attack_due(self)

    monkeypatch.setattr(Militia, "_attack_due", checking)
    s = scenario("baseline", "militia.posture=campaign", "retaliation.provocation=1.0")
    for index, seed in enumerate(replication_seeds(5, 0, 10)):
        simulate_seed(s, seed, index)
    assert len(checked) > 500 and sum(checked) > 100  # with and without provocation


def test_attacks_do_not_depend_on_the_uniform_block_size(monkeypatch):
    # Looking ahead across block boundaries must hand out the same values in the same order.
    s = scenario("baseline")
    seeds = replication_seeds(3, 0, 15)
    reference = [simulate_seed(s, seed, i).log for i, seed in enumerate(seeds)]
    original = Uniforms.__init__

    def tiny_blocks(self: Uniforms, rng: np.random.Generator, block: int = 256) -> None:
        original(self, rng, block=3)

    monkeypatch.setattr(Uniforms, "__init__", tiny_blocks)
    for i, seed in enumerate(seeds):
        assert simulate_seed(s, seed, i).log == reference[i]


def test_uniforms_ahead_and_skip_hand_out_the_stream_in_order():
    rng_a, rng_b = (np.random.Generator(np.random.Philox(9)) for _ in range(2))
    direct = rng_a.random(40).tolist()
    uniforms = Uniforms(rng_b, block=4)
    values, at = uniforms.ahead(7)
    assert values[at : at + 7] == direct[:7]
    uniforms.skip(5)
    assert uniforms() == direct[5]
    values, at = uniforms.ahead(10)
    assert values[at : at + 10] == direct[6:16]
    assert [uniforms() for _ in range(10)] == direct[6:16]


def test_exponentials_in_blocks_are_the_scalar_draws():
    scalar = Streams.spawn(replication_seeds(5, 2, 1)[0])
    blocks = Streams.spawn(replication_seeds(5, 2, 1)[0])
    draws = Exponentials(blocks, "escalation", block=3)
    for scale in (1.0, 4.5, 30.0, 0.25, 7.0, 12.0, 2.0):
        assert scale * draws() == float(scalar.escalation.exponential(scale))


@settings(max_examples=200, deadline=None)
@given(
    start=st.floats(0.0, 50.0, allow_nan=False),
    plan=st.lists(
        st.tuples(
            st.sampled_from(["timeout", "timer", "call_later"]),
            st.sampled_from([0.0, 0.5, 1.0, 2.25]),
        ),
        max_size=12,
    ),
)
def test_timers_and_one_off_calls_fire_in_order_with_timeouts(start, plan):
    # Timer and call_later are SimPy timeouts: mixed with plain timeouts (ties included)
    # they fire at their times, in the order they were made at the same moment.
    env = simpy.Environment(initial_time=0.0)
    if start > 0.0:
        env.run(until=start)
    fired: list[tuple[int, float]] = []
    for index, (kind, delay) in enumerate(plan):
        if kind == "timer":
            Timer(env).set(delay, lambda index=index: fired.append((index, env.now)))
        elif kind == "call_later":
            call_later(env, delay, lambda index=index: fired.append((index, env.now)))
        else:
            env.timeout(delay).callbacks.append(
                lambda _event, index=index: fired.append((index, env.now))
            )
    env.run()
    order = sorted(range(len(plan)), key=lambda index: (plan[index][1], index))
    assert fired == [(index, start + plan[index][1]) for index in order]


def test_a_timer_set_again_fires_once_at_its_last_time():
    env = simpy.Environment(initial_time=0.0)
    timer, fired = Timer(env), []
    timer.set(5.0, lambda: fired.append(("first", env.now)))
    timer.set(2.0, lambda: fired.append(("second", env.now)))
    timer.set(3.0, lambda: fired.append(("third", env.now)))
    other = Timer(env)
    other.set(1.0, lambda: fired.append(("cancelled", env.now)))
    other.cancel()
    env.run()
    assert fired == [("third", 3.0)]


def test_damage_draws_are_the_rows_of_a_block():
    # One flat list of uniforms per block, three per attack: the rows of random((BLOCK, 3)),
    # then the casualties and the killed of the same block.
    s = scenario("baseline")
    damage = Damage(s, np.random.Generator(np.random.Philox(4)))
    rng = np.random.Generator(np.random.Philox(4))
    cfg = s.militia
    cas = cfg.casualties
    p = cas.dispersion / (cas.dispersion + cas.mean_if_hit - 1.0)
    mix = cfg.weapon_mix
    expected = []
    for _ in range(3):
        rows = rng.random((BLOCK, 3))
        casualties = 1 + rng.negative_binomial(cas.dispersion, p, size=BLOCK)
        killed = rng.binomial(casualties, cas.killed_fraction)
        for (u_weapon, u_intercept, u_hit), total, dead in zip(
            rows, casualties, killed, strict=True
        ):
            weapon = 0 if u_weapon < mix.rocket else 1 if u_weapon < mix.rocket + mix.drone else 2
            intercepted = bool(u_intercept < 0.5 * getattr(cfg.interception, WEAPONS[weapon]))
            hit = not intercepted and u_hit < cas.hit_probability
            expected.append(
                (
                    WEAPONS[weapon],
                    intercepted,
                    int(dead) if hit else 0,
                    int(total - dead) if hit else 0,
                )
            )
    got = [damage.resolve(0.5) for _ in range(3 * BLOCK)]
    assert got == expected
    assert sum(k + w for _, _, k, w in got) > 0  # some attacks hit


def test_period_counts_are_the_attack_by_attack_counts():
    # The period's attacks are found by bisection and summed by column; an attack-by-attack
    # pass gives the same counts, in both periods, with mass-casualty attacks among them.
    from drawdown_sim.model.simulate import MASS_CASUALTY

    s = scenario("baseline", "militia.posture=campaign", "militia.casualties.mean_if_hit=9")
    mass = 0
    for index, seed in enumerate(replication_seeds(11, 0, 8)):
        replication = simulate_seed(s, seed, index)
        for suffix, (start, end) in (
            ("", (0.0, s.window_days)),
            ("_follow_on", (s.window_days, s.horizon_days)),
        ):
            inside = [a for a in replication.log.attacks if start <= a.time < end]
            mass_here = sum(a.killed + a.wounded >= MASS_CASUALTY for a in inside)
            expected = {
                "attacks": len(inside),
                "attacks_intercepted": sum(a.intercepted for a in inside),
                "killed": sum(a.killed for a in inside),
                "wounded": sum(a.wounded for a in inside),
                "mass_casualty_events": mass_here,
            }
            got = {name: replication.outcomes[name + suffix] for name in expected}
            assert got == expected, (index, suffix)
            mass += mass_here
    assert mass > 5


@settings(max_examples=200, deadline=None)
@given(
    now=st.floats(0.0, 1e4, allow_nan=False),
    ahead=st.floats(0.0, 1e4, allow_nan=False),
)
def test_exact_delay_lands_on_the_time_or_just_before(now, ahead):
    at = now + ahead
    landed = now + exact_delay(now, at)
    assert landed <= at
    assert landed == at or math.nextafter(landed, math.inf) >= at


@settings(max_examples=300, deadline=None)
@given(
    times=st.lists(st.floats(0.0, 365.0, allow_nan=False), max_size=60),
    count=st.integers(0, 12),
)
def test_window_reaches_agrees_with_the_sliding_count(times, count):
    inside = np.sort(np.asarray(times, dtype=float))
    expected = max_window_count(inside, 0.0, 365.0, 30.0) >= count
    assert window_reaches(inside[inside < 365.0], 30.0, count) == expected


def test_isis_rate_in_place_is_the_formula():
    segments = np.array([[0.0, 1.0, 1.0], [40.0, 1.0, 0.4], [90.5, 0.7, 0.0], [200.0, 0.2, 0.9]])
    base, k, tau, horizon = 0.4, 1.3, 60.0, 400.0
    got = attack_times(segments, horizon, base, k, tau, np.random.default_rng(8))
    rng = np.random.default_rng(8)
    bound = base * (1.0 + k)
    candidates = np.sort(rng.uniform(0.0, horizon, size=int(rng.poisson(bound * horizon))))
    keep = rng.random(candidates.size)
    t0, c0, c = segments.T
    segment = np.searchsorted(t0, candidates, side="right") - 1
    capacity = c[segment] + (c0[segment] - c[segment]) * np.exp(-(candidates - t0[segment]) / tau)
    rate = base * (1.0 + k * (1.0 - capacity))
    np.testing.assert_array_equal(got, candidates[keep * bound < rate])


@settings(max_examples=100, deadline=None)
@given(
    events=st.lists(st.floats(0.0, 80.0, allow_nan=False), max_size=40),
    decay=st.floats(0.01, 20.0),
)
def test_kernel_integral_on_the_daily_grid_is_the_direct_sum(events, decay):
    from drawdown_sim.common.hawkes import kernel_integral, kernel_integral_grid

    points = 60
    direct = kernel_integral(np.arange(points, dtype=float), events, 0.4, decay)
    np.testing.assert_allclose(
        kernel_integral_grid(points, events, 0.4, decay), direct, rtol=1e-9, atol=1e-9
    )


def test_band_cells_counted_densely_are_the_sorted_cells():
    from drawdown_sim.series.bands import chunk_delta, series_bins
    from drawdown_sim.series.daily import SERIES

    rng = np.random.default_rng(4)
    daily = rng.gamma(0.5, 3.0, size=(30, len(SERIES), 50))
    daily[:, SERIES.index("escalation")] = rng.integers(0, 4, size=(30, 50))
    # Few bins away from zero, counted densely over the bins reached alone
    daily[:, SERIES.index("attacks")] = rng.integers(3, 7, size=(30, 50))
    daily[:, SERIES.index("isis_rate")] = rng.uniform(0.9, 1.1, size=(30, 50))
    bins = series_bins(2500)
    cells = chunk_delta(daily, bins).cells
    for k, series in enumerate(SERIES):
        flat = (bins[series].index(daily[:, k, :]) * 50 + np.arange(50)).ravel()
        occupied, counts = np.unique(flat, return_counts=True)
        np.testing.assert_array_equal(cells[series][0], occupied)
        np.testing.assert_array_equal(cells[series][1], counts)


def test_outcomes_come_in_the_contract_order():
    # A chunk copies a replication's outcomes into its row as they are: names and order.
    from drawdown_sim.model import OUTCOMES

    for name in ("baseline", "status_quo"):
        assert list(simulate_seed(scenario(name), replication_seeds(1, 0, 1)[0]).outcomes) == list(
            OUTCOMES
        )


# --- daily series a chunk at a time -------------------------------------------------------
def _step_one(points, at):
    if not points:
        return np.zeros(at.shape)
    times = np.array([p[0] for p in points])
    values = np.array([p[1] for p in points], dtype=float)
    return values[np.clip(np.searchsorted(times, at, side="right") - 1, 0, None)]


def _segments_one(rows, at, rate=None):
    if not rows:
        return np.zeros(at.shape)
    table = np.asarray(rows, dtype=float)
    index = np.clip(np.searchsorted(table[:, 0], at, side="right") - 1, 0, None)
    t0, start, target = table[index, 0], table[index, 1], table[index, 2]
    decay = table[index, 3] if rate is None else rate
    return target + (start - target) * np.exp(-decay * (at - t0))


def reference_daily_series(replication, s) -> np.ndarray:
    """The daily series of one replication alone, as the model computed them before it
    computed a chunk's together (per replication, with the library's Hawkes functions)."""
    from drawdown_sim.common import hawkes
    from drawdown_sim.series.daily import SERIES

    days = s.horizon_days
    noon = np.arange(days) + 0.5
    edges = np.arange(days + 1, dtype=float)
    traj, log = replication.trajectories, replication.log
    n, beta, rho, gamma = replication.militia_kernel
    attacks = np.array([a.time for a in log.attacks])
    strikes = np.array([x.time for x in log.strikes])
    cumulative = (
        hawkes.background_integral(
            edges, [b[0] for b in traj.background], [b[1] for b in traj.background]
        )
        if traj.background
        else np.zeros(days + 1)
    )
    cumulative = (
        cumulative
        + hawkes.kernel_integral_grid(days + 1, attacks, n, beta)
        + hawkes.kernel_integral_grid(days + 1, strikes, rho, gamma)
    )
    if s.isis.enabled and traj.capacity:
        capacity = _segments_one(traj.capacity, noon, rate=1.0 / s.isis.capacity_lag_days)
        isis_rate = s.isis.base_rate * (1.0 + s.isis.sensitivity * (1.0 - capacity))
    else:
        isis_rate = np.zeros(days)
    out = np.empty((len(SERIES), days))
    out[0] = _step_one(traj.personnel, noon)
    out[1] = np.diff(cumulative) * (_step_one(traj.personnel, edges[1:] - 1e-9) > 0)
    out[2] = np.bincount(attacks.astype(np.int64), minlength=days)[:days] if len(attacks) else 0
    out[3] = _step_one(traj.escalation, noon)
    out[4] = _step_one(traj.campaign, noon)
    out[5] = _segments_one(traj.pressure, noon)
    out[6] = isis_rate
    return out


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("baseline", ()),
        ("historical", ()),
        ("full_exit", ()),  # days with nobody left
        ("baseline", ("isis.enabled=false",)),
        ("baseline", ("militia.campaign_hazard_per_day=0.2",)),  # many attacks and strikes
    ],
)
def test_a_chunks_series_are_each_replications_series_alone(name, overrides):
    from drawdown_sim.series.daily import SeriesBatch, daily_series

    s = scenario(name, *overrides)
    seeds = replication_seeds(11, 0, 40)
    replications = [simulate_seed(s, seed, i) for i, seed in enumerate(seeds)]
    batch = SeriesBatch(s)
    for replication in replications:
        batch.add(replication)
    together = batch.series()
    # A chunk split into parts (the last chunks of a stream) gives the same series.
    parts = []
    for first in range(0, len(replications), 15):
        part = SeriesBatch(s)
        for replication in replications[first : first + 15]:
            part.add(replication)
        parts.append(part.series())
    np.testing.assert_array_equal(np.concatenate(parts), together)  # bit for bit
    for k, replication in enumerate(replications):
        alone = daily_series(replication, s)
        np.testing.assert_array_equal(together[k], alone)  # bit for bit, not approximately
        np.testing.assert_array_equal(batch.one(k).series()[0], alone)
        # The library's Hawkes functions sum the same terms, but numpy evaluates exp by
        # whichever kernel the CPU offers (AVX-512's differs from the others in the last bit)
        # and the library's arrays reach it in another layout: equal to rounding, which the
        # campaign's thousands of attacks accumulate to about 1e-13.
        np.testing.assert_allclose(alone, reference_daily_series(replication, s), rtol=1e-11)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-2.0, 40.0),
            st.floats(0.0, 1e-6),
            st.floats(1e-320, 1e-300),
            st.builds(  # a grid point, or the float just before or after it
                lambda k, start, step: (
                    float(np.nextafter(k + start, step * np.inf)) if step else k + start
                ),
                st.integers(-1, 35),
                st.sampled_from([0.0, 0.5, 0.3]),
                st.sampled_from([-1, 0, 1]),
            ),
            st.sampled_from([0.25, float(np.nextafter(0.25, 0.0)), 1e12, 2.0**53, np.inf]),
        ),
        max_size=40,
    ),
    st.integers(0, 33),
)
def test_grid_positions_by_arithmetic_are_binary_search(times, size):
    """On grids of whole days from 0 or noon, positions are computed, not searched: the same
    as np.searchsorted for any time, next to grid points, tiny, huge or before the grid."""
    from drawdown_sim.series.daily import _positions

    times = np.array(times, dtype=float)
    for grid in (np.arange(size) + 0.5, np.arange(size, dtype=float), np.arange(size) + 0.3):
        for strictly, side in ((False, "left"), (True, "right")):
            np.testing.assert_array_equal(
                _positions(grid, times, strictly), np.searchsorted(grid, times, side=side)
            )


def _assert_same_delta(got, expected):
    from drawdown_sim.series.daily import SERIES

    np.testing.assert_array_equal(got.sums, expected.sums)  # bit for bit
    assert got.count == expected.count
    cells, want = got.cells, expected.cells
    for series in SERIES:
        np.testing.assert_array_equal(cells[series][0], want[series][0])
        np.testing.assert_array_equal(cells[series][1], want[series][1])
        assert cells[series][1].dtype == want[series][1].dtype


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("baseline", ()),
        ("historical", ()),
        ("full_exit", ()),  # nobody left: personnel 0 for a while
        ("baseline", ("militia.campaign_hazard_per_day=0.2",)),  # many posture changes
    ],
)
def test_step_series_as_runs_give_the_cells_and_sums_of_the_series_day_by_day(name, overrides):
    """A chunk counts its step series (personnel, escalation, posture) run by run: the same
    cells, counts and sums, bit for bit, as the same series day by day."""
    from drawdown_sim.series.bands import chunk_delta, series_bins, series_delta
    from drawdown_sim.series.daily import SeriesBatch

    s = scenario(name, *overrides)
    batch = SeriesBatch(s)
    for i, seed in enumerate(replication_seeds(12, 0, 40)):
        batch.add(simulate_seed(s, seed, i))
    bins = series_bins(s.initial_personnel)
    _assert_same_delta(series_delta(batch, bins), chunk_delta(batch.series(), bins))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(  # per replication: its personnel change points (gaps, sizes), maybe none
        st.lists(
            st.tuples(
                st.sampled_from([0.0, 0.5, 0.25, 1.0, 3.7, 120.0, 800.0]),  # gap, days
                st.integers(0, 2600),
            ),
            max_size=6,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_runs_of_any_step_trajectory_count_as_its_days(trajectories):
    """Points at an instant, at noon, after the horizon, before day 0's noon, none at all, and
    personnel above the integer bins: the runs count each day of each replication once, in
    the bin of the value the series has that day."""
    from drawdown_sim.series.bands import chunk_delta, series_bins, series_delta
    from drawdown_sim.series.daily import SeriesBatch

    s = scenario("baseline")
    batch = SeriesBatch(s)
    replications = []
    for i, points in enumerate(trajectories):
        replication = simulate_seed(s, replication_seeds(2, i, 1)[0], i)
        times = np.cumsum([gap for gap, _ in points])
        replication.log.trajectories.personnel[:] = [
            (float(t), size) for t, (_, size) in zip(times, points, strict=True)
        ]
        batch.add(replication)
        replications.append(replication)
    # The series themselves: those of each replication alone (attacks need a target: no
    # intensity on days that end with nobody, nor in a replication without personnel)
    for together, replication in zip(batch.series(), replications, strict=True):
        np.testing.assert_allclose(together, reference_daily_series(replication, s), rtol=1e-11)
    for initial in (2500, 30_000):  # integer bins, and log bins (above 20,000 personnel)
        bins = series_bins(initial)
        _assert_same_delta(series_delta(batch, bins), chunk_delta(batch.series(), bins))


def _second_point_late(points: list) -> None:
    """A second (time, personnel) point at day 700, before points of earlier days."""
    points.insert(1, (700.0, 1000))


def test_step_series_that_are_not_whole_numbers_or_out_of_order_are_counted_day_by_day():
    """Runs are summed exactly only for whole numbers, and hold only for points in time
    order: otherwise ``runs`` refuses, and a chunk counts that batch day by day."""
    from drawdown_sim.runner.chunks import ChunkIdentity, ChunkTask, _chunk_bands
    from drawdown_sim.series.bands import chunk_delta, series_bins
    from drawdown_sim.series.daily import SeriesBatch

    s = scenario("baseline")
    bins = series_bins(s.initial_personnel)
    for change, error in [
        (lambda points: points.append((300.0, 1234.5)), "whole numbers"),
        (_second_point_late, "out of time order"),
    ]:
        replications = [
            simulate_seed(s, seed, i) for i, seed in enumerate(replication_seeds(6, 0, 4))
        ]
        change(replications[2].log.trajectories.personnel)
        batch = SeriesBatch(s)
        for replication in replications:
            batch.add(replication)
        with pytest.raises(ValueError, match=error):
            batch.runs("personnel")
        task = ChunkTask(ChunkIdentity("run", 0, 0, 0, 4), s, 6, 0)
        failures: list = []
        kept, delta = _chunk_bands(task, batch, [0, 1, 2, 3], failures)
        assert kept == [0, 1, 2, 3] and not failures
        _assert_same_delta(delta, chunk_delta(batch.series(), bins))


def test_a_trajectory_with_a_point_of_the_wrong_width_is_refused_and_nothing_of_it_kept():
    """The batch keeps each kind's points in one flat run: a point of the wrong width would
    shift every later replication's points, so it is refused and the batch goes on as if the
    replication had never been added."""
    from drawdown_sim.series.daily import SeriesBatch

    s = scenario("baseline")
    replications = [simulate_seed(s, seed, i) for i, seed in enumerate(replication_seeds(3, 0, 5))]
    # pressure comes after four kinds already flattened by then: those must be taken back
    replications[2].log.trajectories.pressure.append((400.0, 1.0))
    batch = SeriesBatch(s)
    for k, replication in enumerate(replications):
        if k == 2:
            with pytest.raises(ValueError, match="pressure trajectory"):
                batch.add(replication)
        else:
            batch.add(replication)
    good = SeriesBatch(s)
    for k in (0, 1, 3, 4):
        good.add(replications[k])
    assert len(batch) == 4
    assert batch.counts == good.counts
    assert batch.values == good.values
    np.testing.assert_array_equal(batch.series(), good.series())
    np.testing.assert_array_equal(batch.one(2).series(), good.one(2).series())


def test_events_recorded_out_of_order_give_the_series_of_the_same_events_in_order():
    """Events are recorded in time order, which the series skip sorting for; any that are
    not are sorted first, as before."""
    from drawdown_sim.series.daily import daily_series, daily_series_batch

    s = scenario("baseline", "militia.campaign_hazard_per_day=0.2")  # many attacks, strikes
    replications = [simulate_seed(s, seed, i) for i, seed in enumerate(replication_seeds(4, 0, 3))]
    expected = daily_series_batch(replications, s)
    log = replications[1].log
    assert len(log.attacks) > 10 and len(log.strikes) > 2
    log.attacks.reverse()
    log.strikes.reverse()
    np.testing.assert_array_equal(daily_series_batch(replications, s), expected)
    np.testing.assert_array_equal(daily_series(replications[1], s), expected[1])


def test_bands_quantiles_and_checkpoint_cells_over_occupied_bins_are_the_full_ones(tmp_path):
    from drawdown_sim.series.bands import Bands
    from drawdown_sim.series.daily import daily_series_batch

    s = scenario("baseline")
    seeds = replication_seeds(5, 0, 60)

    daily = daily_series_batch([simulate_seed(s, seed, i) for i, seed in enumerate(seeds)], s)
    bands = Bands(s.horizon_days, s.initial_personnel)
    bands.add(daily)
    for series in bands.bins:
        cumulative = np.cumsum(bands.histogram(series), axis=0)
        qs = (0.05, 0.5, 0.95)
        for q, got in zip(qs, bands.quantiles(series, qs), strict=True):
            full = bands.bins[series].value((cumulative >= q * bands.count - 1e-9).argmax(axis=0))
            np.testing.assert_array_equal(got, full)
    with open(tmp_path / "c.npz", "wb") as handle:
        bands.save(handle, folded=[0])
    with np.load(tmp_path / "c.npz") as saved:
        for series in bands.bins:
            hist = bands.histogram(series)
            cells = np.flatnonzero(hist)
            np.testing.assert_array_equal(saved[f"cells_{series}"], cells)
            np.testing.assert_array_equal(saved[f"counts_{series}"], hist.ravel()[cells])
    empty = Bands(s.horizon_days, s.initial_personnel)
    assert (empty.quantile("personnel", 0.5) == 0).all()


@settings(max_examples=300, deadline=None)
@given(
    counts=st.integers(1, 70).flatmap(
        lambda rows: st.lists(
            st.lists(st.integers(0, 3), min_size=rows, max_size=rows), min_size=1, max_size=12
        )
    ),
    shares=st.lists(st.floats(-0.5, 1.5), min_size=1, max_size=6),
)
def test_first_reaching_is_each_columns_searchsorted(counts: list[list[int]], shares: list[float]):
    # Columns that never fall (running counts down the bins, flat runs included), thresholds
    # at, between, below and above their values: every threshold's first row reaching it is
    # numpy's own binary search of the column.
    from drawdown_sim.series.bands import first_reaching

    cumulative = np.cumsum(np.array(counts, dtype=np.int32).T, axis=0, dtype=np.int32)
    top = int(cumulative[-1].max())
    thresholds = [share * top for share in shares] + [share * top - 1e-9 for share in shares]
    got = first_reaching(cumulative, thresholds)
    expected = [
        [np.searchsorted(column, threshold, side="left") for column in cumulative.T]
        for threshold in thresholds
    ]
    np.testing.assert_array_equal(got, expected)


def test_chunk_checksum_skips_the_mask_only_when_there_are_no_nulls():
    import hashlib

    import pyarrow as pa

    from drawdown_sim.runner.tables import table_digest

    def with_masks(table: pa.Table) -> str:  # the digest as it was: every mask built
        digest = hashlib.sha256()
        for name, column in zip(table.column_names, table.columns, strict=True):
            digest.update(name.encode() + b"\x1e")
            array = column.combine_chunks()
            digest.update(array.is_valid().to_numpy(zero_copy_only=False).tobytes())
            filled = array.fill_null(False if pa.types.is_boolean(array.type) else 0)
            digest.update(filled.to_numpy(zero_copy_only=False).tobytes())
        return digest.hexdigest()

    complete = pa.table({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5], "c": [True, False, True]})
    holes = pa.table({"a": [1, None, 3], "b": [None, 1.5, 2.5], "c": [True, None, True]})
    assert table_digest(complete) == with_masks(complete)
    assert table_digest(holes) == with_masks(holes)
    assert table_digest(holes) != table_digest(holes.set_column(0, "a", pa.array([1, 0, 3])))
