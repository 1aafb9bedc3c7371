"""Run a scenario many times: chunks to an engine, results streamed to disk, resumable."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from ..scenario import Scenario
from .engines import Engine, make_engine
from .manifest import Failure, RunManifest, Timings, environment, write_manifest
from .protocol import CHECKPOINT_SECONDS, CHUNK_SIZE, Progress, RunSpec, execute
from .store import RunDirectory, RunRefused

if TYPE_CHECKING:
    from ..results import Results

__all__ = [
    "CHECKPOINT_SECONDS",
    "CHUNK_SIZE",
    "RESULTS",
    "RunRefused",
    "default_out",
    "results_dir",
    "run",
    "run_into",
]

RESULTS = Path("results")
"""Where results go by default, relative to the working directory."""


def results_dir(name: str) -> Path:
    """``results/<name>``, checked to lie inside ``results/`` (names are validated so that
    they cannot escape; this is the second lock on the door)."""
    target = RESULTS / name
    base = RESULTS.resolve()
    if target.resolve().parent != base or name in ("", ".", ".."):
        raise RunRefused(f"{name[:40]!r} would write outside {RESULTS}/; choose another name")
    return target


def default_out(scenario: Scenario) -> Path:
    return results_dir(scenario.name)


def run(
    scenario: Scenario,
    reps: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    engine: str | Engine = "local",
    *,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    trace: int = 0,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
) -> Results:
    """Replicate ``scenario`` and write its results directory; returns :class:`Results`.

    Replication r uses ``SeedSequence(seed).spawn(...)[r]``, so the outcomes depend only on
    the scenario, the seed and r: not on the worker count, the engine, or interruptions.
    Plots and the report are the caller's to draw (``drawdown_sim.plot_all(path)``).

    Args:
        engine: ``"local"``, ``"dask"``, or an engine already entered (``with``), which
            is then reused and left open.

    Raises:
        RunRefused: the directory holds other results or an interrupted run, or cannot be
            written.
        EngineError: the dask scheduler cannot be reached.
    """
    spec = RunSpec(
        scenario,
        scenario.seed if seed is None else seed,
        scenario.replications if reps is None else reps,
        trace,
    )
    directory = RunDirectory(Path(out) if out is not None else default_out(scenario))
    built = make_engine(engine, workers, scheduler) if isinstance(engine, str) else None
    with built if built is not None else nullcontext(), directory.lock():
        chosen = built if built is not None else engine
        assert not isinstance(chosen, str)
        return run_into(directory, spec, chosen, resume, force, overrides, progress)


def run_into(
    directory: RunDirectory,
    spec: RunSpec,
    engine: Engine,
    resume: bool = False,
    force: bool = False,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
) -> Results:
    """:func:`run` into a directory the caller has locked, on an engine it has entered."""
    from ..results import Results

    started = datetime.now(UTC)
    clock = time.perf_counter()
    scenario = spec.scenario
    executed = execute(
        directory,
        [spec],
        engine,
        config=spec.identity(),
        what="run",
        resume=resume,
        force=force,
        progress=progress,
    )
    if executed.complete:
        return Results.load(directory.root)  # already complete: nothing to resume
    bands = executed.bands[0]
    assert bands is not None
    days = scenario.horizon_days
    series = pd.DataFrame(
        {
            "day": range(days),
            "date": [scenario.window.start + timedelta(days=d) for d in range(days)],
            **bands.table(),
        }
    )
    directory.check_identity()
    failures = directory.finish_run(
        [spec.chunk(0, i) for i in range(spec.chunks)],
        trace=spec.trace > 0,
        series=pa.Table.from_pandas(series, preserve_index=False),
    )
    elapsed = time.perf_counter() - clock
    reps = spec.replications
    manifest = RunManifest(
        name=scenario.name,
        run_config=spec.identity(),
        scenario_hash=scenario.digest,
        # The scenario as run: its replication count is the one that was run.
        scenario={**scenario.to_data(), "replications": reps},
        overrides=list(overrides),
        seed=spec.seed,
        replications=reps,
        replications_done=reps - len(failures),
        replications_failed=len(failures),
        failures=[Failure(**{k: f[k] for k in ("replication", "seed", "error")}) for f in failures],
        engine=engine.name,
        workers=engine.workers,
        chunk_size=spec.chunk_size,
        trace=spec.trace,
        resumed=resume,
        timings=Timings(
            started=started.isoformat(timespec="seconds"),
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
            elapsed_seconds=round(elapsed, 3),
            compute_seconds_this_session=round(executed.seconds, 3),
            replications_per_second=round((reps - executed.done_before) / max(elapsed, 1e-9), 2),
        ),
        environment=environment(),
    )
    write_manifest(directory.root, manifest)
    directory.remove_partial()
    return Results.load(directory.root)
