"""Runner throughput and memory.

Goals (issue 4): parallel efficiency with 2 workers >= 0.85; peak RSS at 100,000
replications <= 1.3 x that at 10,000, and under 1 GiB.

    .venv/bin/python benchmarks/bench_run.py [--reps 4000] [--memory-reps 10000 100000]
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
run(scenario, reps=int(sys.argv[2]), workers=int(sys.argv[3]), out=sys.argv[4], plots=False)
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
    args = parser.parse_args()
    one = measure(args.reps, 1)
    two = measure(args.reps, 2)
    rate1, rate2 = args.reps / one["seconds"], args.reps / two["seconds"]
    print(
        f"{args.reps} replications: 1 worker {rate1:.0f}/s, 2 workers {rate2:.0f}/s, "
        f"efficiency {rate2 / (2 * rate1):.2f} (goal >= 0.85; includes pool start-up)"
    )
    peaks = {}
    for reps in args.memory_reps:
        m = measure(reps, 2)
        peaks[reps] = m["main_mib"] + m["worker_mib"]
        print(
            f"{reps:>7} replications: {m['seconds']:.0f} s, peak RSS main "
            f"{m['main_mib']:.0f} MiB, largest worker {m['worker_mib']:.0f} MiB"
        )
    if len(peaks) >= 2:
        small, large = min(peaks), max(peaks)
        ratio = peaks[large] / peaks[small]
        print(
            f"peak RSS ratio {large}/{small} replications: {ratio:.2f} (goal <= 1.3), "
            f"largest {peaks[large]:.0f} MiB (goal < 1024)"
        )


if __name__ == "__main__":
    main()
