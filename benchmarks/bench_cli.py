"""How fast ``drawdown-sim --help`` answers (heavy libraries load lazily).

.venv/bin/python benchmarks/bench_cli.py
"""

from __future__ import annotations

import subprocess
import sys
import time


def main() -> None:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "drawdown_sim", "--help"], capture_output=True, check=True
        )
        best = min(best, time.perf_counter() - started)
    bare = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare = min(bare, time.perf_counter() - started)
    print(f"--help: {best:.2f} s (best of 5); a bare interpreter start: {bare:.2f} s")


if __name__ == "__main__":
    main()
