"""Engines map chunk tasks to workers and hand results back in task order.

The seam between the runner and where work happens: ``local`` (a process pool on this
machine; in-process for one worker) and ``dask`` (a dask.distributed cluster). An engine is
a context manager: it is built once (pool started, scheduler reached) and serves every run
of a ``compare`` or ``sweep`` before it is shut down. Results come back in task order
whatever order workers finish in, with a bounded number of tasks in flight, so memory does
not grow with the run and the folded results do not depend on the engine or worker count.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("drawdown_sim")

CONNECT_TIMEOUT = 10.0
"""Seconds to reach a dask scheduler before giving up."""

HEARTBEAT_SECONDS = 1.0
"""Most time between two calls of a watching engine's heartbeat while it waits for a
chunk (:meth:`LocalEngine.watch`), so that progress moves on within seconds even when a
chunk takes minutes."""


class EngineError(RuntimeError):
    """An engine that cannot start: a scheduler that is unreachable or malformed."""


GUARD = 'if __name__ == "__main__":'

UNGUARDED = (
    "run, compare and sweep start worker processes that re-import the main script{script}; "
    f"put the code that calls them under `{GUARD}` (as in the README), so that the workers "
    "do not run it again"
)


class UnguardedScript(EngineError):
    """``run``, ``compare`` or ``sweep`` called from the top level of a script whose worker
    processes, spawned, re-import it and so would call them again."""


def _main_script() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return f" ({path})" if path else ""


def refuse_in_spawned_import() -> None:
    """End a spawned worker that is importing the parent's main script (multiprocessing's
    bootstrap is under way, ``_inheriting``) before the call touches any file: the script
    called ``run``, ``compare`` or ``sweep`` unguarded. The worker exits with the one-line
    reason (``SystemExit``: no traceback, and not caught by a script's ``except Exception``);
    the parent, whose pool then breaks, raises :class:`UnguardedScript`."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise SystemExit(f"drawdown-sim worker: {UNGUARDED.format(script=_main_script())}")


class Engine(Protocol):
    name: str
    workers: int

    def map_ordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]: ...

    def __enter__(self) -> Engine: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...


def default_workers() -> int:
    """Usable CPUs (respects the process's CPU affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def capped_workers(workers: int | None) -> int:
    """``workers``, at most the usable CPUs (with a warning): more processes than CPUs only
    add start-up time and memory to a CPU-bound simulation."""
    cpus = default_workers()
    if workers is None:
        return cpus
    if workers > cpus:
        log.warning(f"--workers {workers} is more than the {cpus} usable CPUs; using {cpus}")
        return cpus
    return max(1, workers)


def _ordered(
    submit: Callable[[T], Any],
    tasks: Iterable[T],
    ahead: int,
    heartbeat: Callable[[], None] | None = None,
) -> Iterator[Any]:
    """Submit up to ``ahead`` tasks, then one more as each result is taken, in order; while
    waiting, call ``heartbeat`` every :data:`HEARTBEAT_SECONDS` (local futures only)."""
    pending: list[Any] = []
    iterator = iter(tasks)
    for task in iterator:
        pending.append(submit(task))
        if len(pending) >= ahead:
            break
    while pending:
        if heartbeat is not None:
            while not wait([pending[0]], HEARTBEAT_SECONDS, FIRST_COMPLETED).done:
                heartbeat()
        result = pending.pop(0).result()
        for task in iterator:
            pending.append(submit(task))
            break
        yield result


def _start_worker(parent: int, ticks: Any = None) -> None:
    """Pool worker initialiser: exit with the parent, and count finished replications on the
    shared ``ticks`` (:func:`~drawdown_sim.runner.chunks.set_ticker`).

    Ctrl-C is the parent's to handle: a terminal sends it to the whole process group, and a
    worker that took it would print a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent)
    if ticks is not None:
        from .chunks import set_ticker

        set_ticker(ticks)


def _ready() -> int:
    """A worker's answer to the pool's first call (see :meth:`LocalEngine.__enter__`)."""
    return os.getpid()


