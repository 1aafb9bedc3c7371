"""A chunk's histogram cells cross from worker to main process packed a byte each: packing
then unpacking gives back exactly the cells, whatever their gaps."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from drawdown_sim.runner.bands import GAP_BYTE, PackedCells

CELLS = st.sets(st.integers(0, 2**40), max_size=300).map(lambda s: np.array(sorted(s)))


@given(CELLS, st.sampled_from([np.int32, np.int64]))
def test_packed_cells_unpack_to_exactly_the_cells(cells: np.ndarray, dtype: type) -> None:
    if cells.size and cells[-1] > np.iinfo(dtype).max:
        cells = cells[cells <= np.iinfo(dtype).max]
    cells = cells.astype(dtype)
    packed = PackedCells.pack(cells)
    assert packed.gaps.dtype == np.uint8 and packed.gaps.size == cells.size
    np.testing.assert_array_equal(packed.unpack(), cells)
    assert packed.unpack().dtype == np.int64


def test_packed_cells_keep_only_the_wide_gaps_apart() -> None:
    # Consecutive days of one bin cost a byte each; a jump to a far bin is kept apart.
    cells = np.array([5, 6, 7, 7 + GAP_BYTE, 8 + GAP_BYTE, 100_000, 100_001], dtype=np.int32)
    packed = PackedCells.pack(cells)
    assert packed.at.tolist() == [5]
    assert packed.wide.tolist() == [100_000 - (8 + GAP_BYTE)]
    assert packed.gaps.tolist() == [5, 1, 1, GAP_BYTE, 1, 0, 1]
    np.testing.assert_array_equal(packed.unpack(), cells)
