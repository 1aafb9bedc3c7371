"""Pool workers end without the interpreter's teardown, their output flushed.

A pooled run waits for its workers to exit; the teardown of a worker (freeing numpy, pyarrow,
pydantic and every object: about 0.17 s) is skipped, as a worker has nothing left to finish.
Objects still alive in a worker are therefore not finalised (no ``__del__`` at exit), while
what it wrote to stdout and stderr still comes out."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


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
from tests.runner.test_pool_exit import keep_and_write
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
