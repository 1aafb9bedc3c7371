"""Completion statistics: Kaplan-Meier in closed form against scipy's, its grouped form for
large runs, and the bootstrap of paired differences in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from drawdown_sim.analysis.comparison import (
    BOOTSTRAP_BINS,
    _bootstrap_mean_interval,
    _bootstrap_mean_intervals,
)
from drawdown_sim.analysis.completion import kaplan_meier, quantile, summarize_completion


def _scipys(x: np.ndarray, censored_at: float) -> tuple[np.ndarray, ...]:
    """(days, cdf, low, high) of scipy.stats.ecdf with the unfinished runs right-censored at
    ``censored_at`` and its linear (Greenwood) band; where the band is undefined (an estimate
    of 0 or 1, with a variance of zero) it is the estimate itself."""
    import warnings

    from scipy.stats import CensoredData, ecdf

    done = x[~np.isnan(x)]
    unfinished = np.full(int(np.isnan(x).sum()), censored_at)
    result = ecdf(CensoredData(uncensored=done, right=unfinished)).cdf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        band = result.confidence_interval(0.95)
    cdf = result.probabilities
    low, high = band.low.probabilities, band.high.probabilities
    return (
        result.quantiles,
        cdf,
        np.where(np.isnan(low), cdf, low),
        np.where(np.isnan(high), cdf, high),
    )


@pytest.mark.parametrize(("runs", "censored_share"), [(7, 0.0), (500, 0.1), (5_000, 0.6)])
def test_kaplan_meier_equals_scipys_ecdf(runs: int, censored_share: float):
    # The closed form (empirical CDF, binomial variance) against the library's estimator,
    # at exact (continuous) times and with ties.
    rng = np.random.default_rng(runs)
    x = rng.gamma(2, 30, runs)
    x[: runs // 5] = np.round(x[: runs // 5])  # some tied completion days
    x[rng.random(runs) < censored_share] = np.nan
    ours = kaplan_meier(x, 760.0)
    days, cdf, low, high = _scipys(x, 760.0)
    np.testing.assert_array_equal(ours.days, days)
    np.testing.assert_allclose(ours.cdf, cdf, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.low, low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.high, high, rtol=0, atol=1e-12)
    assert ours.censored_share == pytest.approx(np.isnan(x).mean())


def test_summarising_a_run_does_not_import_scipy_stats():
    # Importing scipy.stats takes a second or more: every command that summarises a run
    # paid it, and compare's main process paid it while the workers computed.
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from drawdown_sim.analysis.completion import summarize_completion\n"
        "x = np.r_[np.linspace(300, 420, 90), [np.nan] * 10]\n"
        "summarize_completion(x, 380.0, 365.0, 760.0)\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("censored_share", [0.0, 0.1, 0.6])
def test_grouped_kaplan_meier_equals_the_exact_one_on_the_hourly_grid(censored_share: float):
    rng = np.random.default_rng(1)
    x = np.round(rng.gamma(2, 30, 20_000) * 24) / 24  # on the grouped form's hourly grid
    x[rng.random(x.size) < censored_share] = np.nan
    exact = kaplan_meier(x, 760.0, grouped=False)
    grouped = kaplan_meier(x, 760.0, grouped=True)
    np.testing.assert_allclose(exact.days, grouped.days, rtol=1e-12)
    for field in ("cdf", "low", "high"):
        np.testing.assert_allclose(getattr(exact, field), getattr(grouped, field), atol=1e-12)
    a, b = quantile(exact, 0.5), quantile(grouped, 0.5)
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


def test_joint_bootstrap_of_an_options_outcomes_matches_the_normal_intervals():
    # Counts, a continuous difference and a yes/no difference, over the same 2,000 pairs.
    rng = np.random.default_rng(6)
    n = 2_000
    d = np.column_stack(
        [
            rng.poisson(3.0, n) - rng.poisson(2.8, n),
            rng.normal(1.0, 5.0, n),
            (rng.random(n) < 0.3).astype(float) - (rng.random(n) < 0.2),
        ]
    )
    intervals = _bootstrap_mean_intervals(d, np.random.default_rng(7))
    for column, (lo, hi) in zip(d.T, intervals, strict=True):
        half = 1.96 * column.std(ddof=1) / np.sqrt(n)
        # The percentile ends carry Monte Carlo error of about 3% of the half-width (2,000
        # resamples); 10% is three of those.
        assert lo == pytest.approx(column.mean() - half, abs=0.1 * half)
        assert hi == pytest.approx(column.mean() + half, abs=0.1 * half)


def test_joint_bootstrap_resamples_every_outcome_with_the_same_replications():
    rng = np.random.default_rng(8)
    first, second = rng.normal(0.0, 1.0, 500), rng.poisson(2.0, 500).astype(float)
    together = _bootstrap_mean_intervals(np.column_stack([first, second]), np.random.default_rng(9))
    alone = [
        _bootstrap_mean_intervals(column[:, None], np.random.default_rng(9))[0]
        for column in (first, second)
    ]
    np.testing.assert_allclose(together, alone, rtol=1e-12)
    # Another resampling stream gives other intervals: the pairing is in the draws.
    other = _bootstrap_mean_intervals(first[:, None], np.random.default_rng(10))[0]
    assert other != pytest.approx(alone[0], rel=1e-6)


def test_joint_bootstrap_does_not_depend_on_the_blas_thread_count():
    # A threaded matrix product splits its sums by thread, which changes the last digits of
    # continuous differences' intervals with the CPU count; the bootstrap uses one thread.
    from threadpoolctl import threadpool_limits

    d = np.random.default_rng(11).normal(0.0, 3.0, (1_500, 20))

    def intervals(threads: int) -> list[tuple[float, float]]:
        with threadpool_limits(limits=threads, user_api="blas"):
            return _bootstrap_mean_intervals(d, np.random.default_rng(12))

    assert intervals(1) == intervals(4)


def test_the_joint_bootstraps_blocks_of_resamples_do_not_change_its_intervals(monkeypatch):
    # The resamples are drawn in blocks that fit in a cache; each resample's draws are the
    # same whatever the block size, so the intervals are the same as from one block of all.
    from drawdown_sim.analysis import comparison

    d = np.random.default_rng(5).normal(0.0, 2.0, (400, 12))
    blocked = _bootstrap_mean_intervals(d, np.random.default_rng(6))
    assert comparison.BOOTSTRAP_BLOCK_CELLS // 400 < comparison.BOOTSTRAP_RESAMPLES  # blocks
    monkeypatch.setattr(comparison, "BOOTSTRAP_BLOCK_CELLS", 400 * comparison.BOOTSTRAP_RESAMPLES)
    whole = _bootstrap_mean_intervals(d, np.random.default_rng(6))
    # Other draws would move the bounds by about a tenth of a standard error (0.01 here).
    np.testing.assert_allclose(blocked, whole, rtol=1e-12, atol=1e-12)


def test_a_constant_difference_has_a_degenerate_interval_in_the_joint_bootstrap_too():
    d = np.column_stack([np.full(300, 2.5), np.arange(300.0)])
    (lo, hi), _ = _bootstrap_mean_intervals(d, np.random.default_rng(0))
    assert (lo, hi) == (2.5, 2.5)


@pytest.mark.parametrize(
    ("successes", "trials"),
    [(0, 1), (0, 400), (137, 400), (400, 400), (1, 3), (2, 3), (7, 10), (4999, 10000)],
)
def test_a_share_has_the_wilson_score_interval(successes, trials):
    from scipy.stats import binomtest, norm

    from drawdown_sim.analysis.completion import CONFIDENCE, proportion

    got = proportion(successes, trials)
    scipy_ci = binomtest(successes, trials).proportion_ci(CONFIDENCE, method="wilson")
    assert (got.low, got.high) == pytest.approx((scipy_ci.low, scipy_ci.high), abs=1e-12)
    # The score interval in closed form (Wilson 1927).
    z = norm.ppf(0.5 + CONFIDENCE / 2)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z / (1 + z * z / trials) * np.sqrt(share * (1 - share) / trials + z * z / (4 * trials**2))
    )
    assert (got.low, got.high) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert got.value == share
    # The closed form the comparison table uses for its thousands of shares: scipy's.
    from drawdown_sim.analysis.completion import wilson

    assert wilson(successes, trials) == pytest.approx((scipy_ci.low, scipy_ci.high), abs=1e-12)


def test_a_share_of_no_trials_is_unknown():
    from drawdown_sim.analysis.completion import proportion

    got = proportion(0, 0)
    assert np.isnan([got.value, got.low, got.high]).all()


def test_without_a_plan_completion_is_not_applicable_in_the_tables():
    """The status quo has no plan: its completion shows "n/a", never a completion on day 0
    at 100%; an option with a plan keeps its numbers."""
    from rich.console import Console

    from drawdown_sim.present.console import completion_table

    no_plan = summarize_completion(np.zeros(50), None, 365.0, 730.0)
    plan = summarize_completion(np.full(50, 200.0), 180.0, 365.0, 730.0)
    assert not no_plan.has_plan and plan.has_plan
    out = Console(width=200, record=True)
    out.print(completion_table({"status_quo": no_plan, "full_exit": plan}, "t"))
    lines = {line.split()[1]: line for line in out.export_text().splitlines() if "_" in line}
    assert lines["status_quo"].count("n/a") == 5
    assert "n/a" not in lines["full_exit"] and "100%" in lines["full_exit"]
