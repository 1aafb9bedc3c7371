"""The Hawkes reduction (docs/model.md, validation): with every other mechanism off, attacks
are exactly a Hawkes process.

Each test compares a simulated statistic with an exact formula. Tolerances come from the
standard error of the simulated statistic; each test states its false-failure rate (the
chance it fails although the model is right). Seeds are fixed, so a run is reproducible.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from drawdown_sim.common import hawkes
from tests.helpers import REDUCTION, replicate, scenario

pytestmark = pytest.mark.statistical

REPS = 1200
Z = 4.0  # two-sided normal tail beyond 4 SE: false-failure rate 6.3e-5


@pytest.fixture(scope="module")
def hawkes_run():
    s = scenario("baseline", *REDUCTION)
    return s, replicate(s, REPS, seed=8)


def _params(s):
    m = s.militia
    mu = s.background_rate("campaign")
    return mu, m.branching_ratio, 1.0 / m.trigger_days, s.horizon_days


def test_reduction_has_no_other_mechanism(hawkes_run):
    s, reps = hawkes_run
    for r in reps[:50]:
        assert not r.log.strikes and not r.log.shocks and not r.log.movements
        assert not r.log.isis_attacks
        assert {a.cause for a in r.log.attacks} <= {"background", "attack"}
        # Exposure 1 and multiplier 1: the background is the campaign rate throughout.
        assert [b for _, b in r.trajectories.background] == [s.background_rate("campaign")]


def test_mean_count_matches_the_exact_transient_formula(hawkes_run):
    s, reps = hawkes_run
    mu, n, beta, horizon = _params(s)
    counts = np.array([len(r.log.attacks) for r in reps], dtype=float)
    exact = hawkes.expected_count(mu, n, beta, horizon)
    se = counts.std(ddof=1) / np.sqrt(counts.size)
    assert abs(counts.mean() - exact) < Z * se, (counts.mean(), exact, se)
    # The transient term matters: the stationary mean mu T / (1 - n) is further off.
    assert exact < mu * horizon / (1 - n)


def test_fano_factor_of_30_day_counts(hawkes_run):
    s, reps = hawkes_run
    _, n, beta, _ = _params(s)
    # One window per replication, late enough that the empty start has worn off
    # (exp(-beta (1 - n) 200) < 4e-4): independent samples of the stationary count.
    x = np.array([sum(200 <= a.time < 230 for a in r.log.attacks) for r in reps], dtype=float)
    m, v = x.mean(), x.var(ddof=1)
    fano = v / m
    # Delta-method standard error of var/mean from the sample moments.
    c = x - m
    mu3, mu4 = (c**3).mean(), (c**4).mean()
    var_f = ((mu4 - v**2) / m**2 + v**3 / m**4 - 2 * v * mu3 / m**3) / x.size
    exact = hawkes.stationary_fano(n, beta, 30.0)
    assert abs(fano - exact) < Z * np.sqrt(var_f), (fano, exact, np.sqrt(var_f))
    assert exact > 1.5  # clearly over-dispersed: a Poisson process would fail this test


def test_cluster_sizes_follow_the_borel_law(hawkes_run):
    s, reps = hawkes_run
    _, n, _, horizon = _params(s)
    sizes = []
    for r in reps:
        root = {}
        count: dict[int, int] = {}
        for a in r.log.attacks:
            root[a.id] = a.id if a.cause == "background" else root[a.parent]
            count[root[a.id]] = count.get(root[a.id], 0) + 1
        # Clusters rooted early have finished by the window end (P(unfinished) < 1e-4).
        early = {a.id for a in r.log.attacks if a.cause == "background" and a.time < horizon - 200}
        sizes += [count[i] for i in early]
    sizes = np.array(sizes)
    k = np.arange(1, 6)
    p = hawkes.borel_pmf(k, n)
    expected = np.append(p, 1 - p.sum()) * sizes.size
    observed = np.append([np.sum(sizes == i) for i in k], np.sum(sizes > 5))
    result = stats.chisquare(observed, expected)
    assert result.pvalue > 1e-3, (observed, expected)  # false-failure rate 0.1%
    assert abs(sizes.mean() - 1 / (1 - n)) < 0.05 * (1 / (1 - n))


def test_time_rescaled_gaps_are_unit_exponential(hawkes_run):
    s, reps = hawkes_run
    mu, n, beta, _ = _params(s)
    gaps, poisson_gaps = [], []
    for r in reps[:400]:
        t = np.array([a.time for a in r.log.attacks])
        lam = hawkes.compensator(t, t, mu, n, beta)
        gaps.append(np.diff(np.concatenate(([0.0], lam))))
        poisson_gaps.append(np.diff(np.concatenate(([0.0], mu / (1 - n) * t))))
    assert stats.kstest(np.concatenate(gaps), "expon").pvalue > 1e-3  # false failures 0.1%
    # Rescaled with the Poisson rate of the same mean, the clustered gaps are not Exp(1):
    # the test can tell a Hawkes process from a Poisson one.
    assert stats.kstest(np.concatenate(poisson_gaps), "expon").pvalue < 1e-6


def test_log_likelihood_peaks_near_the_true_branching_ratio(hawkes_run):
    s, reps = hawkes_run
    mu, n, beta, horizon = _params(s)
    times = [np.array([a.time for a in r.log.attacks]) for r in reps[:300]]
    grid = np.array([0.25, 0.35, 0.45, 0.55, 0.65])
    total = [
        sum(hawkes.log_likelihood(t, horizon, mu * (1 - g) / (1 - n), g, beta) for t in times)
        for g in grid
    ]
    assert grid[int(np.argmax(total))] == pytest.approx(n)


def test_branching_ratio_zero_gives_poisson_counts():
    s = scenario("baseline", *REDUCTION, "militia.branching_ratio=0")
    reps = replicate(s, 1500, seed=9)
    counts = np.array([len(r.log.attacks) for r in reps], dtype=float)
    expected = s.background_rate("campaign") * s.horizon_days
    se = np.sqrt(expected / counts.size)
    assert abs(counts.mean() - expected) < Z * se
    # Dispersion index: sum (x - mean)^2 / mean ~ chi2(R - 1) for Poisson counts.
    statistic = ((counts - counts.mean()) ** 2).sum() / counts.mean()
    p = stats.chi2.cdf(statistic, counts.size - 1)
    assert 5e-4 < p < 1 - 5e-4  # two-sided, false-failure rate 0.1%
