"""Maximum-likelihood fits of an exponential-kernel Hawkes process to the public record.

Intensity (events/day): ``lambda(t) = mu + sum_{t_i < t} n * beta * exp(-beta * (t - t_i))``
with background rate ``mu``, branching ratio ``n`` and mean trigger delay ``1 / beta`` days.

- **Exact event times** (numeric days, or timestamps): exact maximum likelihood. The
  log-likelihood uses Ozaki's (1979) O(N) recursion; ``scipy.optimize.minimize`` maximises it
  over ``(log mu, logit n, log 1/beta)``, so the estimates stay in range. Standard errors come
  from the observed information (the numerical Hessian of the log-likelihood at the maximum),
  carried to the natural parameters by the delta method.
- **Date-only event logs** (ties within a day): each event is placed uniformly at random
  within its day, the fit is repeated over ``imputations`` placements, and the results are
  combined with Rubin's rules (mean of the estimates; variance = mean within-imputation
  variance + (1 + 1/M) x between-imputation variance).
- **Cumulative tallies** (a date and a running total): interval-censored. The events between
  two reports are placed uniformly at random inside the interval, and the fits combined with
  Rubin's rules as above. Spreading a burst evenly over its reporting interval hides part of
  the clustering, so with coarse tallies the branching ratio is biased towards 0 and the
  trigger delay is poorly identified; the between-imputation variance is what makes the
  uncertainty honest about that.

Goodness of fit is the time-rescaling theorem: the compensator increments between events
are Exp(1) under the fitted model; a Kolmogorov-Smirnov test gives a p-value (the median over
imputations when times are imputed). The log-likelihood is written by hand: no maintained
Python library fits this model with these conventions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from .hawkes import excitation_sums, log_likelihood

FloatArray = NDArray[np.float64]

MIN_EVENTS = 10
"""Fewer events than this cannot identify three parameters."""


MAX_FIT_EVENTS = 10_000
"""Most event times fitted, counted once per imputation (events x imputations): the exact
likelihood costs O(events) per evaluation, so this bounds a fit to about 15 s on one core.
A larger log is refused before any work, with this cap in the message."""


class FitError(ValueError):
    """The data cannot be fitted as given (one line, said to the user)."""


def check_size(events: int, imputations: int = 1) -> None:
    """Refuse a fit of more than :data:`MAX_FIT_EVENTS` event times in all."""
    if events * max(imputations, 1) > MAX_FIT_EVENTS:
        per = f" x {imputations} imputations" if imputations > 1 else ""
        raise FitError(
            f"{events:,} events{per} is more than the fit's cap of {MAX_FIT_EVENTS:,} event "
            "times; fit a shorter period (--start/--end), fewer imputations, or running totals "
            "(--count-column)"
        )


@dataclass(frozen=True)
class Parameter:
    """An estimate and its standard error."""

    estimate: float
    stderr: float

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """Wald interval, estimate +- z standard errors, clipped to the parameter's range."""
        return self.estimate - z * self.stderr, self.estimate + z * self.stderr


@dataclass(frozen=True)
class HawkesFit:
    """A fitted exponential-kernel Hawkes process."""

    background_rate: Parameter  # mu, events/day
    branching_ratio: Parameter  # n, dimensionless
    trigger_days: Parameter  # 1/beta, days
    events: int
    days: float  # length of the observation period
    ks_pvalue: float
    log_likelihood: float
    method: str  # "exact", "ties imputed within days", "interval-censored tallies"
    imputations: int = 1
    start: date | None = None
    end: date | None = None
    imputed: list[tuple[float, float, float]] = field(default_factory=list, repr=False)

    @property
    def mean_rate(self) -> float:
        """Observed events per day over the period."""
        return self.events / self.days

    def to_json(self) -> dict[str, object]:
        def p(x: Parameter) -> dict[str, float]:
            return {"estimate": x.estimate, "stderr": x.stderr}

        return {
            "background_rate": p(self.background_rate),
            "branching_ratio": p(self.branching_ratio),
            "trigger_days": p(self.trigger_days),
            "events": self.events,
            "days": self.days,
            "ks_pvalue": self.ks_pvalue,
            "log_likelihood": self.log_likelihood,
            "method": self.method,
            "imputations": self.imputations,
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
        }


