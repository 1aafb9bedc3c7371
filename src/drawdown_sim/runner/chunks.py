"""Worker side of a run: simulate one chunk of replications and summarise it.

A chunk is the unit that engines distribute, that streams to disk, and that a resumed run
redoes. Its result is small and picklable: its outcome table, the histogram cells of its
replications' daily series, the event rows of traced replications, and any failures. What
can be made of a chunk where it ran is made there: the main process, which takes every
chunk in turn, is the one part of a run that more workers do not multiply.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from ..model import simulate_seed
from ..model.events import event_rows
from ..model.streams import replication_seeds
from ..model.world import RunawayReplication
from ..scenario import Scenario
from ..scenario.bounds import MAX_TRACED_CHUNK_EVENTS, RunawayRun, TraceTooLarge
from ..scenario.posterior import for_replication
from ..series.bands import BandsDelta, chunk_delta, series_bins, series_delta
from ..series.daily import SeriesBatch
from .tables import OUTCOME_SCHEMA, failures_digest, outcome_table, stamped_file, table_digest


@dataclass(frozen=True)
class ChunkIdentity:
    """What a chunk file must say about itself to be used."""

    run: str  # digest of the run's identity (RunSpec.key)
    cell: int  # which run of a multi-run directory (a sweep's state x option)
    index: int  # chunk index within the run
    first: int  # first replication
    count: int  # replications in the chunk

    def stamp(self, digest: str) -> dict[str, Any]:
        """What a chunk file of this chunk says about itself: this identity, and ``digest``
        (the :func:`~drawdown_sim.runner.tables.table_digest` of its rows)."""
        return {**self.__dict__, "sha256": digest}


@dataclass(frozen=True)
class ChunkTask:
    """Replications ``identity.first .. first+count-1`` of a run."""

    identity: ChunkIdentity
    scenario: Scenario  # validated where the run began: workers use it as it comes
    root_seed: int
    trace: int  # replications below this index keep their event log
    series: bool = True  # False: outcomes only (sweeps need no daily series)
    fail_fast: bool = True  # stop the run if most of the chunk runs away


@dataclass
class ChunkResult:
    identity: ChunkIdentity
    file: bytes = b""  # the chunk's outcome file (outcome_file), as the store writes it
    bands: BandsDelta | None = None  # the chunk's daily-series histograms (None: no series)
    events: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    digest: str = ""  # table_digest of its outcome rows, taken where they were made

    @property
    def outcomes(self) -> pa.Table:
        """The chunk's outcome rows (:data:`~drawdown_sim.runner.tables.OUTCOME_SCHEMA`),
        read from its file."""
        table = pa.ipc.open_file(pa.py_buffer(self.file)).read_all()
        return table.replace_schema_metadata(OUTCOME_SCHEMA.metadata)


def outcome_file(
    identity: ChunkIdentity, table: pa.Table, failures: list[dict[str, Any]], digest: str
) -> bytes:
    """The chunk file of a chunk's outcome rows ``table``, stamped with its identity, the
    rows' ``digest`` and its failures (kept in the file, which is the chunk's record).

    Made where the chunk ran, so that the process taking every chunk writes it as it comes
    instead of writing the table again (and a worker sends one buffer, not the table's
    columns one by one)."""
    stamp = identity.stamp(digest)
    stamp["failures"] = failures
    stamp["failures_sha256"] = failures_digest(failures)
    return stamped_file(table, stamp)


_SCENARIOS: dict[str, Scenario] = {}
"""The scenario of each run a worker has lately computed chunks of, by run key."""


def _scenario(task: ChunkTask) -> Scenario:
    """The task's scenario, as the same object for every chunk of its run that this process
    computes: the model's per-scenario values (movement plan, background rates) are derived
    once per scenario object, and each task arrives with its own unpickled copy. The scenario
    is not validated again here; it was where the run began (validating takes milliseconds,
    which every worker would pay again for each option of a compare)."""
    key = task.identity.run
    scenario = _SCENARIOS.get(key)
    if scenario is None:
        if len(_SCENARIOS) >= 8:  # a few runs at a time at most (a compare's options in turn)
            _SCENARIOS.clear()
        scenario = _SCENARIOS[key] = task.scenario
    return scenario


def _failure(index: int, seed: int, error: Exception) -> dict[str, Any]:
    return {
        "replication": index,
        "seed": seed,
        "error": f"{type(error).__name__}: {error}",
        "traceback": traceback.format_exc(limit=8),
    }


def _chunk_bands(
    task: ChunkTask, batch: SeriesBatch, indices: list[int], failures: list[dict[str, Any]]
) -> tuple[list[int], BandsDelta | None]:
    """The bands contribution of a chunk's replications ``indices``, their series computed
    together, and the replications it is of. If that fails, one by one, so that only a
    replication whose series cannot be computed is recorded as failed."""
    if not indices:
        return indices, None
    bins = series_bins(batch.scenario.initial_personnel)
    try:
        return indices, series_delta(batch, bins)
    except Exception:  # noqa: BLE001 - find the replication at fault
        kept, daily = [], []
        for position, index in enumerate(indices):
            try:
                daily.append(batch.one(position).series()[0])
            except Exception as error:  # noqa: BLE001 - one bad replication must not sink the run
                failures.append(_failure(index, task.root_seed, error))
                continue
            kept.append(index)
        if not daily:
            return kept, None
        return kept, chunk_delta(np.stack(daily), bins)


_TICKER: list[Any] = []
"""What counts this process's finished replications for the progress display: a shared
counter (``multiprocessing.Value``) in a pool worker, a callable in the main process;
nothing when no one is watching (:func:`set_ticker`)."""


def set_ticker(ticker: Any) -> None:
    """Count each replication this process finishes on ``ticker``: a ``multiprocessing``
    shared integer (incremented) or a callable (called); None stops counting."""
    _TICKER.clear()
    if ticker is not None:
        _TICKER.append(ticker)


def _tick() -> None:
    if not _TICKER:
        return
    ticker = _TICKER[0]
    if callable(ticker):
        ticker()
        return
    with ticker.get_lock():
        ticker.value += 1


def _runaway_check(task: ChunkTask, scenario: Scenario, runaways: list[str], done: int) -> None:
    """Stop the run once most replications of a chunk have run away:
    the first chunks show it, and the rest of the run would go the same way, each
    replication taking as long as ``max_events`` allows. Every chunk in flight stops too,
    so that the run ends within a chunk's first half."""
    if not task.fail_fast:
        return
    count = task.identity.count
    if 2 * len(runaways) > count:
        raise RunawayRun(
            f"{scenario.name}: stopped: {len(runaways)} of {done} replications from "
            f"{task.identity.first} ran away, so the rest would too; nothing was finished. "
            f"{runaways[0]}"
        )


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate a chunk. A replication that raises is recorded, and the chunk goes on.

    Raises:
        RunawayRun: most of the chunk ran away (:func:`_runaway_check`).
        TraceTooLarge: the traced replications logged more than
            :data:`~drawdown_sim.scenario.bounds.MAX_TRACED_CHUNK_EVENTS` events.
    """
    import time

    started = time.perf_counter()
    scenario = _scenario(task)
    identity = task.identity
    result = ChunkResult(identity)
    first, count = identity.first, identity.count
    seeds = replication_seeds(task.root_seed, first, count)
    batch = SeriesBatch(scenario)
    rows: dict[int, dict[str, Any]] = {}
    start = scenario.window.start
    runaways: list[str] = []
    for offset, seed in enumerate(seeds):
        index = first + offset
        try:
            replication = simulate_seed(for_replication(scenario, index), seed, index)
            if task.series:  # what the series need; the replication itself is freed soon
                batch.add(replication)
        except Exception as error:  # noqa: BLE001 - one bad replication must not sink the run
            result.failures.append(_failure(index, task.root_seed, error))
            _tick()
            if isinstance(error, RunawayReplication):
                runaways.append(str(error))
                _runaway_check(task, scenario, runaways, offset + 1)
            continue
        _tick()
        row: dict[str, Any] = {"replication": index, "seed": task.root_seed}
        row.update(replication.outcomes)  # exactly OUTCOMES, in their order
        completion = replication.outcomes["completion_day"]
        row["completion_date"] = (
            None if completion is None else start + timedelta(days=math.floor(completion))
        )
        rows[index] = row
        if index < task.trace:
            result.events.extend(event_rows(replication, scenario))
            if len(result.events) > MAX_TRACED_CHUNK_EVENTS:
                raise TraceTooLarge(
                    f"{scenario.name}: the traced replications {first}..{index} logged "
                    f"{len(result.events):,} events, more than the limit of "
                    f"{MAX_TRACED_CHUNK_EVENTS:,} per chunk of {task.identity.count}; trace "
                    "fewer replications (--trace)"
                )
    if task.series:
        kept, result.bands = _chunk_bands(task, batch, list(rows), result.failures)
        # Freed here, inside the chunk's time: a chunk's trajectories are tens of thousands
        # of small objects, whose freeing (milliseconds) is part of computing it.
        del batch
        if len(kept) < len(rows):  # a replication whose series failed has no row
            result.failures.sort(key=lambda failure: int(failure["replication"]))
            rows = {index: rows[index] for index in kept}
    outcomes = outcome_table(list(rows.values()))
    result.digest = table_digest(outcomes)  # here, not in the main process
    result.seconds = time.perf_counter() - started
    # The chunk file after the chunk's compute time: writing it is the run's work, not the
    # replications'.
    result.file = outcome_file(identity, outcomes, result.failures, result.digest)
    return result
