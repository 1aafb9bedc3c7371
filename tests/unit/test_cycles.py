"""A finished replication leaves nothing for the cyclic garbage collector.

A world is a knot of reference cycles (components and world, queued events and the methods
they call, waiting processes and their events). ``simulate`` unties it once the replication's
records are taken, so reference counting frees it at once; left to the collector, walking it
cost a tenth of a replication's time, and a tight loop piled up thousands of dead worlds.
"""

from __future__ import annotations

import gc

import pytest

from drawdown_sim.model import replication_seeds, simulate_seed

from ..helpers import scenario


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
    s = scenario(name, *overrides)
    seeds = replication_seeds(5, 0, 6)
    simulate_seed(s, seeds[0], 0)  # per-scenario caches, made once, are not garbage
    collecting = gc.isenabled()
    gc.disable()  # only this test's collections below, none in between
    # Collected objects are kept in gc.garbage to be looked at: only the model's count (a
    # thread of an earlier test, a dask client's event loop say, may leave cycles of its own
    # meanwhile).
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
    assert left == [[]] * 5
