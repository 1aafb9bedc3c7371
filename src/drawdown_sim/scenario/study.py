"""Study files for ``drawdown-sim sweep``: which options, how many states of the world,
which outcomes to judge and the thresholds an option must meet."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import Located, Scenario, ScenarioError, bounds, load_scenario
from .bounds import MAX_REPLICATIONS, MAX_SEED, MAX_STATES, LimitExceeded
from .loader import load_document
from .outcomes import OUTCOMES, direction
from .schema import get_dotted

BOTH_SUFFIX = "_both"
"""A judged column summed over the window and the follow-on: ``killed_both``."""


def judgeable(name: str) -> bool:
    """Whether ``name`` is a column a study can judge: an outcome, or ``<outcome>_both`` for
    an outcome with a follow-on column (the window's and the follow-on's summed)."""
    if name in OUTCOMES:
        return True
    base = name.removesuffix(BOTH_SUFFIX)
    return name.endswith(BOTH_SUFFIX) and base in OUTCOMES and f"{base}_follow_on" in OUTCOMES


def better(name: str) -> str:
    """``lower`` or ``higher`` (is better) of a judged column, ``""`` without a direction."""
    return direction(name.removesuffix(BOTH_SUFFIX) if name not in OUTCOMES else name)


Period = Literal["window", "follow_on", "both"]


class Objective(BaseModel):
    """One judged outcome: an outcome over the window, the follow-on or both summed, and
    which way is better."""

    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(description="A window outcome with a direction, e.g. killed, attacks.")
    period: Period = Field(
        "both",
        description="window, follow_on, or both (the two periods' means summed).",
    )
    direction: Literal["lower", "higher"] | None = Field(
        None, description="Which way is better; default: the outcome's own (lower for counts)."
    )

    @property
    def column(self) -> str:
        """The judged column: ``killed``, ``killed_follow_on`` or ``killed_both``."""
        suffix = {"window": "", "follow_on": "_follow_on", "both": BOTH_SUFFIX}[self.period]
        return f"{self.outcome}{suffix}"

    @model_validator(mode="after")
    def _known(self) -> Objective:
        if self.outcome not in OUTCOMES or self.outcome.endswith("_follow_on"):
            raise ValueError(
                f"unknown outcome {self.outcome!r}; give a window outcome and a period "
                "(window, follow_on, both)"
            )
        if not judgeable(self.column):
            raise ValueError(f"{self.outcome!r} has no follow-on column")
        if self.direction is None and not direction(self.outcome):
            raise ValueError(f"{self.outcome!r} has no better direction; give direction")
        return self


class Threshold(BaseModel):
    """Bound on an outcome's mean in a state of the world: ``max`` and/or ``min``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    max: float | None = Field(None, description="The mean must not exceed this.")
    min: float | None = Field(None, description="The mean must be at least this.")

    @model_validator(mode="after")
    def _bounded(self) -> Threshold:
        if self.max is None and self.min is None:
            raise ValueError("give max, min or both")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} exceeds max {self.max:g}")
        return self

    def holds(self, value: float) -> bool:
        return (self.max is None or value <= self.max) and (self.min is None or value >= self.min)


