"""Every mean a run reports comes with its Monte Carlo 95% interval."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from drawdown_sim.analysis.results import summarize as summarize_all
from drawdown_sim.model import OUTCOMES

Z = stats.norm.ppf(0.975)


def summarize(columns: dict[str, np.ndarray]):
    """:func:`summarize_all` of ``columns``, every other outcome zero."""
    size = len(next(iter(columns.values())))
    return summarize_all({name: columns.get(name, np.zeros(size)) for name in OUTCOMES})


def test_a_counts_mean_interval_is_the_normal_interval_of_the_mean():
    values = np.random.default_rng(1).poisson(7, 500).astype(float)
    row = summarize({"attacks": values}).loc["attacks"]
    half = Z * values.std(ddof=1) / np.sqrt(values.size)
    assert row["mean_lo"] == pytest.approx(values.mean() - half, rel=1e-12)
    assert row["mean_hi"] == pytest.approx(values.mean() + half, rel=1e-12)


def test_a_shares_interval_is_wilsons():
    values = np.r_[np.ones(3), np.zeros(97)]  # 3 of 100 runs
    row = summarize({"isis_resurgence": values}).loc["isis_resurgence"]
    p, n = 0.03, 100
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    assert row["mean_lo"] == pytest.approx(centre - half, abs=1e-9)
    assert row["mean_hi"] == pytest.approx(centre + half, abs=1e-9)
    # Never a share's interval of zero width at 0 (a normal interval would be [0, 0]).
    none = summarize({"isis_resurgence": np.zeros(100)}).loc["isis_resurgence"]
    assert none["mean_lo"] == 0.0 and none["mean_hi"] == pytest.approx(Z**2 / (n + Z**2))


def test_the_share_of_runs_above_zero_carries_its_wilson_interval():
    values = np.r_[np.zeros(70), np.arange(1.0, 31.0)]  # 30 of 100 runs above zero
    row = summarize({"killed": values}).loc["killed"]
    expected = stats.binomtest(30, 100).proportion_ci(method="wilson")
    assert row["p_positive"] == 0.3
    assert row["p_positive_lo"] == pytest.approx(expected.low, abs=1e-12)
    assert row["p_positive_hi"] == pytest.approx(expected.high, abs=1e-12)
    # Of a censored outcome, over every run (an unfinished plan is not above zero, yet).
    censored = summarize_all(
        {
            **{name: np.zeros(10) for name in OUTCOMES},
            "slip_days": np.r_[np.full(4, 12.0), np.zeros(4), np.full(2, np.nan)],
        },
        planned_end=100.0,
        horizon_days=730.0,
    ).loc["slip_days"]
    expected = stats.binomtest(4, 10).proportion_ci(method="wilson")
    assert censored["p_positive"] == 0.4
    assert censored["p_positive_lo"] == pytest.approx(expected.low, abs=1e-12)


def test_the_intervals_cover_the_true_mean_at_their_level():
    """Heavy-tailed counts, as attacks are: negative binomial with mean 30, 400 runs each."""
    trials, runs, mean = 400, 400, 30.0
    shape = 0.6
    covered = 0
    for trial in range(trials):
        values = np.random.default_rng(trial).negative_binomial(shape, shape / (shape + mean), runs)
        row = summarize({"attacks": values.astype(float)}).loc["attacks"]
        covered += row["mean_lo"] <= mean <= row["mean_hi"]
    share = covered / trials
    # The normal interval of a skewed mean runs a little short at 400 runs: four standard
    # errors of the coverage itself, and one point of allowance.
    assert abs(share - 0.95) <= 4 * np.sqrt(0.95 * 0.05 / trials) + 0.01


def test_the_run_answer_gives_every_mean_and_share_its_interval(tmp_path):
    from drawdown_sim import run
    from drawdown_sim.present.report.content import run_answer
    from tests.helpers import scenario

    results = run(scenario("baseline"), reps=40, workers=1, out=tmp_path / "r")
    summary = results.summary()
    lines = run_answer(results)
    resurgence = next(line for line in lines if "resurgence occurs" in line)
    row = summary.loc["isis_resurgence"]
    assert f"(95% CI {row['mean_lo']:.0%} to {row['mean_hi']:.0%})" in resurgence
    assert (
        sum(line.count("95% CI") for line in lines) >= 7
    )  # four means, a share, two follow-on means


@pytest.mark.parametrize("cells", [1, 3 * 257, 10**6])
def test_complete_columns_summarised_together_are_each_summarised_alone(monkeypatch, cells):
    # Complete columns go through one quantile, mean and variance call per quantile method,
    # in groups of at most SUMMARY_CELLS values (1: every column alone); the rest one by
    # one. Every figure is exactly the plain computation on that column alone.
    from drawdown_sim.analysis import results
    from drawdown_sim.model import OUTCOME_SPECS

    monkeypatch.setattr(results, "SUMMARY_CELLS", cells)
    rng = np.random.default_rng(4)
    columns = {}
    for at, name in enumerate(OUTCOMES):
        kind = OUTCOME_SPECS[name].kind
        values = (
            rng.integers(0, 2, 257) if kind == "bool" else rng.negative_binomial(0.7, 0.05, 257)
        ).astype(float)
        if kind == "float":
            values = values * rng.lognormal(0.0, 1.0, 257)
        if at % 5 == 1:
            values[rng.integers(0, 257, 9)] = np.nan  # nulls: summarised alone
        columns[name] = values
    columns["crisis_days_follow_on"] = np.full(257, np.nan)  # null throughout: left out
    calls: list[list[str]] = []
    together = results._summary_rows

    def watch(group: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
        calls.append(list(group))
        return together(group)

    monkeypatch.setattr(results, "_summary_rows", watch)
    summary = results.summarize(columns)
    complete = [n for n in OUTCOMES if np.isfinite(columns[n]).all()]
    # A column with nulls is summarised alone; the groups are those of complete columns.
    groups = [call for call in calls if call[0] in complete]
    assert all(len(call) == 1 for call in calls if call[0] not in complete)
    # Memory: at most SUMMARY_CELLS values held together (one column at least).
    assert all(len(group) <= max(1, cells // 257) for group in groups)
    assert [n for group in groups for n in group] == complete
    assert "crisis_days_follow_on" not in summary.index
    assert list(summary.index) == [n for n in OUTCOMES if n != "crisis_days_follow_on"]
    for name in summary.index:
        values = columns[name][np.isfinite(columns[name])]
        method = "linear" if OUTCOME_SPECS[name].kind == "float" else "inverted_cdf"
        q05, median, q95 = np.quantile(values, [0.05, 0.5, 0.95], method=method)
        row = summary.loc[name]
        assert (row["mean"], row["median"], row["q05"], row["q95"]) == (
            values.mean(),
            median,
            q05,
            q95,
        ), name
        assert row["p_positive"] == (values > 0).mean(), name
        lo, hi = results.mean_interval(
            OUTCOME_SPECS[name].kind, values.size, values.mean(), values.var(ddof=1)
        )
        assert (row["mean_lo"], row["mean_hi"]) == (lo, hi), name
