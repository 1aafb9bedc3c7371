"""Reading the files of a results directory, which may hold anything: a FIFO where a file
belongs would block a plain ``open`` forever, and a huge file would be read whole."""

from __future__ import annotations

import os
import stat
from pathlib import Path


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
