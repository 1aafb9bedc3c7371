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

Needs valgrind (Debian: ``apt-get install valgrind``); it runs the code about 50 times more
slowly, so the default is 200 replications per scenario (about five minutes in all).

    .venv/bin/python benchmarks/bench_instructions.py [--reps 200]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_EVENTS = 200_000
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
    done = subprocess.run(
        [
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
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found: install it (Debian: apt-get install valgrind)")
    from drawdown_sim.scenario import load_scenario

    bare = difference(counted(BARE_LOOP, str(BARE_EVENTS)), counted(BARE_LOOP, "0"), BARE_EVENTS)
    bare_rate = 1000 * bare["d1_misses"] / bare["instructions"]
    print(
        f"bare SimPy event: {bare['instructions']:,.0f} instructions, "
        f"{bare_rate:.1f} D1 misses per 1,000 instructions"
    )
    baseline = ROOT / "scenarios" / "baseline.yaml"
    cases = {
        "baseline": [],
        "campaign-heavy": ["militia.posture=campaign", "militia.switching=false"],
    }
    for name, overrides in cases.items():
        years = load_scenario(baseline, overrides).horizon_days / 365.25
        loop = [str(WARM_UP), str(baseline), *overrides]
        per_rep = difference(
            counted(MODEL_LOOP, str(args.reps), *loop),
            counted(MODEL_LOOP, "0", *loop),
            args.reps,
        )
        per_year = per_rep["instructions"] / years
        rate = 1000 * per_rep["d1_misses"] / per_rep["instructions"]
        print(
            f"{name:15s} {per_rep['instructions'] / 1e6:5.2f} M instructions per replication, "
            f"{per_year / 1e6:5.2f} M per simulated year = "
            f"{per_year / bare['instructions']:5.0f} bare events by instructions; "
            f"{rate:.1f} D1 misses per 1,000 instructions ({rate / bare_rate:.1f} times the "
            "bare loop's)"
        )


if __name__ == "__main__":
    main()
