"""The Arrow schemas of a run's outcome and event tables, and those tables made from rows.

Each column carries its unit and description as field metadata, which the parquet files
keep. Workers make their chunk's tables (see :mod:`.chunks`); the store writes them.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..model import OUTCOME_SPECS
from ..model.events import EVENT_COLUMNS, EVENT_SPECS

ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}


def _outcome_fields() -> list[pa.Field]:
    fields = [
        pa.field("replication", pa.int64(), metadata={"description": "Replication index r"}),
        pa.field(
            "seed",
            pa.int64(),
            metadata={
                "description": "Root seed of the run; with replication it fixes every random "
                "stream of the replication"
            },
        ),
    ]
    for name, spec in OUTCOME_SPECS.items():
        fields.append(
            pa.field(
                name,
                ARROW_TYPES[spec.kind],
                metadata={"unit": spec.unit, "description": spec.description},
            )
        )
        if name == "completion_day":  # a time in days is also given as a date
            fields.append(
                pa.field(
                    "completion_date",
                    pa.date32(),
                    metadata={
                        "unit": "",
                        "description": "Calendar day the last movement arrived (null if "
                        "unfinished at the end of the horizon)",
                    },
                )
            )
    return fields


OUTCOME_SCHEMA = pa.schema(_outcome_fields())
"""The columns of outcomes.parquet, each with its unit and description as field metadata."""
EVENT_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "category": pa.dictionary(pa.int32(), pa.string()),
    "text": pa.string(),
}
EVENT_SCHEMA = pa.schema(
    [
        pa.field(
            name,
            EVENT_TYPES[spec.kind],
            metadata={"unit": spec.unit, "description": spec.description},
        )
        for name, spec in EVENT_SPECS.items()
    ]
)
assert tuple(EVENT_SCHEMA.names) == EVENT_COLUMNS


def outcome_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=OUTCOME_SCHEMA)


def event_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
