"""The results directory: atomic files, chunk files of a run in progress, checkpoints.

Layout (docs/model.md)::

    DIR/manifest.json outcomes.parquet series.parquet [events.parquet] plots/*.png
    DIR/.partial/     run.json chunks/*.parquet|json checkpoint.npz   (only while running)

Every file is written to a temporary name and renamed into place, and ``manifest.json``
is written last: a directory without a manifest is not a complete result.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..model import OUTCOME_SPECS
from ..model.events import EVENT_COLUMNS
from .bands import Bands

ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}

OUTCOME_SCHEMA = pa.schema(
    [
        pa.field("replication", pa.int64(), metadata={"description": "Replication index r"}),
        pa.field("seed", pa.string(), metadata={"description": "Root seed / replication"}),
    ]
    + [
        pa.field(
            name,
            ARROW_TYPES[spec.kind],
            metadata={"unit": spec.unit, "description": spec.description},
        )
        for name, spec in OUTCOME_SPECS.items()
    ]
)
EVENT_SCHEMA = pa.schema(
    [
        ("replication", pa.int64()),
        ("time", pa.float64()),
        ("date", pa.date32()),
        ("kind", pa.string()),
        ("site", pa.string()),
        ("detail", pa.string()),
        ("value", pa.float64()),
    ]
)
assert tuple(EVENT_SCHEMA.names) == EVENT_COLUMNS


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def atomic_write_json(path: Path, value: Any) -> None:
    atomic_write_bytes(path, (json.dumps(value, indent=2, default=str) + "\n").encode())


def atomic_write_table(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def outcome_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=OUTCOME_SCHEMA)


def event_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


ROW_GROUP_ROWS = 10_000
"""Rows per row group of a finished table (memory while finishing is one row group, so it
stops growing at 10,000 replications). Chunk files hold 100 rows each; writing them as
row groups of their own would leave a million-replication file with 10,000 row groups, whose
footer (about 3.6 KB of metadata per row group) every later column read has to parse."""


def concat_parquet(parts: Iterable[Path], schema: pa.Schema, target: Path) -> int:
    """Stream parquet files into one, in row groups of :data:`ROW_GROUP_ROWS` (memory bounded
    by one row group); rows written."""
    tmp = target.with_name(f".{target.name}.tmp")
    rows = 0
    pending: list[pa.Table] = []
    pending_rows = 0
    with pq.ParquetWriter(tmp, schema) as writer:
        for part in parts:
            table = pq.ParquetFile(part).read().cast(schema)
            rows += table.num_rows
            pending.append(table)
            pending_rows += table.num_rows
            if pending_rows >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
                pending, pending_rows = [], 0
        if pending:
            writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
    os.replace(tmp, target)
    return rows


class RunDirectory:
    """Paths and checkpoint files of one results directory."""

    FINAL = ("manifest.json", "outcomes.parquet", "series.parquet", "events.parquet")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.partial = root / ".partial"
        self.chunks = self.partial / "chunks"

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the directory for the length of a run.

        Raises:
            BlockingIOError: another process is writing to this directory.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.manifest_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return value if isinstance(value, dict) else None

    def run_config(self) -> dict[str, Any] | None:
        try:
            value = json.loads((self.partial / "run.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return value if isinstance(value, dict) else None

    def begin(self, config: dict[str, Any]) -> None:
        """Start afresh: clear a previous run's files, then record this run's config."""
        shutil.rmtree(self.partial, ignore_errors=True)
        for name in self.FINAL:  # manifest first: the directory stops looking complete
            (self.root / name).unlink(missing_ok=True)
        self.chunks.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.partial / "run.json", config)

    def chunk_path(self, kind: str, index: int, suffix: str) -> Path:
        return self.chunks / f"{kind}-{index:06d}.{suffix}"

    def save_chunk(
        self,
        index: int,
        rows: list[dict[str, Any]],
        events: list[dict[str, Any]],
        failures: list[dict[str, Any]],
    ) -> None:
        atomic_write_table(self.chunk_path("outcomes", index, "parquet"), outcome_table(rows))
        if events:
            atomic_write_table(self.chunk_path("events", index, "parquet"), event_table(events))
        if failures:
            atomic_write_json(self.chunk_path("failures", index, "json"), failures)

    def failures(self, chunks: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for index in range(chunks):
            path = self.chunk_path("failures", index, "json")
            if path.exists():
                found.extend(json.loads(path.read_text()))
        return found

    def save_checkpoint(self, bands: Bands, chunks_done: int) -> None:
        """Bands of the first ``chunks_done`` chunks, in one file so they cannot disagree."""
        tmp = self.partial / ".checkpoint.npz.tmp"
        with open(tmp, "wb") as handle:
            bands.save(handle, chunks_done=chunks_done)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.partial / "checkpoint.npz")

    def load_checkpoint(self, bands: Bands) -> int:
        """Restore bands from the checkpoint; the number of chunks it holds (0 if none)."""
        path = self.partial / "checkpoint.npz"
        if not path.exists():
            return 0
        return bands.load(path)

    def finish(self, chunks: int, series: pd.DataFrame, manifest: dict[str, Any]) -> None:
        """Assemble the final files from the chunks and rename them into place."""
        concat_parquet(
            (self.chunk_path("outcomes", i, "parquet") for i in range(chunks)),
            OUTCOME_SCHEMA,
            self.root / "outcomes.parquet",
        )
        events = [
            p for i in range(chunks) if (p := self.chunk_path("events", i, "parquet")).exists()
        ]
        if events:
            concat_parquet(events, EVENT_SCHEMA, self.root / "events.parquet")
        atomic_write_table(
            self.root / "series.parquet", pa.Table.from_pandas(series, preserve_index=False)
        )
        atomic_write_json(self.manifest_path, manifest)
        shutil.rmtree(self.partial, ignore_errors=True)
