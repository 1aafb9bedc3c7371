"""Units and provenance in the Parquet files a run, compare or sweep writes.

Every column carries ``unit`` and ``description`` as field metadata (outcomes and events
have them from :mod:`.tables`; the daily series and a sweep's table get them here), and
every file carries its run's provenance as schema metadata under :data:`PROVENANCE_KEY`
(JSON: package and version, what wrote it, scenario name and digest, seed, replications),
so that a file read alone by DuckDB, polars or pandas still says what made it::

    json.loads(pq.read_schema(path).metadata[b"drawdown_sim.provenance"])
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa

PROVENANCE_KEY = b"drawdown_sim.provenance"
"""Schema metadata key of a Parquet file's provenance (JSON)."""

SERIES_SPECS: dict[str, tuple[str, str]] = {
    "personnel": ("personnel", "Coalition personnel in Iraq, at noon"),
    "attack_intensity": ("attacks/day", "Expected militia attacks that day"),
    "attacks": ("attacks", "Militia attacks that day"),
    "escalation": ("level 0-3", "Escalation level at noon"),
    "campaign": ("share 0-1", "Militia in campaign posture at noon (1) or restraint (0)"),
    "political_pressure": ("index", "Iraqi political pressure for withdrawal, at noon"),
    "isis_rate": ("attacks/day", "ISIS attack rate on Iraqi forces that day"),
}
"""Unit and meaning of each daily series (``<series>_mean``, ``<series>_qNN``)."""


def provenance(
    kind: str,
    *,
    name: str,
    scenario_digest: str | Iterable[str],
    seed: int,
    replications: int,
    option: str | None = None,
) -> dict[bytes, bytes]:
    """The schema metadata of a file written by ``kind`` (``run`` or ``sweep``)."""
    from ..common.version import __version__

    digest: str | list[str] = (
        scenario_digest if isinstance(scenario_digest, str) else list(scenario_digest)
    )
    record: dict[str, Any] = {
        "package": "drawdown-sim",
        "version": __version__,
        "kind": kind,
        "name": name,
        "scenario_digest": digest,
        "seed": seed,
        "replications": replications,
    }
    if option is not None:
        record["option"] = option
    return {PROVENANCE_KEY: json.dumps(record, sort_keys=True).encode()}


def read_provenance(schema: pa.Schema) -> dict[str, Any] | None:
    """The provenance a file's schema carries, or None (a file written before it was)."""
    raw = (schema.metadata or {}).get(PROVENANCE_KEY)
    return None if raw is None else dict(json.loads(raw))


def _series_field(field: pa.Field) -> pa.Field:
    name = field.name
    if name == "day":
        return field.with_metadata({"unit": "days", "description": "Days from the window start"})
    if name == "date":
        return field.with_metadata({"unit": "", "description": "Calendar day"})
    if name.startswith("escalation_share_"):
        level = name.rsplit("_", 1)[1]
        return field.with_metadata(
            {"unit": "share 0-1", "description": f"Share of replications at escalation {level}"}
        )
    series, _, statistic = name.rpartition("_")
    unit, meaning = SERIES_SPECS.get(series, ("", series))
    what = "mean over replications" if statistic == "mean" else f"{statistic[1:]}% quantile"
    return field.with_metadata({"unit": unit, "description": f"{meaning}: {what}"})


def series_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` of a series table with every field's unit and description."""
    return pa.schema([_series_field(f) for f in schema], metadata=schema.metadata)


def with_units(table: pa.Table, units: dict[str, tuple[str, str]]) -> pa.Table:
    """``table`` with field metadata (unit, description) for the columns named in ``units``."""
    fields = [
        f.with_metadata({"unit": units[f.name][0], "description": units[f.name][1]})
        if f.name in units
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def with_provenance(table: pa.Table, metadata: dict[bytes, bytes]) -> pa.Table:
    """``table`` with ``metadata`` added to its schema metadata (pandas' is kept)."""
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})


OPTION_FIELD = pa.field(
    "option",
    pa.dictionary(pa.int32(), pa.string()),
    metadata={"unit": "", "description": "The compare's option (scenario name) of this row"},
)
"""The column that tells a compare's options apart when their files are read together
(``read_parquet('DIR/*/outcomes.parquet')``)."""


def labelled_schema(
    schema: pa.Schema, metadata: dict[bytes, bytes] | None, option: str | None
) -> pa.Schema:
    """``schema`` with ``metadata`` and, for a compare's option, the ``option`` field last."""
    if option is not None:
        schema = schema.append(OPTION_FIELD)
    return schema.with_metadata({**(schema.metadata or {}), **(metadata or {})})


def labelled(table: pa.Table, option: str | None) -> pa.Table:
    """``table`` with a constant ``option`` column last (unchanged without ``option``)."""
    if option is None:
        return table
    indices = pa.array(np.zeros(table.num_rows, dtype=np.int32))
    column = pa.DictionaryArray.from_arrays(indices, pa.array([option], pa.string()))
    return table.append_column(OPTION_FIELD, column)


def labelled_series(
    table: pa.Table, metadata: dict[bytes, bytes] | None, option: str | None
) -> pa.Table:
    """The table of ``series.parquet`` with units, provenance and (a compare's) option."""
    table = labelled(table, option)
    return table.cast(labelled_schema(series_schema(table.schema), metadata, None))
