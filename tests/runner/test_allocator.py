"""Processes that compute chunks keep freed memory for their next chunk.

With glibc's default thresholds a chunk faults its arrays into memory page by page and
unmaps them afterwards: about 2,000 page faults for a chunk of 100 replications. With the
thresholds fixed (:func:`~drawdown_sim.runner.allocator.keep_freed_memory`), the second
chunk of a process reuses the memory of the first. The tests on glibc count the page faults
of a process's second chunk (the default in a fresh process of its own); on any other C
library nothing is changed."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys

import pytest

from drawdown_sim.runner import allocator
from drawdown_sim.runner.chunks import run_chunk
from drawdown_sim.runner.engines import DaskEngine, LocalEngine
from drawdown_sim.runner.protocol import RunSpec
from tests.helpers import scenario

glibc = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc's malloc"
)


def second_chunk_faults(_: object = None) -> int:
    """The minor page faults of this process while it computes a second chunk of 100."""
    spec = RunSpec(scenario("baseline"), 1, 200)
    run_chunk(spec.task(0, 0))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    run_chunk(spec.task(0, 1))
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


CHILD = """
import sys
from drawdown_sim.runner.allocator import keep_freed_memory
from tests.runner.test_allocator import second_chunk_faults
if sys.argv[1] == "kept":
    assert keep_freed_memory()
print(second_chunk_faults())
"""


def faults_in_fresh_process(mode: str) -> int:
    # glibc's defaults: without the MALLOC_ variables a dask cluster started in this process
    # leaves in its environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True, env=env
    )
    return int(done.stdout.split()[-1])


@pytest.fixture(scope="module")
def default_faults() -> int:
    faults = faults_in_fresh_process("default")
    # The cost this module is about: if the default no longer faults, the tests below
    # would show nothing.
    assert faults > 500, faults
    return faults


@glibc
def test_kept_memory_spares_a_chunk_its_page_faults(default_faults: int):
    kept = faults_in_fresh_process("kept")
    assert kept * 10 < default_faults, (kept, default_faults)


@glibc
def test_local_pool_workers_keep_freed_memory(default_faults: int):
    with LocalEngine(2) as engine:
        if engine.workers < 2:
            pytest.skip("needs 2 CPUs for a pool")
        faults = list(engine.map_ordered(second_chunk_faults, [0, 1]))
    assert all(f * 10 < default_faults for f in faults), (faults, default_faults)


@glibc
@pytest.mark.slow
def test_dask_workers_started_by_the_engine_keep_freed_memory(
    default_faults: int, monkeypatch: pytest.MonkeyPatch
):
    # Whatever the workers inherit: dask's own MALLOC_TRIM_THRESHOLD_=65536 (which gives
    # freed memory back at once), here set in this process as a cluster started earlier
    # in it would have left it.
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    with DaskEngine(workers=2) as engine:
        faults = list(engine._client.run(second_chunk_faults).values())
    assert faults and all(f * 10 < default_faults for f in faults), (faults, default_faults)


class _NoMallopt:
    """A C library without mallopt (macOS's)."""


class _NoOpMallopt:
    """musl's mallopt: accepts anything, does nothing, returns 0."""

    def __init__(self) -> None:
        self.mallopt = _NoOp()


class _NoOp:
    argtypes: object = None
    restype: object = None

    def __call__(self, parameter: int, value: int) -> int:
        return 0


@pytest.mark.parametrize(
    "library",
    [OSError("cannot open"), TypeError("no library name"), _NoMallopt(), _NoOpMallopt()],
    ids=["unopenable", "windows", "macos", "musl"],
)
def test_other_c_libraries_are_left_as_they_are(library: object, monkeypatch: pytest.MonkeyPatch):
    def open_library(name: object) -> object:
        if isinstance(library, Exception):
            raise library
        return library

    monkeypatch.setattr(allocator.ctypes, "CDLL", open_library)
    assert allocator.keep_freed_memory() is False
