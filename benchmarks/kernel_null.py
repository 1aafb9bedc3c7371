"""The interval-count kernel fit on synthetic tallies with the 2023-24 reporting dates
(docs/calibration.md, "The kernel fit under the null").

    python benchmarks/kernel_null.py KIND SEED DATASETS

KIND is ``homog`` (no excitation, one rate: 170 in 110 days), ``perint`` (no excitation,
each interval's observed rate) or a branching ratio (a Hawkes process with a 2-day delay and
170 events expected over 110 days). Prints the median estimate of n, the share of 95%
intervals covering the truth and 0, their median width, and the share of likelihood-ratio
statistics above 2.71 (the chi-bar-squared 5% point).
"""

from __future__ import annotations

import sys

import numpy as np

from drawdown_sim.calibration.fitting import fit_interval_counts
from drawdown_sim.common.hawkes import expected_count, simulate_cluster

DAYS = np.array([0, 13, 28, 31, 37, 51, 65, 79, 95, 102, 110], dtype=float)
TOTALS = np.array([0, 23, 55, 61, 73, 78, 102, 120, 140, 160, 170])


def main(kind: str, seed: int, datasets: int) -> None:
    lengths, increments = np.diff(DAYS), np.diff(TOTALS)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(datasets):
        if kind == "homog":
            counts = rng.poisson(TOTALS[-1] / DAYS[-1] * lengths)
        elif kind == "perint":
            counts = rng.poisson(increments)
        else:
            n, beta = float(kind), 0.5
            mu = TOTALS[-1] / expected_count(1.0, n, beta, 110.0)
            counts = np.histogram(simulate_cluster(mu, n, beta, 110.0, rng), bins=DAYS)[0]
        fit = fit_interval_counts(DAYS, np.concatenate([[0], np.cumsum(counts)]))
        low, high = fit.branching_ratio.interval()
        assert fit.poisson_test is not None
        rows.append((fit.branching_ratio.estimate, low, high, fit.poisson_test.statistic))
    a = np.array(rows)
    truth = 0.0 if kind in ("homog", "perint") else float(kind)
    print(
        f"{kind}: median n {np.median(a[:, 0]):.2f}, covers the truth "
        f"{np.mean((a[:, 1] <= truth) & (truth <= a[:, 2])):.0%}, covers 0 "
        f"{np.mean(a[:, 1] <= 0):.0%}, median width {np.median(a[:, 2] - a[:, 1]):.2f}, "
        f"LR > 2.71 {np.mean(a[:, 3] > 2.706):.0%}"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
