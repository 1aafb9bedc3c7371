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

from drawdown_sim.analysis.discovery import (
    BoxCounts,
    ConditionError,
    Discovery,
    discover_frame,
    discovery_from_dict,
    evaluate_condition,
    inside,
)
from drawdown_sim.cli import app
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
    # No step of the threshold's density covers as much and is denser (ties go to density).
    at = t.loc[found.chosen]
    rivals = t[(t["density"] >= 0.8) & (t["coverage"] >= at["coverage"])]
    assert (rivals["density"] <= at["density"]).all()


def test_the_box_is_also_scored_on_states_it_was_not_found_on():
    found = discover_frame(_synthetic(), ["a", "b", "c"], "killed + wounded >= 10", "hub")
    # The box's own counts are PRIM's coverage and density.
    assert found.sample is not None and found.sample.states == 400
    assert found.sample.coverage == pytest.approx(found.coverage)
    assert found.sample.density == pytest.approx(found.density)
    assert found.sample.in_box == round(found.mass * 400)
    # Every state is scored once, by the box found on the other half.
    held = found.held_out
    assert held is not None and held.states == 400 and held.cases == found.cases
    # A real region holds up on new states.
    assert held.coverage >= 0.8 and held.density_interval[0] >= 0.5
    lines = found.findings()
    assert any("not found on" in line and "[" in line for line in lines)
    assert not any("chance" in line for line in lines)


