"""What pool workers do without: the interpreter's teardown, and pandas.

A pooled run waits for its workers to start and to exit. The teardown of a worker (freeing
numpy, pyarrow, pydantic and every object: about 0.17 s) is skipped, as a worker has nothing
left to finish: objects still alive in a worker are not finalised (no ``__del__`` at exit),
while what it wrote to stdout and stderr still comes out. And a worker computes its chunks
without importing pandas, which pyarrow would import (0.2 s) only to ask whether its rows
are a pandas object."""

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
    """Says so when finalised (at the interpreter's teardown, if it has one)."""

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


def test_pool_workers_skip_teardown_and_flush_their_output():
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    for task in range(4):
        assert f"[written by task {task}]" in done.stdout
    assert done.stdout.rstrip().endswith("pool shut down")
    assert "finalised" not in done.stderr


def pandas_after_a_chunk(traced: bool) -> tuple[bool, str]:
    """Whether this process has pandas after computing a chunk (traced: events too), and
    the chunk's checksum."""
    spec = RunSpec(scenario("baseline"), 3, 100, trace=50 if traced else 0)
    result = run_chunk(spec.task(0, 0))
    return "pandas" in sys.modules, result.digest


def test_pool_workers_compute_chunks_without_pandas():
    with LocalEngine(2) as engine:
        if engine.workers < 2:
            pytest.skip("needs 2 CPUs for a pool")
        in_workers = list(engine.map_ordered(pandas_after_a_chunk, [False, True]))
    assert [imported for imported, _ in in_workers] == [False, False]
    # The same rows as computed here, where pandas is imported.
    assert [digest for _, digest in in_workers] == [
        pandas_after_a_chunk(traced)[1] for traced in (False, True)
    ]
