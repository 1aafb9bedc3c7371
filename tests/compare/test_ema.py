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
    # The ranges; a posterior's draws are not EMA parameters (from_posterior is no range).
    assert sorted(u.name for u in model.uncertainties) == sorted(base.ranges)
    branching = model.uncertainties["militia.branching_ratio"]
    support = base.ranges["militia.branching_ratio"].support
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


def test_outcome_kinds_follow_each_outcomes_direction():
    from ema_workbench import ScalarOutcome

    model = ema.model("baseline", outcomes=["killed", "drawdown_complete", "p_any_killed"], reps=2)
    kinds = {o.name: o.kind for o in model.outcomes}
    assert kinds["killed"] == ScalarOutcome.MINIMIZE
    assert kinds["drawdown_complete"] == ScalarOutcome.MAXIMIZE
    assert kinds["p_any_killed"] == ScalarOutcome.MINIMIZE


def test_tail_outcomes_are_the_share_killed_and_the_90th_percentile():
    model = ema.model(
        "baseline", outcomes=["killed", "p_any_killed", "casualties_p90"], reps=30, seed=7
    )
    got = model.function(option="status_quo")
    s = scenario("status_quo")
    runs = [simulate_seed(s, q, i).outcomes for i, q in enumerate(replication_seeds(7, 0, 30))]
    killed = np.array([r["killed"] for r in runs])
    casualties = killed + np.array([r["wounded"] for r in runs])
    assert got["p_any_killed"] == pytest.approx((killed > 0).mean())
    assert got["casualties_p90"] == np.quantile(casualties, 0.9, method="inverted_cdf")
    assert got["casualties_p90"] in set(casualties.tolist())  # a value that occurs
    assert got["killed"] == pytest.approx(killed.mean())


def test_policies_are_the_option_files_each_once():
    model = ema.model("baseline", outcomes=["killed"], reps=2, options=["status_quo", "full_exit"])
    chosen = ema.policies(model)
    assert [p.name for p in chosen] == ["status_quo", "full_exit"]
    assert [p["option"] for p in chosen] == ["status_quo", "full_exit"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import SequentialEvaluator

        with SequentialEvaluator(model) as evaluator:
            experiments, outcomes = evaluator.perform_experiments(scenarios=2, policies=chosen)
    assert sorted(experiments["option"]) == ["full_exit", "full_exit", "status_quo", "status_quo"]


def test_optimize_finds_the_options_trade_off():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import SequentialEvaluator

        model = ema.model(
            "baseline",
            outcomes=["killed", "isis_attacks"],
            reps=2,
            options=["status_quo", "full_exit"],
        )
        with SequentialEvaluator(model) as evaluator:
            found = evaluator.optimize(nfe=20, searchover="levers", epsilons=[0.05, 0.5])
    front = found[0] if isinstance(found, tuple) else found
    names = [getattr(o, "name", o) for o in front["option"]]  # EMA gives its Category objects
    assert names and set(names) <= {"status_quo", "full_exit"}
    for name, (_, row) in zip(names, front.iterrows(), strict=True):
        direct = model.function(option=name)  # the front holds the options' own outcomes
        assert row["killed"] == pytest.approx(direct["killed"])
        assert row["isis_attacks"] == pytest.approx(direct["isis_attacks"])
