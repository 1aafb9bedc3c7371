"""The C allocator of worker processes: keep freed memory for the next chunk.

A chunk's daily series and the arrays computed from them are megabytes and hundreds of
kilobytes (100 replications x 7 series x 760 days is 4.3 MB). glibc's ``malloc`` serves
blocks that large by mapping fresh pages and gives them back when they are freed, above
thresholds it adjusts as it goes (from 128 KiB). A worker then faults its chunk's arrays into
memory page by page, and unmaps them, for every chunk: about 2,000 page faults a chunk of
100 replications, some 4% of its time on the 2-core machine of the benchmarks.

:func:`keep_freed_memory` fixes both thresholds at the values glibc's own adjustment can
reach (32 MiB for mapping a block, twice that for giving memory back), so a worker reuses
the memory of its previous chunk. It is applied in the processes started to compute chunks
(the local engine's pool, and the workers of a dask cluster the dask engine starts), never in
the caller's own process: there a large array should still be given back as soon as it is
freed.

On another C library (musl, macOS) nothing is changed. The workers of a dask cluster
started elsewhere do the same when started with ``MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=67108864`` in their environment (which also takes the place of dask's
own ``MALLOC_TRIM_THRESHOLD_=65536``).
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger("drawdown_sim")

MMAP_THRESHOLD = 32 * 1024 * 1024
"""Bytes from which a block is mapped on its own (glibc's ceiling for its adjusted value)."""
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
"""Free bytes at the top of the heap above which they are given back to the system."""

_M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def keep_freed_memory() -> bool:
    """Fix this process's malloc thresholds at :data:`MMAP_THRESHOLD` and
    :data:`TRIM_THRESHOLD`; whether that was done (False: not glibc)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no C library to open (Windows), no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # musl has a mallopt that does nothing and returns 0.
    done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    done = bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and done
    if not done:
        log.debug("malloc thresholds not set: not glibc")
    return done
