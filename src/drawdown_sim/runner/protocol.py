"""One run protocol for ``run``, ``compare`` and ``sweep``.

A :class:`RunSpec` says what to replicate (scenario, root seed, replications, chunk plan,
trace, whether to keep daily series). :func:`prepare` checks a results directory against
the specs that share it (one for ``run`` and for each option of ``compare``; one per
state x option for ``sweep``) and plans a :class:`Job`: the chunks still to compute.
:func:`stream` computes the chunks of one or several jobs on an engine that the caller
built once, in one stream, writing each into its job's :class:`RunDirectory`, which owns
lock, refuse, resume, checkpoint and finish; :func:`finish` assembles a job's results from
its verified chunks. Nothing outside ``runner/`` touches chunk files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar

from ..scenario import Scenario
from ..series.bands import Bands
from .chunks import ChunkIdentity, ChunkResult, ChunkTask, run_chunk
from .engines import Engine
from .store import Chunk, ChunkInvalid, RunDirectory, RunRefused

log = logging.getLogger("drawdown_sim")

T = TypeVar("T")

CHUNK_SIZE = 100
"""Replications per chunk: the unit streamed to disk and redone on resume."""

CHECKPOINT_SECONDS = 10.0
"""Least time between checkpoints of the daily bands: at most this much work is redone
after an interruption."""

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in the work)."""


@dataclass(frozen=True)
class RunSpec:
    """Replications ``0 .. replications-1`` of ``scenario`` from root ``seed``."""

    scenario: Scenario
    seed: int
    replications: int
    trace: int = 0  # replications below this index keep their event log
    series: bool = True  # keep the daily series (runs do; sweeps need outcomes only)
    chunk_size: int = CHUNK_SIZE

    def __post_init__(self) -> None:
        if self.replications < 1:
            raise ValueError("replications must be at least 1")
        if self.seed < 0:
            raise ValueError("the seed must be at least 0")

    @property
    def chunks(self) -> int:
        return math.ceil(self.replications / self.chunk_size)

    def identity(self) -> dict[str, Any]:
        """What a resumed run or a chunk file must match."""
        return {
            "scenario_hash": self.scenario.digest,
            "seed": self.seed,
            "replications": self.replications,
            "chunk_size": self.chunk_size,
            "trace": self.trace,
            "series": self.series,
        }

    @cached_property
    def key(self) -> str:
        """A short digest of :meth:`identity`, stamped on every chunk file."""
        text = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def chunk(self, cell: int, index: int) -> ChunkIdentity:
        first = index * self.chunk_size
        return ChunkIdentity(
            self.key, cell, index, first, min(self.chunk_size, self.replications - first)
        )

    def task(self, cell: int, index: int) -> ChunkTask:
        identity = self.chunk(cell, index)
        return ChunkTask(
            identity,
            self.scenario,
            self.seed,
            self.trace,
            self.series,
            # A run of one chunk is as quick to finish, every failure recorded, as to stop.
            fail_fast=self.chunks > 1,
        )


@dataclass
class Executed:
    """What a job's chunks leave behind besides the chunk files."""

    bands: list[Bands | None]
    seconds: float = 0.0  # compute time of this session's chunks
    done_before: int = 0  # replications found done on resume
    complete: bool = False  # the directory already held these finished results
    recomputed: list[str] = field(default_factory=list)
    folded: list[set[int]] = field(default_factory=list)  # per spec: chunks in its bands


def _discard(
    directory: RunDirectory, identity: ChunkIdentity, why: str, recomputed: list[str]
) -> None:
    message = f"{directory.root}: discarding chunk {identity.index} ({why}); recomputing it"
    log.warning(message)
    recomputed.append(message)
    directory.discard_chunk(identity.cell, identity.index)


def _unusable(
    directory: RunDirectory,
    spec: RunSpec,
    cell: int,
    recomputed: list[str],
    report_missing: bool,
) -> list[int]:
    """The chunks of ``spec`` whose files are missing or not exactly right, in order. A file
    that is not right is discarded with one line saying why; so is a missing one when
    ``report_missing`` (a chunk that was written and has gone since)."""
    unusable = []
    for index in range(spec.chunks):
        identity = spec.chunk(cell, index)
        why = directory.chunk_ok(identity, events=spec.trace > identity.first)
        if why is None:
            continue
        if why != "missing" or report_missing:
            _discard(directory, identity, why, recomputed)
        unusable.append(index)
    return unusable


