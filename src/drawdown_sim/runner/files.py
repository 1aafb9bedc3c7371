"""Reading the files of a results directory, which may hold anything: a FIFO where a file
belongs would block a plain ``open`` forever, and a huge file would be read whole; and
writing one whole or not at all."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import Any

TABLE_BYTES = 256 * 1024 * 1024
"""Largest derived table read back (a compare's or sweep's CSV tables, ``sweep.parquet``):
a few megabytes even for a sweep of thousands of states."""


class NotRegularFile(ValueError):
    """A directory, FIFO, device or socket where a file belongs."""


class TooLarge(ValueError):
    """A file larger than anything this package writes there."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, which must hold at most ``limit`` of them.

    Opened without blocking, and checked to be a regular file before anything is read.

    Raises:
        FileNotFoundError: no such file.
        NotRegularFile: a directory, FIFO, device or socket.
        TooLarge: larger than ``limit`` bytes.
        OSError: it cannot be opened or read.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotRegularFile("not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"larger than {limit:,} bytes")
    return data


def read_csv(path: Path, limit: int = TABLE_BYTES) -> Any:
    """A CSV table of a results directory as a pandas DataFrame (see :func:`read_regular`)."""
    import pandas as pd

    return pd.read_csv(io.BytesIO(read_regular(path, limit)))


def read_parquet(path: Path, limit: int = TABLE_BYTES) -> Any:
    """A parquet table of a results directory as a pandas DataFrame, read whole (see
    :func:`read_regular`)."""
    import pandas as pd

    return pd.read_parquet(io.BytesIO(read_regular(path, limit)))


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``path`` whole or not at all (a temporary file renamed over it); ``durable``:
    on disk before the rename, so that it survives a crash of the machine too."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
        raise