def _exit_with_parent(parent: int) -> None:
    """End this worker when the process that started it is gone (killed with SIGKILL, say),
    instead of finishing chunks nobody will read."""

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                # Not a speed trick: an orphaned worker must end from this watcher thread,
                # and only os._exit ends a process from a thread other than the main one
                # (sys.exit would end this thread alone). Status 1: it did not finish.
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _broken_pool_message() -> str:
    """Why the pool's workers died at start: an unguarded main script when the script has no
    ``__main__`` guard (the usual cause), otherwise a generic message."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path:
        try:
            source = Path(path).read_text(errors="replace")
        except OSError:
            source = ""
        if "__main__" not in source:
            return UNGUARDED.format(script=f" ({path})")
    return (
        "the worker processes stopped while starting; if a script calls run, compare or "
        f"sweep, put that code under `{GUARD}`"
    )


class LocalEngine:
    """A spawn-context process pool (safe from scripts, the CLI and Jupyter alike; no global
    start-method change); with one worker, chunks run in this process."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = capped_workers(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._ticks: Any = None  # replications finished by the pool's workers (shared)
        self._counted = 0  # replications finished in this process (one worker)
        self._heartbeat: Callable[[], None] | None = None

    def replications_done(self) -> int:
        """Replications the engine's workers have finished (or failed) so far, chunks in
        flight included: what progress shows between two chunks."""
        if self._ticks is not None:
            return int(self._ticks.value)
        return self._counted

    @contextmanager
    def watch(self, heartbeat: Callable[[], None]) -> Iterator[None]:
        """Call ``heartbeat`` at least every :data:`HEARTBEAT_SECONDS` while chunks are
        computed (with one worker: after each replication, at most that often)."""
        self._heartbeat = heartbeat
        try:
            yield
        finally:
            self._heartbeat = None

    def _count_here(self) -> None:
        self._counted += 1
        if self._heartbeat is not None:
            now = time.monotonic()
            if now - self._last_beat >= HEARTBEAT_SECONDS:
                self._last_beat = now
                self._heartbeat()

    _last_beat = -math.inf

    def __enter__(self) -> LocalEngine:
        """Start the pool (more than one worker) and wait for a worker to answer, so that
        workers that cannot start (an unguarded script, say) fail here, before a run removes
        or writes anything.

        Raises:
            UnguardedScript: the workers died while importing the main script.
        """
        if self.workers > 1:
            try:
                self._start().submit(_ready).result()
            except BrokenProcessPool:
                self.close()
                raise UnguardedScript(_broken_pool_message()) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._ticks = context.Value("q", 0)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(os.getpid(), self._ticks),
            )
        return self._pool

    def map_ordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        if self.workers == 1:
            from .chunks import set_ticker

            set_ticker(self._count_here)
            try:
                yield from map(fn, tasks)
            finally:
                set_ticker(None)
            return
        pool = self._start()
        yield from _ordered(
            lambda task: pool.submit(fn, task), tasks, 2 * self.workers, self._heartbeat
        )


WORKER_CONFIG = {"distributed.worker.profile.enabled": False}
"""Dask settings of the workers this engine starts. The statistical profiler samples every
task's stack a hundred times a second, competing for the worker's interpreter lock with the
simulation it watches (about a tenth of the throughput); workers of a cluster started
elsewhere get the same with ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``."""


class DaskEngine:
    """A dask.distributed cluster: the one at ``address``, or a local one with ``workers``
    single-threaded worker processes. A chunk whose worker dies is recomputed by the
    scheduler elsewhere; chunks are seeded, so its rows are the same.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.address = address
        self.workers = capped_workers(workers) if address is None else (workers or 0)
        self.connect_timeout = connect_timeout
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskEngine:
        require_dask()
        import dask
        from distributed import Client, LocalCluster

        if self.address is None:
            with dask.config.set(WORKER_CONFIG):
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            self._client = Client(self._cluster)
            return self
        address = self.address.strip()
        if "://" not in address or len(address) > 200:
            raise EngineError(
                f"--scheduler {address[:60]!r} is not a scheduler address such as tcp://host:8786"
            )
        try:
            self._client = Client(address, timeout=self.connect_timeout)
        except (OSError, TimeoutError, ValueError) as error:
            raise EngineError(
                f"cannot reach the dask scheduler at {address[:60]} within "
                f"{self.connect_timeout:g} s ({type(error).__name__}); is it running? "
                "(--connect-timeout sets the wait)"
            ) from None
        self.workers = max(1, sum(self._client.nthreads().values()))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def map_ordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        client = self._client
        if client is None:
            raise RuntimeError("use the engine in a with block: `with DaskEngine(...) as e:`")
        ahead = 2 * max(self.workers, sum(client.nthreads().values()))
        yield from _ordered(lambda task: client.submit(fn, task, pure=False), tasks, ahead)


DASK_MISSING = (
    "the dask engine needs dask.distributed, which is not installed; "
    "install it with: pip install 'drawdown-sim[dask]'"
)


def require_dask() -> None:
    """Raise :class:`EngineError` (one line: how to install it) when ``dask.distributed``,
    an optional extra, is not installed."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None or importlib.util.find_spec("dask") is None:
        raise EngineError(DASK_MISSING)


def make_engine(
    name: str,
    workers: int | None = None,
    scheduler: str | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> LocalEngine | DaskEngine:
    """An engine by name; enter it (``with``) before use.

    Raises:
        UnguardedScript: called while a spawned worker imports the main script.
        EngineError: ``dask`` without the ``dask`` extra installed.
    """
    refuse_in_spawned_import()
    if name == "local":
        return LocalEngine(workers)
    if name == "dask":
        require_dask()
        return DaskEngine(scheduler, workers, connect_timeout)
    raise ValueError(f"unknown engine {name!r}; use local or dask")


@contextmanager
def engine_in_use(
    engine: str | Engine, workers: int | None = None, scheduler: str | None = None
) -> Iterator[Engine]:
    """An engine ready to map: one built here by name (and shut down on leaving), or one the
    caller built and entered already (used as it is and left open, so that a compare or a
    sweep shares it)."""
    refuse_in_spawned_import()
    if not isinstance(engine, str):
        yield engine
        return
    with make_engine(engine, workers, scheduler) as built:
        yield built
