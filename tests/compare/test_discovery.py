"""Scenario discovery with PRIM (EMA Workbench): a synthetic case with a known region, the
condition language, and the command end to end."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from drawdown_sim.cli import app
from drawdown_sim.discovery import ConditionError, discover_frame, evaluate_condition
from tests.conftest import ROOT


def _synthetic(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """States where killed + wounded >= 10 exactly when a > 0.6 and b < 0.3 (c is noise)."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "c": rng.random(n)})
    inside = (x["a"] > 0.6) & (x["b"] < 0.3)
    return x.assign(
        state=range(n),
        option="hub",
        killed=np.where(inside, 9.5, 0.5),
        wounded=rng.uniform(0.5, 1.0, n),
    )


def test_prim_finds_the_known_region():
    found = discover_frame(_synthetic(), ["a", "b", "c"], "killed + wounded >= 10", "hub")
    box = found.limits.set_index("parameter")
    assert set(found.limits.loc[found.limits["restricted"], "parameter"]) == {"a", "b"}
    assert 0.5 <= box.loc["a", "low"] <= 0.65 and box.loc["a", "high"] == box.loc["a", "full_high"]
    assert 0.25 <= box.loc["b", "high"] <= 0.45 and box.loc["b", "low"] == box.loc["b", "full_low"]
    assert not box.loc["c", "restricted"]
    assert found.density >= 0.8 and found.coverage >= 0.8
    truth = ((_synthetic()["a"] > 0.6) & (_synthetic()["b"] < 0.3)).sum()
    assert found.cases == truth
    assert box.loc["a", "qp"] < 1e-3 and box.loc["b", "qp"] < 1e-3
    # The trajectory trades coverage for density, and the chosen step is on it.
    t = found.trajectory
    assert t["coverage"].is_monotonic_decreasing and t.loc[found.chosen, "density"] >= 0.8


@pytest.mark.parametrize(
    "condition",
    [
        "__import__('os').system('true') >= 1",
        "killed.real >= 1",
        "nope >= 1",
        "killed",
        "killed >= 1 >= 0",
        "killed >= ",
        "x" * 300,
    ],
)
def test_a_condition_is_only_outcomes_numbers_and_arithmetic(condition: str):
    with pytest.raises(ConditionError):
        evaluate_condition(condition, _synthetic(10))


def test_a_condition_that_holds_everywhere_has_nothing_to_discover():
    with pytest.raises(ConditionError, match="no region"):
        discover_frame(_synthetic(), ["a", "b", "c"], "killed >= 0", "hub")


def test_the_discover_command_end_to_end(tmp_path: Path):
    study = tmp_path / "study.yaml"
    options = ROOT / "scenarios" / "options"
    study.write_text(
        textwrap.dedent(f"""\
        name: small
        options: [{options / "kurdistan_hub.yaml"}, {options / "full_exit.yaml"}]
        states: 24
        replications: 10
        outcomes: [killed, isis_attacks]
    """)
    )
    out = tmp_path / "out"
    frame_condition = "isis_attacks >= 0"  # replaced below by a median split
    first = CliRunner().invoke(
        app, ["sweep", str(study), "--out", str(out), "--workers", "1", "--no-plots"]
    )
    assert first.exit_code == 0, first.output
    frame = pd.read_parquet(out / "sweep.parquet")
    median = frame.loc[frame["option"] == "kurdistan_hub", "isis_attacks"].median()
    frame_condition = f"isis_attacks >= {median}"
    result = CliRunner().invoke(
        app,
        [
            "discover",
            str(study),
            "--where",
            frame_condition,
            "--out",
            str(out),
            "--workers",
            "1",
            "--threshold",
            "0.6",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["option"] == "kurdistan_hub" and document["states"] == 24
    assert 0 < document["cases"] < 24 and document["density"] >= 0.6
    assert {"parameter", "low", "high", "restricted", "qp"} <= set(document["box"][0])
    assert (out / "discovery.json").exists()
    assert (out / "plots" / "discovery_peeling.png").exists()
    html = (out / "report.html").read_text()
    assert "Scenario discovery for kurdistan_hub" in html
    bad = CliRunner().invoke(
        app, ["discover", str(study), "--where", "open('x')", "--out", str(out)]
    )
    assert bad.exit_code == 2 and "--where" in bad.output
