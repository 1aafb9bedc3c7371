"""Pool workers are ordinary processes: they exit through the interpreter's normal teardown
(what they wrote comes out, objects still alive are finalised), may import whatever a
user's code imports, and compute each chunk exactly as the calling process would."""

from __future__ import annotations

import subprocess
import sys

import pytest

from drawdown_sim.runner.chunks import run_chunk
from drawdown_sim.runner.engines import LocalEngine
from drawdown_sim.runner.protocol import RunSpec
from tests.conftest import ROOT
from tests.helpers import scenario


class Noisy:
    """Says so when finalised (at the interpreter's teardown)."""

    def __del__(self) -> None:
        sys.stderr.write("finalised\n")


KEPT: list[Noisy] = []


def keep_and_write(task: int) -> int:
    KEPT.append(Noisy())  # alive until the process ends
    sys.stdout.write(f"[written by task {task}]")  # no newline, no flush
    return task


CHILD = """
from drawdown_sim.runner.engines import LocalEngine
from tests.runner.test_pool_workers import keep_and_write
with LocalEngine(2) as engine:
    assert list(engine.map_ordered(keep_and_write, range(4))) == [0, 1, 2, 3]
print("pool shut down")
"""


def test_pool_workers_exit_normally_and_flush_their_output():
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    for task in range(4):
        assert f"[written by task {task}]" in done.stdout
    assert done.stdout.rstrip().endswith("pool shut down")
    assert "finalised" in done.stderr  # the workers' teardown ran


def chunk_digest_after_pandas(traced: bool) -> str:
    """The checksum of a chunk's rows (traced: events too), computed after importing pandas
    (as a user's code or a library a worker calls may do)."""
    import pandas  # noqa: F401

    spec = RunSpec(scenario("baseline"), 3, 100, trace=50 if traced else 0)
    return run_chunk(spec.task(0, 0)).digest


def test_pool_workers_compute_the_chunks_computed_here():
    with LocalEngine(2) as engine:
        if engine.workers < 2:
            pytest.skip("needs 2 CPUs for a pool")
        in_workers = list(engine.map_ordered(chunk_digest_after_pandas, [False, True]))
    assert in_workers == [chunk_digest_after_pandas(traced) for traced in (False, True)]
