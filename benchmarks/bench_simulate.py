"""Time per replication of the model, in seconds and in bare SimPy events.

Goal (issue 3): a baseline replication costs at most 1,000 bare-SimPy events, a
campaign-heavy one (militia.posture=campaign, militia.switching=false) at most 3,000.

    .venv/bin/python benchmarks/bench_simulate.py [--reps 300]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import simpy

from drawdown_sim.model import replication_seeds, simulate_seed
from drawdown_sim.model.series import daily_series
from drawdown_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def bare_event_seconds(events: int = 200_000) -> float:
    """Seconds per event of a minimal ``env.timeout`` loop in this process."""

    def loop(env: simpy.Environment):
        for _ in range(events):
            yield env.timeout(1.0)

    best = float("inf")
    for _ in range(3):
        env = simpy.Environment()
        env.process(loop(env))
        started = time.perf_counter()
        env.run()
        best = min(best, (time.perf_counter() - started) / events)
    return best


def per_replication(overrides: list[str], reps: int, series: bool = False) -> tuple[float, float]:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", overrides)
    seeds = replication_seeds(scenario.seed, 0, reps)
    attacks = 0
    started = time.perf_counter()
    for index, seed in enumerate(seeds):
        replication = simulate_seed(scenario, seed, index)
        attacks += replication.outcomes["attacks"]
        if series:
            daily_series(replication, scenario)
    return (time.perf_counter() - started) / reps, attacks / reps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=300)
    args = parser.parse_args()
    bare = bare_event_seconds()
    print(f"bare SimPy event: {bare * 1e6:.2f} us")
    cases = {
        "baseline": ([], 1000),
        "campaign-heavy": (["militia.posture=campaign", "militia.switching=false"], 3000),
    }
    for name, (overrides, goal) in cases.items():
        seconds, attacks = per_replication(overrides, args.reps)
        with_series, _ = per_replication(overrides, args.reps // 3, series=True)
        events = seconds / bare
        print(
            f"{name:15s} {seconds * 1e3:6.2f} ms/replication = {events:6.0f} bare events "
            f"(goal <= {goal}; {'met' if events <= goal else 'NOT met'}); "
            f"{attacks:.0f} attacks/replication; with daily series "
            f"{with_series * 1e3:.2f} ms"
        )


if __name__ == "__main__":
    main()
