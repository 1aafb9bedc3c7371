"""A posterior over the posture regime and the attack process, by ABC-SMC on the record.

The model itself is run on each episode of the pre-window record
(:mod:`drawdown_sim.calibration.record`):
each episode becomes a scenario (its dates, the posture and escalation level at its start,
its dated shocks, US strikes and declared postures as inputs, drawdown, politics and ISIS
off, no random shocks), simulated once per particle. The summary statistics are the militia
attacks over each tallied interval; the distance between simulated and recorded tallies is
the square-root (variance-stabilised) discrepancy, each term scaled by its Poisson variance
plus the tally's stated relative uncertainty:

    d = sqrt( sum_i (sqrt(x_i) - sqrt(y_i))^2 / (0.25 (1 + u_i^2 y_i)) )

The sampler is pyabc's ABC-SMC (adaptive median epsilon, multivariate normal transitions),
with the baseline's swept ranges as priors where it sweeps a parameter and stated ranges
around the schema's default where it does not (:data:`PRIORS`). pyabc stores every
generation in an SQLite database in the output folder, which is what makes a run resumable.

The timetable state is constant within an episode (the record splits episodes where it
changes), so an episode is simulated with its state's factor in the ``none`` slot and
``drawdown.talks`` off: the campaign propensity is then exactly that factor times the rest.
The escalation factor of level 1 (tense) is fixed at 1: it is the scale against which
``campaign_hazard_per_day`` and the other levels' factors are measured.

Not used: an exact likelihood. The posture regime alone is an input-driven two-state Markov
chain, but the attack counts that observe it come from a self-exciting process coupled to US
strikes (which the model decides), so the counts given the posture path are not independent
Poisson and an HMM forward pass would be a different model; ABC runs the model as it is.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..scenario import Scenario
from ..scenario.schema import set_dotted
from .record import Episode, Record

PriorSpec = tuple[str, tuple[float, ...]]
"""("uniform", (low, high)) or ("triangular", (low, mode, high))."""

PRIORS: dict[str, PriorSpec] = {
    # The kernel: the baseline's sweep (about +-1.96 standard errors of the 2023-24 fit).
    "militia.branching_ratio": ("uniform", (0.05, 0.7)),
    "militia.trigger_days": ("uniform", (0.5, 5.0)),
    # Attack rates per posture (the campaign's: the baseline's sweep; the restraint's: a
    # range around the 2024 value that takes in the busier truces of 2020-21).
    "militia.campaign.attack_rate": ("triangular", (0.45, 0.71, 0.95)),
    "militia.restraint.attack_rate": ("uniform", (0.002, 0.25)),
    # The posture regime.
    "militia.campaign_hazard_per_day": ("uniform", (0.0002, 0.005)),
    "militia.restraint_hazard_per_day": ("uniform", (0.002, 0.04)),
    "militia.shock_hazard.minor": ("uniform", (0.0, 0.006)),
    "militia.shock_hazard.serious": ("uniform", (0.0, 0.015)),
    "militia.shock_hazard.major": ("uniform", (0.004, 0.03)),
    "militia.timetable_factor.none": ("uniform", (1.0, 4.0)),
    "militia.timetable_factor.negotiating": ("uniform", (0.2, 1.0)),
    "militia.timetable_factor.honoured": ("uniform", (0.2, 1.0)),
    "militia.timetable_factor.slipping": ("uniform", (0.8, 3.0)),
    "militia.timetable_factor.complete": ("uniform", (0.5, 2.0)),
    "militia.escalation_factor.calm": ("uniform", (0.25, 1.0)),
    "militia.escalation_factor.crisis": ("uniform", (1.0, 2.5)),
    "militia.escalation_factor.war": ("uniform", (1.0, 3.0)),
}
PARAMETERS = tuple(PRIORS)

OWN_FILES = ("posterior.parquet", "diagnostics.json", "abc.db", "estimate.json")
"""The files ``estimate`` writes (and ``predictive_<episode>.png``); it removes no others."""
PREDICTIVE_PREFIX = "predictive_"

TRANSITION_SCALING = 2.0
"""Multiplier of the proposal kernel's bandwidth (pyabc's Silverman rule by default): in 17
dimensions the default kernel is narrower than the posterior's spread and the importance
weights degenerate (an effective sample of 5 of 375 draws); a wider one keeps them even, at
the cost of a lower acceptance rate."""

IDENTIFIED_BELOW = 0.8
"""A parameter counts as identified when its posterior 90% interval is narrower than this
share of its prior 90% interval."""


class EstimateRefused(ValueError):
    """The output folder holds files ``estimate`` did not write (exit 3 unless --force)."""


# --- priors --------------------------------------------------------------------------------
def prior_ppf(spec: PriorSpec, u: float | np.ndarray) -> Any:
    """Quantile ``u`` of a prior."""
    kind, args = spec
    if kind == "uniform":
        low, high = args
        return low + np.asarray(u) * (high - low)
    from scipy import stats

    low, mode, high = args
    return stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)


def _pyabc_prior(priors: dict[str, PriorSpec]) -> Any:
    import pyabc

    rvs = {}
    for key, (kind, args) in priors.items():
        if kind == "uniform":
            rvs[key] = pyabc.RV("uniform", args[0], args[1] - args[0])
        else:
            low, mode, high = args
            rvs[key] = pyabc.RV("triang", (mode - low) / (high - low), low, high - low)
    return pyabc.Distribution(**rvs)


# --- episodes as scenarios -----------------------------------------------------------------
def episode_data(base: Scenario, episode: Episode) -> dict[str, Any]:
    """The scenario data of ``episode`` (parameters still at ``base``'s values)."""
    data = base.to_data()
    data["name"] = f"record_{episode.name}"
    data["window"] = {"start": episode.start.isoformat(), "end": episode.end.isoformat()}
    data["follow_on"] = None
    data["uncertainties"] = {}
    data["drawdown"].update({"enabled": False, "phases": [], "talks": False})
    data["politics"]["enabled"] = False
    data["isis"]["enabled"] = False
    data["escalation"]["initial"] = episode.initial_level
    data["shocks"]["random"]["rate_per_year"] = 0
    data["shocks"]["scheduled"] = [
        {"date": day.isoformat(), "name": text[:200] or "shock", "severity": severity}
        for day, severity, text in episode.shocks
    ]
    data["retaliation"]["scheduled"] = [
        {"date": day.isoformat(), "name": text[:200] or "strike", "size": size, "iraqi_killed": k}
        for day, size, k, text in episode.strikes
    ]
    data["militia"]["posture"] = episode.initial_posture
    data["militia"]["scheduled"] = [
        {"date": day.isoformat(), "posture": posture, "name": text[:200] or "posture"}
        for day, posture, text in episode.postures
    ]
    return data


def episode_scenario(data: dict[str, Any], episode: Episode, values: dict[str, float]) -> Scenario:
    """``data`` (from :func:`episode_data`) with parameter ``values``; the episode's timetable
    factor goes into the ``none`` slot (the episode runs with no plan and no talks)."""
    trial = json.loads(json.dumps(data))
    for key, value in values.items():
        set_dotted(trial, key, float(value))
    factor = values.get(f"militia.timetable_factor.{episode.timetable}")
    if factor is not None:
        set_dotted(trial, "militia.timetable_factor.none", float(factor))
    return Scenario.model_validate(trial)


def _seed(root: int, values: dict[str, float], episode: int) -> np.random.SeedSequence:
    """A replication seed from the parameter values themselves: the same particle, the same
    run (the model takes ``SeedSequence(root).spawn(...)[r]``)."""
    from ..model.streams import replication_seeds

    packed = struct.pack("<qq", root, episode) + b"".join(
        struct.pack("<d", float(values[k])) for k in sorted(values)
    )
    derived = int.from_bytes(hashlib.sha256(packed).digest()[:8], "little") >> 1
    return replication_seeds(derived, 0, 1)[0]


def tallies(scenario: Scenario, episode: Episode, seed: np.random.SeedSequence) -> np.ndarray:
    """Simulated militia attacks over each of ``episode``'s tallied intervals."""
    from ..model.simulate import simulate_seed
    from ..model.world import RunawayReplication

    try:
        replication = simulate_seed(scenario, seed)
    except RunawayReplication:
        return np.full(len(episode.counts), 1e6)
    times = np.sort(np.fromiter((a.time for a in replication.log.attacks), float))
    edges_lo = np.array([(c.start - episode.start).days for c in episode.counts], float)
    edges_hi = np.array([(c.end - episode.start).days + 1 for c in episode.counts], float)
    return (np.searchsorted(times, edges_hi) - np.searchsorted(times, edges_lo)).astype(float)


@dataclass
class Simulator:
    """The model on every episode of a record: parameter values -> tallies (picklable)."""

    episodes: list[Episode]
    data: list[dict[str, Any]]
    root_seed: int
    counter: Any = None
    """A shared ``multiprocessing.Value`` counting simulations (progress), or None."""

    @classmethod
    def of(cls, record: Record, base: Scenario, root_seed: int) -> Simulator:
        episodes = [e for e in record.episodes if e.counts]
        return cls(episodes, [episode_data(base, e) for e in episodes], root_seed)

    def __call__(self, parameters: Any) -> dict[str, np.ndarray]:
        values = {k: float(parameters[k]) for k in PARAMETERS if k in parameters}
        tallied = self.simulate(values)
        if self.counter is not None:
            with self.counter.get_lock():
                self.counter.value += 1
        return {"tallies": tallied}

    def simulate(self, values: dict[str, float], salt: int = 0) -> np.ndarray:
        """Tallies of every episode, concatenated in record order."""
        parts = []
        for index, (episode, data) in enumerate(zip(self.episodes, self.data, strict=True)):
            scenario = episode_scenario(data, episode, values)
            parts.append(tallies(scenario, episode, _seed(self.root_seed + salt, values, index)))
        return np.concatenate(parts)

    def observed(self) -> np.ndarray:
        return np.array([c.attacks for e in self.episodes for c in e.counts], float)

    def scales(self) -> np.ndarray:
        """Variance of sqrt(count): Poisson's 1/4, widened by the tally's uncertainty."""
        return np.array(
            [0.25 * (1.0 + c.uncertainty**2 * c.attacks) for e in self.episodes for c in e.counts]
        )


@dataclass
class Distance:
    """The scaled square-root distance between simulated and recorded tallies (picklable)."""

    scales: np.ndarray

    def __call__(self, x: dict[str, Any], x0: dict[str, Any]) -> float:
        a = np.sqrt(np.maximum(np.asarray(x["tallies"], float), 0.0))
        b = np.sqrt(np.asarray(x0["tallies"], float))
        return float(np.sqrt(np.sum((a - b) ** 2 / self.scales)))


# --- budget ----------------------------------------------------------------------------------
ACCEPT_SHARE = 0.1
"""Share of prior particles accepted: epsilon is this quantile of a calibration sample's
distances (pyabc's QuantileEpsilon from the sample)."""


def plan(budget: int) -> tuple[int, int]:
    """(accepted particles a batch, batches) for about ``budget`` simulated particles (each
    one run of every episode). A batch costs its particles / :data:`ACCEPT_SHARE`
    simulations (the first, as many again for the calibration sample)."""
    batches = 1 if budget < 500 else 5
    per_batch = max(4, int(budget / (batches / ACCEPT_SHARE + 1)))
    return per_batch, batches


# --- output folder ---------------------------------------------------------------------------
def own(name: str) -> bool:
    """Whether ``name`` is a file ``estimate`` writes."""
    return name in OWN_FILES or (name.startswith(PREDICTIVE_PREFIX) and name.endswith(".png"))


def prepare_folder(out: Path, manifest: dict[str, Any], force: bool) -> bool:
    """Make ``out`` ready; return True to resume the run stored there.

    A folder holding files this command did not write is refused unless ``force``; even then
    only this command's own files are removed. A folder of this command's files from the same
    record, budget and seed is resumed; from another, it is started over."""
    out.mkdir(parents=True, exist_ok=True)
    names = sorted(p.name for p in out.iterdir())
    foreign = [n for n in names if not own(n) and not n.startswith(".")]
    if foreign and not force:
        raise EstimateRefused(
            f"{out} holds files estimate did not write ({', '.join(foreign[:5])}"
            f"{', ...' if len(foreign) > 5 else ''}); choose an empty --out or pass --force "
            "(which removes only estimate's own files)"
        )
    stored = out / "estimate.json"
    if not force and stored.is_file() and (out / "abc.db").is_file():
        try:
            previous = json.loads(stored.read_text())
        except (OSError, ValueError):
            previous = {}
        if {k: previous.get(k) for k in manifest} == manifest:
            return True
    for name in names:
        if own(name):
            (out / name).unlink()
    return False


# --- the run -------------------------------------------------------------------------------
@dataclass
class Estimate:
    """A finished estimate: weighted draws and what they say."""

    draws: pd.DataFrame  # one column per parameter, and "weight"
    diagnostics: dict[str, Any]
    files: list[Path]
    episodes: list[Episode] = field(default_factory=list)
    predictive: np.ndarray | None = None  # posterior predictive tallies: draws x tallies
    out: Path | None = None  # the folder written; its predictive plots are drawn by present


@contextmanager
def _sampler(engine: str, workers: int) -> Iterator[Any]:
    from pyabc.sampler import (
        DaskDistributedSampler,
        MulticoreEvalParallelSampler,
        SingleCoreSampler,
    )

    if engine == "dask":
        from ..runner.engines import DaskEngine

        with DaskEngine(workers=workers) as cluster:
            yield DaskDistributedSampler(dask_client=cluster._client)
        return
    if workers > 1:
        yield MulticoreEvalParallelSampler(n_procs=workers)
        return
    yield SingleCoreSampler()


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: list[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of its weighted CDF, midpoint rule)."""
    order = np.argsort(values)
    v, w = values[order], weights[order] / weights.sum()
    cdf = np.cumsum(w) - 0.5 * w
    return np.interp(qs, cdf, v)


def credible_interval(
    values: np.ndarray, weights: np.ndarray, level: float = 0.9
) -> tuple[float, float]:
    """The central ``level`` interval of a weighted sample, unbiased in its expected content.

    The ``k``-th of ``n`` sorted draws has expected posterior CDF ``k / (n + 1)`` (the Weibull
    plotting position), so the interval interpolates at those positions; with the weights'
    effective size ``n`` (Kish), equal weights give exactly numpy's ``method="weibull"``.
    :func:`weighted_quantiles` (midpoints, ``(k - 1/2) / n``) gives an interval whose
    expected content falls short in a small sample: about 0.87 instead of 0.90 from the 27
    draws of budget 300, and 0.80 from 9 draws (it clamps at the extremes)."""
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    w = w / w.sum()
    n = 1.0 / float(np.sum(w**2))
    position = (np.cumsum(w) - 0.5 * w) * n / (n + 1.0) + 0.5 / (n + 1.0)
    lo, hi = np.interp([(1 - level) / 2, (1 + level) / 2], position, v)
    return float(lo), float(hi)


def unused(episodes: list[Episode], priors: dict[str, PriorSpec]) -> list[str]:
    """Parameters no episode can inform: the timetable factors of states no episode is in."""
    states = {e.timetable for e in episodes}
    prefix = "militia.timetable_factor."
    return [k for k in priors if k.startswith(prefix) and k.removeprefix(prefix) not in states]


def diagnostics_of(
    draws: pd.DataFrame,
    priors: dict[str, PriorSpec],
    extra: dict[str, Any],
    structurally_unidentified: list[str] | None = None,
) -> dict[str, Any]:
    """ESS and, per parameter, the prior's and posterior's 90% intervals and their ratio.

    A parameter is identified when its posterior interval is narrower than
    :data:`IDENTIFIED_BELOW` of its prior's, unless no episode can inform it (its posterior
    is then its prior, and any narrowing is sampling noise)."""
    structurally_unidentified = structurally_unidentified or []
    w = draws["weight"].to_numpy(float)
    w = w / w.sum()
    ess = float(1.0 / np.sum(w**2))
    table = {}
    for key, spec in priors.items():
        lo, hi = (float(x) for x in prior_ppf(spec, np.array([0.05, 0.95])))
        q = weighted_quantiles(draws[key].to_numpy(float), w, [0.05, 0.5, 0.95])
        ratio = float((q[2] - q[0]) / (hi - lo)) if hi > lo else 1.0
        table[key] = {
            "prior_90": [lo, hi],
            "posterior_median": float(q[1]),
            "posterior_90": [float(q[0]), float(q[2])],
            "width_ratio": ratio,
            "identified": ratio < IDENTIFIED_BELOW and key not in structurally_unidentified,
            "in_no_episode": key in structurally_unidentified,
        }
    return {
        **extra,
        "draws": len(draws),
        "ess": ess,
        "identified_below": IDENTIFIED_BELOW,
        "parameters": table,
        "not_identified": [k for k, v in table.items() if not v["identified"]],
    }


@contextmanager
def _polling(
    simulator: Simulator,
    done: int,
    budget: int,
    progress: Callable[[int, int], None] | None,
    local: bool = True,
) -> Iterator[None]:
    """Report the simulations counted so far every half second while the sampler runs (the
    counter is shared with forked workers; a dask cluster's are not counted)."""
    if progress is None or not local:
        yield
        return
    import multiprocessing
    import threading

    simulator.counter = multiprocessing.get_context("fork").Value("q", done)
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.5):
            progress(min(int(simulator.counter.value), budget), budget)

    progress(done, budget)
    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        simulator.counter = None


