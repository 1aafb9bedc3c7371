"""Proper scores out of sample: leave each episode of the pre-window record out, estimate the
posterior on the others, and score the held-out episode against two naive forecasts.

The episodes are the record's (:mod:`drawdown_sim.record`, ``episodes.csv``): a longer record
adds episodes by itself. For each held-out episode:

1. **Estimate on the others** by the estimation path itself: rejection ABC in pyabc
   (:func:`drawdown_sim.estimate.run_abc`) on a record of the other episodes only, at a
   reduced ``budget`` of simulated particles, the same priors as ``estimate``. Nothing of
   the held-out episode enters the fit.
2. **Forecast** the held-out episode as it stood at its start: its scenario is built from the
   record (dates, posture and escalation level at the start, its timetable state, its dated
   regional shocks and US strikes as inputs; :func:`drawdown_sim.estimate.episode_data`),
   but the militias' declared postures inside it are not inputs, since the posture is what is
   forecast. ``reps`` whole posterior draws (picked with their weights, correlations kept)
   each run the episode once. Two naive forecasts: a Poisson process at the attack rate of
   the 90 days before the episode (the record's tallies prorated by days; where the record
   does not cover those days, the long-run rate, said so), and at the long-run rate of the
   other episodes' tallied days; rates are (attacks + 0.5) / days, so a quiet period does not
   give a forecast of zero. Their campaign onsets are a Poisson process at the same kind of
   rate of observed onsets.
3. **Score**, lower is better except the log score:

   - counts over blocks of about 30 days: consecutive tallies of the record merged until a
     block spans at least :data:`BLOCK_DAYS` days (a tally longer than that is one block; a
     short remainder joins the previous block; a gap in the tallies ends a block). The exact
     CRPS of a count law ``sum_k (F(k) - 1{y <= k})^2`` (the model's F is its draws'
     empirical law), the log score ``log p(y)`` (the model's p with add-one smoothing over
     the counts it reached), and the PIT (midpoint of ``[F(y - 1), F(y)]``);
   - the Brier score ``(p - o)^2`` of a campaign onset within 30, 90 and 180 days.

**Observed onsets** come from the tallies: a tally whose rate is at least
:data:`ONSET_RATE` attacks per day (between the supports of the two postures' attack-rate
priors) is in campaign; the onset lies somewhere in the first such tally (interval-censored).
``o`` at a horizon is 1 when that tally ends before it, 0 when the tallies up to it are all
below the rate, and **censored** (not scored) otherwise: the tally straddles the horizon, the
tallies do not cover the days before it, or the episode ends before it. An episode that
starts in campaign has no onset to forecast.

Skill is ``1 - score / naive score`` (CRPS, Brier) and the mean log-score gain in nats
(log score), each with a paired percentile bootstrap interval over the scored items
(``scipy.stats.bootstrap``): an episode with one block has no interval for its counts. Band
coverage is reported by ``backtest`` as a description only; these scores are the test.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..scenario import Scenario
from .record import CUTOFF, Episode, Record

BLOCK_DAYS = 30
"""Shortest scored block of counts (days): consecutive tallies are merged up to this."""

HORIZONS = (30, 90, 180)
"""Horizons of the campaign-onset Brier score (days)."""

NAIVE_DAYS = 90
"""The 'last 90 days' naive forecast's window (days before the episode)."""

ONSET_RATE = 0.3
"""Attacks per day at or above which a tally counts as campaign (observed onsets): above the
restraint attack-rate prior's support (up to 0.25) and below the campaign's (from 0.45)."""

DEFAULT_BUDGET = 400
"""Simulated particles of each leave-one-out fit (``estimate`` ships 2,500)."""

RUNAWAY_COUNT = 100_000
"""Count given to every block of a replication the model stopped as runaway."""


