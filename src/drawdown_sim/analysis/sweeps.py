"""Robustness under deep uncertainty: every option in every sampled state of the world.

For each state (a Latin-hypercube sample of the scenario's ``uncertainties``) every option
is replicated with the same seeds (common random numbers). Per option the report gives the
mean of each judged outcome across states, its regret against the best option in each state
(mean and 90th percentile), and the satisficing fraction: the share of states in which all
thresholds hold.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from ..model import OUTCOME_SPECS, OUTCOMES
from ..runner.chunks import ChunkTask
from ..runner.engines import Engine, engine_in_use
from ..runner.files import atomic_write_bytes, read_csv, read_parquet
from ..runner.manifest import (
    Failure,
    ManifestError,
    SweepManifest,
    environment,
    read_manifest,
    write_manifest,
)
from ..runner.protocol import RunSpec, finish, prepare, stream, verified_chunks
from ..runner.store import RunDirectory, atomic_write_table
from ..scenario import Scenario
from ..scenario.outcomes import not_applicable
from ..scenario.study import BOTH_SUFFIX, Study, state_values
from .comparison import BOOTSTRAP_RESAMPLES, _bootstrap_mean_intervals
from .completion import wilson
from .run import results_dir

SweepProgress = Callable[[int, int], None]

MIN_SENSITIVITY_STATES = 10
"""States below which sensitivity indices are not estimated (left NaN)."""


@dataclass
class Sweep:
    """A finished sweep: one row per state x option, and the robustness report."""

    frame: pd.DataFrame
    regret: pd.DataFrame
    satisficing: pd.DataFrame
    sensitivity: pd.DataFrame
    study: Study
    parameters: list[str]
    path: Path | None = None
    manifest: SweepManifest | None = None
    pareto: pd.DataFrame | None = None
    weighted: pd.DataFrame | None = None
    flips: pd.DataFrame | None = None
    value_of_information: pd.DataFrame | None = None
    differences: pd.DataFrame | None = None

    @classmethod
    def load(cls, path: str | Path) -> Sweep:
        """Open a finished sweep directory.

        Raises:
            ManifestError: not a finished sweep (one line saying why).
        """
        return load_sweep(path)[0]

    def summary(self) -> pd.DataFrame:
        """Per option and judged outcome: mean, regret and the share of states where it is
        best, each with its 95% interval over the states (the regret table)."""
        return self.regret

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the sweep, by name: the states' outcomes, regret, satisficing,
        sensitivity and the decision tables that were computed."""
        named = {
            "states": self.frame,
            "regret": self.regret,
            "satisficing": self.satisficing,
            "sensitivity": self.sensitivity,
            "pareto": self.pareto,
            "weighted": self.weighted,
            "flips": self.flips,
            "value_of_information": self.value_of_information,
            "differences": self.differences,
        }
        return {name: table for name, table in named.items() if table is not None}

    @property
    def options(self) -> list[str]:
        return list(dict.fromkeys(self.frame["option"]))

    @property
    def states_run(self) -> int:
        """States of the world that were run: ``study.states`` for a Latin hypercube,
        N x (parameters + 2) for Sobol's design (``study.states`` is then N)."""
        if "state" in self.frame:
            return int(self.frame["state"].nunique())
        from ..scenario.bounds import study_states

        return study_states(self.study, len(self.parameters))

    @property
    def states_text(self) -> str:
        """The states run, as a phrase: "60 states" or, for Sobol's design, "60 states
        (Sobol base sample N = 4 x (13 parameters + 2))"."""
        run = self.states_run
        if self.study.method != "sobol":
            return f"{run:,} states"
        designed = run // self.study.states - 2  # the ranges the design samples
        return (
            f"{run:,} states (Sobol base sample N = {self.study.states:,} x "
            f"({designed} parameters + 2))"
        )

    def __repr__(self) -> str:
        from .display import sweep_repr

        return sweep_repr(self)

    def _repr_html_(self) -> str:
        """What a notebook shows (see :mod:`drawdown_sim.analysis.display`)."""
        from .display import sweep_html

        return sweep_html(self)


