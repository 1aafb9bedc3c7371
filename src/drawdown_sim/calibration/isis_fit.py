"""The ISIS base rate and its trend, fitted to the public tallies of 2018-2023.

See docs/calibration.md, section 7.

Counts ``y_i`` over periods ``[s_i, e_i]`` (a year, a quarter) follow a negative binomial
(NB2: variance ``mu + alpha mu^2``) with mean

    mu_i = exp(a + source_i) * integral over the period of exp(b t) * (1 + k (1 - C(t))) dt

where t is in years from the window start (2024-09-01), so ``exp(a)`` is the rate at the
window start (incidents/day on the scale of the main tally), ``b`` the trend (per year),
``source_i`` a level effect for a second dataset (0 for the main tally) and C the
coalition's support capacity relative to its 2019 level, lagged with time constant tau
(the model's ISIS mechanism, docs/model.md). With ``k = 0`` it is a log-linear trend.

Estimates maximise the likelihood with scipy (L-BFGS-B; k >= 0 by a bound); standard errors
come from the observed information, a central-difference Hessian, scaled by the
small-sample factor sqrt(n / (n - p)) (nine counts, four parameters). The capacity link is
confronted by the profile likelihood of k at several lags.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, signal, special, stats

from .fitting import _hessian

WINDOW_START = date(2024, 9, 1)
"""t = 0 of the fit: the window start, so exp(a) is the rate there."""

REFERENCE = Path(__file__).parent.parent / "reference" / "isis_iraq_2017_2024.csv"
"""The shipped series."""

MAIN_SOURCE = "wing"
"""The tally whose scale the model's base_rate takes: Joel Wing's media count (Musings on
Iraq), the only one that runs through 2023."""

PRESENCE: tuple[tuple[date, float, float], ...] = (
    (date(2017, 1, 1), 5200.0, 1.0),
    (date(2020, 3, 15), 5200.0, 1.0),
    (date(2020, 9, 30), 3000.0, 1.0),
    (date(2021, 1, 15), 2500.0, 1.0),
    (date(2021, 12, 9), 2500.0, 1.0),
    (date(2021, 12, 10), 2500.0, 0.8),
    (date(2024, 9, 1), 2500.0, 0.8),
)
"""US presence in Iraq as (date, personnel, mission weight) knots, linear in between:
about 5,200 until the March-August 2020 base consolidations (Qaim, Qayyarah, K1, Taqaddum,
Taji handed over), 3,000 by the end of September 2020, 2,500 by 2021-01-15, and the end of
the combat mission on 2021-12-09 (advise and assist from then: the model's advise weight,
0.8). Public figures, rounded; the region split is not known and is ignored."""


def load_series(path: Path = REFERENCE) -> pd.DataFrame:
    """The series with day offsets and period lengths (days) added."""
    frame = pd.read_csv(path, parse_dates=["start", "end"])
    frame["days"] = (frame["end"] - frame["start"]).dt.days + 1
    return frame


def support_path(days: np.ndarray) -> np.ndarray:
    """Support (personnel x mission weight) on ``days`` (days from 2017-01-01)."""
    origin = PRESENCE[0][0]
    knots = np.array([(d - origin).days for d, _, _ in PRESENCE], dtype=float)
    values = np.array([p * w for _, p, w in PRESENCE])
    return np.interp(days, knots, values)


def capacity_path(days: np.ndarray, tau: float) -> np.ndarray:
    """C(t) on a daily grid: support relative to 2019, lagged with time constant ``tau``
    (days), starting at equilibrium."""
    target = support_path(days) / PRESENCE[0][1]
    decay = math.exp(-1.0 / tau)
    # C_i = decay C_{i-1} + (1 - decay) target_i, from C = target_0.
    capacity, _ = signal.lfilter([1.0 - decay], [1.0, -decay], target, zi=[decay * target[0]])
    return np.asarray(capacity)


@dataclass
class Design:
    """What the likelihood needs of each fitted period."""

    counts: np.ndarray
    sources: list[str]
    is_second: np.ndarray  # 1 where the row is the second dataset
    days: np.ndarray  # every fitted period's days, in years from the window start
    gap: np.ndarray  # 1 - C on the same days
    starts: np.ndarray  # index in ``days`` where each period begins


def design(frame: pd.DataFrame, tau: float) -> Design:
    """The fitted rows of ``frame`` with their daily grids and 1 - C at lag ``tau``."""
    rows = frame[frame["in_fit"]]
    origin = pd.Timestamp(PRESENCE[0][0])
    start = pd.Timestamp(WINDOW_START)
    total = int((start - origin).days) + 1
    capacity = capacity_path(np.arange(total, dtype=float), tau)
    grids, gaps = [], []
    for first, last in zip(rows["start"], rows["end"], strict=True):
        day0 = int((first - origin).days)
        day1 = int((last - origin).days)
        span = np.arange(day0, day1 + 1)
        grids.append((span - (start - origin).days) / 365.25)
        gaps.append(1.0 - capacity[span])
    sources = rows["source"].tolist()
    lengths = [grid.size for grid in grids]
    return Design(
        counts=rows["count"].to_numpy(dtype=float),
        sources=sources,
        is_second=np.array([s != MAIN_SOURCE for s in sources], dtype=float),
        days=np.concatenate(grids),
        gap=np.concatenate(gaps),
        starts=np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp),
    )


def _means(theta: np.ndarray, d: Design) -> np.ndarray:
    a, b, second, _, k = theta
    # Every period's days in one array: the sum over each period by reduceat.
    trend = np.exp(b * d.days) * (1.0 + k * d.gap)
    return np.asarray(np.exp(a + second * d.is_second) * np.add.reduceat(trend, d.starts))


def negative_log_likelihood(theta: np.ndarray, d: Design) -> float:
    """-log L of NB2 counts; theta = (a, b, second source, log alpha, k)."""
    mu = _means(theta, d)
    size = math.exp(-theta[3])
    y = d.counts
    # NB2 log pmf written out (scipy.stats.nbinom.logpmf is the same, ten times slower).
    log_pmf = (
        special.gammaln(y + size)
        - special.gammaln(size)
        - special.gammaln(y + 1.0)
        + size * np.log(size / (size + mu))
        + y * np.log(mu / (size + mu))
    )
    value = -float(np.sum(log_pmf))
    return value if math.isfinite(value) else 1e300


@dataclass
class IsisFit:
    """A fitted trend (and capacity effect), with standard errors."""

    names: tuple[str, ...]
    estimate: np.ndarray
    std_error: np.ndarray
    log_likelihood: float
    tau: float
    capacity: bool
    observations: int
    extra: dict[str, float] = field(default_factory=dict)

    def value(self, name: str) -> float:
        return float(self.estimate[self.names.index(name)])

    def se(self, name: str) -> float:
        return float(self.std_error[self.names.index(name)])

    @property
    def window_start_rate(self) -> float:
        """exp(a): the rate at 2024-09-01 (incidents/day, main tally's scale)."""
        return math.exp(self.value("a"))

    def rate_at(self, when: date) -> float:
        """The trend's rate (capacity at its 2024 level) at ``when`` (incidents/day)."""
        years = (when - WINDOW_START).days / 365.25
        return math.exp(self.value("a") + self.value("b") * years)

    def rate_interval(self, z: float = 1.96) -> tuple[float, float]:
        """Wald interval of exp(a), from a's standard error on the log scale."""
        a, se = self.value("a"), self.se("a")
        return math.exp(a - z * se), math.exp(a + z * se)


NAMES = ("a", "b", "second_source", "log_alpha", "k")


def fit(
    frame: pd.DataFrame,
    tau: float = 120.0,
    capacity: bool = False,
    k: float | None = None,
    errors: bool = True,
) -> IsisFit:
    """Maximum-likelihood fit of the trend; with ``capacity`` the capacity effect k is free
    (k >= 0), with ``k`` given it is held there (for a profile)."""
    d = design(frame, tau)
    fixed_k = 0.0 if not capacity else k
    start = np.array([math.log(0.3), -0.5, 0.0, math.log(0.1), fixed_k or 0.5])
    bounds = [(-10.0, 10.0), (-5.0, 5.0), (-5.0, 5.0), (-12.0, 3.0), (0.0, 50.0)]
    if fixed_k is not None:
        bounds[4] = (fixed_k, fixed_k)
    if fixed_k is None:
        result = optimize.minimize(
            negative_log_likelihood, start, args=(d,), method="L-BFGS-B", bounds=bounds
        )
        theta = result.x
    else:
        # k held: an unconstrained problem in the other four (BFGS; L-BFGS-B's bounds cost
        # more than the whole likelihood here).
        def held(x: np.ndarray) -> float:
            return negative_log_likelihood(np.append(x, fixed_k), d)

        result = optimize.minimize(held, start[:4], method="BFGS")
        theta = np.append(result.x, fixed_k)
    free = [i for i in range(5) if bounds[i][0] < bounds[i][1]]
    # Standard errors over the free parameters off their bounds.
    interior = [i for i in free if not (i == 4 and theta[4] < 1e-6)]

    def partial(x: np.ndarray) -> float:
        full = theta.copy()
        full[interior] = x
        return negative_log_likelihood(full, d)

    se = np.full(5, math.nan)
    if errors:
        information = _hessian(partial, theta[interior])
        try:
            covariance = np.linalg.inv(information)
            # Small-sample correction sqrt(n / (n - p)): from nine counts the plain Wald
            # intervals cover about 80% at a nominal 95% (tests/fit/test_isis_fit.py).
            correction = math.sqrt(d.counts.size / max(d.counts.size - len(interior), 1))
            se[interior] = correction * np.sqrt(np.clip(np.diag(covariance), 0.0, None))
        except np.linalg.LinAlgError:
            pass
    return IsisFit(
        names=NAMES,
        estimate=theta,
        std_error=se,
        log_likelihood=-float(result.fun),
        tau=tau,
        capacity=capacity,
        observations=len(d.counts),
    )


def profile_k(frame: pd.DataFrame, tau: float, grid: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Profile log-likelihood of k over ``grid`` at lag ``tau``, with the estimate and the
    upper end of the 95% likelihood-ratio interval (chi-square 1 df; grid-limited)."""
    values = np.array(
        [fit(frame, tau, capacity=True, k=float(k), errors=False).log_likelihood for k in grid]
    )
    best = float(grid[int(np.argmax(values))])
    inside = grid[values >= values.max() - stats.chi2.ppf(0.95, 1) / 2.0]
    return values, best, float(inside.max())


def simulate_counts(
    frame: pd.DataFrame, theta: np.ndarray, tau: float, rng: np.random.Generator
) -> pd.DataFrame:
    """A synthetic series of the same periods drawn from the model at ``theta``."""
    d = design(frame, tau)
    mu = _means(theta, d)
    size = math.exp(-theta[3])
    out = frame.copy()
    counts = rng.negative_binomial(size, size / (size + mu))
    out.loc[out["in_fit"], "count"] = counts
    return out


def summary(frame: pd.DataFrame | None = None) -> dict[str, object]:
    """The fits of docs/calibration.md: the trend, the capacity profiles at several lags,
    the window-start rate and the 2021/2022 levels (main tally's scale)."""
    frame = load_series() if frame is None else frame
    trend = fit(frame)
    grid = np.linspace(0.0, 8.0, 33)
    profiles = {}
    for tau in (30.0, 120.0, 365.0):
        values, best, upper = profile_k(frame, tau, grid)
        profiles[tau] = {
            "k_hat": best,
            "k_upper_95": upper,
            "log_lik_at_k0": float(values[0]),
            "max_log_lik": float(values.max()),
        }
    low, high = trend.rate_interval()
    d = design(frame, 120.0)
    fitted = _means(trend.estimate, d)
    rows = frame[frame["in_fit"]]
    residuals = [
        {
            "period": f"{first:%Y-%m-%d}/{last:%Y-%m-%d}",
            "source": source,
            "observed": int(count),
            "fitted": round(float(mean), 1),
        }
        for first, last, source, count, mean in zip(
            rows["start"], rows["end"], rows["source"], rows["count"], fitted, strict=True
        )
    ]
    return {
        "observations": trend.observations,
        "rate_2024_09_01": trend.window_start_rate,
        "rate_2024_09_01_interval": (low, high),
        "trend_per_year": trend.value("b"),
        "trend_se": trend.se("b"),
        "second_source_ratio": math.exp(trend.value("second_source")),
        "alpha": math.exp(trend.value("log_alpha")),
        "rate_2021": trend.rate_at(date(2021, 7, 2)),
        "rate_2022": trend.rate_at(date(2022, 7, 2)),
        "log_likelihood": trend.log_likelihood,
        "capacity_profiles": profiles,
        "observed_and_fitted": residuals,
    }
