"""A compare's time against an earlier revision's, each in fresh processes, in alternation.

The package as it was at ``--rev`` is extracted (``git archive``) into a temporary folder;
each round runs one process per version, which starts a 2-worker engine, warms it with a
small compare, then times three compares of the five shipped options. A version's figure
is its median over every round: the time in all, and that time over its replications'
compute time on the two workers (the figure of ``bench_runner.py``).

    .venv/bin/python benchmarks/bench_compare_against.py --rev 9884618 [--reps 400] [--rounds 4]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from drawdown_sim import compare
from drawdown_sim.runner.engines import LocalEngine
from drawdown_sim.scenario import load_scenario

root, reps = Path(sys.argv[2]), int(sys.argv[3])
names = ["status_quo", "full_exit", "kurdistan_hub", "advisory_500", "accelerated"]
options = [load_scenario(root / "scenarios" / "options" / f"{n}.yaml") for n in names]
timed = []
with LocalEngine(2) as engine:
    with tempfile.TemporaryDirectory() as tmp:
        compare(options, reps=200, engine=engine, out=Path(tmp) / "warm")
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            result = compare(options, reps=reps, engine=engine, out=Path(tmp) / "c")
            elapsed = time.perf_counter() - started
        compute = sum(
            r.manifest.timings.compute_seconds_this_session for r in result.results.values()
        )
        timed.append((elapsed, elapsed / (compute / 2)))
print(json.dumps(timed))
"""


def extract(rev: str, into: Path) -> Path:
    """``src/`` at ``rev``, extracted under ``into``; the folder to put on the path."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src/drawdown_sim"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rev", required=True, help="the earlier revision (a commit)")
    parser.add_argument("--reps", type=int, default=400, help="replications per option")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {args.rev: extract(args.rev, Path(tmp)), "this tree": ROOT / "src"}
        timed: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for round_ in range(args.rounds):
            # In alternating order: whichever version runs second in a round runs about 2%
            # slower (measured with the same code on both sides), so a fixed order would
            # favour the first.
            order = list(trees.items())
            for name, src in order if round_ % 2 == 0 else order[::-1]:
                child = subprocess.run(
                    [sys.executable, "-c", CHILD, str(src), str(ROOT), str(args.reps)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                timed[name].extend(json.loads(child.stdout.strip().splitlines()[-1]))
    for name, pairs in timed.items():
        elapsed = statistics.median(e for e, _ in pairs)
        ratio = statistics.median(r for _, r in pairs)
        print(
            f"{name:>12}: compare of 5 x {args.reps} on 2 workers {elapsed:.3f} s (median of "
            f"{len(pairs)}), {ratio:.3f} x its replications' compute time"
        )
    before, after = (statistics.median(e for e, _ in timed[n]) for n in trees)
    print(f"this tree takes {after / before:.2f} times as long as {args.rev}")


if __name__ == "__main__":
    main()
