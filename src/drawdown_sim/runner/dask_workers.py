"""What the dask engine installs in the workers of the clusters it starts (imported only by
the dask engine: importing ``distributed`` takes about 0.3 s)."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from .allocator import keep_freed_memory


class KeepFreedMemory(WorkerPlugin):
    """Apply :func:`~drawdown_sim.runner.allocator.keep_freed_memory` in each worker
    process, as it starts or joins. At run time, so it holds whatever ``MALLOC_`` variables
    the worker inherited: dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in the worker's
    environment (and leaves it in the environment of the process that started the cluster),
    which gives freed memory back at once and has every chunk fault its arrays in again:
    about 19,000 page faults a chunk of 100 replications, against about 2,000 with glibc's
    defaults and a handful kept."""

    name = "drawdown-sim-keep-freed-memory"

    def setup(self, worker: Any) -> None:
        keep_freed_memory()
