"""An EMA Workbench model of a scenario (the ``ema`` extra: ``pip install drawdown-sim[ema]``).

::

    from ema_workbench import MultiprocessingEvaluator
    from drawdown_sim import ema

    model = ema.model("scenarios/baseline.yaml", outcomes=["killed", "isis_attacks"], reps=50)
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=20, policies=5)

The uncertainties default from the scenario's ``uncertainties`` (uniform and triangular
ranges as real parameters over their support, ``choice`` as categorical ones; EMA Workbench
samples real parameters uniformly, so a triangular shape is not kept) and the levers from the
option files (by default every file in ``options/`` beside the scenario, as one categorical
lever ``option``). Each experiment runs ``reps`` replications in the worker that receives it,
with the study's root seed, and returns each outcome's mean: one experiment costs its
replications and almost nothing more (no directory, no process pool, no strings to parse).

Each outcome's kind follows its direction (``MINIMIZE`` where lower is better, such as
``killed``; ``MAXIMIZE`` where higher is; ``INFO`` where neither), so ``optimize()`` works
as it is. Besides the outcome columns (means), :data:`TAIL_OUTCOMES` gives tail measures:
``p_any_killed`` (the share of replications with anyone killed) and ``casualties_p90``
(the 90th percentile of killed + wounded). Scenario and option arguments may be files or
the names of shipped scenarios (``"baseline"``, ``"full_exit"``); :func:`policies` gives
each option as one policy, for ``perform_experiments(policies=ema.policies(model))``::

    with SequentialEvaluator(model) as evaluator:
        front = evaluator.optimize(nfe=200, searchover="levers", epsilons=[0.1, 0.1])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .common.jsonable import plain
from .model import OUTCOMES, direction, replication_seeds, simulate_seed
from .scenario import Scenario, load_scenario
from .scenario.shipped import resolve

TAIL_OUTCOMES = {
    "p_any_killed": "Share of replications with at least one coalition death (0-1; lower "
    "is better)",
    "casualties_p90": "90th percentile over replications of killed + wounded (personnel; "
    "lower is better)",
}
"""Tail outcomes an experiment can return besides the outcome columns' means."""

TAIL_QUANTILE = 0.9


class Experiment:
    """The function EMA Workbench calls: picklable, so it runs in its worker processes.

    Scenarios are loaded once per process and option; each call sets the uncertain values
    (:meth:`Scenario.with_values`) and runs the replications in a plain loop.
    """

    def __init__(
        self,
        options: dict[str, Path],
        outcomes: Sequence[str],
        reps: int,
        seed: int,
    ) -> None:
        self.options = {name: Path(path) for name, path in options.items()}
        self.outcomes = list(outcomes)
        self.reps = reps
        self.seed = seed
        self._loaded: dict[str, Scenario] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_loaded"] = {}  # loaded again in each worker
        return state

    def scenario(self, option: str) -> Scenario:
        if option not in self._loaded:
            loaded = load_scenario(self.options[option])
            data = loaded.to_data()
            data["uncertainties"] = {}  # a point in the space: no ranges to check again
            self._loaded[option] = Scenario.model_validate(data)
        return self._loaded[option]

    def __call__(self, **values: Any) -> dict[str, float]:
        option = str(values.pop("option", next(iter(self.options))))
        scenario = self.scenario(option)
        if values:
            from .scenario.schema import get_dotted

            data = scenario.to_data()
            # An integer parameter (a site's personnel) takes a whole value, as in a sweep.
            scenario = scenario.with_values(
                {
                    k: round(plain(v)) if type(get_dotted(data, k)) is int else plain(v)
                    for k, v in values.items()
                }
            )
        means = [name for name in self.outcomes if name not in TAIL_OUTCOMES]
        totals = dict.fromkeys(means, 0.0)
        counts = dict.fromkeys(means, 0)
        casualties: list[float] = []
        any_killed = 0
        for index, seed in enumerate(replication_seeds(self.seed, 0, self.reps)):
            outcomes = simulate_seed(scenario, seed, index).outcomes
            casualties.append(float(outcomes["killed"] or 0) + float(outcomes["wounded"] or 0))
            any_killed += int((outcomes["killed"] or 0) > 0)
            for name in means:
                value = outcomes[name]
                if value is not None:  # censored completion: averaged over the finished
                    totals[name] += float(value)
                    counts[name] += 1
        result = {name: totals[name] / counts[name] if counts[name] else math.nan for name in means}
        if "p_any_killed" in self.outcomes:
            result["p_any_killed"] = any_killed / self.reps
        if "casualties_p90" in self.outcomes:
            # a count: a value that occurs (numpy's inverted_cdf), as the summaries' quantiles
            result["casualties_p90"] = float(
                np.quantile(casualties, TAIL_QUANTILE, method="inverted_cdf")
            )
        return {name: result[name] for name in self.outcomes}


