"""Drawdown completion as a right-censored outcome.

A plan unfinished at the end of the simulated horizon has no completion day: it is censored
there, not capped. Its distribution is estimated by Kaplan-Meier; a quantile the estimate
never reaches (more than 1 - q of the runs still unfinished) is reported as not reached
rather than guessed. Probabilities come with Wilson score intervals.

Both are in closed form: every unfinished plan is censored at the same instant, after every
finished one, so Kaplan-Meier is the empirical CDF and Greenwood's variance the binomial
one (see :func:`kaplan_meier`). The tests check them against ``scipy.stats.ecdf`` (with
``CensoredData``) and ``scipy.stats.binomtest``, which this module does not import: importing
``scipy.stats`` takes a second or more, paid by every command that summarises a run, and in
``compare`` by the process that feeds the workers, while they compute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

CONFIDENCE = 0.95
"""The level of every interval here (:data:`Z95` is its normal quantile)."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval; NaN where it cannot be estimated."""

    value: float
    low: float
    high: float

    @property
    def reached(self) -> bool:
        return not math.isnan(self.value)


@dataclass(frozen=True)
class Curve:
    """The Kaplan-Meier CDF of completion: P(complete by day t), with a pointwise 95% band."""

    days: NDArray[np.float64]
    cdf: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    censored_at: float  # the end of the horizon (days)
    censored_share: float


@dataclass(frozen=True)
class CompletionSummary:
    """What an analyst asks of a drawdown plan's completion, over a run's replications."""

    runs: int
    by_planned_end: Estimate  # P(complete by the last phase's planned end)
    by_window_end: Estimate  # P(complete by the end of the window)
    censored: Estimate  # P(unfinished at the end of the horizon)
    median_day: Estimate  # Kaplan-Meier median completion day (days from window start)
    median_slip: Estimate  # Kaplan-Meier median slip (days after the planned end)
    curve: Curve
    has_plan: bool = True
    """False for a scenario without a plan (the status quo): its completion means nothing,
    and tables show "n/a" rather than a completion on day 0."""


Z95 = 1.959963984540054
"""The standard normal's 97.5% point: the half-width of a 95% interval in standard errors."""


def wilson(successes: int, trials: int) -> tuple[float, float]:
    """The 95% Wilson score interval of ``successes`` in ``trials``, in closed form (scipy's
    ``binomtest(...).proportion_ci(method="wilson")`` at a hundredth of the cost, for tables
    that need thousands of them). NaN for no trials."""
    if trials <= 0:
        return math.nan, math.nan
    z2 = Z95**2
    share = successes / trials
    centre = (share + z2 / (2 * trials)) / (1 + z2 / trials)
    half = (
        math.sqrt(z2)
        / (1 + z2 / trials)
        * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials**2))
    )
    # At none or all, a bound is exactly 0 or 1 (the closed form leaves a rounding residue).
    low = 0.0 if successes == 0 else max(centre - half, 0.0)
    high = 1.0 if successes == trials else min(centre + half, 1.0)
    return low, high


def proportion(successes: int, trials: int) -> Estimate:
    """A share with its 95% Wilson score interval (:func:`wilson`)."""
    if trials == 0:
        return Estimate(math.nan, math.nan, math.nan)
    return Estimate(successes / trials, *wilson(successes, trials))


EXACT_LIMIT = 50_000
"""Runs up to this size keep their exact completion times; larger ones are counted by the
hour (:data:`GROUPED_RESOLUTION`), in memory that grows with the distinct hours rather than
the runs."""


def kaplan_meier(values: ArrayLike, censored_at: float, grouped: bool | None = None) -> Curve:
    """The Kaplan-Meier CDF of ``values`` (NaN: censored at ``censored_at``), with its 95%
    pointwise band (Greenwood's variance, linear).

    In this model every unfinished plan is censored at the same instant, the end of the
    horizon, after every finished one. Kaplan-Meier then reduces exactly to the empirical CDF
    over all runs, ``F(t) = #{T <= t} / N``, and Greenwood's variance to the binomial
    ``F (1 - F) / N``: the numbers ``scipy.stats.ecdf`` gives for the same data (a test
    checks that they agree). Up to :data:`EXACT_LIMIT` runs (or with ``grouped=False``) the
    steps are at the exact times; above, at times rounded to the hour.
    """
    x = np.asarray(values, dtype=float)
    done = x[~np.isnan(x)]
    if done.size == 0:
        empty = np.zeros(0)
        return Curve(empty, empty, empty, empty, censored_at, 1.0 if x.size else 0.0)
    if grouped is None:
        grouped = x.size > EXACT_LIMIT
    # Runs censored at the horizon's end come after every finished run (a finished run past
    # it would be a different horizon's): the closed form holds.
    censored_at = max(censored_at, float(done.max()))
    if grouped:
        return _grouped(done, x.size, censored_at)
    times, counts = np.unique(done, return_counts=True)
    return _from_counts(times, counts, done.size, x.size, censored_at)


