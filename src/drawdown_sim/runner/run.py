"""Run a scenario many times: chunks to an engine, results streamed to disk, resumable."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ..scenario import Scenario
from .bands import Bands
from .chunks import ChunkResult, ChunkTask, run_chunk
from .engines import Engine, make_engine
from .store import RunDirectory

CHUNK_SIZE = 100
"""Replications per chunk: the unit streamed to disk and redone on resume."""

CHECKPOINT_SECONDS = 10.0
"""Least time between checkpoints of the daily bands: at most this much work is redone
after an interruption."""

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in the run)."""


class RunRefused(ValueError):
    """The results directory holds something this run must not silently replace."""


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("drawdown-sim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


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


def _tasks(
    scenario: Scenario,
    seed: int,
    reps: int,
    trace: int,
    first_chunk: int,
) -> Iterator[ChunkTask]:
    data = scenario.to_data()
    for index in range(first_chunk, math.ceil(reps / CHUNK_SIZE)):
        first = index * CHUNK_SIZE
        yield ChunkTask(index, data, seed, first, min(CHUNK_SIZE, reps - first), trace)


def _prepare(directory: RunDirectory, config: dict[str, Any], resume: bool, force: bool) -> int:
    """Check the directory against this run; start or resume. Returns chunks already done."""
    existing = directory.manifest()
    if (
        existing is not None
        and not force
        and existing.get("scenario_hash") != config["scenario_hash"]
    ):
        raise RunRefused(
            f"{directory.root} holds results of a different scenario "
            f"({existing.get('name')!r}, hash {str(existing.get('scenario_hash'))[:12]}); "
            "choose another --out or pass --force to replace them"
        )
    partial = directory.run_config()
    if resume and partial is not None:
        if partial != config:
            raise RunRefused(
                f"the interrupted run in {directory.root} used other settings (scenario, seed, "
                "replications or trace); rerun with those or pass --force to start over"
            )
        return -1  # resume from the checkpoint
    if partial is not None and not force and not resume:
        raise RunRefused(
            f"{directory.root} holds an interrupted run; finish it with --resume or start "
            "over with --force"
        )
    directory.begin(config)
    return 0


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
    plots: bool = True,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
) -> Any:
    """Replicate ``scenario`` and write its results directory; returns :class:`Results`.

    Replication r uses ``SeedSequence(seed).spawn(...)[r]``, so the outcomes depend only on
    the scenario, the seed and r: not on the worker count, the engine, or interruptions.

    Raises:
        RunRefused: the directory holds other results or an interrupted run.
    """

    reps = scenario.replications if reps is None else reps
    seed = scenario.seed if seed is None else seed
    if reps < 1:
        raise ValueError("reps must be at least 1")
    chosen = engine if not isinstance(engine, str) else make_engine(engine, workers, scheduler)
    directory = RunDirectory(Path(out) if out is not None else default_out(scenario))
    config = {
        "scenario_hash": scenario.digest,
        "seed": seed,
        "replications": reps,
        "chunk_size": CHUNK_SIZE,
        "trace": trace,
    }
    try:
        with directory.lock():
            return _run_locked(
                scenario,
                reps,
                seed,
                chosen,
                directory,
                config,
                resume,
                force,
                trace,
                plots,
                overrides,
                progress,
            )
    except BlockingIOError:
        raise RunRefused(
            f"another run is writing to {directory.root}; wait for it or choose another --out"
        ) from None


def _run_locked(
    scenario: Scenario,
    reps: int,
    seed: int,
    chosen: Engine,
    directory: RunDirectory,
    config: dict[str, Any],
    resume: bool,
    force: bool,
    trace: int,
    plots: bool,
    overrides: Sequence[str],
    progress: Progress | None,
) -> Any:
    """The body of :func:`run`, under the directory's lock."""
    from ..results import Results

    started = datetime.now(UTC)
    clock = time.perf_counter()
    existing = directory.manifest()
    if (
        resume
        and existing is not None
        and directory.run_config() is None
        and all(
            existing.get(key) == config[key]
            for key in ("scenario_hash", "seed", "replications", "trace")
        )
    ):
        return Results.load(directory.root)  # already complete: nothing to resume
    directory.root.mkdir(parents=True, exist_ok=True)
    first_chunk = _prepare(directory, config, resume, force)
    bands = Bands(scenario.horizon_days, scenario.initial_personnel)
    if first_chunk < 0:
        first_chunk = directory.load_checkpoint(bands)
    chunks = math.ceil(reps / CHUNK_SIZE)
    done = min(first_chunk * CHUNK_SIZE, reps)
    if progress is not None:
        progress(done, reps)
    last_checkpoint = -math.inf  # the first chunk is checkpointed at once
    compute_seconds = 0.0
    results: Iterator[ChunkResult] = chosen.map_ordered(
        run_chunk, _tasks(scenario, seed, reps, trace, first_chunk)
    )
    for result in results:
        directory.save_chunk(result.index, result.rows, result.events, result.failures)
        if result.bands is not None:
            bands.fold(result.bands)
        compute_seconds += result.seconds
        done += len(result.rows) + len(result.failures)
        if time.perf_counter() - last_checkpoint > CHECKPOINT_SECONDS or result.index == chunks - 1:
            directory.save_checkpoint(bands, result.index + 1)
            last_checkpoint = time.perf_counter()
        if progress is not None:
            progress(done, reps)

    failures = directory.failures(chunks)
    elapsed = time.perf_counter() - clock
    series = pd.DataFrame(
        {
            "day": range(scenario.horizon_days),
            "date": [
                scenario.window.start + timedelta(days=d) for d in range(scenario.horizon_days)
            ],
            **bands.table(),
        }
    )
    manifest = {
        "name": scenario.name,
        "scenario_hash": scenario.digest,
        "scenario": scenario.to_data(),
        "overrides": list(overrides),
        "seed": seed,
        "replications": reps,
        "replications_done": reps - len(failures),
        "replications_failed": len(failures),
        "failures": [{k: f[k] for k in ("replication", "seed", "error")} for f in failures],
        "package_version": package_version(),
        "engine": chosen.name,
        "workers": chosen.workers,
        "chunk_size": CHUNK_SIZE,
        "trace": trace,
        "resumed": resume,
        "timings": {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "elapsed_seconds": round(elapsed, 3),
            "compute_seconds_this_session": round(compute_seconds, 3),
            "replications_per_second": round(
                (reps - first_chunk * CHUNK_SIZE) / max(elapsed, 1e-9), 2
            ),
        },
    }
    directory.finish(chunks, series, manifest)
    results_obj = Results.load(directory.root)
    if plots:
        from ..plots import write_run_plots

        write_run_plots(results_obj)
    return results_obj
