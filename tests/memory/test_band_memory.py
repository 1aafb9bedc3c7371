"""A run's daily-band histograms take memory only for the bins its replications reach.

Each histogram reserves room for every bin of the horizon (tens of megabytes per run),
uninitialised, and clears a row only when its bin is first reached: the system backs memory
only where it is written. (``np.zeros`` cleared the whole reservation whenever the allocator
served it from memory freed before, as in a second compare in a notebook: up to 30 ms in the
main process, for bins never reached. That happens only as the allocator sees fit, so these
tests hold the contract, and the clearing of each row as it is reached, not that cause.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from drawdown_sim.series.bands import _Histogram


def test_rows_are_cleared_when_their_bins_are_first_reached():
    # Whatever the reserved memory held before (here: garbage everywhere), the counts are
    # exactly the cells added, as the growth path's are too, in order or not.
    days = 30
    for bins in (50, 10**6):  # room for every bin / none reserved (grown as reached)
        histogram = _Histogram(bins, days)
        histogram.counts[:] = 7
        rng = np.random.default_rng(bins)
        expected = np.zeros((bins, days), dtype=np.int64)
        for turn in range(4):
            cells = np.unique(rng.integers(0, 40 * days, 300))
            counts = rng.integers(1, 5, cells.size)
            if turn % 2 == 0:  # in any order (a checkpoint's), not only as chunks give them
                order = rng.permutation(cells.size)
                cells, counts = cells[order], counts[order]
            histogram.add(cells, counts)
            np.add.at(expected.reshape(-1), cells, counts)
            histogram.counts[histogram.rows :] = 7  # rows not yet reached: never read
        np.testing.assert_array_equal(histogram.dense(), expected)
        rows, block = histogram.occupied()
        np.testing.assert_array_equal(block, expected[rows])


CHILD = """
import gc, json
import numpy as np
from drawdown_sim.series.bands import Bands

def resident():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

rounds = []
for _ in range(4):
    before = resident()
    runs = [Bands(760, 2500) for _ in range(3)]
    made = resident()
    expected = reserved = 0
    for bands in runs:
        for histogram in bands._histograms.values():
            rows = histogram.counts.shape[0] // 2  # half the bins reached
            histogram.add(np.arange(rows) * 760, np.ones(rows, dtype=np.int64))
            histogram.counts[:rows] += 1
            expected += rows * 760 * 4 / 2**20
            reserved += histogram.counts.nbytes / 2**20
    filled = resident()
    del runs, bands, histogram
    gc.collect()
    freed = resident()
    rounds.append(dict(made=made - before, filled=filled - made, expected=expected,
                       reserved=reserved, returned=filled - freed))
    other = [np.ones(500_000) for _ in range(10)]  # what a run frees besides its bands
    del other
print(json.dumps(rounds))
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux's /proc")
def test_histograms_take_memory_only_where_written_and_give_it_back():
    # Several rounds in one process: runs made, half their bins reached, freed, and other
    # large arrays freed in between, as a notebook that runs again does.
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=True
    )
    for number, round_ in enumerate(json.loads(done.stdout)):
        assert round_["made"] < 2.0, (number, round_)  # reserved, not cleared
        # The rows written (pages may be backed 2 MB at a time), not the whole reservation.
        assert round_["expected"] <= round_["filled"] + 1.0, (number, round_)
        assert round_["filled"] < 0.8 * round_["reserved"], (number, round_)
        assert round_["returned"] > 0.9 * round_["filled"], (number, round_)