def run_abc(
    simulator: Simulator,
    observed: np.ndarray,
    scales: np.ndarray,
    out: Path,
    budget: int,
    seed: int,
    resume: bool,
    engine: str = "local",
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    priors: dict[str, PriorSpec] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run (or resume) ABC-SMC until ``budget`` simulations; the last generation's draws."""
    import logging

    import pyabc

    for name in ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "Data_plot", "History"):
        logging.getLogger(f"ABC.{name}").setLevel(logging.WARNING)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    priors = priors or PRIORS
    population, batches = plan(budget)
    db = "sqlite:///" + str((out / "abc.db").resolve())
    frames: list[pd.DataFrame] = []
    epsilon = math.inf
    simulations = 0
    done_batches = 0
    if resume:  # the batches that finished; an interrupted one is run again
        stored = pyabc.History(db)
        for run in stored.all_runs():
            history = pyabc.History(db, _id=run.id)
            if history.max_t < 0 or history.n_populations < 1:
                continue
            frame, _ = history.get_distribution(m=0, t=0)
            frames.append(frame)
            simulations += int(history.total_nr_simulations)
            if done_batches == 0:
                epsilon = float(history.get_all_populations()["epsilon"].iloc[-1])
            done_batches += 1
    with _sampler(engine, workers) as sampler:
        for batch in range(done_batches, batches):
            # pyabc draws particles from numpy's global generator: seeded per batch, a run
            # (and a resumed one) is reproducible.
            np.random.seed((seed + batch) % 2**32)  # noqa: NPY002
            first = batch == 0
            abc = pyabc.ABCSMC(
                models=simulator,
                parameter_priors=_pyabc_prior(priors),
                distance_function=Distance(scales),
                population_size=population,
                sampler=sampler,
                eps=pyabc.QuantileEpsilon(alpha=ACCEPT_SHARE)
                if first
                else pyabc.ListEpsilon([epsilon]),
            )
            abc.new(db, {"tallies": observed})
            with _polling(simulator, simulations, budget, progress, engine == "local"):
                history = abc.run(max_nr_populations=1)
            frame, _ = history.get_distribution(m=0, t=0)
            frames.append(frame)
            simulations += int(history.total_nr_simulations)
            if first:
                epsilon = float(history.get_all_populations()["epsilon"].iloc[-1])
    if progress is not None:
        progress(budget, budget)
    frame = pd.concat(frames, ignore_index=True)
    weights = np.ones(len(frame))
    draws = frame.reset_index(drop=True)[list(priors)].astype(float)
    draws.columns = pd.Index(list(priors))
    draws["weight"] = np.asarray(weights, float) / float(np.sum(weights))
    extra = {
        "method": f"rejection ABC in pyabc: particles from the prior accepted when their "
        f"distance is below the {ACCEPT_SHARE:.0%} quantile of a calibration sample's, in "
        f"{batches} batch(es) at that one epsilon (equal weights)",
        "population_size": population,
        "batches": batches,
        "generations": 1,
        "simulations": simulations,
        "epsilon": [epsilon],
    }
    return draws, extra


