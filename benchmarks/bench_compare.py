"""Variance reduction from common random numbers between kurdistan_hub and full_exit.

Goal (issue 5): at least 5x for attacks and for ISIS attacks.

    .venv/bin/python benchmarks/bench_compare.py [--reps 2000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from drawdown_sim import compare, load_scenario

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=2000)
    args = parser.parse_args()
    options = [
        load_scenario(ROOT / "scenarios" / "options" / f"{name}.yaml")
        for name in ("kurdistan_hub", "full_exit")
    ]
    with tempfile.TemporaryDirectory() as folder:
        result = compare(options, reps=args.reps, out=folder)
    table = result.table.set_index(["option", "outcome"])
    for outcome in ("attacks", "wounded", "isis_attacks", "campaign_days"):
        row = table.loc[("full_exit", outcome)]
        print(
            f"{outcome:14s} full_exit - kurdistan_hub = {row['diff_mean']:+.3f} "
            f"[{row['diff_lo']:+.3f}, {row['diff_hi']:+.3f}]; variance reduction "
            f"{row['variance_reduction']:.1f}x"
            + (" (goal >= 5)" if outcome in ("attacks", "isis_attacks") else "")
        )


if __name__ == "__main__":
    main()
