"""A run's summaries are the same whether its outcome table is held or read back from disk
one column at a time (``Results.column``): there is one way to summarise, at any size."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from drawdown_sim import run
from drawdown_sim.analysis.results import Results
from tests.helpers import scenario


def test_summaries_of_a_run_read_back_are_those_of_the_run_as_held(tmp_path: Path):
    held = run(scenario("baseline"), reps=200, seed=7, workers=1, out=tmp_path / "r")
    loaded = Results.load(tmp_path / "r")
    pd.testing.assert_frame_equal(loaded.summary(), held.summary())
    a, b = loaded.completion(), held.completion()
    for field in ("runs", "by_planned_end", "by_window_end", "censored", "median_day"):
        assert getattr(a, field) == getattr(b, field), field
    column = loaded.column("attacks")
    assert not column.flags.writeable  # callers cannot change what the next one reads
    assert column.size == 200
