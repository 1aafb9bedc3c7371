"""Exponential-kernel Hawkes process: exact moments, compensator and log-likelihood.

Written by hand because no maintained library covers this small piece with a piecewise
background; used by the statistical tests and calibration. The daily attack-intensity series
of a run compute the same integrals for a whole chunk of replications at once
(:mod:`drawdown_sim.series.daily`); the functions here are the one-replication form they
are tested against. Conventions: kernel ``n * beta * exp(-beta * t)`` (branching ratio n,
mean delay 1/beta days), background ``mu`` attacks/day.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def expected_count(mu: float, n: float, beta: float, horizon: float) -> float:
    """E N(T) from an empty history with constant background (attacks).

    ``mu T / (1 - n) - mu n (1 - exp(-beta (1 - n) T)) / (beta (1 - n)^2)``.
    """
    kappa = beta * (1.0 - n)
    return float(
        mu * horizon / (1.0 - n) - mu * n * -np.expm1(-kappa * horizon) / (beta * (1.0 - n) ** 2)
    )


def stationary_fano(n: float, beta: float, window: float) -> float:
    """Var N(w) / E N(w) of the stationary process for counts in windows of ``window`` days.

    From the covariance density ``c(tau) = Lambda n beta (2 - n) / (2 (1 - n))
    exp(-beta (1 - n) |tau|)`` (Hawkes 1971); tends to ``1 / (1 - n)^2`` for long windows.
    """
    kappa = beta * (1.0 - n)
    shape = 1.0 / kappa - (-np.expm1(-kappa * window)) / (kappa**2 * window)
    return float(1.0 + n * beta * (2.0 - n) / (1.0 - n) * shape)


def borel_pmf(size: ArrayLike, n: float) -> FloatArray:
    """P(cluster size = k) for Poisson(n) offspring: ``exp(-n k) (n k)^(k-1) / k!``."""
    from scipy.special import gammaln

    k = np.asarray(size, dtype=float)
    with np.errstate(divide="ignore"):
        log_p = -n * k + (k - 1.0) * np.log(n * k) - gammaln(k + 1.0)
    return np.where(k == 1, np.exp(-n), np.exp(log_p))


def kernel_integral(at: ArrayLike, events: ArrayLike, weight: float, decay: float) -> FloatArray:
    """``sum_{t_i < t} weight * (1 - exp(-decay (t - t_i)))`` at each ``t`` in ``at``.

    The integrated excitation of events with total weight ``weight`` each (n for attacks,
    rho for strikes). Vectorised over a (len(at), len(events)) matrix, in blocks.
    """
    at = np.asarray(at, dtype=float)
    events = np.asarray(events, dtype=float)
    out = np.zeros(at.shape)
    if events.size == 0 or weight == 0.0:
        return out
    for lo in range(0, events.size, 2048):
        block = events[lo : lo + 2048]
        age = at[:, None] - block[None, :]
        out += np.where(age > 0.0, -np.expm1(-decay * np.maximum(age, 0.0)), 0.0).sum(axis=1)
    return weight * out


def kernel_integral_grid(points: int, events: ArrayLike, weight: float, decay: float) -> FloatArray:
    """:func:`kernel_integral` at ``t = 0, 1, ..., points - 1`` in O(points + events).

    ``sum_{t_i < t} (1 - exp(-decay (t - t_i)))`` is the count of earlier events minus
    ``S(t) = sum_{t_i < t} exp(-decay (t - t_i))``. Over the events, ``E_j = S(t_j+)`` obeys
    ``E_j = E_{j-1} exp(-decay (t_j - t_{j-1})) + 1`` (stable: the factor is at most 1), and
    between events ``S`` only decays, so ``S(t) = E_j exp(-decay (t - t_j))`` with ``t_j``
    the last event before ``t``: O(points + events) instead of the (points x events)
    matrix, and without a signal-processing library, whose import would cost every worker
    process more than a second. The daily series run this recurrence over a chunk's
    replications together, restarting it at each replication's first event.
    """
    events = np.sort(np.asarray(events, dtype=float))
    events = events[(events >= 0.0) & (events < points - 1)]
    if events.size == 0 or weight == 0.0 or points == 0:
        return np.zeros(points)
    excitation = np.empty(events.size)  # E_j
    level, previous = 0.0, float(events[0])
    for j, t in enumerate(events.tolist()):
        level = level * math.exp(-decay * (t - previous)) + 1.0
        excitation[j] = level
        previous = t
    grid = np.arange(points, dtype=float)
    last = events.searchsorted(grid, side="left") - 1  # the last event before each point
    after = last >= 0
    decayed = np.zeros(points)
    latest = last[after]
    decayed[after] = excitation[latest] * np.exp(-decay * (grid[after] - events[latest]))
    return np.asarray(weight * ((last + 1) - decayed))


def background_integral(at: ArrayLike, changes: ArrayLike, rates: ArrayLike) -> FloatArray:
    """Integral from 0 to each ``t`` of a piecewise-constant rate (``rates[i]`` from
    ``changes[i]``; ``changes[0]`` must be 0)."""
    at = np.asarray(at, dtype=float)
    changes = np.asarray(changes, dtype=float)
    rates = np.asarray(rates, dtype=float)
    if changes.size == 0:
        return np.zeros(at.shape)
    cumulative = np.concatenate(([0.0], np.cumsum(rates[:-1] * np.diff(changes))))
    index = np.clip(np.searchsorted(changes, at, side="right") - 1, 0, None)
    return np.asarray(cumulative[index] + rates[index] * (at - changes[index]))


def compensator(at: ArrayLike, events: ArrayLike, mu: float, n: float, beta: float) -> FloatArray:
    """Lambda(t) = integral of the intensity from 0 to t, constant background ``mu``."""
    at = np.asarray(at, dtype=float)
    return mu * at + kernel_integral(at, events, n, beta)


def excitation_sums(times: ArrayLike, beta: float) -> FloatArray:
    """``A_i = sum_{j<i} exp(-beta (t_i - t_j))`` for sorted times (Ozaki 1979 recursion, O(N))."""
    t = np.asarray(times, dtype=float)
    out = np.empty(t.size)
    previous, running = 0.0, 0.0
    exp = math.exp
    for i, now in enumerate(t.tolist()):
        running = exp(-beta * (now - previous)) * (running + 1.0) if i else 0.0
        out[i] = running
        previous = now
    return out


def log_likelihood(events: ArrayLike, horizon: float, mu: float, n: float, beta: float) -> float:
    """Log-likelihood of sorted event times on [0, horizon] with constant background ``mu``
    (Ozaki 1979 recursion, O(N))."""
    t = np.asarray(events, dtype=float)
    if t.size == 0:
        return -mu * horizon
    intensity = mu + n * beta * excitation_sums(t, beta)
    compensator = mu * horizon + n * float(-np.expm1(-beta * (horizon - t)).sum())
    return float(np.log(intensity).sum() - compensator)


def simulate_cluster(
    mu: float, n: float, beta: float, horizon: float, rng: np.random.Generator
) -> FloatArray:
    """Event times of a Hawkes process on [0, horizon] from an empty history, sorted (days).

    Exact, by its cluster (branching) representation: immigrants arrive as a Poisson process
    of rate ``mu`` per day; every event has Poisson(``n``) children, each after an Exp(mean
    ``1/beta`` days) delay; children past the horizon are dropped. Needs ``n < 1``."""
    if not 0.0 <= n < 1.0:
        raise ValueError(f"branching ratio {n} is not in [0, 1)")
    generation = rng.uniform(0.0, horizon, rng.poisson(mu * horizon))
    events = [generation]
    while generation.size:
        children = rng.poisson(n, generation.size)
        parents = np.repeat(generation, children)
        generation = parents + rng.exponential(1.0 / beta, parents.size)
        generation = generation[generation < horizon]
        events.append(generation)
    return np.sort(np.concatenate(events))
