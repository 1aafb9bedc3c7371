"""Robustness under deep uncertainty: every option in every sampled state of the world.

For each state (a Latin-hypercube sample of the scenario's ``uncertainties``) every option
is replicated with the same seeds (common random numbers). Per option the report gives the
mean of each judged outcome across states, its regret against the best option in each state
(mean and 90th percentile), and the satisficing fraction: the share of states in which all
thresholds hold.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .comparison import direction
from .model import OUTCOMES
from .runner.chunks import ChunkTask, run_chunk
from .runner.engines import make_engine
from .runner.run import CHUNK_SIZE, RunRefused, results_dir
from .runner.store import (
    RunDirectory,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_table,
)
from .scenario import Scenario
from .study import Study, state_values

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


def load_sweep(path: str | Path) -> tuple[Sweep, list[Scenario]]:
    """A finished sweep directory and its options' scenarios (for reports)."""
    root = Path(path)
    info = json.loads((root / "study.json").read_text())
    frame = pd.read_parquet(root / "sweep.parquet")
    study = Study.model_validate(info["study"])
    options = [Scenario.model_validate(d) for d in info.get("option_scenarios", [])]
    result = Sweep(
        frame,
        pd.read_csv(root / "regret.csv"),
        pd.read_csv(root / "satisficing.csv"),
        pd.read_csv(root / "sensitivity.csv"),
        study,
        list(info["parameters"]),
        root,
    )
    return result, options


def _state_scenario(option: Scenario, values: dict[str, Any]) -> Scenario:
    # A state is one point: its scenario needs no uncertainties (nor their slow checks).
    data = option.to_data()
    data["uncertainties"] = {}
    return Scenario.model_validate(data).with_values(values)


def _tasks(study: Study, cells: list[tuple[int, int, Scenario]]) -> Iterator[ChunkTask]:
    index = 0
    for _, _, scenario in cells:
        data = scenario.to_data()
        for first in range(0, study.replications, CHUNK_SIZE):
            count = min(CHUNK_SIZE, study.replications - first)
            yield ChunkTask(index, data, study.seed, first, count, trace=0, series=False)
            index += 1


