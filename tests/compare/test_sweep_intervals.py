"""Every number of a sweep's answer comes with its interval, and no option is said to have a
lower regret, or to meet the thresholds in more states, than its interval supports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from drawdown_sim.analysis.sweeps import (
    RESAMPLES,
    Sweep,
    regret_gap,
    regret_table,
    satisficing_gap,
    satisficing_table,
)
from drawdown_sim.scenario.study import Study

STUDY = Study(
    name="s",
    options=["a.yaml", "b.yaml"],
    outcomes=["killed"],
    thresholds={"killed": {"max": 1.0}},
)


def _frame(values: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per state and option, ``killed`` the option's value in each state."""
    rows = [
        {"state": state, "option": option, "killed": float(v)}
        for option, column in values.items()
        for state, v in enumerate(column)
    ]
    return pd.DataFrame(rows).sort_values(["state"], kind="stable").reset_index(drop=True)


def test_mean_regret_intervals_cover_the_true_mean_at_their_level():
    """Option b's regret in a state is max(0, b - a), b - a ~ N(0.5, 1): its mean is known
    exactly, and the bootstrap interval over 40 states must cover it about 95% of the time."""
    delta, states, trials = 0.5, 40, 300
    true = delta * stats.norm.cdf(delta) + stats.norm.pdf(delta)  # E[max(0, X)], X ~ N(0.5, 1)
    covered = 0
    for trial in range(trials):
        rng = np.random.default_rng(trial)
        a = rng.normal(0, 1, states)
        b = a + rng.normal(delta, 1, states)
        study = STUDY.model_copy(update={"seed": trial})
        row = regret_table(_frame({"a": a, "b": b}), study).set_index("option").loc["b"]
        covered += row["regret_lo"] <= true <= row["regret_hi"]
    share = covered / trials
    # Percentile intervals of a mean run a little short at 40 states; four standard errors.
    assert abs(share - 0.95) <= 4 * np.sqrt(0.95 * 0.05 / trials) + 0.01


def test_regret_interval_is_the_percentile_bootstrap_over_the_states():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 25), rng.normal(0.3, 1, 25)
    table = regret_table(_frame({"a": a, "b": b}), STUDY).set_index("option")
    regret_b = np.maximum(b - np.minimum(a, b), 0.0)
    draws = np.random.default_rng(STUDY.seed).integers(0, 25, size=(RESAMPLES, 25))
    low, high = np.quantile(regret_b[draws].mean(axis=1), [0.025, 0.975])
    assert table.loc["b", "regret_lo"] == pytest.approx(low, abs=1e-12)
    assert table.loc["b", "regret_hi"] == pytest.approx(high, abs=1e-12)
    assert (
        table.loc["b", "regret_lo"] <= table.loc["b", "regret_mean"] <= table.loc["b", "regret_hi"]
    )


def test_mean_across_states_and_best_in_carry_their_intervals():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0, 1, 25), rng.normal(0.3, 1, 25)
    b[3] = np.nan  # a state whose replications all failed counts in none
    table = regret_table(_frame({"a": a, "b": b}), STUDY).set_index("option")
    kept = b[~np.isnan(b)]
    draws = np.random.default_rng(STUDY.seed).integers(0, kept.size, size=(RESAMPLES, kept.size))
    low, high = np.quantile(kept[draws].mean(axis=1), [0.025, 0.975])
    assert table.loc["b", "mean_lo"] == pytest.approx(low, abs=1e-12)
    assert table.loc["b", "mean_hi"] == pytest.approx(high, abs=1e-12)
    # b is best where it is lower than a, among the 24 states judged.
    best = int((kept < np.delete(a, 3)).sum())
    assert table.loc["b", "best_in_states"] == pytest.approx(best / 24)
    expected = stats.binomtest(best, 24).proportion_ci(method="wilson")
    assert table.loc["b", "best_in_lo"] == pytest.approx(expected.low, abs=1e-12)
    assert table.loc["b", "best_in_hi"] == pytest.approx(expected.high, abs=1e-12)
    # Shown with their intervals in the terminal's table and the report's.
    from drawdown_sim.present.console import sweep_tables as console_tables
    from drawdown_sim.present.report.content import sweep_tables as report_tables

    sweep = _sweep({"a": a, "b": b})
    console = console_tables(sweep)[0]
    cells = {column.header: list(column._cells) for column in console.columns}
    row_b = cells["option"].index("b")
    # One form in both (common/numbers.py): "value [low, high]", a share's bounds in percent.
    from drawdown_sim.common.numbers import number

    assert cells["mean (95%)"][row_b].endswith(f"[{number(low)}, {number(high)}]")
    share = f"[{expected.low * 100:.0f}, {expected.high * 100:.0f}]"
    assert cells["best in (95%)"][row_b].endswith(share)
    report = report_tables(sweep)[0]["rows"]
    assert report[row_b][6].endswith(share)
    assert report[row_b][6] == cells["best in (95%)"][row_b]
    assert report[row_b][2].count("[") == 1


