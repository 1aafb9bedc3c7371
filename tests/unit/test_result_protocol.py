"""Run, comparison and sweep share one result protocol; plots and the report dispatch on
the result's type, and the CLI hands them the result it holds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from drawdown_sim import load_scenario, run
from drawdown_sim.analysis.comparison import Comparison
from drawdown_sim.analysis.protocol import Result
from drawdown_sim.analysis.sweeps import Sweep
from drawdown_sim.cli import app
from drawdown_sim.present.plots import write_plots
from drawdown_sim.present.report import write_report

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("run") / "r"
    return run(load_scenario(BASELINE), reps=10, seed=3, workers=1, out=out)


def test_a_run_is_a_result_with_its_tables(finished) -> None:
    assert isinstance(finished, Result)
    assert set(finished.tables()) >= {"outcomes", "series"}
    assert len(finished.tables()["outcomes"]) == 10
    assert "mean" in finished.summary().columns
    assert finished.manifest.kind == "run"


def test_a_comparison_and_a_sweep_are_results(finished) -> None:
    comparison = Comparison({"baseline": finished}, pd.DataFrame({"x": [1]}), "baseline")
    assert isinstance(comparison, Result)
    assert comparison.summary() is comparison.table
    assert set(comparison.tables()) == {"comparison", "outcomes/baseline"}
    empty = pd.DataFrame()
    sweep = Sweep(empty, pd.DataFrame({"r": [1]}), empty, empty, study=None, parameters=[])  # type: ignore[arg-type]
    assert isinstance(sweep, Result)
    assert sweep.summary() is sweep.regret
    assert set(sweep.tables()) == {"states", "regret", "satisficing", "sensitivity"}
    assert not isinstance(object(), Result)


def test_plots_dispatch_on_the_type_and_take_their_formats(finished) -> None:
    written = write_plots(finished, formats=("svg",))
    assert written and all(p.suffix == ".svg" and p.exists() for p in written)
    assert not list((finished.path / "plots").glob("*.png"))
    with pytest.raises(TypeError, match="no plots for a str"):
        write_plots("a path is not a result")


def test_the_report_dispatches_on_the_type(finished, tmp_path: Path) -> None:
    target = write_report(finished, tmp_path / "r.html")
    assert target == tmp_path / "r.html" and "<svg" in target.read_text()
    with pytest.raises(TypeError, match="no report for a int"):
        write_report(3)


def test_the_cli_draws_the_result_it_holds_without_loading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: object) -> None:
        raise AssertionError(f"{path} read back from disk")

    monkeypatch.setattr("drawdown_sim.analysis.loading.load", refuse)
    monkeypatch.setattr("drawdown_sim.analysis.results.Results.load", refuse)
    out = tmp_path / "o"
    args = ["run", str(BASELINE), "--reps", "10", "--workers", "1", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--format", "svg"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    assert (out / "plots" / "escalation.svg").exists() and (out / "report.html").exists()
    assert not (out / "plots" / "escalation.png").exists()
