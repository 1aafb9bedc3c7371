"""Proper scores out of sample: leave one episode of the pre-window record out, estimate on
the others, and score the held-out episode against two naive forecasts.

An :class:`Episode` is a stretch of the record before 2024-09-01 with a scenario that runs
it, the observed file, the posture whose attack rate it informs, and the observed campaign
onset (or none). :data:`EPISODES` lists the shipped ones; a longer record adds entries.

For each held-out episode:

1. **Estimate on the others** by the calibration path: the attack rate of a posture (attacks
   in Iraq per day, the model's background rate then derived from it by the transient mean)
   is the attacks over the days of the other episodes in that posture. A posture that no
   other episode informs keeps the shipped default, and the result says so (``fallbacks``):
   that score is then not out of sample for that parameter.
2. **Forecast** the held-out episode with the model (``reps`` replications) and with two
   naive forecasts: a Poisson process at the rate of the 90 days before the episode (from
   the other episodes' record where it covers them, else the long-run rate, said so), and at
   the long-run rate of the other episodes; rates are (attacks + 0.5) / days, so a quiet
   period does not give a forecast of zero. Their campaign onsets are a Poisson process at
   the same kind of rate of onsets.
3. **Score**, lower is better except the log score:

   - counts over consecutive blocks of about 30 days (from one report date to the first at
     least 30 days later; a last block of 15 days or more kept): the exact CRPS of a count
     distribution, ``sum_k (F(k) - 1{y <= k})^2`` (the model's F is its replications'
     empirical law), the log score ``log p(y)`` (the model's p with add-one smoothing over
     the counts it reached), and the PIT (midpoint of ``[F(y - 1), F(y)]``);
   - the Brier score ``(p - o)^2`` of a campaign onset within 30, 90 and 180 days.

Skill is ``1 - score / naive score`` (CRPS, Brier) and the mean log-score gain in nats
(log score), each with a paired percentile bootstrap interval over the scored items
(``scipy.stats.bootstrap``). With a handful of blocks per episode these intervals are wide;
they say how little one episode can tell. Band coverage is reported by ``backtest`` as a
description only; these scores are the test.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from scipy import stats

from ..scenario import Scenario
from .backtest import read_observations, simulate_paths

BLOCK_DAYS = 30
"""Length of a scored block of counts (days); tallies use the first report at least this far on."""

HORIZONS = (30, 90, 180)
"""Horizons of the campaign-onset Brier score (days)."""

NAIVE_DAYS = 90
"""The 'last 90 days' naive forecast's window (days before the episode)."""


@dataclass(frozen=True)
class Episode:
    """A stretch of the pre-window record, scored as a whole."""

    name: str
    scenario: str  # shipped scenario it starts from
    observed: str  # file in drawdown_sim/reference
    start: date
    end: date  # last day scored
    posture: str  # "campaign" or "restraint": the posture whose attack rate it informs
    onset_day: float | None  # observed campaign onset, days from start (None: none)
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


EPISODES: tuple[Episode, ...] = (
    Episode(
        name="2023 onset",
        scenario="backtest_2023",
        observed="us_attacks_2023_2024.csv",
        start=date(2023, 10, 7),
        end=date(2024, 2, 4),
        posture="campaign",
        onset_day=10.0,  # 2023-10-17, the first attacks after Hamas's attack on Israel
        overrides={
            # From Hamas's attack on Israel, the militias in restraint and free to switch;
            # the US strikes that happened stay inputs. Run 180 days for the onset score.
            "window.start": "2023-10-07",
            "window.end": "2024-04-04",
            "militia.posture": "restraint",
            "militia.switching": True,
            "militia.scheduled": [],
            "shocks.enabled": True,
            "shocks.random.rate_per_year": 0.0,
            "shocks.scheduled": [
                {"date": "2023-10-07", "name": "Hamas attacks Israel", "severity": 3}
            ],
        },
    ),
    Episode(
        name="2024 restraint",
        scenario="backtest_2024",
        observed="events_2023_2025.csv",
        start=date(2024, 2, 5),
        end=date(2024, 8, 31),
        posture="restraint",
        onset_day=None,
    ),
)


@dataclass(frozen=True)
class Record:
    """An episode's observed cumulative attacks in Iraq: known on ``known`` days (days from
    the start, ascending), 0 before day 0."""

    episode: Episode
    known: np.ndarray
    counts: np.ndarray

    def at(self, day: float) -> float:
        """Cumulative attacks through ``day``, linear between known days."""
        if day < 0:
            return 0.0
        return float(
            np.interp(
                day, np.concatenate(([-1.0], self.known)), np.concatenate(([0.0], self.counts))
            )
        )

    @property
    def attacks(self) -> float:
        return self.at(self.episode.days - 1)


