"""Helpers for model tests: scenarios with overrides and batches of replications."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

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
"""The Hawkes reduction (docs/model.md, validation): the overrides under which attacks are a
plain Hawkes process."""


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


def kill_when(args: list[str], ready: Callable[[], bool], timeout: float = 120.0) -> None:
    """Start ``args`` in a new session and SIGKILL its whole group once ``ready()`` holds.

    Fails if the command ends before it can be interrupted.
    """
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline and not ready():
        time.sleep(0.05)
    assert process.poll() is None, "the command finished before it could be interrupted"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_manifest(s: Scenario, replications: int, seed: int = 1) -> Any:
    """A run manifest for a results directory written without simulating (synthetic
    tables in memory and format tests)."""
    from drawdown_sim.runner.manifest import RunManifest, Timings, environment
    from drawdown_sim.runner.protocol import RunSpec

    spec = RunSpec(s, seed, replications)
    return RunManifest(
        name=s.name,
        run_config=spec.identity(),
        scenario_hash=s.digest,
        scenario=s.to_data(),
        seed=seed,
        replications=replications,
        replications_done=replications,
        replications_failed=0,
        engine="local",
        workers=1,
        chunk_size=spec.chunk_size,
        trace=0,
        resumed=False,
        timings=Timings(
            started="",
            finished="",
            elapsed_seconds=0.0,
            compute_seconds_this_session=0.0,
            replications_per_second=0.0,
        ),
        environment=environment(),
    )


RUNAWAY = (
    "--set",
    "max_events=1000",
    "--set",
    "militia.posture=campaign",
    "--set",
    "militia.switching=false",
    "--set",
    "militia.campaign.attack_rate=500",
)
"""Overrides under which every replication exceeds ``max_events`` within a few days."""


def cli(*args: str, timeout: float = 600, **popen: Any) -> subprocess.CompletedProcess[str]:
    """``drawdown-sim ARGS`` in a fresh interpreter, as a user runs it (stdout, stderr,
    status); ``popen`` passes on ``cwd``, ``env``, ``preexec_fn`` and the like."""
    return subprocess.run(
        [sys.executable, "-m", "drawdown_sim", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        **popen,
    )


def fail_replication(monkeypatch: Any, index: int) -> None:
    """Make replication ``index`` of every chunk computed in this process raise
    ``RuntimeError("injected fault")``."""
    from drawdown_sim.runner import chunks

    real = chunks.simulate_seed

    def failing(scenario_: Scenario, seed: Any, at: int) -> Replication:
        if at == index:
            raise RuntimeError("injected fault")
        return real(scenario_, seed, at)

    monkeypatch.setattr(chunks, "simulate_seed", failing)
