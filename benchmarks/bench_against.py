"""The model's speed against an earlier revision, both in one process, in alternation.

On a machine whose speed drifts by a third within minutes, two benchmark runs minutes apart
cannot tell a 10% change. This one copies the package as it was at ``--rev`` (with ``git
archive``) under another name, loads the same scenario file with each version, and runs
their replications round after round, each with its fastest round, beside a bare SimPy loop.

    .venv/bin/python benchmarks/bench_against.py --rev 3fbd3d7 [--reps 150] [--rounds 12]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

# Run as a script, this folder is on the path: the bare loop is bench_simulate's.
from bench_simulate import bare_event_seconds, collected

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "drawdown_sim"


def copy_revision(rev: str, into: Path) -> str:
    """Extract ``src/drawdown_sim`` at ``rev`` into ``into`` as package ``drawdown_sim_old``."""
    name = f"{PACKAGE}_old"
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, f"src/{PACKAGE}"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    source = into / "src" / PACKAGE
    target = into / name
    source.rename(target)
    for path in target.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(rf"\b{PACKAGE}\b", name, text), encoding="utf-8")
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rev", required=True, help="git revision to compare with")
    parser.add_argument("--reps", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = copy_revision(args.rev, Path(tmp))
        sys.path.insert(0, tmp)
        versions = {args.rev: old, "this tree": PACKAGE}
        runs = {}
        for label, package in versions.items():
            model = importlib.import_module(f"{package}.model")
            scenario = importlib.import_module(f"{package}.scenario").load_scenario(
                Path(args.scenario)
            )
            seeds = model.replication_seeds(scenario.seed, 0, args.reps)
            for index, seed in enumerate(seeds[:10]):  # warm the per-scenario caches
                model.simulate_seed(scenario, seed, index)
            runs[label] = (model.simulate_seed, scenario, seeds)
        years = float(scenario.horizon_days) / 365.25
        bare = float("inf")
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(args.rounds):
            bare = min(bare, bare_event_seconds())
            for label, (simulate_seed, scenario, seeds) in runs.items():
                with collected():  # each version pays for collecting its own garbage
                    started = time.perf_counter()
                    for index, seed in enumerate(seeds):
                        simulate_seed(scenario, seed, index)
                    gc.collect()
                    seconds = time.perf_counter() - started
                best[label] = min(best[label], seconds / len(seeds))
    print(f"bare SimPy event: {bare * 1e6:.2f} us (fastest round)")
    for label, seconds in best.items():
        print(
            f"{label:12s} {seconds * 1e3:6.2f} ms per replication = "
            f"{seconds / bare / years:6.0f} bare events per simulated year"
        )
    before, after = best[args.rev], best["this tree"]
    print(f"this tree takes {after / before:.2f} times as long as {args.rev}")


if __name__ == "__main__":
    main()
