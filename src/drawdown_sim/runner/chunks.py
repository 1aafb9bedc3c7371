"""Worker side of a run: simulate one chunk of replications and summarise it.

A chunk is the unit that engines distribute, that streams to disk, and that a resumed run
redoes. Its result is small and picklable: its outcome table, the histogram cells of its
replications' daily series, the event rows of traced replications, and any failures. What
can be made of a chunk where it ran is made there: the main process, which takes every
chunk in turn, is the one part of a run that more workers do not multiply. The
last chunks of a stream go out in parts (:meth:`ChunkTask.parts`), whose results
:func:`assemble` puts back together into exactly the chunk's own.
"""

from __future__ import annotations

import json
import math
import traceback
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from ..model import simulate_seed
from ..model.events import event_rows
from ..model.series import SeriesBatch
from ..model.streams import replication_seeds
from ..scenario import Scenario
from .bands import BandsDelta, chunk_delta, series_bins
from .tables import outcome_table, table_digest


@dataclass(frozen=True)
class ChunkIdentity:
    """What a chunk file must say about itself to be used."""

    run: str  # digest of the run's identity (RunSpec.key)
    cell: int  # which run of a multi-run directory (a sweep's state x option)
    index: int  # chunk index within the run
    first: int  # first replication
    count: int  # replications in the chunk

    def to_json(self, digest: str) -> bytes:
        return json.dumps({**self.__dict__, "sha256": digest}, sort_keys=True).encode()


@dataclass(frozen=True)
class ChunkTask:
    """Replications ``identity.first .. first+count-1`` of a run."""

    identity: ChunkIdentity
    scenario: Scenario  # validated where the run began: workers use it as it comes
    root_seed: int
    trace: int  # replications below this index keep their event log
    series: bool = True  # False: outcomes only (sweeps need no daily series)
    part: tuple[int, int] | None = None  # (first, count): a part of the chunk (see below)

    def parts(self, count: int) -> list[ChunkTask]:
        """The chunk as ``count`` tasks of consecutive replications (fewer if it is small),
        whose results :func:`assemble` puts back together into the chunk's own result.

        A run ends when its slowest worker finishes its last task, and the others wait
        meanwhile: splitting the last chunks shortens that wait to a fraction of a chunk.
        """
        first, total = self.identity.first, self.identity.count
        count = max(1, min(count, total))
        edges = [first + total * k // count for k in range(count + 1)]
        return [replace(self, part=(lo, hi - lo)) for lo, hi in zip(edges, edges[1:], strict=False)]


@dataclass
class ChunkResult:
    identity: ChunkIdentity
    outcomes: pa.Table = field(default_factory=lambda: outcome_table([]))  # OUTCOME_SCHEMA
    bands: BandsDelta | None = None  # the chunk's daily-series histograms (None: no series)
    events: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    daily: NDArray[np.float64] | None = None  # a part's daily series, for assemble()
    digest: str = ""  # table_digest of outcomes, taken where they were made ("": not yet)


def assemble(parts: list[ChunkResult], initial_personnel: int) -> ChunkResult:
    """The result of a whole chunk from the results of its parts (:meth:`ChunkTask.parts`),
    in order: exactly what one task of the whole chunk returns. Each replication's rows,
    events, failures and daily series do not depend on the others in its task, so they
    are simply put end to end; the histogram cells and sums are then taken over the
    chunk's series, as its worker would have (float sums depend on how they are grouped),
    with the bins of a scenario of ``initial_personnel``."""
    whole = ChunkResult(parts[0].identity, pa.concat_tables([part.outcomes for part in parts]))
    whole.digest = table_digest(whole.outcomes)
    for part in parts:
        whole.events.extend(part.events)
        whole.failures.extend(part.failures)  # each part's in order: the chunk's in order
        whole.seconds += part.seconds
    daily = [part.daily for part in parts if part.daily is not None]
    if daily:
        whole.bands = chunk_delta(np.concatenate(daily), series_bins(initial_personnel))
    return whole


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


def _chunk_series(
    batch: SeriesBatch, indices: list[int], seed: int, failures: list[dict[str, Any]]
) -> tuple[list[int], NDArray[Any] | None]:
    """The daily series of a chunk's replications, computed together, and the replications
    they are of. If that fails, one by one, so that only a replication whose series cannot be
    computed is recorded as failed."""
    if not indices:
        return indices, None
    try:
        return indices, batch.series()
    except Exception:  # noqa: BLE001 - find the replication at fault
        kept, daily = [], []
        for position, index in enumerate(indices):
            try:
                daily.append(batch.one(position).series()[0])
            except Exception as error:  # noqa: BLE001 - one bad replication must not sink the run
                failures.append(_failure(index, seed, error))
                continue
            kept.append(index)
        return kept, np.stack(daily) if daily else None


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate a chunk. A replication that raises is recorded, and the chunk goes on."""
    import time

    started = time.perf_counter()
    scenario = _scenario(task)
    identity = task.identity
    result = ChunkResult(identity)
    first, count = task.part or (identity.first, identity.count)
    seeds = replication_seeds(task.root_seed, first, count)
    batch = SeriesBatch(scenario)
    rows: dict[int, dict[str, Any]] = {}
    start = scenario.window.start
    for offset, seed in enumerate(seeds):
        index = first + offset
        try:
            replication = simulate_seed(scenario, seed, index)
            if task.series:  # what the series need; the replication itself is freed soon
                batch.add(replication)
        except Exception as error:  # noqa: BLE001 - one bad replication must not sink the run
            result.failures.append(_failure(index, task.root_seed, error))
            continue
        row: dict[str, Any] = {"replication": index, "seed": task.root_seed}
        row.update(replication.outcomes)  # exactly OUTCOMES, in their order
        completion = replication.outcomes["completion_day"]
        row["completion_date"] = (
            None if completion is None else start + timedelta(days=math.floor(completion))
        )
        rows[index] = row
        if index < task.trace:
            result.events.extend(event_rows(replication, scenario))
    daily = None
    if task.series:
        kept, daily = _chunk_series(batch, list(rows), task.root_seed, result.failures)
        # Freed here, inside the chunk's time: a chunk's trajectories are tens of thousands
        # of small objects, whose freeing (milliseconds) is part of computing it.
        del batch
        if len(kept) < len(rows):  # a replication whose series failed has no row
            result.failures.sort(key=lambda failure: int(failure["replication"]))
            rows = {index: rows[index] for index in kept}
    result.outcomes = outcome_table(list(rows.values()))
    result.digest = table_digest(result.outcomes)  # here, not in the main process
    if daily is not None and task.part is not None:
        result.daily = daily  # the chunk's cells are counted once its parts are together
    elif daily is not None:
        result.bands = chunk_delta(daily, series_bins(scenario.initial_personnel))
    result.seconds = time.perf_counter() - started
    return result
