"""The EMA Workbench adapter: uncertainties and levers from the scenario and its options,
experiments that equal a plain loop of replications, and pickling for worker processes."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from drawdown_sim import ema
from drawdown_sim.model import replication_seeds, simulate_seed
from tests.conftest import ROOT
from tests.helpers import scenario

BASELINE = ROOT / "scenarios" / "baseline.yaml"


def test_the_model_takes_uncertainties_and_levers_from_the_scenario():
    model = ema.model(BASELINE, outcomes=["killed", "isis_attacks"], reps=5)
    base = scenario("baseline")
    assert sorted(u.name for u in model.uncertainties) == sorted(base.uncertainties)
    branching = model.uncertainties["militia.branching_ratio"]
    support = base.uncertainties["militia.branching_ratio"].support
    assert (branching.lower_bound, branching.upper_bound) == (support[0], support[-1])
    (option,) = model.levers
    assert set(option.categories.keys()) >= {"status_quo", "full_exit", "kurdistan_hub"}
    assert [o.name for o in model.outcomes] == ["killed", "isis_attacks"]
    with pytest.raises(ValueError, match="not outcomes"):
        ema.model(BASELINE, outcomes=["nope"])


def test_an_experiment_is_the_mean_of_its_replications():
    model = ema.model(BASELINE, outcomes=["attacks", "isis_attacks"], reps=8, seed=5)
    function = pickle.loads(pickle.dumps(model.function))  # as a worker receives it
    got = function(option="full_exit", **{"militia.branching_ratio": 0.3})
    s = scenario("full_exit").with_values({"militia.branching_ratio": 0.3})
    runs = [simulate_seed(s, q, i).outcomes for i, q in enumerate(replication_seeds(5, 0, 8))]
    assert got["attacks"] == pytest.approx(np.mean([r["attacks"] for r in runs]))
    assert got["isis_attacks"] == pytest.approx(np.mean([r["isis_attacks"] for r in runs]))


def test_experiments_run_through_ema_workbench():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import SequentialEvaluator

        model = ema.model(BASELINE, outcomes=["killed"], reps=3)
        with SequentialEvaluator(model) as evaluator:
            experiments, outcomes = evaluator.perform_experiments(scenarios=3, policies=2)
    assert len(experiments) == 6 and outcomes["killed"].shape == (6,)
    assert np.isfinite(outcomes["killed"]).all()
