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
- **Cumulative tallies** (a date and a running total): interval-censored. Only the counts
  between reports are known, and they are fitted by a likelihood that is exact for counts
  over intervals (:class:`IntervalCounts`, a negative-binomial autoregression with the Hawkes
  process's conditional mean and Fano factor and a background free to change between
  reports). Under no self-excitation it is exactly the counts' likelihood, so the
  profile-likelihood interval for n and the likelihood-ratio test against Poisson (with its
  chi-bar-squared reference, n = 0 being on the edge) keep their level on any reporting
  dates. No event times are imputed.

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

from ..common.hawkes import excitation_sums, log_likelihood

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
    low: float | None = None
    """Lower end of a 95% interval that is not a Wald interval (a profile-likelihood one)."""
    high: float | None = None

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """The profile-likelihood interval where there is one, else the Wald interval,
        estimate +- z standard errors."""
        if self.low is not None and self.high is not None:
            return self.low, self.high
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
    poisson_test: PoissonTest | None = None
    background_spread: float | None = None
    """Coefficient of variation of the background between reporting intervals (interval
    counts only)."""

    @property
    def mean_rate(self) -> float:
        """Observed events per day over the period."""
        return self.events / self.days

    def to_json(self) -> dict[str, object]:
        def p(x: Parameter) -> dict[str, object]:
            low, high = x.interval()
            return {
                "estimate": x.estimate,
                "stderr": x.stderr,
                "interval_95": [low, high],
                "interval_kind": "Wald" if x.low is None else "profile likelihood",
            }

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
            "poisson_test": None if self.poisson_test is None else self.poisson_test.to_json(),
            "background_spread": self.background_spread,
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
    log_likelihood = float(np.mean([f.log_likelihood for f in fits]))
    null = events * math.log(events / days) - events  # Poisson, mu = events / days
    statistic = max(2.0 * (log_likelihood - null), 0.0)
    test = PoissonTest(
        statistic,
        1,
        chi_bar_pvalue(statistic),
        "0.5 chi2(0) + 0.5 chi2(1): n = 0 is on the edge of its range; the trigger delay, "
        "not identified under the null, is profiled out"
        + ("; log-likelihood averaged over the imputations" if len(fits) > 1 else ""),
    )
    return HawkesFit(
        background_rate=params[0],
        branching_ratio=params[1],
        trigger_days=params[2],
        events=events,
        days=days,
        ks_pvalue=float(np.median([f.ks_pvalue for f in fits])),
        log_likelihood=log_likelihood,
        method=method,
        imputations=len(fits),
        start=start,
        end=end,
        imputed=[tuple(float(x) for x in f.estimate) for f in fits],  # type: ignore[misc]
        poisson_test=test,
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
    start: date | None = None,
    end: date | None = None,
) -> HawkesFit:
    """Fit running totals reported on ``report_days`` (day offsets, the first is 0) by the
    exact likelihood of the counts over the reporting intervals
    (:func:`fit_interval_counts`); the period observed runs from the first report to the
    last.

    Earlier versions placed each interval's events uniformly at random in it and fitted the
    event-time likelihood: on tallies with no self-excitation whose rate changes between
    reports, that read the changes as clustering (median n = 0.43 on the 2023-24 reporting
    dates). The interval-count likelihood does not impute times."""
    return fit_interval_counts(report_days, cumulative, start=start, end=end)


# --- interval counts: running totals --------------------------------------------------------
MAX_REPORTS = 1_000
"""Most reports (rows of running totals) fitted: each likelihood evaluation loops over the
reporting intervals, so this bounds a fit to about 15 s on one core."""

N_CEILING = 0.95
"""Largest branching ratio searched for interval counts (events per event)."""

MAX_SPREAD = 3.0
"""Largest coefficient of variation of the background between reporting intervals."""

CHI2_1_95 = float(stats.chi2.ppf(0.95, 1))
"""3.84: the profile-likelihood 95% interval's drop in twice the log-likelihood."""


@dataclass(frozen=True)
class PoissonTest:
    """Likelihood-ratio test of the Hawkes fit against a Poisson process (n = 0).

    Under the null n = 0 sits on the edge of its range and the trigger delay is not
    identified, so the statistic is not chi-square with 2 df: its reference is the
    chi-bar-squared mixture 0.5 chi2(0) + 0.5 chi2(1) (Self & Liang 1987) for the branching
    ratio, the delay profiled out."""

    statistic: float
    df: int
    p_value: float
    reference: str

    def to_json(self) -> dict[str, object]:
        return {
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "reference": self.reference,
        }


def chi_bar_pvalue(statistic: float) -> float:
    """P(T >= statistic) for T ~ 0.5 chi2(0) + 0.5 chi2(1)."""
    return 1.0 if statistic <= 0.0 else 0.5 * float(stats.chi2.sf(statistic, 1))


