"""Sensitivity indices: Sobol (Saltelli design) and RBD-FAST on outcomes with a known driver,
and no claim of influence where the interval includes zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drawdown_sim.study import Study, unit_sample
from drawdown_sim.sweeps import sensitivity_table
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