def resample(draws: pd.DataFrame, count: int, seed: int) -> pd.DataFrame:
    """``count`` whole draws, picked with probability their weight (correlations kept)."""
    rng = np.random.default_rng(seed)
    w = draws["weight"].to_numpy(float)
    rows = rng.choice(len(draws), size=count, replace=True, p=w / w.sum())
    return draws.iloc[rows].reset_index(drop=True)


def predictive(simulator: Simulator, draws: pd.DataFrame, count: int, seed: int) -> np.ndarray:
    """Posterior predictive tallies: ``count`` x tallies, one row per resampled draw."""
    picked = resample(draws, count, seed)
    rows = []
    for index, row in picked.iterrows():
        values = {k: float(row[k]) for k in PARAMETERS if k in row}
        rows.append(simulator.simulate(values, salt=1 + int(index)))  # type: ignore[call-overload]
    return np.array(rows)


def coverage(sims: np.ndarray, observed: np.ndarray) -> dict[str, float]:
    """Share of tallies inside the predictive 50% and 90% intervals, and mean PIT."""
    lo50, hi50 = np.quantile(sims, [0.25, 0.75], axis=0)
    lo90, hi90 = np.quantile(sims, [0.05, 0.95], axis=0)
    return {
        "inside_50": float(np.mean((observed >= lo50) & (observed <= hi50))),
        "inside_90": float(np.mean((observed >= lo90) & (observed <= hi90))),
    }