def episode_scenario(episode: Episode, values: dict[str, float] | None = None) -> Scenario:
    """The episode's scenario: the shipped one, its overrides, then ``values``."""
    from ..scenario import load_scenario
    from ..scenario.shipped import shipped_scenarios

    base = load_scenario(shipped_scenarios()[episode.scenario])
    return base.with_values({**episode.overrides, **(values or {})})


def read_record(episode: Episode, scenario: Scenario) -> Record:
    """The episode's observations: every day of an event log, the report days of tallies."""
    from ..scenario.shipped import REFERENCE

    path = REFERENCE / episode.observed
    observations = [o for o in read_observations(path, scenario) if o.day <= episode.end]
    last = episode.days - 1
    if observations and observations[-1].source in ("event log", "period end"):
        days = np.arange(last + 1, dtype=float)
        event_days = np.array(
            [(o.day - episode.start).days for o in observations if o.source == "event log"]
        )
        counts = np.searchsorted(np.sort(event_days), days, side="right").astype(float)
        return Record(episode, days, counts)
    known = np.array([(o.day - episode.start).days for o in observations], dtype=float)
    counts = np.array([o.count for o in observations], dtype=float)
    return Record(episode, known, counts)


def blocks(record: Record) -> list[tuple[int, int]]:
    """Scored blocks as (last day before, last day in), days from the start."""
    out: list[tuple[int, int]] = []
    previous = -1
    known = [int(d) for d in record.known]
    while True:
        following = [d for d in known if d >= previous + BLOCK_DAYS]
        if not following:
            break
        out.append((previous, following[0]))
        previous = following[0]
    tail = [d for d in known if d > previous]
    if tail and tail[-1] - previous >= BLOCK_DAYS // 2:
        out.append((previous, tail[-1]))
    return out


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
    brier: list[float]
    rate: float | None = None  # naive: attacks/day
    note: str = ""


def _skill(model: list[float], naive: list[float], kind: str, seed: int) -> dict[str, float | None]:
    """Skill of ``model`` over ``naive`` with a 95% paired bootstrap interval."""
    m, n = np.asarray(model, dtype=float), np.asarray(naive, dtype=float)

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
    values: dict[str, float]
    fallbacks: list[str]
    blocks: list[tuple[str, str, int]]  # (first date, last date, observed count)
    model: Forecast
    naive: list[Forecast]
    onset_observed: list[int]

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
        def forecast(f: Forecast) -> dict[str, Any]:
            return {
                "crps": f.crps,
                "mean_crps": float(np.mean(f.crps)),
                "log_score": f.log_score,
                "mean_log_score": float(np.mean(f.log_score)),
                "brier": dict(zip((f"onset_within_{h}" for h in HORIZONS), f.brier, strict=True)),
                "mean_brier": float(np.mean(f.brier)),
                **({"pit": f.pit} if f.pit else {}),
                **({"rate_per_day": f.rate} if f.rate is not None else {}),
                **({"note": f.note} if f.note else {}),
            }

        return {
            "episode": self.episode.name,
            "period": [self.episode.start.isoformat(), self.episode.end.isoformat()],
            "estimated_on_the_others": self.values,
            "fallbacks": self.fallbacks,
            "blocks": [{"first": a, "last": b, "observed": y} for a, b, y in self.blocks],
            "onset_observed": dict(
                zip((f"within_{h}" for h in HORIZONS), self.onset_observed, strict=True)
            ),
            "model": forecast(self.model),
            "naive": {f.name: forecast(f) for f in self.naive},
            "skill": self.skills(),
        }


def _posture_rate(records: list[Record], posture: str) -> float | None:
    days = sum(r.episode.days for r in records if r.episode.posture == posture)
    attacks = sum(r.attacks for r in records if r.episode.posture == posture)
    return attacks / days if days else None


def _naive(
    name: str,
    attacks: float,
    days: float,
    onsets: int,
    note: str,
    cut: list[tuple[int, int]],
    observed: list[int],
    onset_observed: list[int],
) -> Forecast:
    rate = (attacks + 0.5) / days
    onset_rate = (onsets + 0.5) / days
    crps, logs = [], []
    for (a, b), y in zip(cut, observed, strict=True):
        cdf, log_p = _poisson_law(rate * (b - a), y)
        crps.append(crps_counts(cdf, y))
        logs.append(log_p)
    brier = [
        (1.0 - math.exp(-onset_rate * h) - o) ** 2
        for h, o in zip(HORIZONS, onset_observed, strict=True)
    ]
    return Forecast(name, crps, logs, [], brier, rate, note)


