"""The last chunks of a stream go out in parts and are put back together: nothing changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from drawdown_sim import run
from drawdown_sim.runner import protocol
from drawdown_sim.runner.chunks import ChunkResult, assemble, run_chunk
from drawdown_sim.runner.protocol import RunSpec
from drawdown_sim.runner.tables import table_digest
from tests.helpers import fail_replication, scenario


def _same_chunk(joined: ChunkResult, whole: ChunkResult) -> None:
    assert joined.identity == whole.identity
    assert joined.outcomes.equals(whole.outcomes, check_metadata=True)
    assert joined.outcomes.schema == whole.outcomes.schema
    # The checksum stamped on the chunk file is taken where the rows were made.
    assert joined.digest == whole.digest == table_digest(whole.outcomes)
    assert joined.events == whole.events
    assert [(f["replication"], f["error"]) for f in joined.failures] == [
        (f["replication"], f["error"]) for f in whole.failures
    ]
    assert (joined.bands is None) == (whole.bands is None)
    if whole.bands is not None and joined.bands is not None:
        assert joined.bands.count == whole.bands.count
        np.testing.assert_array_equal(joined.bands.sums, whole.bands.sums)  # bit for bit
        for series, (cells, counts) in whole.bands.cells.items():
            got_cells, got_counts = joined.bands.cells[series]
            np.testing.assert_array_equal(got_cells, cells)
            np.testing.assert_array_equal(got_counts, counts)
            assert (got_cells.dtype, got_counts.dtype) == (cells.dtype, counts.dtype)


@pytest.mark.parametrize("parts", [2, 3, 4])
def test_a_chunk_computed_in_parts_is_the_chunk_computed_whole(monkeypatch, parts):
    # Parts cut a chunk anywhere: through the traced replications and around a failing one.
    fail_replication(monkeypatch, 137)
    s = scenario("baseline")
    spec = RunSpec(s, seed=9, replications=230, trace=120)
    task = spec.task(0, 1)  # replications 100..199
    pieces = task.parts(parts)
    assert [p.part for p in pieces][0][0] == 100 and sum(p.part[1] for p in pieces) == 100
    whole = run_chunk(task)
    assert [f["replication"] for f in whole.failures] == [137] and whole.events
    _same_chunk(assemble([run_chunk(p) for p in pieces], s.initial_personnel), whole)


def test_a_chunk_without_series_computed_in_parts_is_the_chunk_computed_whole():
    s = scenario("historical")
    task = RunSpec(s, seed=2, replications=60, series=False).task(0, 0)
    whole = run_chunk(task)
    assert whole.bands is None
    _same_chunk(assemble([run_chunk(p) for p in task.parts(3)], s.initial_personnel), whole)


class _InProcess:
    """An engine of two workers that computes in this process, recording what it is given."""

    name = "local"
    workers = 2

    def __init__(self) -> None:
        self.parts: list[Any] = []

    def map_ordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            self.parts.append((task.identity.index, task.part))
            yield fn(task)

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _tables(path: Path) -> dict[str, Any]:
    return {name: pq.read_table(path / f"{name}.parquet") for name in ("outcomes", "series")}


def test_the_last_chunk_of_each_worker_goes_out_in_parts_and_changes_nothing(
    tmp_path: Path, monkeypatch
):
    s = scenario("baseline")
    split = _InProcess()
    run(s, reps=250, seed=4, engine=split, out=tmp_path / "split", trace=3)
    # Chunks of 100, 100 and 50: the last two (one per worker) in four parts each.
    assert split.parts == [
        (0, None),
        (1, (100, 25)),
        (1, (125, 25)),
        (1, (150, 25)),
        (1, (175, 25)),
        (2, (200, 12)),
        (2, (212, 13)),
        (2, (225, 12)),
        (2, (237, 13)),
    ]
    monkeypatch.setattr(protocol, "TAIL_PARTS", 1)
    whole = _InProcess()
    run(s, reps=250, seed=4, engine=whole, out=tmp_path / "whole", trace=3)
    assert [part for _, part in whole.parts] == [None] * 3
    for name, table in _tables(tmp_path / "whole").items():
        assert _tables(tmp_path / "split")[name].equals(table), name
    monkeypatch.undo()
    in_memory = run(s, reps=250, seed=4, engine=_InProcess(), trace=3)
    assert pq.read_table(tmp_path / "whole" / "series.parquet").to_pandas().equals(in_memory.series)


def test_a_worker_uses_the_scenario_as_sent_and_one_object_per_run(monkeypatch):
    # A worker does not validate the scenario again (it was validated where the run began),
    # and every chunk of a run computed in one process uses one scenario object, whatever
    # copy its task arrived with: the model's per-scenario values are derived once per object.
    import pickle

    from drawdown_sim.model import world
    from drawdown_sim.runner import chunks
    from drawdown_sim.scenario import Scenario

    spec = RunSpec(scenario(), seed=3, replications=20, chunk_size=10)
    expected = [run_chunk(spec.task(0, index)) for index in range(2)]

    def refuse(*args: Any, **kwargs: Any) -> Scenario:
        raise AssertionError("a worker validated the scenario again")

    monkeypatch.setattr(Scenario, "model_validate", refuse)
    monkeypatch.setattr(chunks, "_SCENARIOS", {})  # a fresh worker
    derived = []
    original = world.per_scenario

    def watch(kind: str, scenario: Scenario, compute: Callable[[], Any]) -> Any:
        derived.append(id(scenario))
        return original(kind, scenario, compute)

    monkeypatch.setattr(world, "per_scenario", watch)
    for module in ("forces", "escalation", "militia"):
        monkeypatch.setattr(f"drawdown_sim.model.{module}.per_scenario", watch)
    tasks = [pickle.loads(pickle.dumps(spec.task(0, index))) for index in range(2)]
    assert tasks[0].scenario is not tasks[1].scenario  # as two tasks arrive in a worker
    got = [run_chunk(task) for task in tasks]
    for joined, whole in zip(got, expected, strict=True):
        _same_chunk(joined, whole)
    assert derived and len(set(derived)) == 1
