"""Run a scenario many times: chunks to an engine, results streamed to disk, resumable."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..runner.engines import Engine, engine_in_use
from ..runner.manifest import Failure, RunManifest, Timings, environment, write_manifest
from ..runner.protocol import (
    CHECKPOINT_SECONDS,
    CHUNK_SIZE,
    Job,
    Progress,
    RunSpec,
    compute_chunks,
    finish,
    prepare,
    stream,
)
from ..runner.provenance import provenance
from ..runner.store import RunDirectory, RunRefused
from ..scenario import Scenario
from ..series.bands import Bands

if TYPE_CHECKING:
    from .results import Results

__all__ = [
    "CHECKPOINT_SECONDS",
    "CHUNK_SIZE",
    "RESULTS",
    "RunRefused",
    "default_out",
    "results_dir",
    "run",
    "run_in_memory",
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
    """Replicate ``scenario``; returns :class:`Results`.

    Replication r uses ``SeedSequence(seed).spawn(...)[r]``, so the outcomes depend only on
    the scenario, the seed and r: not on the worker count, the engine, or interruptions.
    Plots and the report are the caller's to draw (``drawdown_sim.plot_all(path)``).

    Args:
        out: the results directory to write (``results/<name>/`` is the command line's
            default); ``None`` keeps the results in memory and writes nothing, for batch
            clients (an EMA Workbench model, a notebook loop).
        engine: ``"local"``, ``"dask"``, or an engine already entered (``with``), which
            is then reused and left open.

    Raises:
        LimitExceeded: ``reps``, ``seed`` or ``trace`` out of bounds, or a scenario that plans
            too many movements (:mod:`drawdown_sim.scenario.bounds`); nothing is written.
        RunRefused: the directory holds other results or an interrupted run, or cannot be
            written.
        EngineError: the dask scheduler cannot be reached.
    """
    from ..scenario.bounds import check_run

    seed = scenario.seed if seed is None else seed
    reps = scenario.replications if reps is None else reps
    check_run(scenario, reps, seed, trace)  # before any folder is touched
    spec = RunSpec(scenario, seed, reps, trace)
    if out is None:
        with engine_in_use(engine, workers, scheduler) as chosen:
            return run_in_memory(spec, chosen, overrides, progress)
    directory = RunDirectory(Path(out))
    with engine_in_use(engine, workers, scheduler) as chosen, directory.lock():
        return run_into(directory, spec, chosen, resume, force, overrides, progress)


def run_in_memory(
    spec: RunSpec,
    engine: Engine,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
) -> Results:
    """:func:`run` without a directory: the same chunks and rows, held in memory."""
    from ..runner.tables import EVENT_SCHEMA, OUTCOME_SCHEMA, event_table
    from .results import Results

    started = datetime.now(UTC)
    clock = time.perf_counter()
    scenario = spec.scenario
    bands = Bands(scenario.horizon_days, scenario.initial_personnel)
    outcomes, events, failures = [], [], []
    done, compute = 0, 0.0
    tasks = ((0, spec.task(0, index)) for index in range(spec.chunks))
    for _, result in compute_chunks(engine, tasks):
        outcomes.append(result.outcomes)
        if result.events:
            events.append(event_table(result.events))
        failures.extend(result.failures)
        if result.bands is not None:
            bands.fold(result.bands)
        compute += result.seconds
        done += result.identity.count
        if progress is not None:
            progress(done, spec.replications)
    manifest = _manifest(
        spec,
        engine,
        failures,
        started,
        time.perf_counter() - clock,
        compute,
        0,
        False,
        overrides,
    )
    return Results(
        manifest,
        None,
        outcomes=pa.concat_tables(outcomes).cast(OUTCOME_SCHEMA).to_pandas(),
        series=_series(scenario, bands).to_pandas(),
        events=pa.concat_tables(events).cast(EVENT_SCHEMA).to_pandas() if events else None,
    )


def _series(scenario: Scenario, bands: Bands) -> pa.Table:
    """The table of ``series.parquet``: day, date, then the bands' columns."""
    days = np.arange(scenario.horizon_days, dtype=np.int64)
    dates = np.datetime64(scenario.window.start, "D") + days
    return pa.table({"day": days, "date": pa.array(dates, pa.date32()), **bands.table()})


def _manifest(
    spec: RunSpec,
    engine: Engine,
    failures: list[dict[str, Any]],
    started: datetime,
    elapsed: float,
    compute: float,
    done_before: int,
    resumed: bool,
    overrides: Sequence[str],
) -> RunManifest:
    scenario = spec.scenario
    reps = spec.replications
    return RunManifest(
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
        resumed=resumed,
        timings=Timings(
            started=started.isoformat(timespec="seconds"),
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
            elapsed_seconds=round(elapsed, 3),
            compute_seconds_this_session=round(compute, 3),
            replications_per_second=round((reps - done_before) / max(elapsed, 1e-9), 2),
        ),
        environment=environment(),
    )


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
    job = begin_run(directory, spec, resume, force, progress)
    if not job.executed.complete:
        stream([job], engine)
    return complete_run(job, engine, overrides)


def begin_run(
    directory: RunDirectory,
    spec: RunSpec,
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> Job:
    """Check a locked directory against ``spec`` and plan the run (see :func:`prepare`); its
    chunks are computed by :func:`stream`, alone or beside other runs' (``compare``)."""
    return prepare(
        directory,
        [spec],
        config=spec.identity(),
        what="run",
        resume=resume,
        force=force,
        progress=progress,
    )


def complete_run(
    job: Job, engine: Engine, overrides: Sequence[str] = (), option: str | None = None
) -> Results:
    """Finish a run whose chunks are all computed: verify and assemble them, write the
    series and, last, the manifest; the results. ``option``: the run is this option of a
    compare (its files get an ``option`` column)."""
    from .results import Results

    directory = job.directory
    if job.executed.complete:
        return Results.load(directory.root)  # already complete: nothing to resume
    (spec,) = job.specs
    bands = job.executed.bands[0]
    assert bands is not None
    directory.check_identity()
    failures, outcomes = finish(
        job,
        engine,
        lambda: directory.finish_run(
            [spec.chunk(0, i) for i in range(spec.chunks)],
            trace=spec.trace > 0,
            series=lambda: _series(spec.scenario, bands),
            metadata=provenance(
                "compare" if option is not None else "run",
                name=spec.scenario.name,
                scenario_digest=spec.scenario.digest,
                seed=spec.seed,
                replications=spec.replications,
                option=option,
            ),
            option=option,
        ),
    )
    manifest = _manifest(
        spec,
        engine,
        failures,
        job.started,
        time.perf_counter() - job.clock,
        job.executed.seconds,
        job.executed.done_before,
        job.resume,
        overrides,
    )
    write_manifest(directory.root, manifest)
    directory.remove_partial()
    # The histograms' memory (megabytes) goes back now, while a compare's workers go on with
    # the next option, rather than all options' together once the last one is finished.
    bands.reset()
    job.executed.bands.clear()
    # The manifest's scenario is this one, as run: no need to validate it again.
    ran = spec.scenario.model_copy(update={"replications": spec.replications})
    return Results.written(directory.root, manifest, ran, outcomes)
