"""Helpers for model tests: scenarios with overrides and batches of replications."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from drawdown_sim.model import Replication, replication_seeds, simulate_seed
from drawdown_sim.scenario import Scenario, load_scenario
from tests.conftest import SCENARIOS

REDUCTION = (
    "drawdown.enabled=false",
    "escalation.enabled=false",
    "shocks.enabled=false",
    "retaliation.enabled=false",
    "politics.enabled=false",
    "isis.enabled=false",
    "militia.posture=campaign",
    "militia.switching=false",
)
"""MODEL.md section 8: the overrides under which attacks are a plain Hawkes process."""


def scenario(name: str = "baseline", *overrides: str) -> Scenario:
    path = SCENARIOS / f"{name}.yaml"
    if not path.exists():
        path = SCENARIOS / "options" / f"{name}.yaml"
    return load_scenario(path, overrides)


def replicate(s: Scenario, reps: int, seed: int) -> list[Replication]:
    return [simulate_seed(s, q, i) for i, q in enumerate(replication_seeds(seed, 0, reps))]


def outcome(reps: Sequence[Replication], name: str) -> np.ndarray:
    return np.array([r.outcomes[name] for r in reps], dtype=float)


def paired_z(a: np.ndarray, b: np.ndarray) -> float:
    """z statistic of the mean paired difference a - b (common random numbers)."""
    d = a - b
    se = d.std(ddof=1) / np.sqrt(d.size)
    return float(d.mean() / se) if se > 0 else float(np.sign(d.mean()) * np.inf)