def load_sweep(path: str | Path) -> tuple[Sweep, list[Scenario]]:
    """A finished sweep directory and its options' scenarios (for reports).

    Raises:
        ManifestError: not a finished sweep (one line saying why).
    """
    root = Path(path)
    manifest = read_manifest(root)
    if not isinstance(manifest, SweepManifest):
        raise ManifestError(f"{root} holds a {manifest.kind}, not a sweep")
    study = Study.model_validate(manifest.study)
    frame = judged_columns(read_parquet(root / "sweep.parquet"))
    options = [Scenario.model_validate(d) for d in manifest.option_scenarios]
    regret, satisficing = read_csv(root / "regret.csv"), read_csv(root / "satisficing.csv")
    if not set(regret) >= _REGRET_INTERVALS or "satisficing_lo" not in satisficing:
        # Written before the tables had intervals: both follow from the states' outcomes.
        regret, satisficing = regret_table(frame, study), satisficing_table(frame, study)
    result = Sweep(
        frame,
        regret,
        satisficing,
        read_csv(root / "sensitivity.csv"),
        study,
        list(manifest.parameters),
        root,
        manifest,
    )
    decided = {
        name: read_csv(root / f"{name}.csv")
        for name in DECISION_TABLES
        if (root / f"{name}.csv").is_file()
    }
    if "pareto" in decided and "flips" in decided and "value_of_information" in decided:
        result.pareto = decided["pareto"]
        result.weighted = decided.get("weighted") if study.weights else None
        result.flips = decided["flips"]
        result.value_of_information = decided["value_of_information"]
        result.differences = decided.get("pareto_differences")
    else:  # written before the decision tables: they follow from the states' outcomes
        decide(result)
    return result, options


def sweep_table(frame: pd.DataFrame, study: Study, options: list[Scenario]) -> pa.Table:
    """The table of ``sweep.parquet``: ``frame`` with each column's unit and description
    (field metadata) and the sweep's provenance (schema metadata)."""
    from ..runner.provenance import provenance, with_provenance, with_units

    units = {
        "state": ("", "State index: one draw of the uncertain parameters"),
        "option": ("", "Option (scenario name)"),
        "replications": ("replications", "Replications that finished in this state"),
    }
    for name in OUTCOMES:
        spec = OUTCOME_SPECS[name]
        units[name] = (spec.unit, f"Mean over the state's replications: {spec.description}")
    for name in frame.columns:
        units.setdefault(name, ("", f"Uncertain parameter {name}: its value in this state"))
    table = with_units(pa.Table.from_pandas(frame, preserve_index=False), units)
    return with_provenance(
        table,
        provenance(
            "sweep",
            name=study.name,
            scenario_digest=[o.digest for o in options],
            seed=study.seed,
            replications=study.replications,
        ),
    )


DECISION_TABLES = (
    "pareto",
    "pareto_differences",
    "weighted",
    "flips",
    "value_of_information",
)
"""The decision's tables, each written as ``<name>.csv`` beside the sweep
(``weighted.csv`` only when the study gives weights)."""


def judged_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``<outcome>_both`` for every outcome with a follow-on column: the two
    periods' means summed (null where the follow-on is: not applicable)."""
    added = {
        f"{name.removesuffix('_follow_on')}{BOTH_SUFFIX}": frame[name.removesuffix("_follow_on")]
        + frame[name]
        for name in OUTCOMES
        if name.endswith("_follow_on")
        and name in frame
        and name.removesuffix("_follow_on") in frame
    }
    missing = {k: v for k, v in added.items() if k not in frame}
    return frame.assign(**missing) if missing else frame


