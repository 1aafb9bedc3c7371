"""Sensitivity indices: Sobol (Saltelli design) and RBD-FAST on outcomes with a known driver,
and no claim of influence where the interval includes zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drawdown_sim.analysis.sweeps import sensitivity_table
from drawdown_sim.scenario.study import Study, unit_sample
from tests.helpers import scenario

PARAMETERS = ["militia.branching_ratio", "militia.trigger_days", "isis.sensitivity"]


def _frame(study: Study) -> pd.DataFrame:
    unit = unit_sample(study, PARAMETERS)
    frame = pd.DataFrame(unit, columns=PARAMETERS)
    frame["state"] = np.arange(len(frame))
    frame["option"] = "only"
    # Driven by the first parameter alone (plus a little noise).
    noise = np.random.default_rng(0).normal(0, 0.01, len(frame))
    frame["killed"] = np.sin(3 * frame[PARAMETERS[0]]) + noise
    return frame


@pytest.mark.parametrize("method", ["sobol", "rbd_fast"])
def test_the_known_driver_is_found_and_the_others_are_not_called_influential(method: str):
    study = Study(
        name="s",
        options=["a.yaml", "b.yaml"],
        states=256 if method == "sobol" else 300,
        replications=2,
        outcomes=["killed"],
        method=method,
    )
    frame = _frame(study)
    if method == "sobol":
        assert len(frame) == 256 * (len(PARAMETERS) + 2)
    table = sensitivity_table(frame, study, [scenario("baseline")], PARAMETERS).set_index(
        "parameter"
    )
    driver = table.loc[PARAMETERS[0]]
    assert driver["S1"] - driver["S1_conf"] > 0.5
    for other in PARAMETERS[1:]:
        row = table.loc[other]
        assert row["S1"] - row["S1_conf"] <= 0.05  # not distinguishable from (near) zero
    if method == "sobol":
        assert {"ST", "ST_conf"} <= set(table.columns)
        assert table.loc[PARAMETERS[0], "ST"] > 0.8
    assert table.attrs["method"].startswith("Sobol" if method == "sobol" else "RBD-FAST")


def _states(x: np.ndarray, z: np.ndarray, y: np.ndarray, options: int = 2) -> pd.DataFrame:
    """A sweep frame: ``options`` rows per state sharing its parameter values, the outcome
    offset per option (so that only state means are independent observations)."""
    rows = []
    for state, (a, b, value) in enumerate(zip(x, z, y, strict=True)):
        for k in range(options):
            rows.append(
                {
                    "state": state,
                    "option": f"o{k}",
                    "a": a,
                    "b": b,
                    "c": 1.0,
                    "killed": value + 10 * k,
                }
            )
    return pd.DataFrame(rows)


def test_rank_correlations_are_spearmans_over_state_means_with_fishers_interval():
    from scipy import stats

    from drawdown_sim.analysis.sweeps import rank_correlations

    rng = np.random.default_rng(3)
    x, z = rng.random(40), rng.random(40)
    y = np.exp(2 * x) + rng.normal(0, 0.3, 40)
    table = rank_correlations(_states(x, z, y), ["b", "c", "a"], "killed")
    # Strongest first; the constant parameter has no correlation and is left out.
    assert list(table["parameter"]) == ["a", "b"]
    for row in table.itertuples():
        values = x if row.parameter == "a" else z
        rho = stats.spearmanr(values, y + 5).statistic  # the mean over the two options
        half = 1.959963984540054 * np.sqrt(1.06 / (40 - 3))
        assert row.rho == pytest.approx(rho, abs=1e-12)
        assert row.low == pytest.approx(np.tanh(np.arctanh(rho) - half), abs=1e-12)
        assert row.high == pytest.approx(np.tanh(np.arctanh(rho) + half), abs=1e-12)
        assert row.states == 40
    # An outcome that does not vary has nothing to rank.
    assert rank_correlations(_states(x, z, np.zeros(40)), ["a", "b"], "killed").empty


@pytest.mark.filterwarnings("error")  # a constant column must not warn on the terminal
def test_the_sweep_plot_claims_no_ranking_that_its_intervals_do_not_support():
    from types import SimpleNamespace

    from drawdown_sim.present.plots.sweep_plots import key_parameter

    rng = np.random.default_rng(4)
    x, z = rng.random(40), rng.random(40)

    def caption(y: np.ndarray) -> tuple[str, str]:
        frame = _states(x, z, y)
        return key_parameter(SimpleNamespace(frame=frame, parameters=["a", "b", "c"]), "killed")

    clear = caption(3 * x + rng.normal(0, 0.1, 40))
    assert clear[0] == "a" and clear[1].endswith("the strongest rank correlation")
    close = caption(x + z + rng.normal(0, 0.05, 40))  # two drivers of equal weight
    assert "not clearly stronger than" in close[1]
    noise = caption(rng.normal(0, 1, 40))
    assert noise[1].endswith("indistinguishable from no correlation")
    assert caption(np.ones(40))[1] == "killed does not vary over the states"