class IntervalCounts:
    """Log-likelihood of counts over reporting intervals for a Hawkes-like count process.

    Reports on days ``d_0 < ... < d_K`` cut time into intervals ``k = 1..K`` of length
    ``L_k`` with counts ``N_k``. The background is ``mu G_k`` events/day in interval ``k``,
    ``G_k`` independent gamma variables of mean 1 and coefficient of variation ``spread``: a
    rate that is constant within a reporting interval and may change from one to the next.
    Given the earlier counts, ``N_k`` is negative binomial with

    - mean ``lambda_k = c_k (mu L_k + n H_k)``: ``H_k`` the first-generation offspring that
      the earlier intervals' events, each placed uniformly in its interval, send into
      interval ``k`` (exact for the exponential kernel, by a recursion over intervals);
      ``c_k = E N(L_k) / L_k`` at unit background from an empty history (the transient mean
      of :func:`~drawdown_sim.common.hawkes.expected_count`), the offspring that the interval's own
      events add inside it;
    - variance ``lambda_k F_k + spread^2 lambda_k^2``: ``F_k`` the Hawkes count's Fano
      factor over ``L_k`` days (:func:`~drawdown_sim.common.hawkes.stationary_fano`), and the
      background's variation between intervals.

    The likelihood is exact for this model (a negative-binomial autoregression over the
    reporting intervals). At ``n = 0`` it is exactly the likelihood of a Poisson process
    whose rate is constant within each reporting interval and gamma-distributed between
    them (Poisson when ``spread`` is 0), so a test of ``n = 0`` and an interval for ``n`` keep
    their level under that null whatever the reporting dates. For ``n > 0`` it matches the
    Hawkes process's conditional mean and variance approximately; the recovery tests check
    what that costs.
    """

    def __init__(self, report_days: ArrayLike, cumulative: ArrayLike) -> None:
        days = np.asarray(report_days, dtype=float)
        totals = np.asarray(cumulative, dtype=float)
        self.lengths = np.diff(days).tolist()
        self.counts = np.diff(totals).tolist()
        self.horizon = float(days[-1] - days[0])
        self.poisson_rate = float(sum(self.counts) / self.horizon)
        self._log_factorials = [math.lgamma(c + 1.0) for c in self.counts]

    def poisson(self) -> float:
        """Maximised log-likelihood of a homogeneous Poisson process (mu = events / days)."""
        return self(self.poisson_rate, 0.0, 1.0, 0.0)

    def __call__(self, mu: float, n: float, beta: float, spread: float = 0.0) -> float:
        """Log-likelihood at background ``mu`` (events/day), branching ratio ``n``, kernel
        decay ``beta`` (1/days) and between-interval coefficient of variation ``spread``."""
        exp, log, lgamma, expm1 = math.exp, math.log, math.lgamma, math.expm1
        vary = spread * spread
        total = 0.0
        level = 0.0  # R_k: earlier events' kernels at the interval's start
        kappa = beta * (1.0 - n)
        for length, count, log_factorial in zip(
            self.lengths, self.counts, self._log_factorials, strict=True
        ):
            if n > 0.0:
                settle = -expm1(-kappa * length)
                inflation = 1.0 / (1.0 - n) - n * settle / (beta * (1.0 - n) ** 2 * length)
                shape = 1.0 / kappa - settle / (kappa * kappa * length)
                offspring = level * -expm1(-beta * length)
                mean = inflation * (mu * length + n * offspring)
                excess = n * beta * (2.0 - n) / (1.0 - n) * shape + vary * mean
                # this interval's events, spread uniformly in it, at its end
                spread_in = -expm1(-beta * length) / (beta * length)
                level = level * exp(-beta * length) + count * spread_in
            else:
                mean = mu * length
                excess = vary * mean
            if mean <= 0.0:
                return -math.inf
            if excess < 1e-10:  # Poisson
                total += count * log(mean) - mean - log_factorial
                continue
            size = mean / excess  # negative binomial: variance mean * (1 + excess)
            total += (
                lgamma(count + size)
                - lgamma(size)
                - log_factorial
                - size * math.log1p(excess)
                + count * (log(excess) - math.log1p(excess))
            )
        return total


_FREE = 3  # (log mu, log trigger days, spread)


def _maximise(
    model: IntervalCounts, n: float | None, starts: list[FloatArray]
) -> tuple[float, FloatArray]:
    """Maximum log-likelihood over (log mu, log trigger days, spread), and over n too when
    ``n`` is None (then the argmax ends with n): (maximum, argmax)."""
    bounds = [(-20.0, 10.0), (math.log(0.05), math.log(model.horizon)), (0.0, MAX_SPREAD)]
    if n is None:
        bounds.append((0.0, N_CEILING))

    def objective(theta: FloatArray) -> float:
        branching = float(theta[3]) if n is None else n
        value = model(math.exp(theta[0]), branching, math.exp(-theta[1]), float(theta[2]))
        return -value if math.isfinite(value) else 1e300

    best: optimize.OptimizeResult | None = None
    for start in starts:
        x0 = np.clip(start[: len(bounds)], [b[0] for b in bounds], [b[1] for b in bounds])
        result = optimize.minimize(objective, x0, method="L-BFGS-B", bounds=bounds)
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    return -float(best.fun), np.asarray(best.x, dtype=float)


