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


@pytest.mark.parametrize(
    ("replications", "index", "blocks"),
    [(230, 1, [40, 30, 20, 10]), (230, 2, [15, 10, 5]), (115, 1, [15])],
)
def test_a_chunk_computed_in_parts_is_the_chunk_computed_whole(
    monkeypatch, replications, index, blocks
):
    # One part per block of the chunk's sums: through the traced replications and around a
    # failing one; a small chunk is one block, and its own single part.
    fail_replication(monkeypatch, 137)
    s = scenario("baseline")
    spec = RunSpec(s, seed=9, replications=replications, trace=120)
    task = spec.task(0, index)
    pieces = task.parts()
    assert [p.part[1] if p.part else p.identity.count for p in pieces] == blocks
    if len(blocks) == 1:
        assert pieces == [task]
    else:
        assert pieces[0].part[0] == task.identity.first
    whole = run_chunk(task)
    _same_chunk(assemble([run_chunk(p) for p in pieces]), whole)


def test_a_chunk_whose_block_has_no_series_computed_in_parts_is_the_chunk_computed_whole(
    monkeypatch,
):
    # Every replication of the third block fails: the block adds nothing to the sums.
    from drawdown_sim.runner import chunks

    real = chunks.simulate_seed

    def failing(scenario_: Any, seed: Any, at: int) -> Any:
        if 70 <= at < 90:
            raise RuntimeError("injected fault")
        return real(scenario_, seed, at)

    monkeypatch.setattr(chunks, "simulate_seed", failing)
    task = RunSpec(scenario("baseline"), seed=5, replications=100).task(0, 0)
    whole = run_chunk(task)
    assert len(whole.failures) == 20 and whole.bands is not None and whole.bands.count == 80
    _same_chunk(assemble([run_chunk(p) for p in task.parts()]), whole)


def test_a_chunks_sums_are_its_blocks_sums_added_in_order():
    # Float sums depend on their grouping: a chunk's are defined block by block, which is
    # what lets its parts send sums instead of series. The blocks' sums added in order, bit
    # for bit; and not, in general, the plain sum over the chunk.
    from drawdown_sim.runner.bands import block_sums

    daily = np.random.default_rng(3).lognormal(0.0, 3.0, (100, 7, 50))
    edges = [0, 25, 50, 75, 100]
    expected = daily[0:25].sum(axis=0)
    for low, high in zip(edges[1:], edges[2:], strict=False):
        expected = expected + daily[low:high].sum(axis=0)
    np.testing.assert_array_equal(block_sums(daily, edges), expected)
    assert not np.array_equal(block_sums(daily, edges), daily.sum(axis=0))
    np.testing.assert_array_equal(block_sums(daily), daily.sum(axis=0))
    np.testing.assert_array_equal(block_sums(daily, [0, 0, 100]), daily.sum(axis=0))
    assert (block_sums(daily[:0], [0, 0]) == 0).all()


def test_a_chunk_without_series_computed_in_parts_is_the_chunk_computed_whole():
    s = scenario("historical")
    task = RunSpec(s, seed=2, replications=60, series=False).task(0, 0)
    whole = run_chunk(task)
    assert whole.bands is None
    _same_chunk(assemble([run_chunk(p) for p in task.parts()]), whole)


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


def _in_turns(*chunks: tuple[int, int, list[int]]) -> list[tuple[int, Any]]:
    """The tasks of a run whose first chunk goes out whole and whose ``chunks`` (index, first
    replication, part sizes) go out in parts, in turns: each chunk's first part, then each
    one's second, and so on."""
    tasks: list[tuple[int, Any]] = [(0, None)]
    for turn in range(max(len(sizes) for _, _, sizes in chunks)):
        for index, first, sizes in chunks:
            if turn < len(sizes):
                tasks.append((index, (first + sum(sizes[:turn]), sizes[turn])))
    return tasks


@pytest.mark.parametrize(
    ("reps", "parts"),
    [
        # Chunks of 100, 100 and 50: the last two (one per worker) in shrinking parts, in
        # turns, so that the stream ends with the two smallest.
        (250, _in_turns((1, 100, [40, 30, 20, 10]), (2, 200, [20, 15, 10, 5]))),
        # Chunks of 100, 100 and 30: the last is complete (in three parts) before the one
        # before it, and waits for it (chunks are folded in order).
        (230, _in_turns((1, 100, [40, 30, 20, 10]), (2, 200, [15, 10, 5]))),
    ],
)
def test_the_last_chunk_of_each_worker_goes_out_in_parts_and_changes_nothing(
    tmp_path: Path, monkeypatch, reps, parts
):
    s = scenario("baseline")
    split = _InProcess()
    run(s, reps=reps, seed=4, engine=split, out=tmp_path / "split", trace=3)
    assert split.parts == parts
    monkeypatch.setattr(protocol, "SPLIT_TAIL", False)
    whole = _InProcess()
    run(s, reps=reps, seed=4, engine=whole, out=tmp_path / "whole", trace=3)
    assert [part for _, part in whole.parts] == [None] * 3
    for name, table in _tables(tmp_path / "whole").items():
        assert _tables(tmp_path / "split")[name].equals(table), name
    monkeypatch.undo()
    in_memory = run(s, reps=reps, seed=4, engine=_InProcess(), trace=3)
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