@dataclass
class Job:
    """One results directory's work: its specs, the chunks still to compute, and what they
    leave behind. Several jobs can share one stream of chunks on one engine (:func:`stream`)."""

    directory: RunDirectory
    specs: Sequence[RunSpec]
    executed: Executed
    todo: dict[int, list[int]]  # per cell (spec): chunk indices to compute
    progress: Progress | None = None
    resume: bool = False  # asked to resume (recorded in the manifest)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    clock: float = field(default_factory=time.perf_counter)

    @property
    def total(self) -> int:
        return sum(spec.replications for spec in self.specs)

    def pending(self) -> int:
        """Replications in the chunks still to compute."""
        return sum(
            self.specs[cell].chunk(cell, index).count
            for cell, indices in self.todo.items()
            for index in indices
        )


def prepare(
    directory: RunDirectory,
    specs: Sequence[RunSpec],
    *,
    config: dict[str, Any],
    what: str,
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> Job:
    """Check ``directory`` (locked by the caller) against this work and plan it: the chunks of
    ``specs`` not already done. Chunks found on disk are verified before they are counted
    as done; the results are assembled with :func:`finish`, which verifies every chunk again
    as it reads it.

    Raises:
        RunRefused: the directory holds other results or an interrupted run (see
            :meth:`RunDirectory.prepare`).
    """
    job = Job(directory, specs, Executed(bands=[]), {}, progress, resume)
    state = directory.prepare(config, what, resume, force)
    executed = job.executed
    if state == "complete":
        executed.complete = True
        return job
    folded: list[set[int]] = []  # per spec: chunks folded into its bands
    for spec in specs:
        if spec.series:
            bands = Bands(spec.scenario.horizon_days, spec.scenario.initial_personnel)
            found = directory.load_checkpoint(bands, spec.chunks) if state == "resume" else set()
            if found is None:
                message = f"{directory.root}: checkpoint unreadable; recomputing its chunks"
                log.warning(message)
                executed.recomputed.append(message)
                found = set()
            executed.bands.append(bands)
            folded.append(found)
        else:
            executed.bands.append(None)
            folded.append(set())
    executed.folded = folded

    def needed(cell: int, spec: RunSpec) -> list[int]:
        """Chunks of ``spec`` to compute: not on disk intact, or (with series) not folded."""
        if state == "fresh":
            return list(range(spec.chunks))
        unusable = set(_unusable(directory, spec, cell, executed.recomputed, False))
        return [
            index
            for index in range(spec.chunks)
            if index in unusable or (spec.series and index not in folded[cell])
        ]

    job.todo = {cell: needed(cell, spec) for cell, spec in enumerate(specs)}
    executed.done_before = job.total - job.pending()
    return job


def stream(
    jobs: Sequence[Job], engine: Engine, on_done: Callable[[Job], None] | None = None
) -> None:
    """Compute the chunks of every job in one stream on ``engine``, each written to its job's
    directory as it arrives, and call ``on_done`` with each job once its chunks are all in.

    One stream keeps the workers busy across jobs: while a job is finished (``on_done``, in
    this process), the workers are already computing the next job's chunks, instead of
    waiting for it as they would with one stream per job.
    """
    remaining = [job.pending() for job in jobs]  # replications still to come, per job
    # One checkpoint clock for the stream: the first chunk is checkpointed at once, then at
    # most every CHECKPOINT_SECONDS, whichever job is running (a job finished meanwhile
    # needs none), so at most that much work is redone after an interruption.
    last_checkpoint = -math.inf
    for at, job in enumerate(jobs):
        if job.progress is not None:
            job.progress(job.total - remaining[at], job.total)
        if remaining[at] == 0 and on_done is not None:
            on_done(job)  # nothing to compute (resumed with every chunk done)

    def chunks() -> Iterator[tuple[tuple[int, int], ChunkTask]]:
        for at, job in enumerate(jobs):
            for cell, indices in job.todo.items():
                for index in indices:
                    yield (at, cell), job.specs[cell].task(cell, index)

    shown = [job.total - remaining[at] for at, job in enumerate(jobs)]
    counter: Callable[[], int] | None = getattr(engine, "replications_done", None)
    received = [counter() if counter is not None else 0]  # the engine's count, less in flight

    def heartbeat() -> None:
        """Progress between chunks: replications the workers finished in chunks still in
        flight, counted to the first job with work left (never its last replication: that
        is shown when its chunk is in)."""
        assert counter is not None
        live = counter() - received[0]
        at = next((at for at, left in enumerate(remaining) if left > 0), None)
        if at is None or live <= 0:
            return
        job = jobs[at]
        done = job.total - remaining[at] + min(live, remaining[at] - 1)
        if job.progress is not None and done > shown[at]:
            shown[at] = done
            job.progress(done, job.total)

    watch = getattr(engine, "watch", None)
    result: ChunkResult
    with watch(heartbeat) if watch is not None and counter is not None else nullcontext():
        for (at, _), result in compute_chunks(engine, chunks()):
            received[0] += result.identity.count
            job = jobs[at]
            executed = job.executed
            identity = result.identity
            job.directory.save_chunk(identity, result.file, result.events)
            cell = identity.cell
            bands = executed.bands[cell]
            folded = executed.folded[cell]
            if bands is not None and result.bands is not None and identity.index not in folded:
                # Chunks arrive in index order and the checkpoint holds a prefix of them, so
                # the bands' float sums never depend on where a run was interrupted.
                bands.fold(result.bands)
                folded.add(identity.index)
                # None after the last chunk: finishing follows at once, and an interruption
                # there redoes at most CHECKPOINT_SECONDS of work, as anywhere else.
                if time.perf_counter() - last_checkpoint > CHECKPOINT_SECONDS:
                    job.directory.save_checkpoint(bands, folded)
                    last_checkpoint = time.perf_counter()
            executed.seconds += result.seconds
            remaining[at] -= identity.count
            shown[at] = max(shown[at], job.total - remaining[at])
            if job.progress is not None:
                job.progress(shown[at], job.total)
            if remaining[at] == 0 and on_done is not None:
                on_done(job)


def compute_chunks(
    engine: Engine, chunks: Iterable[tuple[T, ChunkTask]]
) -> Iterator[tuple[T, ChunkResult]]:
    """The results of chunk tasks, each with its tag, in order, computed on
    ``engine``."""
    tags: deque[T] = deque()  # per task in flight, in order: its tag

    def tasks() -> Iterator[ChunkTask]:
        for tag, task in chunks:
            tags.append(tag)
            yield task

    for result in engine.map_ordered(run_chunk, tasks()):
        yield tags.popleft(), result  # results come back in task order


def finish(job: Job, engine: Engine, assemble: Callable[[], T]) -> T:
    """Assemble the finished results with ``assemble``, which verifies every chunk as it reads
    it (:meth:`RunDirectory.read_chunk`) and writes nothing final unless all are right.

    Chunks are read once, when they are assembled, not once to check and again to assemble.
    If one is not exactly right (changed since it was written), every chunk is checked,
    those that are wrong are discarded and recomputed, and the results are assembled again.

    Raises:
        RunRefused: a chunk is still wrong after recomputing it (another process is writing
            there).
    """
    try:
        return assemble()
    except ChunkInvalid:
        pass
    directory = job.directory
    again: dict[int, list[int]] = {}
    for cell, spec in enumerate(job.specs):
        bad = _unusable(directory, spec, cell, job.executed.recomputed, report_missing=True)
        if bad:
            again[cell] = bad
    stream([Job(directory, job.specs, job.executed, again)], engine)
    try:
        return assemble()
    except ChunkInvalid as error:
        raise RunRefused(
            f"{directory.root}: {error} after recomputing it; is another process writing there?"
        ) from None


def verified_chunks(directory: RunDirectory, spec: RunSpec, cell: int = 0) -> Iterator[Chunk]:
    """The chunks of ``spec`` in order, each verified as it is read (for an ``assemble``
    given to :func:`finish`).

    Raises:
        ChunkInvalid: a chunk is not exactly right.
    """
    for index in range(spec.chunks):
        identity = spec.chunk(cell, index)
        yield directory.read_chunk(identity, events=spec.trace > identity.first)