def _parameters_by_state(frame: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    """Each state's parameter values, states in the order of :func:`_by_state`'s rows."""
    return frame.groupby("state", sort=True)[parameters].first().reset_index(drop=True)


def decide(result: Sweep) -> None:
    """Fill in the sweep's decision tables (see :mod:`drawdown_sim.analysis.decision`): the
    Pareto set
    over the study's judged columns, the weighted score and regret (with weights), what flips
    the ranking, and the value of information."""
    from . import decision

    study, frame = result.study, result.frame
    columns = [o.column for o in study.judged]
    samples = {c: _by_state(frame, c).reset_index(drop=True) for c in columns}
    better = {c: study.direction_of(c) for c in columns}
    pareto = decision.pareto_set(samples, better, study.seed)
    x = _parameters_by_state(frame, result.parameters)
    if study.weights:
        loss = decision.losses(samples, study.weights, better)
        weighted = decision.weighted_table(loss, study.seed)
        ranking = list(weighted["option"])
        losses_by = {"weighted score": loss}
    else:
        weighted = None
        first = columns[0]
        sign = 1.0 if better[first] == "lower" else -1.0
        ranking = list((samples[first] * sign).mean().sort_values(kind="stable").index)
        losses_by = {c: samples[c] * (1.0 if better[c] == "lower" else -1.0) for c in columns}
    pairs = decision.flip_pairs(pareto, ranking)
    try:
        flips = decision.flips_table(x, losses_by, pairs)
    except ImportError:  # PRIM is EMA Workbench's, an optional extra
        flips = pd.DataFrame(columns=decision.FLIP_COLUMNS)
    result.pareto = pareto.table
    result.differences = pareto.differences
    result.weighted = weighted
    result.flips = flips
    result.value_of_information = decision.value_of_information(x, losses_by, study.seed)


def _state_scenario(option: Scenario, values: dict[str, Any]) -> Scenario:
    # A state is one point: its scenario needs no uncertainties (nor their slow checks).
    data = option.to_data()
    data["uncertainties"] = {}
    return Scenario.model_validate(data).with_values(values)


@dataclass(frozen=True)
class StateSpec(RunSpec):
    """A sweep's run of one option in one state: its scenario is built from the option's
    (``scenario``, shared by all the option's states) and the state's ``values`` only when a
    chunk of it is sent to a worker, not held for every state while the sweep runs. (Held,
    10,000 states cost 1.5 GB and half a minute of validation before the first replication.)

    Its identity names the option's digest and the state's values: the same state of the
    same option is the same run, as a resumed sweep needs."""

    values: tuple[tuple[str, Any], ...] = ()
    option_digest: str = ""
    state_digest: str = ""  # SHA-256 of the state's values (JSON), once per state

    def identity(self) -> dict[str, Any]:
        text = f"{self.option_digest}:{self.state_digest}"
        return {
            "scenario_hash": hashlib.sha256(text.encode()).hexdigest(),
            "seed": self.seed,
            "replications": self.replications,
            "chunk_size": self.chunk_size,
            "trace": self.trace,
            "series": self.series,
        }

    def state_scenario(self) -> Scenario:
        return _state_scenario(self.scenario, dict(self.values))

    def task(self, cell: int, index: int) -> ChunkTask:
        # A state that runs away is a state's result (NaN means), not a reason to stop.
        return replace(super().task(cell, index), scenario=self.state_scenario(), fail_fast=False)


RESAMPLES = BOOTSTRAP_RESAMPLES
"""Bootstrap resamples of the states behind every interval of a sweep's tables."""


def _state_bootstrap(values: NDArray[np.float64], seed: int) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean of per-state ``values`` over the
    states, by the comparison's paired bootstrap; a state whose replications all failed
    (NaN) is left out. Every call draws its resamples from a generator of ``seed`` anew, so
    the intervals of a study's options (the same states) are paired and do not depend on
    the order in which they are computed."""
    kept = values[~np.isnan(values)]
    if kept.size < 2:
        return math.nan, math.nan
    ((low, high),) = _bootstrap_mean_intervals(kept[:, None], np.random.default_rng(seed))
    return low, high


def _regrets(table: pd.DataFrame, better: str) -> pd.DataFrame:
    """Regret per state (rows) and option (columns) of an outcome's states x options table:
    how much worse than the best option of the same state, 0 for the best (``better``: which
    way is better, ``lower`` or ``higher``)."""
    if better == "lower":
        return table.sub(table.min(axis=1), axis=0)
    return -table.sub(table.max(axis=1), axis=0)


def _by_state(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """An outcome's states x options table, options in the study's order."""
    table = frame.pivot(index="state", columns="option", values=outcome)
    return table[list(dict.fromkeys(frame["option"]))]


_REGRET_INTERVALS = {"mean_lo", "mean_hi", "regret_lo", "regret_hi", "best_in_lo", "best_in_hi"}
"""The regret table's interval columns; a file written without one of them is recomputed."""


def regret_table(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Per option and judged outcome: the mean across states and the regret mean, each with
    its 95% bootstrap interval over the states (``mean_lo``/``mean_hi``,
    ``regret_lo``/``regret_hi``), the regret's 90th percentile, and the share of states where
    the option is best (ties count for every tied option) with its 95% Wilson interval
    (``best_in_lo``, ``best_in_hi``). A state whose replications all failed counts in none."""
    rows = []
    for outcome in study.outcomes:
        table = _by_state(frame, outcome)
        regret = _regrets(table, study.direction_of(outcome))
        for option in regret.columns:
            values = table[option].to_numpy(dtype=float)
            regrets = regret[option].to_numpy(dtype=float)
            mean_lo, mean_hi = _state_bootstrap(values, study.seed)
            regret_lo, regret_hi = _state_bootstrap(regrets, study.seed)
            judged = regrets[~np.isnan(regrets)]
            best = int((judged == 0).sum())
            best_lo, best_hi = wilson(best, judged.size)
            rows.append(
                {
                    "option": option,
                    "outcome": outcome,
                    "mean": table[option].mean(),
                    "mean_lo": mean_lo,
                    "mean_hi": mean_hi,
                    "regret_mean": regret[option].mean(),
                    "regret_lo": regret_lo,
                    "regret_hi": regret_hi,
                    "regret_p90": regret[option].quantile(0.9),
                    "best_in_states": best / judged.size if judged.size else math.nan,
                    "best_in_lo": best_lo,
                    "best_in_hi": best_hi,
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Gap:
    """A difference between two options over the same states, with its 95% interval."""

    first: str
    second: str
    difference: float
    low: float
    high: float

    @property
    def distinguishable(self) -> bool:
        """Whether the interval excludes zero."""
        return bool(self.low > 0.0 or self.high < 0.0)


def regret_gap(frame: pd.DataFrame, study: Study, outcome: str, first: str, second: str) -> Gap:
    """Mean regret of ``first`` less that of ``second`` on ``outcome``, paired over the states
    (the best option of each state cancels: it is their outcomes' difference)."""
    regret = _regrets(_by_state(frame, outcome), study.direction_of(outcome))
    paired = (regret[first] - regret[second]).to_numpy(dtype=float)
    low, high = _state_bootstrap(paired, study.seed)
    return Gap(first, second, float(np.nanmean(paired)), low, high)


def _satisfices(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Whether each option meets every threshold in each state (states x options)."""
    ok = np.ones(len(frame), dtype=bool)
    for outcome, threshold in study.thresholds.items():
        ok &= frame[outcome].map(threshold.holds).to_numpy(dtype=bool)
    table = frame.assign(satisfices=ok).pivot(index="state", columns="option", values="satisfices")
    return table[list(dict.fromkeys(frame["option"]))]


def satisficing_table(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Per option: the share of states where every threshold holds, with its 95% Wilson
    interval (``satisficing_lo``, ``satisficing_hi``)."""
    from .completion import proportion

    table = _satisfices(frame, study)
    rows = []
    for option in table.columns:
        met = table[option].to_numpy(dtype=bool)
        share = proportion(int(met.sum()), int(met.size))
        rows.append(
            {
                "option": option,
                "satisficing_fraction": share.value,
                "satisficing_lo": share.low,
                "satisficing_hi": share.high,
            }
        )
    return pd.DataFrame(rows)


def satisficing_gap(frame: pd.DataFrame, study: Study, first: str, second: str) -> Gap:
    """The share of states where ``first`` meets every threshold less that of ``second``,
    paired over the states."""
    table = _satisfices(frame, study)
    paired = table[first].to_numpy(dtype=float) - table[second].to_numpy(dtype=float)
    low, high = _state_bootstrap(paired, study.seed)
    return Gap(first, second, float(paired.mean()), low, high)


def sensitivity_table(
    frame: pd.DataFrame, study: Study, options: list[Scenario], parameters: list[str]
) -> pd.DataFrame:
    """Sensitivity of each judged outcome to each uncertain parameter, per option.

    ``rbd_fast`` (default): first-order RBD-FAST indices from the Latin-hypercube states, a
    cheap screen; with a few dozen states they rank parameters rather than apportion variance.
    ``sobol``: Sobol first-order (S1) and total (ST) indices from Saltelli's design, with
    bootstrap confidence half-widths. Columns ``S1``, ``S1_conf`` (and ``ST``, ``ST_conf``
    for sobol); NaN where an index cannot be estimated (for sobol also an estimate above 1
    or without an interval: see :func:`_share`). ``attrs["method"]`` names the method.
    """
    from SALib.analyze import rbd_fast, sobol

    unit = {
        "num_vars": len(parameters),
        "names": parameters,
        "bounds": [[0.0, 1.0]] * len(parameters),
    }
    uncertainties = options[0].ranges
    problem = {
        "num_vars": len(parameters),
        "names": parameters,
        "bounds": [
            uncertainties[p].support[:: max(1, len(uncertainties[p].support) - 1)]
            if p in uncertainties
            else [float(frame[p].min()), float(frame[p].max())]  # whole posterior draws
            for p in parameters
        ],
    }
    harmonics = max(1, min(10, (study.states - 1) // 4))
    rows = []
    for option, cell in frame.groupby("option", sort=False):
        cell = cell.sort_values("state")
        x = cell[parameters].to_numpy(dtype=float)
        for outcome in study.outcomes:
            y = cell[outcome].to_numpy(dtype=float)
            nan: Any = [np.nan] * len(parameters)
            s1, conf, st, st_conf = nan, nan, nan, nan
            estimable = np.all(np.isfinite(y)) and y.std() > 0
            if study.method == "sobol" and estimable:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    result = sobol.analyze(unit, y, calc_second_order=False, seed=study.seed)
                s1, conf = _share(result["S1"], result["S1_conf"])
                st, st_conf = _share(result["ST"], result["ST_conf"])
            elif study.states >= MIN_SENSITIVITY_STATES and estimable:
                # Too few states, or an outcome that does not vary, has no meaningful index.
                with warnings.catch_warnings():
                    # A harmonic with no variance gives 0/0: an index that is not estimable,
                    # reported as such below rather than as a warning on the terminal.
                    warnings.simplefilter("ignore", RuntimeWarning)
                    result = rbd_fast.analyze(problem, x, y, M=harmonics, seed=study.seed)
                s1, conf = result["S1"], result["S1_conf"]
            for name, a, b, c, d in zip(parameters, s1, conf, st, st_conf, strict=True):
                row = {
                    "option": option,
                    "outcome": outcome,
                    "parameter": name,
                    "S1": float(a),
                    "S1_conf": float(b),
                }
                if study.method == "sobol":
                    row.update(ST=float(c), ST_conf=float(d))
                rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["method"] = (
        "Sobol first-order (S1) and total (ST)"
        if study.method == "sobol"
        else "RBD-FAST first-order"
    )
    return table


def _share(
    index: NDArray[np.float64], conf: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sobol indices (and their half-widths) that are shares of variance, NaN elsewhere.

    An index is a share of the outcome's variance, at most 1. Saltelli's estimators are not
    bounded: with few states an estimate above 1, or one whose bootstrap interval cannot be
    computed, is noise, not a share, and is reported as not estimable rather than with an
    interval as if it were one."""
    index, conf = np.asarray(index, dtype=float), np.asarray(conf, dtype=float)
    valid = np.isfinite(index) & np.isfinite(conf) & (index <= 1.0)
    return np.where(valid, index, np.nan), np.where(valid, conf, np.nan)


def rank_correlations(frame: pd.DataFrame, parameters: list[str], outcome: str) -> pd.DataFrame:
    """Spearman's rank correlation of each uncertain parameter with ``outcome`` over the
    sweep's states, strongest first, each with its 95% interval.

    The outcome is averaged over the options of each state first: the options of a state
    share its parameter values, so their rows are not independent observations. The
    interval is Fisher's z with the standard error ``sqrt(1.06 / (n - 3))`` of Fieller,
    Hartley and Pearson (1957) for Spearman's rho, ``n`` the number of states. A parameter
    or outcome that does not vary over the states has no correlation and is left out.
    Columns ``parameter``, ``rho``, ``low``, ``high``, ``states``.
    """
    from scipy import stats

    from .completion import Z95

    by_state = frame.groupby("state", sort=True)
    y = by_state[outcome].mean().to_numpy(dtype=float)
    n = y.size
    rows = []
    if n > 3 and np.all(np.isfinite(y)) and np.ptp(y) > 0:
        half = Z95 * np.sqrt(1.06 / (n - 3))
        for parameter in parameters:
            x = by_state[parameter].first().to_numpy(dtype=float)
            if np.ptp(x) == 0:
                continue
            rho = float(stats.spearmanr(x, y).statistic)
            z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
            rows.append(
                {
                    "parameter": parameter,
                    "rho": rho,
                    "low": float(np.tanh(z - half)),
                    "high": float(np.tanh(z + half)),
                    "states": n,
                }
            )
    table = pd.DataFrame(rows, columns=["parameter", "rho", "low", "high", "states"])
    order = np.argsort(-table["rho"].abs().to_numpy(), kind="stable")
    return table.iloc[order].reset_index(drop=True)


def plan_states(
    study: Study, options: list[Scenario]
) -> tuple[list[dict[str, Any]], list[tuple[int, int]], list[StateSpec]]:
    """A sweep's states (parameter values), its cells (state, option) and their runs, in
    the order they are computed. Memory:
    :data:`~drawdown_sim.scenario.bounds.STATE_BYTES` per cell."""
    states = state_values(study, options[0])
    digests = [option.digest for option in options]
    cells = [(s, o) for s in range(len(states)) for o in range(len(options))]
    values = [tuple(state.items()) for state in states]  # one per state, shared by its options
    hashes = [hashlib.sha256(json.dumps(v).encode()).hexdigest() for v in values]
    specs = [
        StateSpec(
            options[o],
            study.seed,
            study.replications,
            series=False,
            values=values[s],
            option_digest=digests[o],
            state_digest=hashes[s],
        )
        for s, o in cells
    ]
    return states, cells, specs


def sweep(
    study: Study,
    options: list[Scenario],
    *,
    workers: int | None = None,
    engine: str | Engine = "local",
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    progress: SweepProgress | None = None,
) -> Sweep:
    """Run every option in every state; write ``sweep.parquet``, the tables and, last,
    ``manifest.json``. Plots are the caller's to draw.

    Each state x option is one run (a :class:`RunSpec` of outcomes only) of the one run
    protocol: chunks stream to ``out/.partial/`` as they finish, and ``resume=True`` skips
    the chunks an interrupted sweep already finished (with identical results, as every chunk
    is seeded).

    Raises:
        RunRefused: ``out`` holds another study's results or an interrupted sweep (without
            ``resume`` or ``force``), or another process is writing to it.
    """
    from ..scenario.study import check_study

    check_study(study, options)  # before any folder is touched
    directory = RunDirectory(
        Path(out) if out is not None else results_dir(study.name), kind="sweep"
    )
    config = {
        "study": study.model_dump(mode="json"),
        "options": [o.digest for o in options],
        "scenario_hash": hashlib.sha256(
            json.dumps([study.model_dump(mode="json"), [o.digest for o in options]]).encode()
        ).hexdigest(),
    }
    states, cells, specs = plan_states(study, options)
    parameters = sorted(states[0]) if states else sorted(options[0].ranges)
    with engine_in_use(engine, workers, scheduler) as chosen, directory.lock():
        job = prepare(
            directory,
            specs,
            config=config,
            what="sweep",
            resume=resume,
            force=force,
            progress=progress,
        )
        if job.executed.complete:
            return Sweep.load(directory.root)
        stream([job], chosen)

        def assemble() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            """Each cell's mean outcomes and every failure, from the verified chunks."""
            rows = []
            failures: list[dict[str, Any]] = []
            for cell, (s, o) in enumerate(cells):
                parts = []
                for chunk in verified_chunks(directory, specs[cell], cell):
                    parts.append(chunk.outcomes.to_pandas())
                    failures.extend(chunk.failures)
                outcomes = pd.concat(parts, ignore_index=True)
                row: dict[str, Any] = {
                    "state": s,
                    "option": options[o].name,
                    "replications": len(outcomes),
                }
                row.update(states[s])
                missing = not_applicable(options[o])
                for name in OUTCOMES:
                    row[name] = (
                        float(outcomes[name].astype(float).mean())
                        if len(outcomes) and name not in missing
                        else np.nan
                    )
                # P(any coalition killed) over the whole horizon, from the replications.
                killed = outcomes["killed"].astype(float).fillna(0.0)
                if "killed_follow_on" in outcomes and "killed_follow_on" not in missing:
                    killed = killed + outcomes["killed_follow_on"].astype(float).fillna(0.0)
                row["p_any_killed"] = float((killed > 0).mean()) if len(outcomes) else np.nan
                rows.append(row)
            return rows, failures

        rows, failures = finish(job, chosen, assemble)
        frame = judged_columns(pd.DataFrame(rows))
        directory.check_identity()
        root = directory.root
        manifest = SweepManifest(
            run_config=config,
            study=study.model_dump(mode="json"),
            options=[o.name for o in options],
            option_scenarios=[o.to_data() for o in options],
            parameters=parameters,
            replications_failed=len(failures),
            failures=[
                Failure(**{k: f[k] for k in ("replication", "seed", "error")}) for f in failures
            ],
            environment=environment(),
        )
        result_obj = Sweep(
            frame,
            regret_table(frame, study),
            satisficing_table(frame, study),
            sensitivity_table(frame, study, options, parameters),
            study,
            parameters,
            root,
            manifest,
        )
        decide(result_obj)
        atomic_write_table(root / "sweep.parquet", sweep_table(frame, study, options))
        for name, table in (
            ("regret", result_obj.regret),
            ("satisficing", result_obj.satisficing),
            ("sensitivity", result_obj.sensitivity),
            ("pareto", result_obj.pareto),
            ("pareto_differences", result_obj.differences),
            ("weighted", result_obj.weighted),
            ("flips", result_obj.flips),
            ("value_of_information", result_obj.value_of_information),
        ):
            if table is not None:
                atomic_write_bytes(root / f"{name}.csv", table.to_csv(index=False).encode())
        write_manifest(root, manifest)
        directory.remove_partial()
    return result_obj
