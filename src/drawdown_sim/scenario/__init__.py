"""Scenario files: schema, loader and errors; study files, shipped files, bounds and posterior
draws. The loader and schema (pydantic) load on first use, so that importing a light module
of this package (``bounds``, ``outcomes``) stays fast."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import Located, ScenarioError

if TYPE_CHECKING:
    from .loader import dump_scenario, load_scenario, load_scenario_text
    from .schema import Distribution, Problem, Scenario

_LAZY = {
    "dump_scenario": ".loader",
    "load_scenario": ".loader",
    "load_scenario_text": ".loader",
    "Distribution": ".schema",
    "Problem": ".schema",
    "Scenario": ".schema",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