# --- likelihood ---------------------------------------------------------------------------
def rescaled_gaps(times: ArrayLike, mu: float, n: float, beta: float) -> FloatArray:
    """Compensator increments between successive events: Exp(1) under the model."""
    t = np.asarray(times, dtype=float)
    if t.size < 2:
        return np.zeros(0)
    a = excitation_sums(t, beta)
    gaps = np.diff(t)
    # Integral of the kernel sum over (t_{i-1}, t_i]: (A_{i-1} + 1) (1 - e^{-beta gap}).
    kernel = n * (a[:-1] + 1.0) * -np.expm1(-beta * gaps)
    return np.asarray(mu * gaps + kernel)


def _natural(theta: FloatArray) -> tuple[float, float, float]:
    """(mu, n, trigger days) from the unconstrained (log mu, logit n, log trigger)."""
    log_mu, logit_n, log_trigger = (float(x) for x in theta)
    return math.exp(log_mu), 1.0 / (1.0 + math.exp(-logit_n)), math.exp(log_trigger)


def _objective(theta: FloatArray, times: FloatArray, horizon: float) -> float:
    mu, n, trigger = _natural(theta)
    value = -log_likelihood(times, horizon, mu, n, 1.0 / trigger)
    return value if math.isfinite(value) else 1e300


def _hessian(f: object, x: FloatArray, step: float = 1e-3) -> FloatArray:
    """Central-difference Hessian of a scalar function."""
    fn = f  # type: ignore[assignment]
    k = x.size
    h = np.full(k, step)
    out = np.empty((k, k))
    f0 = fn(x)  # type: ignore[operator]
    for i in range(k):
        e_i = np.zeros(k)
        e_i[i] = h[i]
        out[i, i] = (fn(x + e_i) - 2 * f0 + fn(x - e_i)) / h[i] ** 2  # type: ignore[operator]
        for j in range(i + 1, k):
            e_j = np.zeros(k)
            e_j[j] = h[j]
            out[i, j] = out[j, i] = (
                fn(x + e_i + e_j)  # type: ignore[operator]
                - fn(x + e_i - e_j)  # type: ignore[operator]
                - fn(x - e_i + e_j)  # type: ignore[operator]
                + fn(x - e_i - e_j)  # type: ignore[operator]
            ) / (4 * h[i] * h[j])
    return out


@dataclass(frozen=True)
class _Single:
    estimate: FloatArray  # natural (mu, n, trigger)
    covariance: FloatArray  # natural, 3 x 3
    log_likelihood: float
    ks_pvalue: float


