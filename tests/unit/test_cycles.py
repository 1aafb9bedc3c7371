"""A finished replication leaves nothing for the cyclic garbage collector.

A world is a knot of reference cycles (components and world, queued events and the methods
they call, waiting processes and their events). ``simulate`` unties it once the replication's
records are taken, so reference counting frees it at once; left to the collector, walking it
cost a tenth of a replication's time, and a tight loop piled up thousands of dead worlds.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from drawdown_sim.model import replication_seeds, simulate_seed
from tests.helpers import scenario


def _model_objects(objects: list[object]) -> list[str]:
    """The types of those of ``objects`` that belong to the model or to simpy: a world left to
    the collector holds some of each (its components, events and environment)."""
    return sorted(
        {
            type(o).__qualname__
            for o in objects
            if type(o).__module__.startswith(("drawdown_sim.", "simpy."))
        }
    )


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("baseline", ()),
        ("historical", ()),
        ("full_exit", ()),
        ("advisory_500", ()),
        ("baseline", ("militia.posture=campaign", "militia.switching=false")),
        ("baseline", ("isis.enabled=false", "politics.enabled=false")),
        ("baseline", ("militia.enabled=false", "retaliation.enabled=false")),
        ("baseline", ("escalation.enabled=false", "shocks.enabled=false")),
    ],
)
def test_a_finished_replication_leaves_no_reference_cycles(name, overrides):
    # In a process of its own: the collector is process-wide, and objects other tests left
    # behind (a server's thread, a cached exception's frames) would be counted with ours.
    code = (
        "import json, sys\n"
        "from tests.unit.test_cycles import cycles_left\n"
        f"print(json.dumps(cycles_left({name!r}, {tuple(overrides)!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [[]] * 5


def cycles_left(name: str, overrides: tuple[str, ...]) -> list[list[str]]:
    """The model's and simpy's types the collector found after each of five replications."""
    s = scenario(name, *overrides)
    seeds = replication_seeds(5, 0, 6)
    simulate_seed(s, seeds[0], 0)  # per-scenario caches, made once, are not garbage
    collecting = gc.isenabled()
    gc.disable()  # only this test's collections below, none in between
    # Collected objects are kept in gc.garbage to be looked at: only the model's count.
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        gc.garbage.clear()
        left = []
        for index in range(1, 6):
            replication = simulate_seed(s, seeds[index], index)
            assert replication.log.attacks is not None  # the records outlive the world
            gc.collect()
            left.append(_model_objects(gc.garbage))
            gc.garbage.clear()
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if collecting:
            gc.enable()
    return left
