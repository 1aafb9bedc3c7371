"""The seams a new user trips on: the dask engine without its extra, shipped names in
``load_scenario``, summaries in the console and in notebooks, and the standard deviation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from drawdown_sim import Results, compare, load_scenario, run
from drawdown_sim.runner.engines import DASK_MISSING, EngineError, make_engine
from tests.helpers import scenario

WITHOUT_DASK = "import sys; sys.modules['distributed'] = None; "


def test_the_dask_engine_without_its_extra_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(EngineError, match=r"pip install 'drawdown-sim\[dask\]'"):
        make_engine("dask")
    assert make_engine("local", workers=1).workers == 1  # the local engine needs none of it


def test_the_command_line_without_dask_gives_one_line_and_exit_2(tmp_path: Path):
    code = (
        WITHOUT_DASK + "from drawdown_sim.cli import main; sys.argv = ['drawdown-sim', 'run', "
        "'baseline', '--reps', '4', '--engine', 'dask', '--out', 'r', '--no-plots']; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [DASK_MISSING]
    assert not (tmp_path / "r").exists()  # nothing written


def test_load_scenario_takes_a_shipped_name(baseline_path: Path):
    assert load_scenario("baseline") == load_scenario(baseline_path)
    assert load_scenario("full_exit").name == "full_exit"


def test_summaries_for_the_console_and_notebooks(tmp_path: Path):
    results = run(scenario("baseline"), reps=30, seed=1, workers=1, out=tmp_path / "r")
    text = repr(results)
    assert text.startswith("<Results 'baseline': 30 replications, seed 1 at ")
    page = results._repr_html_()
    assert "<table" in page and "killed" in page and "std" in page
    summary = results.summary()
    killed = results.column("killed")
    assert summary.loc["killed", "std"] == pytest.approx(np.std(killed, ddof=1), rel=1e-12)
    assert summary.loc["killed", "mean_lo"] <= summary.loc["killed", "mean"]
    loaded = Results.load(tmp_path / "r")
    assert repr(loaded) == text
    pair = compare(
        [scenario("status_quo"), scenario("full_exit")],
        reps=10,
        seed=2,
        workers=1,
        out=tmp_path / "c",
    )
    assert repr(pair).startswith("<Comparison of 2 options ['status_quo', 'full_exit']")
    assert "Paired differences from status_quo" in pair._repr_html_()
    assert len(repr(pair)) < 300  # a line, not the dataclass's dump of every table
