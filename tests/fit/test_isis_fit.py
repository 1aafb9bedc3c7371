"""The ISIS trend fit: it recovers known parameters on synthetic series of the same periods,
and the shipped tallies give the defaults the schema states."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drawdown_sim.calibration import isis_fit
from drawdown_sim.scenario import Scenario


@pytest.fixture(scope="module")
def frame():
    return isis_fit.load_series()


def test_series_is_before_the_window(frame):
    assert (frame["end"] < "2024-09-01").all()
    assert frame["in_fit"].sum() == 9


def test_fit_recovers_known_parameters_on_synthetic_series(frame):
    # Series of the same nine periods drawn at known (a, b, source effect, alpha). Each fit's
    # Wald interval must cover the truth about 95% of the time; with 40 series the count
    # covered is binomial(40, 0.95), and at least 33 are required (P(X <= 32) is about
    # 0.1%: the false-failure rate of a correct fit). The means of the estimates lie within
    # 4 standard errors of the truth (plus a 10% allowance for small-sample bias with nine
    # counts).
    truth = np.array([math.log(0.5), -0.4, 0.3, math.log(0.05), 0.0])
    rng = np.random.default_rng(2024)
    series = 40
    covered = {"a": 0, "b": 0}
    estimates = {"a": [], "b": []}
    for _ in range(series):
        synthetic = isis_fit.simulate_counts(frame, truth, 120.0, rng)
        result = isis_fit.fit(synthetic)
        for name, index in (("a", 0), ("b", 1)):
            value, se = result.value(name), result.se(name)
            estimates[name].append(value)
            covered[name] += abs(value - truth[index]) < 1.96 * se
    for name, index in (("a", 0), ("b", 1)):
        values = np.array(estimates[name])
        spread = values.std(ddof=1) / math.sqrt(series)
        assert abs(values.mean() - truth[index]) < 4 * spread + 0.1 * abs(truth[index])
        assert covered[name] >= 33, (name, covered[name])


def test_shipped_defaults_are_the_fit(frame):
    result = isis_fit.fit(frame)
    defaults = Scenario.model_fields["isis"].default_factory()  # type: ignore[misc]
    assert defaults.base_rate == pytest.approx(result.window_start_rate, abs=0.005)
    reference = result.rate_at(isis_fit.date(2021, 7, 2))
    assert defaults.resurgence_reference_rate == pytest.approx(reference, abs=0.005)
    low, high = result.rate_interval()
    assert low < defaults.base_rate < high
    # The trend is a decline with a standard error well below its size.
    assert result.value("b") < -3 * result.se("b")


def test_the_capacity_effect_is_not_supported_but_not_excluded(frame):
    # The record (base consolidations in 2020, end of the combat mission in 2021) puts the
    # capacity effect at zero with a wide upper bound: a weak prior, as the schema says.
    grid = np.linspace(0.0, 8.0, 17)
    values, best, upper = isis_fit.profile_k(frame, 120.0, grid)
    assert best == 0.0
    assert upper > 3.0