def test_an_option_best_in_every_state_has_exactly_zero_regret():
    a = np.arange(10.0)
    table = regret_table(_frame({"a": a, "b": a + 1}), STUDY).set_index("option")
    assert table.loc["a", ["regret_mean", "regret_lo", "regret_hi"]].tolist() == [0.0] * 3
    assert table.loc["b", ["regret_lo", "regret_hi"]].tolist() == [1.0, 1.0]


def test_regret_gaps_are_called_apart_only_when_their_interval_excludes_zero():
    rng = np.random.default_rng(2)
    a = rng.normal(0, 1, 30)
    clear = regret_gap(_frame({"a": a, "b": a + 0.5}), STUDY, "killed", "a", "b")
    assert clear.difference == pytest.approx(-0.5) and clear.high < 0 and clear.distinguishable
    same = regret_gap(_frame({"a": a, "b": a.copy()}), STUDY, "killed", "a", "b")
    assert (same.difference, same.low, same.high) == (0.0, 0.0, 0.0)
    assert not same.distinguishable
    noisy = regret_gap(_frame({"a": a, "b": a + rng.normal(0, 3, 30)}), STUDY, "killed", "a", "b")
    assert noisy.low < 0 < noisy.high and not noisy.distinguishable


def test_satisficing_shares_carry_their_wilson_interval():
    a = np.array([0.5] * 7 + [2.0] * 13)  # meets killed <= 1 in 7 of 20 states
    b = np.array([0.5] * 20)
    table = satisficing_table(_frame({"a": a, "b": b}), STUDY).set_index("option")
    z = stats.norm.ppf(0.975)
    p, n = 7 / 20, 20
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert table.loc["a", "satisficing_fraction"] == pytest.approx(0.35)
    assert table.loc["a", "satisficing_lo"] == pytest.approx(centre - half, abs=1e-9)
    assert table.loc["a", "satisficing_hi"] == pytest.approx(centre + half, abs=1e-9)
    gap = satisficing_gap(_frame({"a": a, "b": b}), STUDY, "b", "a")
    assert gap.difference == pytest.approx(0.65) and gap.distinguishable


def _sweep(values: dict[str, np.ndarray]) -> Sweep:
    frame = _frame(values)
    return Sweep(
        frame,
        regret_table(frame, STUDY),
        satisficing_table(frame, STUDY),
        pd.DataFrame(columns=["option", "outcome", "parameter", "S1", "S1_conf"]),
        STUDY,
        [],
    )


def test_the_answer_names_a_lowest_regret_only_as_far_as_its_interval_goes():
    from drawdown_sim.present.report.content import sweep_answer

    rng = np.random.default_rng(5)
    a = rng.normal(3, 1, 30)
    apart = sweep_answer(_sweep({"a": a, "b": a + 0.8}))
    assert "a has the lowest mean regret" in apart[0] and "lower than b's by 0.8" in apart[0]
    assert "cannot be told apart" not in apart[0]
    close = sweep_answer(_sweep({"a": a, "b": a + rng.normal(0.05, 2, 30)}))
    assert "cannot be told apart from" in close[0]
    # Satisficing: both meet killed <= 1 nowhere but in a few states, too few to tell apart.
    few = sweep_answer(
        _sweep({"a": np.r_[[0.5] * 3, [5.0] * 27], "b": np.r_[[0.5] * 2, [5.0] * 28]})
    )
    assert "meets every threshold in the most states" in few[1]
    assert "cannot be told apart from b" in few[1]


def test_one_state_gives_no_interval_and_says_so():
    from drawdown_sim.present.console import sweep_tables
    from drawdown_sim.present.report.content import sweep_answer

    one = _sweep({"a": np.array([1.0]), "b": np.array([2.0])})
    assert np.isnan(one.regret["regret_lo"]).all()
    answer = sweep_answer(one)
    assert "no interval from so few states" in answer[0]
    assert "cannot be told apart from b" in answer[0]
    assert not any("nan" in line for line in answer)
    from rich.console import Console

    console = Console(width=150, record=True)
    for table in sweep_tables(one)[:2]:
        console.print(table)
    assert "nan" not in console.export_text()
