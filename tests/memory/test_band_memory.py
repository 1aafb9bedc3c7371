"""A run's daily-band histograms take memory only for the bins its replications reach.

Each histogram reserves room for every bin of the horizon (tens of megabytes per run) and
relies on the system to map a page only when it is first written. That holds for a fresh
memory map; it did not hold for ``np.zeros`` once the process had freed large arrays before
(a second compare in a notebook, say): the C allocator then served the histograms from
memory it had kept, clearing all of it at once, in the main process, whatever was reached.
Measured in a fresh process by its resident set (``/proc/self/statm``), over several rounds
of runs made, filled in part, and freed, with other large arrays freed in between."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = """
import gc, json
import numpy as np
from drawdown_sim.runner.bands import Bands

def resident():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

rounds = []
for _ in range(4):
    before = resident()
    runs = [Bands(760, 2500) for _ in range(3)]
    made = resident()
    expected = 0
    for bands in runs:
        for histogram in bands._histograms.values():
            rows = histogram.counts.shape[0] // 2  # half the bins reached
            histogram.counts[:rows] += 1
            expected += rows * 760 * 4 / 2**20
    filled = resident()
    del runs, bands, histogram
    gc.collect()
    freed = resident()
    rounds.append(dict(made=made - before, filled=filled - made, expected=expected,
                       returned=filled - freed))
    other = [np.ones(500_000) for _ in range(10)]  # what a run frees besides its bands
    del other
print(json.dumps(rounds))
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux's /proc")
def test_histograms_take_memory_only_where_written_and_give_it_back():
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=True
    )
    for number, round_ in enumerate(json.loads(done.stdout)):
        assert round_["made"] < 2.0, (number, round_)  # reserved, not cleared
        # Exactly the pages written, within a page per histogram row block and allocator noise.
        assert abs(round_["filled"] - round_["expected"]) < 0.1 * round_["expected"], (
            number,
            round_,
        )
        assert round_["returned"] > 0.9 * round_["filled"], (number, round_)
