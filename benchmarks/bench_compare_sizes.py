"""How ``compare``'s cost over its replications falls as the options grow.

The five shipped options are compared on one 2-worker engine, already started, at each size
in turn, round after round; each size's figure is its median over the rounds, with their
range: the compare's time over its replications' compute time spread over the two workers
(the figure of ``bench_runner.py``, goal at most 1.05), and the time left over in
milliseconds.

What is left over has a fixed part (the last option's finishing and the tables after it,
which nothing computes beside) and a part per chunk, so the ratio falls as options grow:
this prints where it crosses the goal.

    .venv/bin/python benchmarks/bench_compare_sizes.py [--sizes 400,600,800,1000,2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from drawdown_sim import compare
from drawdown_sim.runner.engines import LocalEngine
from drawdown_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = ["status_quo", "full_exit", "kurdistan_hub", "advisory_500", "accelerated"]


def timed(options: list, each: int, engine: LocalEngine) -> tuple[float, float]:
    """(the compare's time over its replications' compute time on 2 workers, the time left
    over in seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = compare(options, reps=each, engine=engine, out=Path(tmp) / "c")
        elapsed = time.perf_counter() - started
    compute = sum(r.manifest.timings.compute_seconds_this_session for r in result.results.values())
    return elapsed / (compute / 2), elapsed - compute / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="400,600,800,1000,2000")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    options = [load_scenario(ROOT / "scenarios" / "options" / f"{o}.yaml") for o in OPTIONS]
    figures: dict[int, list[tuple[float, float]]] = {size: [] for size in sizes}
    with LocalEngine(2) as engine:
        if engine.workers < 2:
            print("skipped: fewer than 2 CPUs")
            return
        timed(options, 200, engine)  # start the pool once
        for _ in range(args.rounds):
            for size in sizes:
                figures[size].append(timed(options, size, engine))
    print("replications an option | x their compute time (rounds)  | left over")
    for size in sizes:
        ratios = sorted(ratio for ratio, _ in figures[size])
        left = statistics.median(over for _, over in figures[size])
        print(
            f"{size:22,d} | {statistics.median(ratios):.3f} "
            f"({ratios[0]:.3f}-{ratios[-1]:.3f}){'':13}| {left * 1e3:5.0f} ms"
        )


if __name__ == "__main__":
    main()
