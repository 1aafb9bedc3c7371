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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .jsonable import plain
from .model import OUTCOMES, replication_seeds, simulate_seed
from .scenario import Scenario, load_scenario


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
        totals = dict.fromkeys(self.outcomes, 0.0)
        counts = dict.fromkeys(self.outcomes, 0)
        for index, seed in enumerate(replication_seeds(self.seed, 0, self.reps)):
            outcomes = simulate_seed(scenario, seed, index).outcomes
            for name in self.outcomes:
                value = outcomes[name]
                if value is not None:  # censored completion: averaged over the finished
                    totals[name] += float(value)
                    counts[name] += 1
        return {
            name: totals[name] / counts[name] if counts[name] else math.nan
            for name in self.outcomes
        }


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

    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        raise ValueError(f"not outcomes: {', '.join(unknown)}")
    if reps < 1:
        raise ValueError("reps must be at least 1")
    path = Path(scenario_path)
    base = load_scenario(path)
    if options is None:
        found = sorted((path.parent / "options").glob("*.yaml"))
        files = {p.stem: p for p in found} or {base.name: path}
    else:
        files = {}
        for option in options:
            option_path = Path(option)
            files[load_scenario(option_path).name] = option_path
    function = Experiment(files, outcomes, reps, base.seed if seed is None else seed)
    ema_model = Model(name, function=function)
    uncertainties = []
    for key, distribution in sorted(base.uncertainties.items()):
        if distribution.choice is not None:
            uncertainties.append(CategoricalParameter(key, list(distribution.choice)))
        else:
            support = distribution.support
            uncertainties.append(RealParameter(key, float(support[0]), float(support[-1])))
    ema_model.uncertainties = uncertainties
    if len(files) > 1:
        ema_model.levers = [CategoricalParameter("option", list(files))]
    ema_model.outcomes = [ScalarOutcome(o) for o in outcomes]
    return ema_model