def fit_times(times: ArrayLike, horizon: float) -> _Single:
    """Exact maximum-likelihood fit of sorted event times on [0, horizon] (days)."""
    t = np.sort(np.asarray(times, dtype=float))
    if t.size < MIN_EVENTS:
        raise FitError(f"{t.size} events are too few to fit; at least {MIN_EVENTS} are needed")
    mean_gap = horizon / t.size
    starts = [
        [math.log(0.5 * t.size / horizon), 0.0, math.log(max(d, 0.02))]
        for d in (0.5 * mean_gap, 2.0 * mean_gap, 7.0)
    ]
    # Bounds: a trigger delay from about 15 minutes to the whole period; n away from 0 and 1
    # only by what floating point needs. An estimate on a bound is flagged by its error.
    bounds = [(-20.0, 10.0), (-12.0, 12.0), (math.log(0.01), math.log(horizon))]
    best: optimize.OptimizeResult | None = None
    for start in starts:  # a few starting kernels: the likelihood can be multimodal in beta
        lower, upper = (np.array(side) for side in zip(*bounds, strict=True))
        theta0 = np.clip(np.array([start[0], 0.0, start[2]]), lower, upper)
        result = optimize.minimize(
            _objective,
            theta0,
            args=(t, horizon),
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000},
        )
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    theta = np.asarray(best.x, dtype=float)
    mu, n, trigger = _natural(theta)
    information = _hessian(lambda x: _objective(x, t, horizon), theta)
    try:
        cov_theta = np.linalg.inv(information)
        if not np.all(np.isfinite(cov_theta)) or np.any(np.diag(cov_theta) < 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov_theta = np.full((3, 3), np.nan)
    jacobian = np.diag([mu, n * (1.0 - n), trigger])
    covariance = jacobian @ cov_theta @ jacobian.T
    gaps = rescaled_gaps(t, mu, n, 1.0 / trigger)
    ks = float(stats.kstest(gaps, "expon").pvalue) if gaps.size else math.nan
    return _Single(np.array([mu, n, trigger]), covariance, -float(best.fun), ks)


def _combine(fits: list[_Single]) -> tuple[FloatArray, FloatArray]:
    """Rubin's rules: pooled estimate and standard errors over imputations."""
    estimates = np.array([f.estimate for f in fits])
    # The mean variance over the imputations whose information matrix could be inverted;
    # NaN (not estimable) where none could, which numpy would also warn about.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        within = np.nanmean([np.diag(f.covariance) for f in fits], axis=0)
    m = len(fits)
    between = estimates.var(axis=0, ddof=1) if m > 1 else np.zeros(3)
    total = within + (1.0 + 1.0 / m) * between
    return estimates.mean(axis=0), np.sqrt(total)


def _result(
    fits: list[_Single],
    events: int,
    days: float,
    method: str,
    start: date | None,
    end: date | None,
) -> HawkesFit:
    estimate, stderr = _combine(fits)
    params = [Parameter(float(e), float(s)) for e, s in zip(estimate, stderr, strict=True)]
    return HawkesFit(
        background_rate=params[0],
        branching_ratio=params[1],
        trigger_days=params[2],
        events=events,
        days=days,
        ks_pvalue=float(np.median([f.ks_pvalue for f in fits])),
        log_likelihood=float(np.mean([f.log_likelihood for f in fits])),
        method=method,
        imputations=len(fits),
        start=start,
        end=end,
        imputed=[tuple(float(x) for x in f.estimate) for f in fits],  # type: ignore[misc]
    )


def fit_event_times(times: ArrayLike, horizon: float) -> HawkesFit:
    """Exact fit of event times in days on [0, horizon]."""
    t = np.sort(np.asarray(times, dtype=float))
    check_size(int(t.size))
    single = fit_times(t, horizon)
    return _result([single], int(t.size), horizon, "exact", None, None)


def fit_daily_events(
    days: ArrayLike,
    horizon: float,
    imputations: int = 20,
    seed: int = 0,
    start: date | None = None,
    end: date | None = None,
) -> HawkesFit:
    """Fit events known only to the day (integer day offsets, ties allowed) on [0, horizon].

    Each imputation places every event uniformly within its day.
    """
    d = np.sort(np.asarray(days, dtype=float))
    check_size(int(d.size), imputations)
    rng = np.random.default_rng(seed)
    fits = [fit_times(np.sort(d + rng.random(d.size)), horizon) for _ in range(max(imputations, 1))]
    return _result(fits, int(d.size), horizon, "ties imputed within days", start, end)


def fit_tallies(
    report_days: ArrayLike,
    cumulative: ArrayLike,
    imputations: int = 20,
    seed: int = 0,
    start: date | None = None,
    end: date | None = None,
) -> HawkesFit:
    """Fit running totals reported on ``report_days`` (day offsets, the first is 0).

    The events between two reports are placed uniformly at random in that interval; the
    period observed runs from the first report to the last.
    """
    days = np.asarray(report_days, dtype=float)
    counts = np.asarray(cumulative, dtype=float)
    increments = np.diff(counts).astype(int)
    horizon = float(days[-1] - days[0])
    rng = np.random.default_rng(seed)
    fits = []
    for _ in range(max(imputations, 1)):
        placed = [
            rng.uniform(lo - days[0], hi - days[0], size=k)
            for lo, hi, k in zip(days[:-1], days[1:], increments, strict=True)
            if k > 0
        ]
        times = np.sort(np.concatenate(placed)) if placed else np.zeros(0)
        fits.append(fit_times(times, horizon))
    return _result(fits, int(increments.sum()), horizon, "interval-censored tallies", start, end)