def model(
    scenario_path: str | Path,
    outcomes: Sequence[str] = ("killed", "wounded", "isis_attacks"),
    reps: int = 50,
    options: Sequence[str | Path] | None = None,
    seed: int | None = None,
    name: str = "drawdown",
) -> Any:
    """An ``ema_workbench.Model`` of the scenario.

    Args:
        scenario_path: the scenario whose ``uncertainties`` become the model's.
        outcomes: outcome columns returned (means over ``reps`` replications).
        reps: replications per experiment.
        options: option scenario files (the levers); default: ``options/*.yaml`` beside the
            scenario, or the scenario alone when there is none.
        seed: root seed of every experiment's replications (default: the scenario's), so
            that experiments differ by their parameters, not their luck.

    Raises:
        ValueError: an unknown outcome, or no replications.
    """
    with warnings.catch_warnings():  # it announces optional parts it does without
        warnings.simplefilter("ignore")
        from ema_workbench import (  # type: ignore[import-untyped]
            CategoricalParameter,
            Model,
            RealParameter,
            ScalarOutcome,
        )

    unknown = [o for o in outcomes if o not in OUTCOMES and o not in TAIL_OUTCOMES]
    if unknown:
        raise ValueError(
            f"not outcomes: {', '.join(unknown)} (outcome columns, or {', '.join(TAIL_OUTCOMES)})"
        )
    if reps < 1:
        raise ValueError("reps must be at least 1")
    path = resolve(Path(scenario_path))
    base = load_scenario(path)
    if options is None:
        found = sorted((path.parent / "options").glob("*.yaml"))
        files = {p.stem: p for p in found} or {base.name: path}
    else:
        files = {}
        for option in options:
            option_path = resolve(Path(option))
            files[load_scenario(option_path).name] = option_path
    function = Experiment(files, outcomes, reps, base.seed if seed is None else seed)
    ema_model = Model(name, function=function)
    uncertainties = []
    for key, distribution in sorted(base.ranges.items()):
        if distribution.choice is not None:
            uncertainties.append(CategoricalParameter(key, list(distribution.choice)))
        else:
            support = distribution.support
            uncertainties.append(RealParameter(key, float(support[0]), float(support[-1])))
    ema_model.uncertainties = uncertainties
    if len(files) > 1:
        ema_model.levers = [CategoricalParameter("option", list(files))]
    ema_model.outcomes = [ScalarOutcome(o, kind=outcome_kind(o)) for o in outcomes]
    return ema_model


def outcome_kind(outcome: str) -> int:
    """EMA Workbench's kind of an outcome: ``MINIMIZE`` where lower is better (the tail
    outcomes too), ``MAXIMIZE`` where higher is, ``INFO`` where neither is."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import ScalarOutcome

    if outcome in TAIL_OUTCOMES:
        return int(ScalarOutcome.MINIMIZE)
    better = direction(outcome)
    if better == "lower":
        return int(ScalarOutcome.MINIMIZE)
    if better == "higher":
        return int(ScalarOutcome.MAXIMIZE)
    return int(ScalarOutcome.INFO)


def policies(ema_model: Any) -> list[Any]:
    """Each option of a :func:`model` as one ``ema_workbench.Policy`` (named after it), so
    that ``perform_experiments(policies=policies(model))`` runs every option once per
    scenario, never the same option twice as ``policies=N`` (a sample of the lever) can."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import Policy

    function = ema_model.function
    if not isinstance(function, Experiment):
        raise TypeError("not a model made by drawdown_sim.ema.model()")
    return [Policy(name, option=name) for name in function.options]