def regret_table(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Per option and judged outcome: mean across states, regret mean and 90th percentile."""
    rows = []
    for outcome in study.outcomes:
        table = frame.pivot(index="state", columns="option", values=outcome)
        best = table.min(axis=1) if direction(outcome) == "lower" else table.max(axis=1)
        regret = (
            table.sub(best, axis=0) if direction(outcome) == "lower" else -table.sub(best, axis=0)
        )
        for option in table.columns:
            rows.append(
                {
                    "option": option,
                    "outcome": outcome,
                    "mean": table[option].mean(),
                    "regret_mean": regret[option].mean(),
                    "regret_p90": regret[option].quantile(0.9),
                    "best_in_states": float((regret[option] == 0).mean()),
                }
            )
    return pd.DataFrame(rows)


def sensitivity_table(
    frame: pd.DataFrame, study: Study, options: list[Scenario], parameters: list[str]
) -> pd.DataFrame:
    """Sensitivity of each judged outcome to each uncertain parameter, per option.

    ``rbd_fast`` (default): first-order RBD-FAST indices from the Latin-hypercube states, a
    cheap screen; with a few dozen states they rank parameters rather than apportion variance.
    ``sobol``: Sobol first-order (S1) and total (ST) indices from Saltelli's design, with
    bootstrap confidence half-widths. Columns ``S1``, ``S1_conf`` (and ``ST``, ``ST_conf``
    for sobol); NaN where an index cannot be estimated. ``attrs["method"]`` names the method.
    """
    from SALib.analyze import rbd_fast, sobol

    unit = {
        "num_vars": len(parameters),
        "names": parameters,
        "bounds": [[0.0, 1.0]] * len(parameters),
    }
    uncertainties = options[0].uncertainties
    problem = {
        "num_vars": len(parameters),
        "names": parameters,
        "bounds": [
            uncertainties[p].support[:: max(1, len(uncertainties[p].support) - 1)]
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
            nan = [np.nan] * len(parameters)
            s1, conf, st, st_conf = nan, nan, nan, nan
            estimable = np.all(np.isfinite(y)) and y.std() > 0
            if study.method == "sobol" and estimable:
                result = sobol.analyze(unit, y, calc_second_order=False, seed=study.seed)
                s1, conf = result["S1"], result["S1_conf"]
                st, st_conf = result["ST"], result["ST_conf"]
            elif study.states >= MIN_SENSITIVITY_STATES and estimable:
                # Too few states, or an outcome that does not vary, has no meaningful index.
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


def satisficing_table(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    ok = np.ones(len(frame), dtype=bool)
    for outcome, threshold in study.thresholds.items():
        ok &= frame[outcome].map(threshold.holds).to_numpy(dtype=bool)
    result = frame.assign(satisfices=ok).groupby("option", sort=False)["satisfices"].mean()
    return result.rename("satisficing_fraction").reset_index()


def sweep(
    study: Study,
    options: list[Scenario],
    *,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    out: str | Path | None = None,
    plots: bool = True,
    resume: bool = False,
    force: bool = False,
    progress: SweepProgress | None = None,
) -> Sweep:
    """Run every option in every state; write ``sweep.parquet``, tables and plots.

    Chunks stream to ``out/.partial/`` as they finish; ``resume=True`` skips the chunks an
    interrupted sweep already finished (with identical results, as every chunk is seeded).

    Raises:
        RunRefused: ``out`` holds another study's results or an interrupted sweep (without
            ``resume`` or ``force``), or another process is writing to it.
    """
    directory = RunDirectory(Path(out) if out is not None else results_dir(study.name))
    config = {"study": study.model_dump(), "options": [o.digest for o in options]}
    try:
        with directory.lock():
            return _sweep_locked(
                study,
                options,
                directory,
                config,
                workers,
                engine,
                scheduler,
                plots,
                resume,
                force,
                progress,
            )
    except BlockingIOError:
        raise RunRefused(f"another process is writing to {directory.root}") from None


def _sweep_locked(
    study: Study,
    options: list[Scenario],
    directory: RunDirectory,
    config: dict[str, Any],
    workers: int | None,
    engine: str,
    scheduler: str | None,
    plots: bool,
    resume: bool,
    force: bool,
    progress: SweepProgress | None,
) -> Sweep:
    root = directory.root
    previous = root / "study.json"
    if previous.exists() and not force and json.loads(previous.read_text()).get("config") != config:
        raise RunRefused(
            f"{root} holds the results of another study or options; choose "
            "another --out or pass --force"
        )
    partial = directory.run_config()
    if partial is not None and not (resume and partial == config):
        if not force:
            raise RunRefused(
                f"{root} holds an interrupted sweep"
                + (" of other settings" if resume else "")
                + "; finish it with --resume or start over with --force"
            )
        partial = None
    if partial is None:
        directory.begin(config)
    states = state_values(study, options[0])
    parameters = sorted(options[0].uncertainties)
    cells = [
        (s, o, _state_scenario(option, values))
        for s, values in enumerate(states)
        for o, option in enumerate(options)
    ]
    per_cell = math.ceil(study.replications / CHUNK_SIZE)
    total = len(cells) * study.replications
    tasks = list(_tasks(study, cells))
    todo = [t for t in tasks if not directory.chunk_path("outcomes", t.index, "parquet").exists()]
    done = sum(t.count for t in tasks) - sum(t.count for t in todo)
    if progress is not None:
        progress(done, total)
    for result in make_engine(engine, workers, scheduler).map_ordered(run_chunk, todo):
        directory.save_chunk(result.index, result.rows, [], result.failures)
        done += len(result.rows) + len(result.failures)
        if progress is not None:
            progress(done, total)
    rows = []
    for cell, (s, o, _) in enumerate(cells):
        parts = [
            pd.read_parquet(directory.chunk_path("outcomes", cell * per_cell + k, "parquet"))
            for k in range(per_cell)
        ]
        outcomes = pd.concat(parts, ignore_index=True)
        row: dict[str, Any] = {"state": s, "option": options[o].name, "replications": len(outcomes)}
        row.update(states[s])
        for name in OUTCOMES:
            row[name] = float(outcomes[name].astype(float).mean()) if len(outcomes) else np.nan
        rows.append(row)
    frame = pd.DataFrame(rows)
    result_obj = Sweep(
        frame,
        regret_table(frame, study),
        satisficing_table(frame, study),
        sensitivity_table(frame, study, options, parameters),
        study,
        parameters,
        root,
    )
    atomic_write_table(root / "sweep.parquet", pa.Table.from_pandas(frame, preserve_index=False))
    atomic_write_bytes(root / "regret.csv", result_obj.regret.to_csv(index=False).encode())
    atomic_write_bytes(
        root / "satisficing.csv", result_obj.satisficing.to_csv(index=False).encode()
    )
    atomic_write_bytes(
        root / "sensitivity.csv", result_obj.sensitivity.to_csv(index=False).encode()
    )
    failures = directory.failures(len(tasks))
    atomic_write_json(
        root / "study.json",
        {
            "config": config,
            "study": study.model_dump(),
            "options": [o.name for o in options],
            "option_scenarios": [o.to_data() for o in options],
            "parameters": parameters,
            "replications_failed": len(failures),
            "failures": [{k: f[k] for k in ("replication", "seed", "error")} for f in failures],
        },
    )
    shutil.rmtree(directory.partial, ignore_errors=True)
    if plots:
        from .plots.sweep_plots import write_sweep_plots

        write_sweep_plots(result_obj)
    return result_obj