def score_episode(
    held: Episode,
    episodes: tuple[Episode, ...] = EPISODES,
    reps: int = 400,
    seed: int = 0,
    overrides: dict[str, Any] | None = None,
) -> HeldOut:
    """Estimate on every episode but ``held``, then score ``held`` (see the module).

    ``overrides`` are applied to the held-out episode's scenario last (a test uses them to
    break the model on purpose)."""
    others = [e for e in episodes if e is not held]
    records = [read_record(e, episode_scenario(e)) for e in others]
    values: dict[str, float] = {}
    fallbacks: list[str] = []
    for posture in ("campaign", "restraint"):
        rate = _posture_rate(records, posture)
        key = f"militia.{posture}.attack_rate"
        if rate is None:
            fallbacks.append(
                f"{key}: no other episode is in {posture}; the shipped default, which was set "
                f"from the record including {held.name}, is kept"
            )
        else:
            values[key] = max(rate, 1e-4)
    scenario = episode_scenario(held, values).with_values(overrides or {})
    record = read_record(held, scenario)
    cut = blocks(record)
    observed = [int(round(record.at(b) - record.at(a))) for a, b in cut]
    onset_observed = [int(held.onset_day is not None and held.onset_day < h) for h in HORIZONS]

    cumulative, _, onset = simulate_paths(scenario, reps, seed)
    padded = np.concatenate([np.zeros((reps, 1), dtype=np.int64), cumulative], axis=1)
    crps, logs, pits = [], [], []
    for (a, b), y in zip(cut, observed, strict=True):
        sample = padded[:, b + 1] - padded[:, a + 1]
        cdf, log_p = _sample_law(sample, y)
        crps.append(crps_counts(cdf, y))
        logs.append(log_p)
        pits.append(_pit(cdf, y))
    brier = [
        (float(np.mean(onset < h)) - o) ** 2 for h, o in zip(HORIZONS, onset_observed, strict=True)
    ]
    model = Forecast("model", crps, logs, pits, brier)

    long_days = sum(r.episode.days for r in records)
    long_attacks = sum(r.attacks for r in records)
    long_onsets = sum(int(r.episode.onset_day is not None) for r in records)
    long_run = _naive(
        "long-run rate",
        long_attacks,
        long_days,
        long_onsets,
        f"{long_attacks:.0f} attacks and {long_onsets} onsets in {long_days} days of the other "
        "episodes",
        cut,
        observed,
        onset_observed,
    )
    window = (held.start - timedelta(days=NAIVE_DAYS), held.start - timedelta(days=1))
    covered, attacks, onsets = 0, 0.0, 0
    for r in records:
        first = max(window[0], r.episode.start)
        last = min(window[1], r.episode.end)
        if first > last:
            continue
        a = (first - r.episode.start).days - 1
        b = (last - r.episode.start).days
        covered += b - a
        attacks += r.at(b) - r.at(a)
        onsets += int(r.episode.onset_day is not None and a < r.episode.onset_day <= b)
    if covered:
        recent = _naive(
            "last 90 days",
            attacks,
            covered,
            onsets,
            f"{attacks:.0f} attacks in the {covered} days of the record before the episode",
            cut,
            observed,
            onset_observed,
        )
    else:
        recent = _naive(
            "last 90 days",
            long_attacks,
            long_days,
            long_onsets,
            "the record does not cover the 90 days before the episode: the long-run rate",
            cut,
            observed,
            onset_observed,
        )
    dates = [
        (
            (held.start + timedelta(days=a + 1)).isoformat(),
            (held.start + timedelta(days=b)).isoformat(),
            y,
        )
        for (a, b), y in zip(cut, observed, strict=True)
    ]
    return HeldOut(held, values, fallbacks, dates, model, [recent, long_run], onset_observed)


def score_all(
    episodes: tuple[Episode, ...] = EPISODES, reps: int = 400, seed: int = 0
) -> list[HeldOut]:
    """Leave each episode out in turn."""
    return [score_episode(e, episodes, reps, seed + k) for k, e in enumerate(episodes)]


def pooled_skills(results: list[HeldOut], seed: int = 0) -> dict[str, Any]:
    """Skill over every held-out item of every episode, against each naive forecast."""
    out: dict[str, Any] = {}
    names = [f.name for f in results[0].naive]
    for k, name in enumerate(names):

        def gather(attribute: str, which: str, k: int = k) -> list[float]:
            items: list[float] = []
            for r in results:
                forecast = r.model if which == "model" else r.naive[k]
                items.extend(getattr(forecast, attribute))
            return items

        out[name] = {
            "crps": _skill(gather("crps", "model"), gather("crps", "naive"), "ratio", seed),
            "log_score": _skill(
                gather("log_score", "model"), gather("log_score", "naive"), "log", seed
            ),
            "brier": _skill(gather("brier", "model"), gather("brier", "naive"), "ratio", seed),
        }
    return out
