"""EMA Workbench through the adapter against a plain ``simulate()`` loop.

Goal: 20 experiments of 50 replications with EMA Workbench's MultiprocessingEvaluator
(2 processes) within 1.5x of a plain loop of the same 1,000 replications on as many
processes. Both include starting their processes.

    .venv/bin/python benchmarks/bench_ema.py [--experiments 20] [--reps 50]
"""

from __future__ import annotations

import argparse
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from drawdown_sim import ema

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


_FUNCTION = None


def _call(values: dict) -> dict:
    return _FUNCTION(**values)  # type: ignore[misc]


def _init(function) -> None:  # type: ignore[no-untyped-def]
    global _FUNCTION
    _FUNCTION = function


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--experiments", type=int, default=20)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    total = args.experiments * args.reps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import MultiprocessingEvaluator

        model = ema.model(BASELINE, outcomes=["killed", "isis_attacks"], reps=args.reps)
        started = time.perf_counter()
        with MultiprocessingEvaluator(model, n_processes=args.processes) as evaluator:
            experiments, _ = evaluator.perform_experiments(scenarios=args.experiments)
        through_ema = time.perf_counter() - started

    # The same experiments (same parameters, same replications) in a plain process pool.
    names = [u.name for u in model.uncertainties] + [lever.name for lever in model.levers]
    rows = [
        {k: v for k, v in row.items() if k in names}
        for row in experiments.to_dict(orient="records")
    ]
    started = time.perf_counter()
    with ProcessPoolExecutor(
        args.processes,
        mp_context=get_context("fork"),  # as EMA Workbench does on Linux
        initializer=_init,
        initargs=(model.function,),
    ) as pool:
        list(pool.map(_call, rows))
    plain = time.perf_counter() - started
    print(
        f"{total:,} replications on {args.processes} processes: plain loop {plain:.2f} s, "
        f"EMA Workbench ({args.experiments} experiments x {args.reps}) {through_ema:.2f} s = "
        f"{through_ema / plain:.2f}x (goal <= 1.5)"
    )


if __name__ == "__main__":
    main()