def _noise(seed: int, n: int = 80) -> pd.DataFrame:
    """Eight parameters that do nothing, and a condition true in about 30% of states."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({name: rng.random(n) for name in "abcdefgh"})
    return x.assign(state=range(n), option="hub", killed=(rng.random(n) < 0.3) * 10.0, wounded=0.0)


def test_a_box_fitted_to_noise_does_not_hold_up_on_new_states():
    """At a low threshold PRIM finds boxes of density 0.5 in pure noise; scored on states they
    were not found on, they hold the condition at its base rate."""
    sample = held = base = total = 0
    sample_in = held_in = 0
    flagged = 0
    for seed in (3, 5, 6, 7):
        frame = _noise(seed)
        found = discover_frame(frame, list("abcdefgh"), "killed >= 10", "hub", threshold=0.5)
        assert found.sample is not None and found.held_out is not None
        assert found.sample.density >= 0.5  # the overfitted box
        sample += found.sample.cases_in_box
        sample_in += found.sample.in_box
        held += found.held_out.cases_in_box
        held_in += found.held_out.in_box
        base += found.cases
        total += found.states
        flagged += any("no better than chance" in line for line in found.findings())
    pooled = BoxCounts(total, base, held_in, held)
    low, high = pooled.density_interval
    assert low <= base / total <= high  # no better than chance on new states
    assert high < sample / sample_in  # and clearly below what the box claims for itself
    assert flagged >= 3


def _found(held: BoxCounts | None, quasi_p: float) -> Discovery:
    """A discovery of 30 states of interest in 100, the box holding 27 of them in 30."""
    limits = pd.DataFrame(
        {"parameter": ["a", "b"], "restricted": [True, False], "qp": [quasi_p, np.nan]}
    )
    return Discovery(
        condition="killed >= 1",
        option="hub",
        states=100,
        cases=30,
        limits=limits,
        coverage=0.9,
        density=0.9,
        mass=0.3,
        trajectory=pd.DataFrame(),
        chosen=0,
        threshold=0.8,
        sample=BoxCounts(100, 30, 30, 27),
        held_out=held,
    )


@pytest.mark.parametrize(
    ("held", "quasi_p", "says", "never"),
    [
        # Held out as good as its own: no warning, and a restriction clearly not chance.
        (BoxCounts(100, 30, 31, 27), 0.001, [], ["chance"]),
        # Density 10 of 30 on new states: the base rate (30%) is inside its interval.
        (BoxCounts(100, 30, 30, 10), 0.001, ["no better than chance (30%)"], []),
        # Better than chance (20 of 34) but below its own 90%.
        (BoxCounts(100, 30, 34, 20), 0.001, ["better than chance on new states, but"], []),
        # Every restriction's quasi-p-value 0.05 or more.
        (BoxCounts(100, 30, 31, 27), 0.2, ["No restriction is clearly more than chance"], []),
        (None, 0.001, ["Too few states of interest"], ["chance"]),
    ],
)
def test_the_findings_say_how_far_the_box_holds(
    held: BoxCounts | None, quasi_p: float, says: list[str], never: list[str]
):
    text = " ".join(_found(held, quasi_p).findings())
    assert "killed >= 1 holds for hub in 30 of 100 states." in text
    assert "coverage 90% [" in text and "density 90% [" in text
    for phrase in says:
        assert phrase.replace(" (30%)", "") in text
        if "(30%)" in phrase:
            assert "(30%)" in text
    for phrase in never:
        assert phrase not in text


def test_the_reported_step_covers_most_then_is_densest_then_earliest():
    from drawdown_sim.analysis.discovery import choose_step

    trajectory = pd.DataFrame(
        {
            "coverage": [1.0, 1.0, 1.0, 1.0, 0.9, 0.5],
            "density": [0.6, 0.7, 0.85, 0.85, 0.95, 1.0],
        }
    )
    assert choose_step(trajectory, 0.6) == 2  # not the whole space (0), nor its twin (3)
    assert choose_step(trajectory, 0.9) == 4
    # None reaches the threshold: the largest coverage x density.
    halved = trajectory.assign(density=trajectory["density"] / 2)
    assert choose_step(halved, 0.9) == 4  # 0.9 x 0.475 edges out 1.0 x 0.425


def test_box_intervals_are_wilson_intervals():
    from scipy.stats import binomtest

    counts = BoxCounts(states=120, cases=30, in_box=25, cases_in_box=18)
    assert counts.coverage == 18 / 30 and counts.density == 18 / 25
    for interval, (k, n) in (
        (counts.coverage_interval, (18, 30)),
        (counts.density_interval, (18, 25)),
    ):
        expected = binomtest(k, n).proportion_ci(method="wilson")
        assert interval == pytest.approx((expected.low, expected.high), abs=1e-12)
    empty = BoxCounts(states=10, cases=3, in_box=0, cases_in_box=0)
    assert np.isnan(empty.density) and all(np.isnan(empty.density_interval))


def test_a_new_state_beyond_an_unrestricted_side_is_inside():
    limits = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "low": [0.6, 0.0],
            "high": [1.0, 0.3],
            "full_low": [0.0, 0.0],
            "full_high": [1.0, 1.0],
        }
    )
    x = pd.DataFrame({"a": [0.6, 1.7, 0.59, 0.8, 0.8], "b": [0.3, -5.0, 0.1, 0.31, 0.2]})
    assert inside(x, limits).tolist() == [True, True, False, False, True]


def test_too_few_cases_to_hold_out_says_so_and_round_trips():
    frame = _synthetic(60)
    frame.loc[:, "killed"] = 0.5
    frame.loc[7, "killed"] = 20.0  # a single state of interest: one half has none
    found = discover_frame(frame, ["a", "b", "c"], "killed >= 10", "hub")
    assert found.held_out is None and found.cases == 1
    assert any("Too few states of interest" in line for line in found.findings())
    again = discovery_from_dict(json.loads(json.dumps(found.to_dict())))
    assert again.sample == found.sample and again.held_out is None
    full = discover_frame(_synthetic(), ["a", "b", "c"], "killed + wounded >= 10", "hub")
    payload = json.loads(json.dumps(full.to_dict()))
    assert discovery_from_dict(payload).held_out == full.held_out
    # A file written before the held-out check still reads, and says it has no intervals.
    del payload["sample"], payload["held_out"]
    older = discovery_from_dict(payload)
    assert older.sample is None and "no intervals" in " ".join(older.findings())


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
    assert document["held_out"]["states"] == 24 and document["sample"]["cases"] == document["cases"]
    assert document["held_out"]["density_lo"] <= document["held_out"]["density"]
    assert (out / "discovery.json").exists()
    assert (out / "plots" / "discovery_peeling.png").exists()
    html = (out / "report.html").read_text()
    assert "Scenario discovery for kurdistan_hub" in html
    assert "On states it was not found on" in html or "Too few states of interest" in html
    bad = CliRunner().invoke(
        app, ["discover", str(study), "--where", "open('x')", "--out", str(out)]
    )
    assert bad.exit_code == 2 and "--where" in bad.output
    # A sweep that replaces this one removes the discovery (and report) made from it.
    study.write_text(study.read_text().replace("replications: 10", "replications: 4"))
    refused = CliRunner().invoke(
        app, ["sweep", str(study), "--out", str(out), "--workers", "1", "--no-plots"]
    )
    assert refused.exit_code == 3, refused.output
    assert (out / "discovery.json").exists()
    replaced = CliRunner().invoke(
        app, ["sweep", str(study), "--out", str(out), "--workers", "1", "--no-plots", "--force"]
    )
    assert replaced.exit_code == 0, replaced.output
    assert not (out / "discovery.json").exists() and not (out / "report.html").exists()
    assert not (out / "plots" / "discovery_peeling.png").exists()