def estimate(
    record: Record,
    base: Scenario,
    out: Path,
    budget: int,
    seed: int = 20240906,
    force: bool = False,
    engine: str = "local",
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    predictive_draws: int | None = None,
    priors: dict[str, PriorSpec] | None = None,
) -> Estimate:
    """Estimate the posterior on ``record`` and write it to ``out`` (see the module doc)."""
    priors = priors or PRIORS
    manifest = {
        "record": record.digest,
        "base": base.digest,
        "budget": budget,
        "seed": seed,
        "priors": {k: [v[0], list(v[1])] for k, v in priors.items()},
    }
    resume = prepare_folder(out, manifest, force)
    (out / "estimate.json").write_text(json.dumps(manifest, indent=2) + "\n")
    simulator = Simulator.of(record, base, seed)
    observed = simulator.observed()
    draws, extra = run_abc(
        simulator,
        observed,
        simulator.scales(),
        out,
        budget,
        seed,
        resume,
        engine,
        workers,
        progress,
        priors,
    )
    if predictive_draws is None:  # about 5% of the budget, 20 to 200 draws
        predictive_draws = int(min(200, max(20, budget // 20)))
    sims = predictive(simulator, draws, predictive_draws, seed + 1)
    extra["predictive_draws"] = predictive_draws
    extra["resumed"] = resume
    extra["predictive"] = coverage(sims, observed)
    extra["record"] = str(record.folder.name)
    extra["record_digest"] = record.digest
    extra["episodes"] = [e.name for e in simulator.episodes]
    diagnostics = diagnostics_of(draws, priors, extra, unused(simulator.episodes, priors))
    draws.to_parquet(out / "posterior.parquet", index=False)
    (out / "diagnostics.json").write_text(json.dumps(diagnostics, indent=2) + "\n")
    files = [out / "posterior.parquet", out / "diagnostics.json"]
    # The predictive plots are presentation's to draw (present.plots.estimate_plots).
    return Estimate(draws, diagnostics, files, list(simulator.episodes), sims, out)


def width_table(diagnostics: dict[str, Any]) -> list[dict[str, Any]]:
    """The identification table: one row per parameter."""
    rows = []
    for key, v in diagnostics["parameters"].items():
        rows.append(
            {
                "parameter": key,
                "prior_90": v["prior_90"],
                "posterior_median": v["posterior_median"],
                "posterior_90": v["posterior_90"],
                "width_ratio": v["width_ratio"],
                "identified": v["identified"],
            }
        )
    return rows


def finite(value: float) -> bool:
    return math.isfinite(value)


def synthetic(record: Record, base: Scenario, truth: dict[str, float], seed: int) -> Record:
    """``record`` with its tallies replaced by the model's at ``truth`` (uncertainty 0): the
    data of a recovery test, on the record's own design."""
    import copy

    from .record import Count

    simulator = Simulator.of(record, base, seed)
    counts = simulator.simulate(truth)
    episodes = []
    at = 0
    for episode in simulator.episodes:
        made = copy.copy(episode)
        made.counts = [
            Count(c.start, c.end, int(counts[at + i]), 0.0) for i, c in enumerate(episode.counts)
        ]
        at += len(episode.counts)
        episodes.append(made)
    return Record(record.folder, episodes)
