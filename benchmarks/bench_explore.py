"""The explorer's time per interaction on a sweep of 1,000 states x 5 options and a run of
100,000 replications.

Goal: every interaction answers within a second on a 2-core machine. An interaction is what
the server does when a widget moves: the figures bound to that widget are computed and
drawn to PNG (what Panel's Matplotlib pane sends), from the directory opened as the app
opens it (lazily: a run's outcome columns are read one at a time, when first asked for).
The browser's share (a websocket message and an image swap) is not included.

    .venv/bin/python benchmarks/bench_explore.py [--data DIR] [--repeat 3]

The directories are made once under ``--data`` (default ``.bench/explore``) and reused:
the sweep by ``sweep`` (the advisory_options study at 1,000 states, 2 replications each:
10,000 replications), the run by a real run of 2,000 baseline replications whose outcome
rows are repeated to 100,000 (the explorer's cost depends on the rows it reads, not on
their values; ``--simulate-run`` simulates all 100,000 instead, which takes most of an
hour on 2 busy cores).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from drawdown_sim import load, load_scenario, run, sweep
from drawdown_sim.present import explorer as ex
from drawdown_sim.runner.manifest import read_manifest, write_manifest
from drawdown_sim.scenario.study import load_study

ROOT = Path(__file__).resolve().parent.parent
RUN_ROWS = 100_000
STATES = 1_000


def _sweep(target: Path) -> Path:
    if not (target / "manifest.json").exists():
        study, options = load_study("advisory_options")
        small = study.model_copy(update={"states": STATES, "replications": 2})
        sweep(small, options, out=target, force=True)
    return target


def _run(target: Path, simulate: bool) -> Path:
    if (target / "manifest.json").exists():
        return target
    scenario = load_scenario("baseline")
    if simulate:
        run(scenario, reps=RUN_ROWS, trace=3, out=target, force=True)
        return target
    source = target.with_name("run_2000")
    if not (source / "manifest.json").exists():
        run(scenario, reps=2_000, trace=3, out=source, force=True)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    table = pq.read_table(source / "outcomes.parquet")
    copies = -(-RUN_ROWS // table.num_rows)
    tiled = pa.concat_tables([table] * copies).slice(0, RUN_ROWS)
    column = tiled.schema.get_field_index("replication")
    tiled = tiled.set_column(
        column, tiled.schema.field(column), pa.array(np.arange(RUN_ROWS, dtype=np.int64))
    )
    pq.write_table(tiled, target / "outcomes.parquet", row_group_size=10_000)
    manifest = read_manifest(target)
    write_manifest(
        target,
        manifest.model_copy(update={"replications": RUN_ROWS, "replications_done": RUN_ROWS}),
    )
    return target


def _png(figure: Figure) -> int:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.tell()


CPU: list[float] = []
"""CPU seconds of each timed interaction's repeats (median), beside the wall-clock times:
on a machine shared with other work, the CPU time is what the interaction costs."""


def _time(draws: list[Callable[[], Figure]], repeat: int) -> tuple[float, float]:
    """Seconds for the first interaction (cold: columns read from disk) and the median of
    ``repeat`` more (warm); their CPU time goes to :data:`CPU`."""
    times, cpu = [], []
    for _ in range(repeat + 1):
        started, used = time.perf_counter(), time.process_time()
        for draw in draws:
            _png(draw())
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    CPU.append(statistics.median(cpu[1:]))
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".bench" / "explore")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--simulate-run", action="store_true")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sweep_dir = _sweep(args.data / "sweep_1000")
    run_dir = _run(args.data / "run_100000", args.simulate_run)
    print(f"directories ready in {time.perf_counter() - started:.0f} s")

    rows: list[tuple[str, float, float]] = []
    opened = time.perf_counter()
    results = load(run_dir)
    columns = ex.Columns({results.name: results})
    rows.append(("run: open the directory", time.perf_counter() - opened, 0.0))
    replications = results.replications
    outcomes = ["killed", "wounded", "attacks", "isis_attacks"]
    cycle = iter(outcomes * 10)
    rows.append(
        (
            f"run ({replications:,} replications): choose an outcome",
            *_time(
                [lambda: ex.distribution_figure(columns, results.name, next(cycle), "window")],
                args.repeat,
            ),
        )
    )
    rows.append(
        (
            "run: choose the follow-on period",
            *_time(
                [lambda: ex.distribution_figure(columns, results.name, "killed", "follow_on")],
                args.repeat,
            ),
        )
    )
    rows.append(
        (
            "run: choose a fan chart's series",
            *_time([lambda: ex.fan_figure(results, "attack_intensity")], args.repeat),
        )
    )
    rows.append(
        ("run: choose a traced story", *_time([lambda: ex.story_figure(results, 1)], args.repeat))
    )

    opened = time.perf_counter()
    result = load(sweep_dir)
    frame, options, parameters = result.frame, result.options, list(result.parameters)
    rows.append(("sweep: open the directory", time.perf_counter() - opened, 0.0))
    states_count = frame["state"].nunique()
    thresholds = {
        name: ("max", float(bound.max)) if bound.max is not None else ("min", float(bound.min))
        for name, bound in result.study.thresholds.items()
        if bound.max is not None or bound.min is not None
    }
    first = parameters[0]
    low, high = float(frame[first].min()), float(frame[first].max())

    def both(outcome: str, ranges: dict[str, tuple[float, float]]) -> list[Callable[[], Figure]]:
        def states() -> np.ndarray:
            return ex.filtered_states(frame, ranges)

        return [
            lambda: ex.parallel_figure(frame, parameters, options, outcome, states()),
            lambda: ex.robustness_figure(frame, options, outcome, states(), thresholds),
        ]

    label = f"sweep ({states_count:,} states x {len(options)} options)"
    rows.append((f"{label}: choose an outcome", *_time(both("wounded", {}), args.repeat)))
    half = {first: (low, (low + high) / 2)}
    rows.append((f"{label}: move a parameter filter", *_time(both("killed", half), args.repeat)))
    moved = {k: (kind, bound * 1.1) for k, (kind, bound) in thresholds.items()}
    rows.append(
        (
            f"{label}: move a threshold",
            *_time(
                [
                    lambda: ex.robustness_figure(
                        frame, options, "killed", ex.filtered_states(frame, half), moved
                    )
                ],
                args.repeat,
            ),
        )
    )

    width = max(len(name) for name, _, _ in rows)
    print(f"{'interaction':<{width}}  first (s)  again (s)  again, CPU (s)")
    timed = iter(CPU)
    for name, cold, warm in rows:
        cpu = "" if "open" in name else f"{next(timed):14.3f}"
        print(f"{name:<{width}}  {cold:9.3f}  {warm:9.3f}  {cpu}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} CPUs)")
    worst = max(max(cold, warm) for name, cold, warm in rows if "open" not in name)
    print(f"slowest interaction: {worst:.3f} s (goal: within 1 s)")


if __name__ == "__main__":
    main()
