"""The Arrow schemas of a run's outcome and event tables, and those tables made from rows.

Each column carries its unit and description as field metadata, which the parquet files
keep. Workers make their chunk's tables and its chunk file (:func:`stamped_file`, see
:mod:`.chunks`); the store writes the file as it comes and verifies it when it reads it back.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa

from ..model import OUTCOME_SPECS
from ..model.events import EVENT_COLUMNS, EVENT_SPECS

ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}


def _outcome_fields() -> list[pa.Field]:
    fields = [
        pa.field(
            "replication", pa.int64(), metadata={"unit": "", "description": "Replication index r"}
        ),
        pa.field(
            "seed",
            pa.int64(),
            metadata={
                "unit": "",
                "description": "Root seed of the run; with replication it fixes every random "
                "stream of the replication",
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


def table_digest(table: pa.Table) -> str:
    """SHA-256 of a table's column names and values, as hex.

    Value-based, so the same rows hash alike however parquet chose to store them: per column
    the validity mask, then the values (nulls as zero) as fixed-width bytes, or the strings
    (categories decoded) joined by a separator.
    """
    digest = hashlib.sha256()
    for name, column in zip(table.column_names, table.columns, strict=True):
        digest.update(name.encode() + b"\x1e")
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        complete = array.null_count == 0  # the usual case: skip building the mask
        digest.update(
            b"\x01" * len(array)  # the bytes of an all-true mask
            if complete
            else array.is_valid().to_numpy(zero_copy_only=False).tobytes()
        )
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            digest.update("\x1f".join(v or "" for v in array.to_pylist()).encode())
        else:
            if not complete:
                array = array.fill_null(False if pa.types.is_boolean(array.type) else 0)
            digest.update(array.to_numpy(zero_copy_only=False).tobytes())
    return digest.hexdigest()


CHUNK_KEY = b"drawdown_sim.chunk"
"""The schema metadata key of a chunk file's stamp (JSON): the chunk's identity
(:class:`~drawdown_sim.runner.chunks.ChunkIdentity`), the SHA-256 of its rows
(:func:`table_digest`) and, in an outcome file, its failures and their SHA-256."""


def stamped_file(table: pa.Table, stamp: dict[str, Any]) -> bytes:
    """``table`` as a chunk file: the Arrow IPC file format, uncompressed, stamped with
    ``stamp`` under :data:`CHUNK_KEY`.

    A chunk file is transient: written once, read back once when the run finishes. IPC
    writes and reads it in about a quarter of parquet's time (no encoding, no statistics).
    """
    stamped = table.replace_schema_metadata({CHUNK_KEY: json.dumps(stamp).encode()})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, stamped.schema) as writer:
        writer.write_table(stamped)
    return sink.getvalue().to_pybytes()


def failures_digest(failures: list[dict[str, Any]]) -> str:
    """SHA-256 of a chunk's failure records, as stamped on its outcome file."""
    return hashlib.sha256(json.dumps(failures, sort_keys=True).encode()).hexdigest()
