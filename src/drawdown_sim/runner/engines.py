"""Engines map chunk tasks to workers and hand results back in task order.

The seam between the runner and where work happens: ``local`` (a process pool on this
machine; in-process for one worker) and ``dask`` (a dask.distributed cluster). Results come
back in task order whatever order workers finish in, with a bounded number of tasks in
flight, so memory does not grow with the run and the folded results do not depend on the
engine or the worker count.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    name: str
    workers: int

    def map_ordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]: ...


def default_workers() -> int:
    """Usable CPUs (respects the process's CPU affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _ordered(submit: Callable[[T], Any], tasks: Iterable[T], ahead: int) -> Iterator[Any]:
    """Submit up to ``ahead`` tasks, then one more as each result is taken, in order."""
    pending: list[Any] = []
    iterator = iter(tasks)
    for task in iterator:
        pending.append(submit(task))
        if len(pending) >= ahead:
            break
    while pending:
        result = pending.pop(0).result()
        for task in iterator:
            pending.append(submit(task))
            break
        yield result


class LocalEngine:
    """A spawn-context process pool (safe from scripts, the CLI and Jupyter alike; no global
    start-method change); with one worker, chunks run in this process."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()

    def map_ordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        if self.workers == 1:
            yield from map(fn, tasks)
            return
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        try:
            yield from _ordered(lambda task: pool.submit(fn, task), tasks, 2 * self.workers)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """A dask.distributed cluster: the one at ``address``, or a local one with ``workers``
    single-threaded worker processes."""

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers or default_workers()

    def map_ordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        from distributed import Client, LocalCluster

        cluster: Any = None
        if self.address is None:
            cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        else:
            client = Client(self.address)
        try:
            ahead = 2 * max(self.workers, sum(client.nthreads().values()))
            yield from _ordered(lambda task: client.submit(fn, task, pure=False), tasks, ahead)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def make_engine(name: str, workers: int | None = None, scheduler: str | None = None) -> Engine:
    if name == "local":
        return LocalEngine(workers)
    if name == "dask":
        return DaskEngine(scheduler, workers)
    raise ValueError(f"unknown engine {name!r}; use local or dask")
