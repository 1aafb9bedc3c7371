"""Scenario files: schema, loader and errors."""

from .errors import Located, ScenarioError
from .loader import dump_scenario, load_scenario, load_scenario_text
from .schema import Distribution, Problem, Scenario

__all__ = [
    "Distribution",
    "Located",
    "Problem",
    "Scenario",
    "ScenarioError",
    "dump_scenario",
    "load_scenario",
    "load_scenario_text",
]
