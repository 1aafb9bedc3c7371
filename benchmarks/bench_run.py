"""Runner throughput and memory.

Goals: parallel efficiency with 2 workers >= 0.85; peak RSS of the main process at 100,000
replications at most 1.1 x, and at 1,000,000 at most 1.3 x, its peak at 10,000, everything
under 1 GiB. Each measured run does what ``drawdown-sim run --no-plots`` does: run, finish,
then the summary table and the completion summary.

    .venv/bin/python benchmarks/bench_run.py [--reps 4000] [--memory-reps 10000 100000]
        [--million] [--skip-throughput]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
from drawdown_sim import load_scenario, run
scenario = load_scenario(sys.argv[1])
started = time.perf_counter()
results = run(
    scenario, reps=int(sys.argv[2]), workers=int(sys.argv[3]), out=sys.argv[4], plots=False
)
results.summary()
results.completion()
elapsed = time.perf_counter() - started
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "main_mib": own, "worker_mib": workers}))
"""


def measure(reps: int, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(ROOT / "scenarios" / "baseline.yaml"),
                str(reps),
                str(workers),
                str(Path(folder) / "out"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=4000)
    parser.add_argument("--memory-reps", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="Also 1,000,000 (about 45 min).")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    if not args.skip_throughput:
        one = measure(args.reps, 1)
        two = measure(args.reps, 2)
        rate1, rate2 = args.reps / one["seconds"], args.reps / two["seconds"]
        print(
            f"{args.reps} replications: 1 worker {rate1:.0f}/s, 2 workers {rate2:.0f}/s, "
            f"efficiency {rate2 / (2 * rate1):.2f} (goal >= 0.85; includes pool start-up)",
            flush=True,
        )
    sizes = sorted(set(args.memory_reps) | ({1_000_000} if args.million else set()))
    mains: dict[int, float] = {}
    for reps in sizes:
        m = measure(reps, 2)
        mains[reps] = m["main_mib"]
        print(
            f"{reps:>9,} replications: {m['seconds']:.0f} s, peak RSS main "
            f"{m['main_mib']:.0f} MiB, largest worker {m['worker_mib']:.0f} MiB, "
            f"together {m['main_mib'] + m['worker_mib']:.0f} MiB (goal < 1024)",
            flush=True,
        )
    small = min(mains)
    for reps in sizes:
        if reps == small:
            continue
        goal = 1.1 if reps <= 100_000 else 1.3
        print(
            f"main peak RSS {reps:,} / {small:,} replications: {mains[reps] / mains[small]:.2f} "
            f"(goal <= {goal})"
        )


if __name__ == "__main__":
    main()
