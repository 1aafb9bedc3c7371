"""drawdown-sim: scenario simulator for the phased drawdown of the US-led coalition from Iraq.

Public API (imported lazily so that the command line starts fast)::

    load_scenario(path, overrides=())  -> Scenario
    simulate(scenario, seed=None, replication=0) -> Replication   (pure: no I/O)
    run(scenario, reps, seed, workers, engine="local", ...) -> Results
    Results.load(directory); load(directory) -> Results | Comparison | Sweep
    plot_all(directory) -> [paths]   (the computation never draws; this does)
    compare(scenarios, reps, seed, ...) -> Comparison
    load_study(path) -> (Study, [Scenario]);  sweep(study, options, ...) -> Sweep
    explore(directory) -> a Panel app for JupyterLab (the explore extra)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .common.version import __version__

_EXPORTS = {
    "load_scenario": "drawdown_sim.scenario",
    "Scenario": "drawdown_sim.scenario",
    "ScenarioError": "drawdown_sim.scenario",
    "simulate": "drawdown_sim.model",
    "Replication": "drawdown_sim.model",
    "OUTCOMES": "drawdown_sim.model",
    "run": "drawdown_sim.analysis.run",
    "Results": "drawdown_sim.analysis.results",
    "compare": "drawdown_sim.analysis.comparison",
    "Comparison": "drawdown_sim.analysis.comparison",
    "sweep": "drawdown_sim.analysis.sweeps",
    "Sweep": "drawdown_sim.analysis.sweeps",
    "load_study": "drawdown_sim.scenario.study",
    "load": "drawdown_sim.analysis.loading",
    "plot_all": "drawdown_sim.present.plots",
    "RunRefused": "drawdown_sim.runner.store",
    "ManifestError": "drawdown_sim.runner.manifest",
    "Study": "drawdown_sim.scenario.study",
    "explore": "drawdown_sim.present.explorer",
}

__all__ = [
    "OUTCOMES",
    "Comparison",
    "ManifestError",
    "Replication",
    "Results",
    "RunRefused",
    "Scenario",
    "ScenarioError",
    "Study",
    "Sweep",
    "__version__",
    "compare",
    "explore",
    "load",
    "load_scenario",
    "load_study",
    "plot_all",
    "run",
    "simulate",
    "sweep",
]

if TYPE_CHECKING:
    from .analysis.comparison import Comparison, compare
    from .analysis.loading import load
    from .analysis.results import Results
    from .analysis.run import run
    from .analysis.sweeps import Sweep, sweep
    from .model import OUTCOMES, Replication, simulate
    from .present.explorer import explore
    from .present.plots import plot_all
    from .runner.manifest import ManifestError
    from .runner.store import RunRefused
    from .scenario import Scenario, ScenarioError, load_scenario
    from .scenario.study import Study, load_study


def __dir__() -> list[str]:
    """The lazy exports too, so that completion and ``dir()`` show the whole API."""
    return sorted(set(globals()) | set(_EXPORTS))


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'drawdown_sim' has no attribute {name!r}")