class Study(BaseModel):
    """A robustness study: every option in every sampled state of the world."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$",
        description="Results go to results/<name>/. Letters, digits, _ . - only, not starting "
        "with a dot or a dash, at most 100 characters.",
    )
    description: str = Field("", description="What the study asks.")
    options: list[str] = Field(min_length=2, description="Scenario files, relative to the study.")
    states: int = Field(
        200,
        strict=True,
        ge=2,
        le=MAX_STATES,
        description="States of the world: Latin-hypercube samples (method rbd_fast), or the "
        "Sobol base sample N (method sobol; a power of 2), which runs N x (parameters + 2) "
        "states. At most 100,000 states run, counted after that product.",
    )
    method: Literal["rbd_fast", "sobol"] = Field(
        "rbd_fast",
        description="Sensitivity analysis: rbd_fast (first-order indices from the "
        "Latin-hypercube states: a cheap screen) or sobol (Saltelli sampling, Sobol first-order "
        "and total indices with confidence intervals: the proper analysis, at N x (D + 2) "
        "states).",
    )
    replications: int = Field(
        200,
        strict=True,
        ge=2,
        le=MAX_REPLICATIONS,
        description="Replications per option and state (at most 10^7).",
    )
    seed: int = Field(
        20240906,
        strict=True,
        ge=0,
        le=MAX_SEED,
        description="Seed of the sample and of the replications (0 to 2^63 - 1).",
    )
    outcomes: list[str] = Field(
        default_factory=list,
        description="Outcomes to judge (regret): outcome columns, or <outcome>_both for the "
        "window and follow-on summed. Default: the objectives' columns.",
    )
    objectives: list[Objective] = Field(
        default_factory=list,
        description="Outcomes judged together (Pareto set, weighted score, what flips the "
        "ranking), each over the window, the follow-on or both, with its direction.",
    )
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="Optional weights of the objectives' columns (e.g. killed_both: 1) for "
        "one weighted score (lower is better): sum of weight x value, a higher-is-better "
        "objective entering with its sign reversed. Every objective needs a weight.",
    )
    thresholds: dict[str, Threshold] = Field(
        default_factory=dict, description="Satisficing: bounds on outcome means per state."
    )

    @model_validator(mode="after")
    def _sobol_base(self) -> Study:
        n = self.states
        if self.method == "sobol" and n & (n - 1):
            low = 1 << (n.bit_length() - 1)
            raise ValueError(
                f"states: method sobol needs a power of 2 (the Sobol base sample N), got {n:,}; "
                f"use {low:,} or {2 * low:,}"
            )
        return self

    @field_validator("outcomes")
    @classmethod
    def _judgeable(cls, outcomes: list[str]) -> list[str]:
        for name in outcomes:
            if not judgeable(name):
                raise ValueError(
                    f"unknown outcome {name!r}; outcomes are: {', '.join(OUTCOMES)} (or "
                    "<outcome>_both for the window and follow-on summed)"
                )
            if not better(name):
                raise ValueError(
                    f"{name!r} has no better direction; judge e.g. attacks, killed, isis_attacks"
                )
        return outcomes

    @field_validator("thresholds")
    @classmethod
    def _known(cls, thresholds: dict[str, Threshold]) -> dict[str, Threshold]:
        unknown = [name for name in thresholds if not judgeable(name)]
        if unknown:
            raise ValueError(
                f"unknown outcome(s) {', '.join(unknown)}; outcomes are: {', '.join(OUTCOMES)}"
            )
        return thresholds

    @field_validator("weights")
    @classmethod
    def _finite_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        negative = [name for name, w in weights.items() if not w >= 0]
        if negative:
            raise ValueError(f"weights must be >= 0: {', '.join(negative)}")
        return weights

    @model_validator(mode="after")
    def _objectives(self) -> Study:
        if not self.outcomes and not self.objectives:
            raise ValueError("give outcomes or objectives to judge")
        columns = [o.column for o in self.objectives]
        if len(set(columns)) != len(columns):
            raise ValueError(f"objectives repeat a column: {columns}")
        if not self.outcomes:
            self.outcomes = list(columns)
        if self.weights:
            if not self.objectives:
                raise ValueError("weights need objectives")
            unknown = sorted(set(self.weights) - set(columns))
            missing = [c for c in columns if c not in self.weights]
            if unknown or missing:
                raise ValueError(
                    "weights must name every objective's column exactly: "
                    + (f"unknown {', '.join(unknown)}; " if unknown else "")
                    + (f"missing {', '.join(missing)}; " if missing else "")
                    + f"columns are {', '.join(columns)}"
                )
        return self

    @property
    def judged(self) -> list[Objective]:
        """The objectives, or (without) the judged outcomes as objectives."""
        if self.objectives:
            return list(self.objectives)
        found = []
        for name in self.outcomes:
            if name.endswith(BOTH_SUFFIX) and name not in OUTCOMES:
                found.append(Objective(outcome=name.removesuffix(BOTH_SUFFIX), period="both"))
            elif name.endswith("_follow_on"):
                found.append(Objective(outcome=name.removesuffix("_follow_on"), period="follow_on"))
            else:
                found.append(Objective(outcome=name, period="window"))
        return found

    def direction_of(self, column: str) -> str:
        """Which way is better for a judged column (an objective's direction first)."""
        for objective in self.objectives:
            if objective.column == column and objective.direction is not None:
                return objective.direction
        return better(column)


def load_study(path: str | Path) -> tuple[Study, list[Scenario]]:
    """Load a study (a file, or the name of a shipped study) and its option scenarios; every
    problem reported with file and line."""
    from .shipped import resolve

    path = resolve(Path(path), "study")
    document = load_document(path)
    study: Study = document.validate(Study)
    scenarios: list[Scenario] = []
    problems: list[Located] = []
    for index, option in enumerate(study.options):
        file, line = document.locate(("options", str(index)))
        option_path = path.parent / option
        if not option_path.exists():
            problems.append(
                Located(
                    file,
                    line,
                    f"options.{index}",
                    f"{option_path} does not exist (paths are relative to the study file)",
                )
            )
            continue
        try:
            scenarios.append(load_scenario(option_path))
        except ScenarioError as error:
            problems.extend(error.problems)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        problems.append(
            Located(
                str(path),
                document.locate(("options",))[1],
                "options",
                f"option names must differ, got {names}",
            )
        )
    if scenarios and not scenarios[0].uncertainties:
        problems.append(
            Located(
                str(path), 0, "options", f"{scenarios[0].name} declares no uncertainties to sample"
            )
        )
    if problems:
        raise ScenarioError(problems)
    try:
        check_study(study, scenarios)
    except LimitExceeded as error:
        file, line = document.locate(("states",))
        raise ScenarioError([Located(file, line, "states", str(error))]) from None
    return study, scenarios


def with_counts(
    study: Study, options: list[Scenario], states: int | None, replications: int | None
) -> Study:
    """``study`` with its number of states and replications replaced (``--states``,
    ``--reps``; None keeps the study's), validated and bounded as the file's own are.

    Raises:
        ScenarioError: one line per problem, naming the option.
    """
    from pydantic import ValidationError

    options_given = {"--states": states, "--reps": replications}
    update = {
        field: value
        for field, value in zip(("states", "replications"), options_given.values(), strict=True)
        if value is not None
    }
    if not update:
        return study
    try:
        changed = Study.model_validate({**study.model_dump(mode="json"), **update})
        check_study(changed, options)
    except ValidationError as error:
        raise ScenarioError(
            [
                Located(
                    "command line",
                    0,
                    _option_of(e["loc"]),
                    e["msg"].removeprefix("Value error, ").removeprefix("states: "),
                )
                for e in error.errors()
            ]
        ) from None
    except LimitExceeded as error:
        raise ScenarioError([Located("command line", 0, "--states", str(error))]) from None
    return changed


def _option_of(loc: tuple[Any, ...]) -> str:
    """The command-line option of a field (a check of the whole study is of --states)."""
    return {"replications": "--reps"}.get(str(loc[0]) if loc else "", "--states")


def unit_sample(study: Study, keys: list[str]) -> Any:
    """States as points of the unit cube: Latin hypercube, or Saltelli's Sobol design."""
    import numpy as np

    if study.method == "sobol":
        from SALib.sample import sobol

        problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
        # Sobol points lie in [0, 1); the last ulp is kept off 1 for the quantile functions.
        points = sobol.sample(problem, study.states, calc_second_order=False, seed=study.seed)
        return np.minimum(points, np.nextafter(1.0, 0.0))
    from scipy.stats import qmc

    sampler = qmc.LatinHypercube(d=len(keys), rng=np.random.default_rng(study.seed))
    return sampler.random(study.states)


def check_study(study: Study, options: list[Scenario]) -> None:
    """:func:`bounds.check_study` with the study's design parameters counted (raises
    :class:`~drawdown_sim.scenario.bounds.LimitExceeded`)."""
    bounds.check_study(study, options, len(design_parameters(options[0])) if options else 0)


def design_parameters(scenario: Scenario) -> list[str]:
    """The uncertain parameters a study's design samples: the ranges the scenario's posterior
    (if any) does not draw whole."""
    drawn: set[str] = set()
    if scenario.posterior is not None:
        from .posterior import load, pinned

        drawn = set(load(scenario.posterior)[0]) - pinned(scenario)
    return sorted(k for k in scenario.ranges if k not in drawn)


def state_values(study: Study, scenario: Scenario) -> list[dict[str, Any]]:
    """States of the world from the scenario's uncertainties (see :func:`unit_sample`).

    With ``uncertainties.from_posterior``, each state's posterior keys are one whole draw of
    the posterior (weighted, seeded by the study's seed): their correlations are kept. The
    other ranges are sampled as without one."""
    keys = design_parameters(scenario)
    unit = unit_sample(study, keys) if keys else [[] for _ in range(study.states)]
    posterior_values: list[dict[str, Any]] = []
    if scenario.posterior is not None:
        from .posterior import pinned
        from .posterior import states as posterior_states

        fixed = pinned(scenario)
        # One whole draw per state (a Sobol design has N x (D + 2) of them: the draws vary
        # beside the design, whose indices are the ranges' alone).
        posterior_values = [
            {k: v for k, v in state.items() if k not in fixed}
            for state in posterior_states(scenario.posterior, len(unit), study.seed)
        ]
    data = scenario.to_data()
    states = []
    for index, row in enumerate(unit):
        values: dict[str, Any] = {}
        for key, u in zip(keys, row, strict=True):
            value = scenario.ranges[key].ppf(float(u))
            current = get_dotted(data, key)
            values[key] = round(value) if isinstance(current, int) else value
        if posterior_values:
            values.update(posterior_values[index])
        states.append(dict(sorted(values.items())))
    return states
