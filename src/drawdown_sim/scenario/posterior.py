"""Whole posterior draws as a scenario's uncertainty (``uncertainties: {from_posterior: ...}``).

A posterior is the ``posterior.parquet`` that ``drawdown-sim estimate`` writes: one column per
dotted scenario key and a ``weight`` column. A scenario that names one runs each replication
``r`` at one whole draw, picked with probability its weight by a generator seeded with the
scenario's seed and ``r``: the parameters keep their joint distribution (their correlations),
and replication ``r`` of every option of a comparison runs at the same draw. A sweep takes
whole draws as its states.

The name is a path (absolute or relative to the working directory) or the name of a posterior
that ships with the package (``drawdown_sim/data/posterior/<name>.parquet``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from . import Scenario

SHIPPED = Path(__file__).parent.parent / "data" / "posterior"
"""Posteriors that ship with the package."""


def posterior_file(name: str) -> Path | None:
    """The file ``name`` refers to, or None when there is none."""
    path = Path(name)
    if path.is_file():
        return path
    for candidate in (SHIPPED / name, SHIPPED / f"{name}.parquet"):
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=8)
def _load(path: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    import pyarrow.parquet as pq  # not pandas: the pool's workers do without it

    table = pq.read_table(path)
    keys = tuple(c for c in table.column_names if c != "weight")
    rows = table.num_rows
    weights = (
        np.asarray(table.column("weight").to_numpy(), float)
        if "weight" in table.column_names
        else np.ones(rows)
    )
    values = np.column_stack([np.asarray(table.column(k).to_numpy(), float) for k in keys])
    return keys, values.reshape(rows, len(keys)), weights / weights.sum()


def load(name: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(keys, draws x keys values, normalised weights) of the posterior ``name``."""
    path = posterior_file(name)
    if path is None:
        raise FileNotFoundError(f"no posterior {name!r} (a posterior.parquet or a shipped name)")
    return _load(str(path.resolve()))


def problems(name: str) -> list[str]:
    """What is wrong with the posterior ``name`` (empty: nothing)."""
    if posterior_file(name) is None:
        return [
            f"no posterior {name!r}: give the path of a posterior.parquet written by "
            "drawdown-sim estimate, or a shipped name (posterior_2019_2024)"
        ]
    try:
        keys, values, weights = load(name)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the user's to fix
        return [f"cannot read the posterior {name!r}: {type(error).__name__}: {error}"]
    found = []
    if not keys or len(values) == 0:
        found.append(f"the posterior {name!r} holds no draws")
    if not np.all(np.isfinite(values)) or not np.all(weights >= 0):
        found.append(f"the posterior {name!r} holds non-finite values or negative weights")
    return found


def draw_index(name: str, seed: int, replication: int) -> int:
    """The draw replication ``replication`` runs at (weighted, seeded by ``seed`` and it)."""
    _, _, weights = load(name)
    rng = np.random.default_rng([seed, replication])
    return int(np.searchsorted(np.cumsum(weights), rng.random() * weights.sum(), side="right"))


def values(name: str, index: int) -> dict[str, float]:
    """The dotted keys and values of draw ``index``."""
    keys, table, _ = load(name)
    row = table[min(index, len(table) - 1)]
    return {key: float(v) for key, v in zip(keys, row, strict=True)}


_VARIANTS: dict[tuple[int, int], tuple[Scenario, Scenario]] = {}
"""(id of the base scenario, draw) -> (the base, kept alive while its id keys it; variant)."""


def _variant(scenario: Scenario, index: int) -> Scenario:
    key = (id(scenario), index)
    cached = _VARIANTS.get(key)
    if cached is None or cached[0] is not scenario:
        if len(_VARIANTS) > 4096:
            _VARIANTS.clear()
        data = scenario.to_data()
        data["uncertainties"] = {}  # one point: no ranges to check again
        from .keys import set_dotted

        fixed = pinned(scenario)
        for dotted, value in values(scenario.posterior or "", index).items():
            if dotted not in fixed:
                set_dotted(data, dotted, value)
        cached = _VARIANTS[key] = (scenario, type(scenario).model_validate(data))
    return cached[1]


def for_replication(scenario: Scenario, replication: int) -> Scenario:
    """The scenario replication ``replication`` runs: ``scenario`` itself, or, with a
    posterior, ``scenario`` at that replication's draw."""
    if scenario.posterior is None:
        return scenario
    return _variant(scenario, draw_index(scenario.posterior, scenario.seed, replication))


def pinned(scenario: Scenario) -> set[str]:
    """The keys the posterior does not draw in ``scenario`` (``uncertainties: {KEY: fixed}``,
    as ``--set KEY=VALUE`` of a posterior key writes): the scenario's own value holds."""
    from .keys import FIXED, POSTERIOR_KEY

    return {k for k, v in scenario.uncertainties.items() if k != POSTERIOR_KEY and v == FIXED}


def states(name: str, count: int, seed: int) -> list[dict[str, float]]:
    """``count`` whole draws (a sweep's states), picked with probability their weight."""
    return [values(name, draw_index(name, seed, k)) for k in range(count)]


def describe(scenario: Scenario) -> dict[str, Any] | None:
    """Which posterior a scenario uses, for reports (None: none)."""
    if scenario.posterior is None:
        return None
    path = posterior_file(scenario.posterior)
    keys, table, weights = load(scenario.posterior)
    return {
        "name": scenario.posterior,
        "file": str(path),
        "draws": len(table),
        "ess": float(1.0 / np.sum(weights**2)),
        "parameters": list(keys),
    }


@functools.lru_cache(maxsize=32)
def _file_digest(path: str, mtime_ns: int, size: int) -> bytes:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).digest()


def file_digest(name: str) -> bytes:
    """SHA-256 of the posterior's file (b"" when there is none), for scenario digests."""
    path = posterior_file(name)
    if path is None:
        return b""
    stat = path.stat()
    return _file_digest(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
