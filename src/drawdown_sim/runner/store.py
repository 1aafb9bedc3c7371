"""The results directory: its lock, the chunk files of work in progress, checkpoints, and
the atomic writes that finish it.

Layout::

    DIR/manifest.json outcomes.parquet series.parquet [events.parquet] plots/ report.html
    DIR/.partial/     run.json chunks/*.arrow checkpoint.npz   (only while running)

Every file is written to a temporary name and renamed into place, and ``manifest.json``
is written last: a directory without a manifest is not a complete result.

Integrity. The lock is an ``flock`` on the directory itself, held for the whole run, and
the directory's identity (device and inode) is checked again before finishing, so
deleting or replacing a file cannot let two runs write into one directory. Every chunk file
carries the identity of the run that wrote it (a digest of scenario, seed, replications,
chunk size and trace), its cell and index, its replication range and a SHA-256 of its rows.
A chunk is used only when all of these match and its replications are exactly its range;
anything else, whether truncated, foreign or swapped, is treated as missing and recomputed.
"""

from __future__ import annotations

import errno
import fcntl
import io
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..common.jsonable import dumps
from ..series.bands import Bands
from .chunks import ChunkIdentity
from .files import atomic_write_bytes, read_regular
from .outputs import Inventory, OutputRefused, OutputUnwritable, can_write, survey
from .provenance import labelled, labelled_schema, labelled_series
from .tables import (
    CHUNK_KEY,
    EVENT_SCHEMA,
    OUTCOME_SCHEMA,
    event_table,
    failures_digest,
    stamped_file,
    table_digest,
)

log = logging.getLogger("drawdown_sim")


RunRefused = OutputRefused
"""The results directory holds something this run must not remove or replace (exit 3)."""


def atomic_write_json(path: Path, value: Any, *, durable: bool = True) -> None:
    atomic_write_bytes(path, (dumps(value) + "\n").encode(), durable=durable)


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write ``table`` to ``path`` atomically, as parquet."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


RUN_FILE_BYTES = 1024 * 1024
"""Largest ``.partial/run.json`` read (a run's identity is a few hundred bytes)."""

CHUNK_FILE_BYTES = 256 * 1024 * 1024
"""Largest chunk file read back. A chunk of 100 replications is tens of kilobytes (a traced
one a few megabytes); anything far larger is not a chunk this tool wrote."""


def read_chunk_file(path: Path) -> pa.Table:
    """A chunk file (:func:`~drawdown_sim.runner.tables.stamped_file`), read whole into
    memory (never mapped: the file may be replaced while its table is in use).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a regular file, or larger than :data:`CHUNK_FILE_BYTES`.
        pyarrow.ArrowException: not an Arrow IPC file (truncated, or something else).
    """
    data = read_regular(path, CHUNK_FILE_BYTES)
    return pa.ipc.open_file(pa.py_buffer(data)).read_all()


ROW_GROUP_ROWS = 10_000
"""Rows per row group of a finished table (memory while finishing is one row group, so it
stops growing at 10,000 replications). Chunk files hold 100 rows each; writing them as
row groups of their own would leave a million-replication file with 10,000 row groups, whose
footer (about 3.6 KB of metadata per row group) every later column read has to parse."""


def concat_tables(tables: Iterable[pa.Table], schema: pa.Schema, target: Path) -> pa.Table | None:
    """Stream tables into one parquet file in row groups of :data:`ROW_GROUP_ROWS` (memory
    bounded by one row group). The file appears only when complete. Returns the table
    written when it was one row group (held whole anyway), so that it need not be read
    back; None when it took several."""
    tmp = target.with_name(f".{target.name}.tmp")
    pending: list[pa.Table] = []
    pending_rows = 0
    groups = 0
    whole = None
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for table in tables:
                table = table.replace_schema_metadata(schema.metadata)
                if not table.schema.equals(schema, check_metadata=True):
                    table = table.cast(schema)  # (a tenth of a millisecond a chunk when equal)
                pending.append(table)
                pending_rows += table.num_rows
                if pending_rows >= ROW_GROUP_ROWS:
                    writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
                    pending, pending_rows = [], 0
                    groups += 1
            if pending:
                whole = pa.concat_tables(pending)
                writer.write_table(whole, row_group_size=ROW_GROUP_ROWS)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return whole if groups == 0 else None


class ChunkInvalid(ValueError):
    """A chunk file that cannot be used: missing, unreadable, foreign or inconsistent."""


@dataclass
class Chunk:
    """A verified chunk: its outcome rows, its failures, and its traced events."""

    outcomes: pa.Table
    failures: list[dict[str, Any]]
    events: pa.Table | None