# --- what the record says about an episode -------------------------------------------------
def blocks(episode: Episode) -> list[tuple[int, int, int]]:
    """Scored blocks as (first day, last day, attacks), days from the episode's start: the
    tallies merged in order until a block spans :data:`BLOCK_DAYS` days; a gap between
    tallies ends a block; a remainder shorter than half a block joins the previous one when
    it follows it without a gap, else it is kept if it spans half a block, else dropped."""
    out: list[list[int]] = []
    current: list[int] | None = None
    for count in episode.counts:
        a = (count.start - episode.start).days
        b = (count.end - episode.start).days
        if current is not None and a != current[1] + 1:  # a gap: the block ends short
            out.append(current)
            current = None
        if current is None:
            current = [a, b, count.attacks]
        else:
            current[1], current[2] = b, current[2] + count.attacks
        if current[1] - current[0] + 1 >= BLOCK_DAYS:
            out.append(current)
            current = None
    if current is not None:
        previous = out[-1] if out else None
        if (
            current[1] - current[0] + 1 < BLOCK_DAYS // 2
            and previous is not None
            and previous[1] + 1 == current[0]
        ):
            previous[1], previous[2] = current[1], previous[2] + current[2]
        elif current[1] - current[0] + 1 >= BLOCK_DAYS // 2 or not out:
            out.append(current)
    return [(a, b, y) for a, b, y in out if b - a + 1 >= BLOCK_DAYS // 2 or len(out) == 1]


def observed_onset(episode: Episode) -> tuple[int, int] | None:
    """The first tally at :data:`ONSET_RATE` or above, as (first day, last day) from the
    episode's start: the onset lies inside it. None when no tally reaches the rate."""
    for count in episode.counts:
        days = (count.end - count.start).days + 1
        if count.attacks / days >= ONSET_RATE:
            return (count.start - episode.start).days, (count.end - episode.start).days
    return None


def _covered_through(episode: Episode) -> int:
    """Last day d (from the start) such that the tallies cover days 0..d without a gap; -1
    when the first tally does not start on the episode's first day."""
    through = -1
    for count in episode.counts:
        a = (count.start - episode.start).days
        if a != through + 1:
            break
        through = (count.end - episode.start).days
    return through


def onset_outcomes(episode: Episode) -> tuple[list[int | None], list[str]]:
    """Whether a campaign began within each of :data:`HORIZONS` days of the start (1, 0, or
    None when the record cannot say), and why each None is None."""
    outcomes: list[int | None] = []
    reasons: list[str] = []
    if episode.initial_posture == "campaign":
        return [None] * len(HORIZONS), [
            "the episode starts in campaign: no onset to forecast"
        ] * len(HORIZONS)
    onset = observed_onset(episode)
    through = _covered_through(episode)
    for h in HORIZONS:
        if onset is not None and onset[1] < h:
            outcomes.append(1)
        elif (onset is None or onset[0] >= h) and through >= h - 1:
            outcomes.append(0)
        else:
            outcomes.append(None)
            if onset is not None and onset[0] < h <= onset[1]:
                reasons.append(f"{h} days: the onset's tally straddles the horizon")
            elif h > episode.days:
                reasons.append(f"{h} days: the episode is {episode.days} days long")
            else:
                reasons.append(f"{h} days: the tallies do not cover the first {h} days")
    return outcomes, reasons


def _tallied(episode: Episode) -> tuple[int, int]:
    """(attacks, days) of the episode's tallies."""
    return (
        sum(c.attacks for c in episode.counts),
        sum((c.end - c.start).days + 1 for c in episode.counts),
    )


# --- scores -------------------------------------------------------------------------------
def crps_counts(cdf: np.ndarray, observed: int) -> float:
    """Exact CRPS of a count distribution given by its CDF on 0..len(cdf)-1 (1 beyond)."""
    k = np.arange(cdf.size)
    return float(np.sum((cdf - (observed <= k)) ** 2))


def _sample_law(sample: np.ndarray, observed: int) -> tuple[np.ndarray, float]:
    """Empirical CDF on 0..max and the add-one-smoothed log probability of ``observed``."""
    top = int(max(sample.max(initial=0), observed)) + 1
    counts = np.bincount(sample.astype(np.int64), minlength=top + 1)[: top + 1]
    cdf = np.cumsum(counts) / sample.size
    log_p = math.log((counts[observed] + 1.0) / (sample.size + top + 1.0))
    return cdf, log_p


def _poisson_law(mean: float, observed: int) -> tuple[np.ndarray, float]:
    top = int(max(stats.poisson.ppf(1 - 1e-12, mean), observed)) + 1
    cdf = stats.poisson.cdf(np.arange(top + 1), mean)
    return cdf, float(stats.poisson.logpmf(observed, mean))


def _pit(cdf: np.ndarray, observed: int) -> float:
    below = float(cdf[observed - 1]) if observed > 0 else 0.0
    return (below + float(cdf[observed])) / 2.0


@dataclass(frozen=True)
class Forecast:
    """A forecast's scores on one held-out episode (one value per item)."""

    name: str
    crps: list[float]
    log_score: list[float]
    pit: list[float]
    brier: list[float]  # one per horizon the record observes
    rate: float | None = None  # naive: attacks/day
    note: str = ""


def _skill(model: list[float], naive: list[float], kind: str, seed: int) -> dict[str, float | None]:
    """Skill of ``model`` over ``naive`` with a 95% paired bootstrap interval."""
    m, n = np.asarray(model, dtype=float), np.asarray(naive, dtype=float)
    if m.size == 0:
        return {"skill": None, "low": None, "high": None}

    def statistic(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        if kind == "log":
            return np.mean(a, axis=axis) - np.mean(b, axis=axis)
        return 1.0 - np.mean(a, axis=axis) / np.mean(b, axis=axis)

    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(statistic(m, n))
    low = high = None
    if m.size >= 2 and np.ptp(m - n) > 0:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                (m, n),
                statistic,
                paired=True,
                vectorized=True,
                n_resamples=999,
                method="percentile",
                rng=np.random.default_rng(seed),
            )
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        low = low if math.isfinite(low) else None
        high = high if math.isfinite(high) else None
    return {"skill": value if math.isfinite(value) else None, "low": low, "high": high}


@dataclass(frozen=True)
class HeldOut:
    """Scores of one held-out episode."""

    episode: Episode
    fit: dict[str, Any]  # how the posterior on the others was made, and its medians
    blocks: list[tuple[str, str, int]]  # (first date, last date, observed count)
    model: Forecast
    naive: list[Forecast]
    onset_observed: list[int | None]  # per horizon; None: censored
    censored: list[str] = field(default_factory=list)

    @property
    def horizons(self) -> list[int]:
        """The horizons whose onset the record observes (the Brier items)."""
        return [h for h, o in zip(HORIZONS, self.onset_observed, strict=True) if o is not None]

    def skills(self, seed: int = 0) -> dict[str, dict[str, dict[str, float | None]]]:
        out: dict[str, dict[str, dict[str, float | None]]] = {}
        for naive in self.naive:
            out[naive.name] = {
                "crps": _skill(self.model.crps, naive.crps, "ratio", seed),
                "log_score": _skill(self.model.log_score, naive.log_score, "log", seed),
                "brier": _skill(self.model.brier, naive.brier, "ratio", seed),
            }
        return out

    def to_json(self) -> dict[str, Any]:
        horizons = self.horizons

        def forecast(f: Forecast) -> dict[str, Any]:
            return {
                "crps": f.crps,
                "mean_crps": float(np.mean(f.crps)),
                "log_score": f.log_score,
                "mean_log_score": float(np.mean(f.log_score)),
                "brier": dict(zip((f"onset_within_{h}" for h in horizons), f.brier, strict=True)),
                "mean_brier": float(np.mean(f.brier)) if f.brier else None,
                **({"pit": f.pit} if f.pit else {}),
                **({"rate_per_day": f.rate} if f.rate is not None else {}),
                **({"note": f.note} if f.note else {}),
            }

        return {
            "episode": self.episode.name,
            "period": [self.episode.start.isoformat(), self.episode.end.isoformat()],
            "timetable": self.episode.timetable,
            "estimated_on_the_others": self.fit,
            "blocks": [{"first": a, "last": b, "observed": y} for a, b, y in self.blocks],
            "onset_observed": dict(
                zip((f"within_{h}" for h in HORIZONS), self.onset_observed, strict=True)
            ),
            "censored": self.censored,
            "model": forecast(self.model),
            "naive": {f.name: forecast(f) for f in self.naive},
            "skill": self.skills(),
        }


# --- fitting on the others and forecasting the held-out one --------------------------------
def fit_on_others(
    record: Record, held: Episode, base: Scenario, budget: int, seed: int, workers: int = 1
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The posterior on every tallied episode but ``held``: ``estimate``'s rejection ABC in
    pyabc at ``budget`` particles (its SQLite history in a temporary folder)."""
    from .estimate import PRIORS, Simulator, run_abc, weighted_quantiles

    others = Record(record.folder, [e for e in record.episodes if e is not held])
    simulator = Simulator.of(others, base, seed)
    with tempfile.TemporaryDirectory(prefix="drawdown-loeo-") as tmp:
        draws, extra = run_abc(
            simulator,
            simulator.observed(),
            simulator.scales(),
            Path(tmp),
            budget,
            seed,
            resume=False,
            workers=workers,
            priors=PRIORS,
        )
    w = draws["weight"].to_numpy(float)
    summary = {
        "method": f"rejection ABC (pyabc), budget {budget}",
        "episodes": [e.name for e in simulator.episodes],
        "simulations": int(extra["simulations"]),
        "draws": len(draws),
        "posterior_median": {
            key: float(weighted_quantiles(draws[key].to_numpy(float), w, [0.5])[0])
            for key in PRIORS
        },
    }
    return draws, summary


def forecast_paths(
    episode: Episode,
    base: Scenario,
    draws: pd.DataFrame,
    reps: int,
    seed: int,
    overrides: dict[str, float] | None = None,
    days: int | None = None,
) -> tuple[list[np.ndarray], np.ndarray]:
    """``reps`` runs of the held-out episode, one whole posterior draw each (picked with its
    weight): each run's attack times (days from the start, sorted) and the first day on
    campaign (inf: none). The declared postures are not inputs; ``overrides`` replace the
    draw's values (a test breaks the model with them); ``days`` runs past the episode's end
    (with its inputs only) so that an onset horizon beyond it can be forecast."""
    from ..model.simulate import simulate_seed
    from ..model.streams import replication_seeds
    from ..model.world import RunawayReplication
    from .estimate import PARAMETERS, episode_data, episode_scenario, resample

    data = episode_data(base, episode)
    data["militia"]["scheduled"] = []
    if days is not None and days > episode.days:
        data["window"]["end"] = (episode.start + timedelta(days=days - 1)).isoformat()
    picked = resample(draws, reps, seed)
    times: list[np.ndarray] = []
    onset = np.full(reps, np.inf)
    for r, sequence in enumerate(replication_seeds(seed, 0, reps)):
        row = picked.iloc[r]
        values = {k: float(row[k]) for k in PARAMETERS if k in row}
        values.update(overrides or {})
        scenario = episode_scenario(data, episode, values)
        try:
            replication = simulate_seed(scenario, sequence, r)
        except RunawayReplication:
            times.append(np.zeros(RUNAWAY_COUNT))
            onset[r] = 0.0
            continue
        times.append(np.sort(np.fromiter((a.time for a in replication.log.attacks), float)))
        onset[r] = next(
            (t for t, value in replication.log.trajectories.campaign if value >= 1), np.inf
        )
    return times, onset


def _naive(
    name: str,
    attacks: float,
    days: float,
    onsets: int,
    note: str,
    cut: list[tuple[int, int, int]],
    outcomes: list[int],
    horizons: list[int],
) -> Forecast:
    rate = (attacks + 0.5) / days
    onset_rate = (onsets + 0.5) / days
    crps, logs = [], []
    for a, b, y in cut:
        cdf, log_p = _poisson_law(rate * (b - a + 1), y)
        crps.append(crps_counts(cdf, y))
        logs.append(log_p)
    brier = [
        (1.0 - math.exp(-onset_rate * h) - o) ** 2 for h, o in zip(horizons, outcomes, strict=True)
    ]
    return Forecast(name, crps, logs, [], brier, rate, note)


def _recent(others: list[Episode], held: Episode) -> tuple[float, int, int]:
    """(attacks, tallied days, onsets) of the others' tallies in the :data:`NAIVE_DAYS` days
    before ``held``; a tally partly inside counts its attacks in proportion to its days."""
    first, last = held.start - timedelta(days=NAIVE_DAYS), held.start - timedelta(days=1)
    attacks, covered, onsets = 0.0, 0, 0
    for episode in others:
        for count in episode.counts:
            a, b = max(first, count.start), min(last, count.end)
            if a > b:
                continue
            overlap = (b - a).days + 1
            covered += overlap
            attacks += count.attacks * overlap / ((count.end - count.start).days + 1)
        onset = observed_onset(episode)
        if onset is not None and first <= episode.start + timedelta(days=onset[0]) <= last:
            onsets += 1
    return attacks, covered, onsets


def score_episode(
    record: Record,
    held: Episode,
    base: Scenario,
    budget: int = DEFAULT_BUDGET,
    reps: int = 400,
    seed: int = 0,
    draws: pd.DataFrame | None = None,
    overrides: dict[str, float] | None = None,
    workers: int = 1,
) -> HeldOut:
    """Estimate on every episode of ``record`` but ``held``, then score ``held`` (see the
    module). ``draws`` given (a posterior not fitted here) skip the fit: then the score is
    not out of sample, and ``fit`` says so."""
    if draws is None:
        draws, fit = fit_on_others(record, held, base, budget, seed, workers)
    else:
        fit = {"method": "posterior given (not fitted on the others: not out of sample)"}
    others = [e for e in record.episodes if e is not held and e.counts]
    cut = blocks(held)
    outcomes, censored = onset_outcomes(held)
    horizons = [h for h, o in zip(HORIZONS, outcomes, strict=True) if o is not None]
    observed = [o for o in outcomes if o is not None]

    # An onset observed inside the episode is scored at the horizons beyond its end too: the
    # model then runs on to the longest such horizon (never past the cut-off), so that its
    # probability of an onset within it is not cut short.
    beyond = [h for h, o in zip(HORIZONS, outcomes, strict=True) if o == 1 and h > held.days]
    days = min(max(beyond), (CUTOFF - held.start).days) if beyond else None
    times, onset = forecast_paths(held, base, draws, reps, seed + 1000, overrides, days)
    crps, logs, pits = [], [], []
    for a, b, y in cut:
        sample = np.array([np.searchsorted(t, b + 1) - np.searchsorted(t, a) for t in times])
        cdf, log_p = _sample_law(sample, y)
        crps.append(crps_counts(cdf, y))
        logs.append(log_p)
        pits.append(_pit(cdf, y))
    brier = [(float(np.mean(onset < h)) - o) ** 2 for h, o in zip(horizons, observed, strict=True)]
    model = Forecast("model", crps, logs, pits, brier)

    long_attacks = sum(_tallied(e)[0] for e in others)
    long_days = sum(_tallied(e)[1] for e in others)
    long_onsets = sum(observed_onset(e) is not None for e in others)
    long_run = _naive(
        "long-run rate",
        long_attacks,
        long_days,
        long_onsets,
        f"{long_attacks} attacks and {long_onsets} onsets in {long_days} tallied days of the "
        "other episodes",
        cut,
        observed,
        horizons,
    )
    attacks, covered, onsets = _recent(others, held)
    if covered:
        recent = _naive(
            "last 90 days",
            attacks,
            covered,
            onsets,
            f"{attacks:.1f} attacks in the {covered} tallied days of the {NAIVE_DAYS} before "
            "the episode",
            cut,
            observed,
            horizons,
        )
    else:
        recent = _naive(
            "last 90 days",
            long_attacks,
            long_days,
            long_onsets,
            f"the record does not cover the {NAIVE_DAYS} days before the episode: the "
            "long-run rate",
            cut,
            observed,
            horizons,
        )
    dates = [
        (
            (held.start + timedelta(days=a)).isoformat(),
            (held.start + timedelta(days=b)).isoformat(),
            y,
        )
        for a, b, y in cut
    ]
    return HeldOut(held, fit, dates, model, [recent, long_run], outcomes, censored)


def score_all(
    record: Record,
    base: Scenario,
    budget: int = DEFAULT_BUDGET,
    reps: int = 400,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[HeldOut], list[str]]:
    """Leave each tallied episode of ``record`` out in turn; also the episodes not scored,
    with why. ``progress(done, total)`` is called after each held-out episode."""
    results, skipped = [], []
    tallied = [e for e in record.episodes if e.counts]
    total = len(record.episodes)
    for k, episode in enumerate(record.episodes):
        if not episode.counts:
            skipped.append(f"{episode.name}: no tallies in the record")
        elif len(tallied) < 2:
            skipped.append(f"{episode.name}: no other tallied episode to estimate on")
        else:
            results.append(
                score_episode(record, episode, base, budget, reps, seed + k, workers=workers)
            )
        if progress is not None:
            progress(k + 1, total)
    return results, skipped


def _episode_interval(
    model: list[list[float]], naive: list[list[float]], kind: str, seed: int
) -> tuple[float | None, float | None]:
    """95% percentile interval of the pooled skill, resampling whole episodes (their items
    share a fit, so they are not independent): ``model[e]`` and ``naive[e]`` are episode
    ``e``'s items."""
    kept = [e for e, items in enumerate(model) if items]
    if len(kept) < 2:
        return None, None

    def statistic(index: np.ndarray) -> float:
        m = np.concatenate([model[kept[int(i)]] for i in index])
        n = np.concatenate([naive[kept[int(i)]] for i in index])
        if kind == "log":
            return float(np.mean(m) - np.mean(n))
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(1.0 - np.mean(m) / np.mean(n))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.bootstrap(
            (np.arange(len(kept)),),
            statistic,
            vectorized=False,
            n_resamples=999,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return (low if math.isfinite(low) else None), (high if math.isfinite(high) else None)


def pooled_skills(results: list[HeldOut], seed: int = 0) -> dict[str, Any]:
    """Skill over every held-out item of every episode, against each naive forecast: the
    interval over items (``low``, ``high``) and over whole episodes (``episode_low``,
    ``episode_high``; the honest one when an episode's items share its fit)."""
    out: dict[str, Any] = {}
    if not results:
        return out
    names = [f.name for f in results[0].naive]
    for k, name in enumerate(names):

        def per_episode(attribute: str, which: str, k: int = k) -> list[list[float]]:
            return [
                list(getattr(r.model if which == "model" else r.naive[k], attribute))
                for r in results
            ]

        out[name] = {}
        for key, kind in (("crps", "ratio"), ("log_score", "log"), ("brier", "ratio")):
            model, naive = per_episode(key, "model"), per_episode(key, "naive")
            skill = _skill(sum(model, []), sum(naive, []), kind, seed)
            low, high = _episode_interval(model, naive, kind, seed)
            out[name][key] = {**skill, "episode_low": low, "episode_high": high}
    return out
