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
results = run(scenario, reps=int(sys.argv[2]), workers=int(sys.argv[3]), out=sys.argv[4])
results.summary()
results.completion()
elapsed = time.perf_counter() - started
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "main_mib": own, "worker_mib": workers}))
"""


FINISH = """
import json, resource, sys, time
from pathlib import Path
import numpy as np, pandas as pd
import pyarrow as pa
from drawdown_sim import load_scenario
from drawdown_sim.model import OUTCOME_SPECS
from drawdown_sim.analysis.results import Results
from drawdown_sim.runner.manifest import RunManifest, Timings, environment, write_manifest
from drawdown_sim.runner.protocol import RunSpec
from drawdown_sim.runner.store import RunDirectory
from drawdown_sim.runner.chunks import outcome_file
from drawdown_sim.runner.tables import OUTCOME_SCHEMA, table_digest
scenario = load_scenario(sys.argv[1])
reps, root = int(sys.argv[2]), Path(sys.argv[3])
spec = RunSpec(scenario, 1, reps)
directory = RunDirectory(root)
directory.chunks.mkdir(parents=True)
rng = np.random.default_rng(0)
for index in range(spec.chunks):  # chunk files as workers write them, without simulating
    columns = {"replication": np.arange(index * 100, index * 100 + 100), "seed": [1] * 100,
               "completion_date": pa.nulls(100, pa.date32())}
    for name, spec_ in OUTCOME_SPECS.items():
        columns[name] = (rng.poisson(20, 100) if spec_.kind == "int" else
                         rng.random(100) < 0.3 if spec_.kind == "bool" else rng.gamma(2, 30, 100))
    table = pa.Table.from_pydict(columns, schema=OUTCOME_SCHEMA)
    identity = spec.chunk(0, index)
    directory.save_chunk(identity, outcome_file(identity, table, [], table_digest(table)), [])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
started = time.perf_counter()
series = pa.Table.from_pandas(pd.DataFrame({"day": range(10)}))
directory.finish_run([spec.chunk(0, i) for i in range(spec.chunks)], False, lambda: series)
write_manifest(root, RunManifest(
    name=scenario.name, run_config=spec.identity(), scenario_hash=scenario.digest,
    scenario=scenario.to_data(), seed=1, replications=reps, replications_done=reps,
    replications_failed=0, engine="local", workers=1, chunk_size=100, trace=0, resumed=False,
    timings=Timings(started="", finished="", elapsed_seconds=0, compute_seconds_this_session=0,
                    replications_per_second=0),
    environment=environment()))
results = Results.load(root)
results.summary()
results.completion()
print(json.dumps({"seconds": time.perf_counter() - started, "before_mib": before,
                  "main_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(script: str, *args: str) -> dict[str, float]:
    """Run ``script`` in a fresh interpreter (its own peak RSS) with the baseline scenario,
    ``args`` and a temporary output directory; its last line of output is a JSON report."""
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                str(ROOT / "scenarios" / "baseline.yaml"),
                *args,
                str(Path(folder) / "out"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_finish(reps: int) -> dict[str, float]:
    """Finishing and summarising ``reps`` replications from chunk files written without
    simulating: the part of a run whose memory used to grow with the replications."""
    return _child(FINISH, str(reps))


def measure(reps: int, workers: int) -> dict[str, float]:
    return _child(CHILD, str(reps), str(workers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=4000)
    parser.add_argument("--memory-reps", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="Also 1,000,000 (about 45 min).")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument(
        "--finish-only",
        type=int,
        nargs="*",
        metavar="N",
        help="Only finish and summarise N synthetic replications (no simulation), e.g. "
        "10000 100000 1000000: minutes rather than the hours a real million takes.",
    )
    args = parser.parse_args()
    if args.finish_only:
        peaks = {}
        for reps in args.finish_only:
            m = measure_finish(reps)
            peaks[reps] = m["main_mib"]
            print(
                f"{reps:>9,} replications finished and summarised in {m['seconds']:.0f} s: "
                f"peak RSS {m['main_mib']:.0f} MiB",
                flush=True,
            )
        small = min(peaks)
        for reps, peak in peaks.items():
            if reps != small:
                print(f"peak RSS {reps:,} / {small:,}: {peak / peaks[small]:.2f}")
        return
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
