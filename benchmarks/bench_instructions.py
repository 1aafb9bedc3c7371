"""The model's cost in instructions and cache misses, counted by valgrind: figures that do not
drift with the machine's load, unlike the wall-clock ratio of ``bench_simulate.py``.

Each count is a difference of two runs of one process under cachegrind, ``--reps`` loop
passes against none after the same start-up and warm-up, so imports and set-up cancel out.
The bare SimPy loop is counted the same way. Printed per replication and per simulated year,
and as bare-SimPy-event equivalents:

- by instructions: what the wall-clock ratio would be if every instruction took as long as
  in the bare loop;
- first-level data-cache misses per thousand instructions, of the model and of the bare
  loop. A tight loop over one timeout keeps everything it touches in that cache; a
  replication touches thousands of objects. Where the model's rate is several times the bare
  loop's, its instructions take longer, and the wall-clock ratio is correspondingly above
  the instruction ratio.

A process's start-up (imports, and pydantic-core's schema building, whose hashing is seeded
afresh in every process) varies by about 25 M instructions from run to run, which the
difference divides by the replications: the defaults, 1,000 baseline replications, 400
campaign-heavy ones and a million bare events (about 8 G instructions each), keep that under
0.3%. Address-space randomisation is turned off (``setarch -R``) where it can be, since
where objects land decides which of them share a cache set. Needs valgrind
(Debian: ``apt-get install valgrind``), which runs the code about 50 times more slowly: about
five minutes in all, two processes at a time.

    .venv/bin/python benchmarks/bench_instructions.py [--reps 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_EVENTS = 1_000_000
WARM_UP = 30

MODEL_LOOP = """
import sys
from drawdown_sim.model import replication_seeds, simulate_seed
from drawdown_sim.scenario import load_scenario
reps, warm = int(sys.argv[1]), int(sys.argv[2])
scenario = load_scenario(sys.argv[3], sys.argv[4:])
seeds = replication_seeds(scenario.seed, 0, warm + reps)
for index, seed in enumerate(seeds):
    simulate_seed(scenario, seed, index)
"""

BARE_LOOP = """
import sys
import simpy
events = int(sys.argv[1])
def loop(env):
    for _ in range(events):
        yield env.timeout(1.0)
env = simpy.Environment()
env.process(loop(env))
env.run()
"""

COUNTS = {
    "instructions": re.compile(r"I\s+refs:\s+([\d,]+)"),
    "d1_misses": re.compile(r"D1\s+misses:\s+([\d,]+)"),
}


def counted(code: str, *args: str) -> dict[str, int]:
    """Instructions and D1 misses of one ``python -c code args`` under cachegrind."""
    # Without address-space randomisation where setarch can turn it off: where objects land
    # decides which of them share a cache set, and so the misses of short loops.
    fixed = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
    done = subprocess.run(
        [
            *fixed,
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=yes",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = {}
    for name, pattern in COUNTS.items():
        match = pattern.search(done.stderr)
        if match is None:
            raise RuntimeError(f"valgrind printed no {name} count")
        found[name] = int(match.group(1).replace(",", ""))
    return found


def difference(more: dict[str, int], fewer: dict[str, int], units: int) -> dict[str, float]:
    return {name: (more[name] - fewer[name]) / units for name in COUNTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--reps", type=int, default=1000, help="baseline replications (campaign-heavy: 2/5)"
    )
    args = parser.parse_args()
    if args.reps < 3:
        parser.error("--reps must be at least 3")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found: install it (Debian: apt-get install valgrind)")
    from drawdown_sim.scenario import load_scenario

    baseline = ROOT / "scenarios" / "baseline.yaml"
    cases = {
        "baseline": ([], args.reps),
        "campaign-heavy": (
            ["militia.posture=campaign", "militia.switching=false"],
            args.reps * 2 // 5,
        ),
    }
    runs: dict[str, tuple[str, list[str]]] = {
        "bare": (BARE_LOOP, [str(BARE_EVENTS)]),
        "bare start": (BARE_LOOP, ["0"]),
    }
    for name, (overrides, reps) in cases.items():
        loop = [str(WARM_UP), str(baseline), *overrides]
        runs[name] = (MODEL_LOOP, [str(reps), *loop])
        runs[f"{name} start"] = (MODEL_LOOP, ["0", *loop])
    with ThreadPoolExecutor(2) as pool:  # each a valgrind process of its own
        futures = {key: pool.submit(counted, code, *argv) for key, (code, argv) in runs.items()}
        count = {key: future.result() for key, future in futures.items()}
    bare = difference(count["bare"], count["bare start"], BARE_EVENTS)
    bare_rate = 1000 * bare["d1_misses"] / bare["instructions"]
    print(
        f"bare SimPy event: {bare['instructions']:,.0f} instructions, "
        f"{bare_rate:.1f} D1 misses per 1,000 instructions"
    )
    for name, (overrides, reps) in cases.items():
        years = load_scenario(baseline, overrides).horizon_days / 365.25
        per_rep = difference(count[name], count[f"{name} start"], reps)
        per_year = per_rep["instructions"] / years
        rate = 1000 * per_rep["d1_misses"] / per_rep["instructions"]
        print(
            f"{name:15s} {per_rep['instructions'] / 1e6:5.2f} M instructions per replication "
            f"({reps} counted), {per_year / 1e6:5.2f} M per simulated year = "
            f"{per_year / bare['instructions']:5.0f} bare events by instructions; "
            f"{rate:.1f} D1 misses per 1,000 instructions ({rate / bare_rate:.1f} times the "
            "bare loop's)"
        )


if __name__ == "__main__":
    main()
