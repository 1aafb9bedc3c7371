"""One way numbers read: the console and the report format a share, a difference and an
estimate with its interval the same way (common/numbers.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from drawdown_sim.analysis.completion import Estimate
from drawdown_sim.common.numbers import difference, estimate, number, share, with_interval
from drawdown_sim.present import console
from drawdown_sim.present.report import content


def test_a_share_reads_with_its_interval_in_percent() -> None:
    assert share(0.62, 0.59, 0.65) == "62% [59, 65]"
    assert share(0.5) == "50%"  # no interval: the share alone
    assert share(math.nan, 0.1, 0.2) == "-"


def test_a_difference_and_a_mean_read_with_brackets() -> None:
    assert difference(3.2, 1.0, 5.4) == "+3.2 [+1, +5.4]"
    assert difference(-0.25, -0.5, 0.0) == "-0.25 [-0.5, 0]"
    assert with_interval("23.4", 13.9, 32.8) == "23.4 [13.9, 32.8]"
    assert with_interval("23.4", math.nan, math.nan) == "23.4"


@pytest.mark.parametrize(
    "row",
    [
        {"p_better": 0.62, "p_better_lo": 0.59, "p_better_hi": 0.65},
        {"p_better": 0.031, "p_better_lo": 0.004, "p_better_hi": 0.1},
        {"p_better": 0.4},
        {"p_better": math.nan},
    ],
)
def test_console_and_report_show_a_share_the_same_way(row: dict[str, float]) -> None:
    series = pd.Series(row)
    assert console._share(series, "p_better") == content._share(series, "p_better")
    assert console._share(series, "p_better") == share(
        row["p_better"], row.get("p_better_lo", math.nan), row.get("p_better_hi", math.nan)
    )


@pytest.mark.parametrize(
    ("e", "percent", "text"),
    [
        (Estimate(0.62, 0.59, 0.65), True, "62% [59, 65]"),
        (Estimate(212.0, 190.0, math.nan), False, "212 [190, beyond the horizon]"),
        (Estimate(math.nan, math.nan, math.nan), False, "not reached"),
    ],
)
def test_console_and_report_show_an_estimate_the_same_way(
    e: Estimate, percent: bool, text: str
) -> None:
    assert console._estimate(e, percent=percent) == text
    assert content._estimate(e, percent=percent) == text
    assert estimate(e.value, e.low, e.high, reached=e.reached, percent=percent) == text


def test_a_small_number_reads_without_an_exponent() -> None:
    assert number(-6.43e-05) == "-0.0000643"
    assert number(0.757) == "0.757" and number(0.5) == "0.5" and number(0.0123456) == "0.0123"
    assert "e" not in difference(-3.6, -7.2, -6.43e-05)