def fit_interval_counts(
    report_days: ArrayLike,
    cumulative: ArrayLike,
    start: date | None = None,
    end: date | None = None,
) -> HawkesFit:
    """Fit running totals by the interval-count likelihood (:class:`IntervalCounts`).

    The branching ratio's 95% interval is the profile-likelihood interval (twice the
    log-likelihood within 3.84 of its maximum, the other parameters maximised at each n),
    and it may reach 0; the background rate's and trigger delay's are Wald intervals at the
    maximum (the delay's is not estimable when n is 0, where it has no effect). The
    likelihood-ratio test of n = 0 (no self-excitation; the background free to vary between
    reporting intervals) is in ``poisson_test``.
    """
    days = np.asarray(report_days, dtype=float)
    if days.size > MAX_REPORTS:
        raise FitError(
            f"{days.size:,} reports is more than the fit's cap of {MAX_REPORTS:,}; fit a "
            "shorter period (--start/--end)"
        )
    model = IntervalCounts(days, cumulative)
    events = int(sum(model.counts))
    if events < MIN_EVENTS:
        raise FitError(f"{events} events are too few to fit; at least {MIN_EVENTS} are needed")
    if len(model.lengths) < 3:
        raise FitError(
            f"{len(model.lengths)} reporting intervals are too few to fit a kernel; at least 3 "
            "are needed"
        )
    log_rate = math.log(model.poisson_rate)
    null, null_at = _maximise(model, 0.0, [np.array([log_rate, 0.0, 0.3])])
    starts = [
        np.array([log_rate + math.log(1.0 - n0), math.log(t0), s0, n0])
        for n0, t0, s0 in ((0.3, 2.0, 0.3), (0.6, 1.0, 0.05), (0.3, 10.0, 0.05))
    ]
    starts.append(np.array([*null_at, 0.0]))
    best, theta = _maximise(model, None, starts)
    if best < null:  # the boundary: no excitation fits at least as well
        best, theta = null, np.array([*null_at, 0.0])
    n_hat = float(theta[3])
    statistic = 2.0 * (best - null)
    statistic = statistic if statistic > 1e-6 else 0.0  # optimiser noise at the edge

    def drop(n: float) -> float:
        warm = [theta[:_FREE], null_at]
        return 2.0 * (best - _maximise(model, n, warm)[0]) - CHI2_1_95

    low = 0.0
    if statistic > CHI2_1_95:
        low = float(
            optimize.brentq(
                lambda n: drop(n) if n > 0 else statistic - CHI2_1_95, 0.0, n_hat, xtol=1e-3
            )
        )
    high = N_CEILING
    if n_hat < N_CEILING and drop(N_CEILING) > 0.0:
        high = float(optimize.brentq(drop, n_hat, N_CEILING, xtol=1e-3))
    mu = math.exp(theta[0])
    trigger = math.exp(theta[1]) if n_hat > 0.0 else math.nan
    mu_se, trigger_se = math.nan, math.nan
    free = theta[:2]

    def negative(x: FloatArray) -> float:
        return -model(math.exp(x[0]), n_hat, math.exp(-x[1]), float(theta[2]))

    if n_hat > 0.0:
        try:
            cov = np.linalg.inv(_hessian(negative, free, step=1e-3))
            if np.all(np.isfinite(cov)) and np.all(np.diag(cov) > 0):
                mu_se = mu * math.sqrt(cov[0, 0])
                trigger_se = trigger * math.sqrt(cov[1, 1])
        except np.linalg.LinAlgError:
            pass
    else:
        curvature = _hessian(lambda x: negative(np.array([x[0], 0.0])), free[:1], step=1e-3)
        if curvature[0, 0] > 0:
            mu_se = mu / math.sqrt(curvature[0, 0])
    test = PoissonTest(
        statistic,
        1,
        chi_bar_pvalue(statistic),
        "0.5 chi2(0) + 0.5 chi2(1): n = 0 is on the edge of its range; the trigger delay, "
        "not identified under the null, and the background's variation between reporting "
        "intervals are maximised out",
    )
    return HawkesFit(
        background_rate=Parameter(mu, mu_se),
        branching_ratio=Parameter(n_hat, math.nan, low, high),
        trigger_days=Parameter(trigger, trigger_se),
        events=events,
        days=model.horizon,
        ks_pvalue=math.nan,
        log_likelihood=best,
        method="interval counts (negative-binomial autoregression, exact likelihood)",
        imputations=1,
        start=start,
        end=end,
        poisson_test=test,
        background_spread=float(theta[2]),
    )
