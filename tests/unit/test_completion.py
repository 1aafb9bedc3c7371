"""Completion statistics: Kaplan-Meier through scipy, its grouped form for large runs, and
the bootstrap of paired differences in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from drawdown_sim.comparison import BOOTSTRAP_BINS, _bootstrap_mean_interval
from drawdown_sim.completion import kaplan_meier, quantile, summarize_completion


@pytest.mark.parametrize("censored_share", [0.0, 0.1, 0.6])
def test_grouped_kaplan_meier_equals_scipys(censored_share: float):
    rng = np.random.default_rng(1)
    x = np.round(rng.gamma(2, 30, 20_000) * 24) / 24  # on the grouped form's hourly grid
    x[rng.random(x.size) < censored_share] = np.nan
    scipy_curve = kaplan_meier(x, 760.0, grouped=False)
    grouped = kaplan_meier(x, 760.0, grouped=True)
    np.testing.assert_allclose(scipy_curve.days, grouped.days, rtol=1e-12)
    for field in ("cdf", "low", "high"):
        np.testing.assert_allclose(getattr(scipy_curve, field), getattr(grouped, field), atol=1e-12)
    a, b = quantile(scipy_curve, 0.5), quantile(grouped, 0.5)
    np.testing.assert_allclose([a.value, a.low, a.high], [b.value, b.low, b.high], rtol=1e-12)


def test_an_unreached_median_is_reported_as_such():
    x = np.array([10.0] * 30 + [np.nan] * 70)  # 70% unfinished at the horizon
    summary = summarize_completion(x, planned_end=5.0, window_days=20.0, horizon_days=40.0)
    assert not summary.median_day.reached
    assert summary.censored.value == pytest.approx(0.7)
    assert summary.by_planned_end.value == 0.0 and summary.by_window_end.value == 0.3
    assert summary.by_window_end.low < 0.3 < summary.by_window_end.high


def test_multinomial_bootstrap_of_counts_matches_the_normal_interval():
    rng = np.random.default_rng(2)
    d = rng.poisson(3.0, 200_000) - rng.poisson(2.8, 200_000)
    lo, hi = _bootstrap_mean_interval(d, np.random.default_rng(3))
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    # With 2,000 resamples the percentile interval's ends carry Monte Carlo error of a few %.
    assert lo == pytest.approx(d.mean() - half, abs=0.1 * half)
    assert hi == pytest.approx(d.mean() + half, abs=0.1 * half)


def test_binned_bootstrap_of_continuous_differences_stays_within_its_bound():
    rng = np.random.default_rng(4)
    d = rng.normal(1.0, 5.0, 300_000)
    assert np.unique(d).size > BOOTSTRAP_BINS  # the binned path
    lo, hi = _bootstrap_mean_interval(d, np.random.default_rng(5))
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    assert lo == pytest.approx(d.mean() - half, abs=0.1 * half)
    assert hi == pytest.approx(d.mean() + half, abs=0.1 * half)


def test_a_constant_difference_has_a_degenerate_interval():
    assert _bootstrap_mean_interval(np.zeros(50), np.random.default_rng(0)) == (0.0, 0.0)