class RunDirectory:
    """A results directory: lock, refuse or resume, chunk files, checkpoint and finish."""

    FINAL = (
        "manifest.json",
        "outcomes.parquet",
        "series.parquet",
        "events.parquet",
        "report.html",
    )
    """Files of finished results (manifest first: removing it first makes the directory
    stop looking complete before anything else changes)."""

    def __init__(self, root: Path, kind: str = "run") -> None:
        self.root = root
        self.kind = kind
        self.partial = root / ".partial"
        self.chunks = self.partial / "chunks"
        self._identity: tuple[int, int] | None = None
        self._inventory: Inventory | None = None

    # --- lock ------------------------------------------------------------------------------
    def create(self) -> None:
        """Create the directory, or explain in one line why it cannot be.

        Raises:
            RunRefused: the path is a file or lies under a file.
            OutputUnwritable: it cannot be created or written.
        """
        can_write(self.root)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the directory itself for the length of a run.

        The lock is on the directory's inode, not on a file in it, so deleting a file cannot
        defeat it; :meth:`check_identity` tells whether the path still names that inode.

        Raises:
            RunRefused: another process holds the lock, or the directory cannot be used.
        """
        self.create()
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise RunRefused(
                        f"another run is writing to {self.root}; wait for it or choose "
                        "another --out"
                    ) from None
                raise
            status = os.fstat(fd)
            self._identity = (status.st_dev, status.st_ino)
            try:
                yield
            finally:
                self._identity = None
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def check_identity(self) -> None:
        """Refuse to go on if the locked directory was moved or replaced meanwhile."""
        try:
            status = os.stat(self.root)
        except OSError:
            status = None
        if status is None or (status.st_dev, status.st_ino) != self._identity:
            raise RunRefused(
                f"{self.root} was moved, deleted or replaced while this run held it; "
                "nothing was finished there"
            )

    # --- state of the directory -----------------------------------------------------------
    def manifest(self) -> Any:
        """The finished results' manifest, or None when there are none; a damaged one (or
        one of another format) raises :class:`ManifestError`."""
        from .manifest import read_manifest

        if not (self.root / "manifest.json").exists():
            return None
        return read_manifest(self.root)

    def run_config(self) -> dict[str, Any] | None:
        """The identity of the interrupted work in ``.partial/``, if any (None if unreadable)."""
        try:
            value = json.loads(read_regular(self.partial / "run.json", RUN_FILE_BYTES))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def assess(
        self, config: dict[str, Any], what: str, resume: bool, force: bool, options: Any = ()
    ) -> str:
        """What :meth:`prepare` would do, without changing anything: ``"complete"``,
        ``"resume"`` or ``"fresh"`` (see there).

        Raises:
            RunRefused: files the tool did not write, other results, results of other
                settings, or an interrupted run, as :meth:`prepare` says.
        """
        from .manifest import ManifestError

        inventory = survey(self.root, self.kind, options)
        inventory.check(force, what)
        self._inventory = inventory
        try:
            existing = self.manifest()
        except ManifestError as error:
            if not force:
                raise RunRefused(f"{error}") from None
            existing = None
        if existing is not None and not force:
            same = existing.run_config == config
            if resume and same:
                return "complete"
            if existing.run_config.get("scenario_hash") != config.get("scenario_hash"):
                raise RunRefused(
                    f"{_shown(self.root)} holds the results of another {what}; choose another "
                    "--out or pass --force to replace them"
                )
            if not same:
                raise RunRefused(
                    f"{_shown(self.root)} holds this {what}'s results with other settings "
                    f"({_settings(existing.run_config)}, not {_settings(config)}); pass --force "
                    "to replace them, or choose another --out"
                )
        partial = self.run_config()
        if resume and partial is not None:
            if partial != config and not force:
                raise RunRefused(
                    f"the interrupted {what} in {_shown(self.root)} used other settings; rerun "
                    "with those or pass --force to start over"
                )
            if partial == config:
                return "resume"
        elif partial is not None and not force and not resume:
            raise RunRefused(
                f"{_shown(self.root)} holds an interrupted {what}; finish it with --resume or "
                "start over with --force"
            )
        return "fresh"

    def prepare(
        self, config: dict[str, Any], what: str, resume: bool, force: bool, options: Any = ()
    ) -> str:
        """Check the directory against this work and start or resume it.

        Returns ``"complete"`` (finished results of exactly this work are there and
        ``resume`` was asked: nothing to do), ``"resume"`` (the chunks in ``.partial/`` are
        this work's) or ``"fresh"`` (what the tool wrote there before was removed; files it
        did not write are left where they are).

        Raises:
            RunRefused: files the tool did not write (unless ``force``), a link or a foreign
                file where this work must write, other results, results of other settings,
                or an interrupted run without ``resume`` or ``force``.
        """
        state = self.assess(config, what, resume, force, options)
        if state == "fresh":
            if self.partial.exists() and self.run_config() is None:
                log.warning(f"{self.partial}: no readable run identity (run.json); starting over")
            self.begin(config)
        return state

    def clear_final(self) -> None:
        """Remove what the tool wrote here before (the manifest first), nothing else."""
        inventory = self._inventory or survey(self.root, self.kind)
        inventory.remove_ours()
        self._inventory = None

    def begin(self, config: dict[str, Any]) -> None:
        """Start afresh: remove what the tool wrote here before, then record this run's
        identity."""
        self.clear_final()
        self.chunks.mkdir(parents=True, exist_ok=True)
        # Not forced to disk: it only names the chunk files beside it, which are not either,
        # and a run.json a crash left unreadable means starting over, as lost chunks would.
        atomic_write_json(self.partial / "run.json", config, durable=False)

    # --- chunks -----------------------------------------------------------------------------
    def chunk_path(self, kind: str, cell: int, index: int) -> Path:
        return self.chunks / f"{kind}-{cell:04d}-{index:06d}.arrow"

    def save_chunk(
        self, identity: ChunkIdentity, outcomes: bytes, events: list[dict[str, Any]]
    ) -> None:
        """Write a chunk: its traced events first, then its outcome file as the worker made
        it (:func:`~drawdown_sim.runner.chunks.outcome_file`, which carries the failures),
        so a chunk whose outcome file exists is complete. Neither is trusted for being
        written here: each is verified when it is read back (:meth:`read_chunk`)."""
        if events:
            table = event_table(events)
            atomic_write_bytes(
                self.chunk_path("events", identity.cell, identity.index),
                stamped_file(table, identity.stamp(table_digest(table))),
                durable=False,
            )
        # Not forced to disk, as no chunk file is: one a crash leaves torn fails its checks
        # when it is read, and is recomputed.
        atomic_write_bytes(
            self.chunk_path("outcomes", identity.cell, identity.index), outcomes, durable=False
        )

    def read_chunk(self, expected: ChunkIdentity, events: bool) -> Chunk:
        """The chunk file of ``expected``, verified.

        Raises:
            ChunkInvalid: missing, unreadable, written by another run, or rows that are not
                exactly its replications.
        """
        path = self.chunk_path("outcomes", expected.cell, expected.index)
        table, meta = _read_stamped(path, expected)
        failures = meta.get("failures")
        if not isinstance(failures, list) or meta.get("failures_sha256") != failures_digest(
            failures
        ):
            raise ChunkInvalid(f"{path.name}: failure records do not match their checksum")
        failed = {int(f["replication"]) for f in failures}
        replications = table.column("replication").to_pylist()
        expected_range = [
            r for r in range(expected.first, expected.first + expected.count) if r not in failed
        ]
        if replications != expected_range or len(failed) + len(replications) != expected.count:
            raise ChunkInvalid(
                f"{path.name}: replications are not {expected.first}.."
                f"{expected.first + expected.count - 1}, each once"
            )
        event_table_: pa.Table | None = None
        events_path = self.chunk_path("events", expected.cell, expected.index)
        if events and events_path.exists():
            event_table_, _ = _read_stamped(events_path, expected)
        return Chunk(table, failures, event_table_)

    def chunk_ok(self, expected: ChunkIdentity, events: bool) -> str | None:
        """None when the chunk file is usable; otherwise why not (missing: ``"missing"``)."""
        if not self.chunk_path("outcomes", expected.cell, expected.index).exists():
            return "missing"
        try:
            self.read_chunk(expected, events)
        except ChunkInvalid as error:
            return str(error)
        return None

    def discard_chunk(self, cell: int, index: int) -> None:
        for kind in ("outcomes", "events"):
            self.chunk_path(kind, cell, index).unlink(missing_ok=True)

    # --- checkpoint of the daily bands ------------------------------------------------------
    def save_checkpoint(self, bands: Bands, folded: Iterable[int]) -> None:
        """The bands folded from the chunks ``folded``, in one file so they cannot disagree.

        Written whole or not at all (a temporary file renamed over it), but not forced to
        disk, as chunk files are not: a checkpoint that a crash of the machine leaves torn
        fails its archive's checksums, or does not fit the run, when it is read, and is
        recomputed (:meth:`load_checkpoint`), as a torn chunk is."""
        tmp = self.partial / ".checkpoint.npz.tmp"
        try:
            with open(tmp, "wb") as handle:
                bands.save(handle, folded=sorted(folded))
            os.replace(tmp, self.partial / "checkpoint.npz")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def load_checkpoint(self, bands: Bands, chunks: int) -> set[int] | None:
        """Restore bands from the checkpoint; the chunks folded into them (empty if there is
        no checkpoint, None if it is unreadable or does not fit this run)."""
        path = self.partial / "checkpoint.npz"
        if not path.exists():
            return set()
        try:
            folded = bands.load(io.BytesIO(read_regular(path, bands.checkpoint_bytes())))
        except Exception:  # noqa: BLE001 - any damage means: not usable
            bands.reset()
            return None
        if any(not 0 <= i < chunks for i in folded):
            bands.reset()
            return None
        return folded

    # --- finish -----------------------------------------------------------------------------
    def finish_run(
        self,
        identities: list[ChunkIdentity],
        trace: bool,
        series: Callable[[], pa.Table],
        metadata: dict[bytes, bytes] | None = None,
        option: str | None = None,
    ) -> tuple[list[dict[str, Any]], pa.Table | None]:
        """Assemble the final tables of a one-scenario run from its verified chunks; the
        failures, and the outcome table as written when it is small enough to be held whole
        (see :func:`concat_tables`). ``series`` gives the table of ``series.parquet``, asked
        for once the outcomes are written (it may be computed meanwhile). The manifest is
        the caller's, written after this. Every file gets ``metadata`` (the run's provenance)
        as schema metadata and, with ``option`` (a compare's), an ``option`` column
        (:func:`~drawdown_sim.runner.provenance.labelled`), added after the chunks are
        verified.

        Raises:
            ChunkInvalid: a chunk changed since it was verified.
        """
        failures: list[dict[str, Any]] = []
        event_tables: list[Path] = []

        def outcomes() -> Iterator[pa.Table]:
            for identity in identities:
                chunk = self.read_chunk(identity, events=False)
                failures.extend(chunk.failures)
                yield labelled(chunk.outcomes, option)

        whole = concat_tables(
            outcomes(),
            labelled_schema(OUTCOME_SCHEMA, metadata, option),
            self.root / "outcomes.parquet",
        )
        if trace:

            def events() -> Iterator[pa.Table]:
                for identity in identities:
                    path = self.chunk_path("events", identity.cell, identity.index)
                    if path.exists():
                        table, _ = _read_stamped(path, identity)
                        event_tables.append(path)
                        yield labelled(table, option)

            concat_tables(
                events(),
                labelled_schema(EVENT_SCHEMA, metadata, option),
                self.root / "events.parquet",
            )
            if not event_tables:
                (self.root / "events.parquet").unlink(missing_ok=True)
        atomic_write_table(
            self.root / "series.parquet", labelled_series(series(), metadata, option)
        )
        return failures, whole

    def remove_partial(self) -> None:
        """Remove the finished work's ``.partial/`` files (only those the tool wrote). The
        results are complete already: a file that cannot be removed is said, not raised."""
        if self.partial.exists():
            try:
                survey(self.root, self.kind).remove_ours(within=".partial")
            except OutputUnwritable as error:
                log.warning(f"{error}")


def _shown(path: Path) -> str:
    from ..common.text import clean

    return clean(str(path), 120)


def _settings(config: dict[str, Any]) -> str:
    """A run's settings in words: seed and replications."""
    return ", ".join(f"{k} {config[k]}" for k in ("seed", "replications") if k in config)


def _read_stamped(path: Path, expected: ChunkIdentity) -> tuple[pa.Table, dict[str, Any]]:
    """A chunk table and its stamp, checked against ``expected`` and its checksum."""
    try:
        table = read_chunk_file(path)
        raw = (table.schema.metadata or {}).get(CHUNK_KEY)
        meta = json.loads(raw) if raw else None
    except FileNotFoundError:
        raise ChunkInvalid(f"{path.name}: missing") from None
    except (OSError, ValueError, pa.ArrowException) as error:
        raise ChunkInvalid(f"{path.name}: unreadable ({type(error).__name__})") from None
    if not isinstance(meta, dict):
        raise ChunkInvalid(f"{path.name}: not stamped with a run identity")
    for key in ("run", "cell", "index", "first", "count"):
        if meta.get(key) != getattr(expected, key):
            raise ChunkInvalid(f"{path.name}: written by another run or for another chunk ({key})")
    if meta.get("sha256") != table_digest(table):
        raise ChunkInvalid(f"{path.name}: rows do not match their checksum")
    return table, meta