GROUPED_RESOLUTION = 1.0 / 24.0
"""Days to which the grouped form rounds completion times (an hour): the distinct times, and
so the memory, stay bounded by the horizon in hours whatever the number of runs."""


def _grouped(done: NDArray[np.float64], runs: int, censored_at: float) -> Curve:
    """Kaplan-Meier with all censoring at ``censored_at``: the empirical CDF over all runs,
    with times to the hour (:data:`GROUPED_RESOLUTION`)."""
    hours = np.rint(done / GROUPED_RESOLUTION).astype(np.int64)
    steps, counts = np.unique(hours, return_counts=True)
    del hours
    times = (steps * GROUPED_RESOLUTION).astype(np.float64)
    return _from_counts(times, counts, done.size, runs, censored_at)


def _from_counts(
    times: NDArray[np.float64],
    counts: NDArray[np.int64],
    finished: int,
    runs: int,
    censored_at: float,
) -> Curve:
    """The curve from the distinct finished ``times`` (days, increasing) and how many runs
    finished at each, of ``runs`` (the rest censored at ``censored_at``)."""
    cdf = np.cumsum(counts) / runs
    # The right-censored observations make the curve's last step at the censoring time, as
    # scipy reports it: unchanged from the last finished time.
    if finished < runs:
        times = np.append(times, censored_at)
        cdf = np.append(cdf, cdf[-1])
    half = Z95 * np.sqrt(cdf * (1.0 - cdf) / runs)
    return Curve(
        times,
        cdf,
        np.clip(cdf - half, 0.0, 1.0),
        np.clip(cdf + half, 0.0, 1.0),
        censored_at,
        (runs - finished) / runs,
    )


def _first_reaching(days: NDArray[np.float64], cdf: NDArray[np.float64], q: float) -> float:
    reached = np.flatnonzero(cdf >= q - 1e-12)
    return float(days[reached[0]]) if reached.size else math.nan


def quantile(curve: Curve, q: float) -> Estimate:
    """The q-quantile of the Kaplan-Meier estimate, with the interval read off its band.

    NaN when the estimate never reaches q: too many runs are unfinished to say.
    """
    if curve.days.size == 0:
        return Estimate(math.nan, math.nan, math.nan)
    return Estimate(
        _first_reaching(curve.days, curve.cdf, q),
        _first_reaching(curve.days, curve.high, q),
        _first_reaching(curve.days, curve.low, q),
    )


def summarize_completion(
    completion_day: ArrayLike,
    planned_end: float | None,
    window_days: float,
    horizon_days: float,
) -> CompletionSummary:
    """Completion of a plan over a run.

    Args:
        completion_day: per replication, the completion day (NaN or None: censored).
        planned_end: the last phase's planned end (days), None when there is no plan.
        window_days: length of the drawdown window (days).
        horizon_days: the simulated horizon, where unfinished plans are censored (days).
    """
    x = np.array(completion_day, dtype=float)
    runs = x.size
    finished = ~np.isnan(x)
    end = 0.0 if planned_end is None else planned_end
    curve = kaplan_meier(x, horizon_days)
    slips = kaplan_meier(x - end, horizon_days - end)
    return CompletionSummary(
        runs=runs,
        by_planned_end=proportion(int((finished & (x <= end + 1e-9)).sum()), runs),
        by_window_end=proportion(int((finished & (x <= window_days)).sum()), runs),
        censored=proportion(int((~finished).sum()), runs),
        median_day=quantile(curve, 0.5),
        median_slip=quantile(slips, 0.5),
        curve=curve,
        has_plan=planned_end is not None,
    )
