"""The decision layer: Pareto set on paired differences, weighted score and regret, what flips
the ranking (PRIM on a corner of the real model), and the value of information."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from drawdown_sim.analysis import decision
from drawdown_sim.cli import app
from drawdown_sim.scenario import Scenario, load_scenario
from drawdown_sim.scenario.study import Study
from tests.conftest import SCENARIOS

OPTIONS = SCENARIOS / "options"


def _units(n: int = 300, seed: int = 1) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Options a, b, c, d over n units: a is better than d on both columns by a margin far
    beyond the noise; a and b trade (a fewer x, b fewer y); c equals a up to noise; b and d
    have the same x."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 1, (n, 2))  # shared by every option: common random numbers
    noise = lambda: rng.normal(0, 0.3, (n, 2))  # noqa: E731
    means = {"a": (1.0, 2.0), "b": (2.0, 1.0), "c": (1.0, 2.0), "d": (2.0, 3.0)}
    values = {o: common + np.array(m) + noise() for o, m in means.items()}
    samples = {
        col: pd.DataFrame({o: v[:, k] for o, v in values.items()}) for k, col in enumerate("xy")
    }
    return pd.DataFrame({"unit": range(n)}), samples


def test_pareto_set_drops_only_what_is_dominated_beyond_the_noise():
    _, samples = _units()
    pareto = decision.pareto_set(samples, {"x": "lower", "y": "lower"}, seed=3)
    assert pareto.members == ["a", "b", "c"]  # a and c: indistinguishable, neither dominated
    table = pareto.table.set_index("option")
    # b ties d on x (the same mean) and beats it on y: a tie does not save d.
    assert set(table.loc["d", "dominated_by"].split(", ")) == {"a", "b", "c"}
    # A higher-is-better column turns the verdicts round: d beats every other option.
    flipped = decision.pareto_set(samples, {"x": "higher", "y": "higher"}, seed=3)
    assert flipped.members == ["d"]


def test_weighted_score_and_regret_are_the_means_of_the_per_unit_losses():
    _, samples = _units()
    weights = {"x": 1.0, "y": 0.5}
    loss = decision.losses(samples, weights, {"x": "lower", "y": "lower"})
    expected = samples["x"] + 0.5 * samples["y"]
    pd.testing.assert_frame_equal(loss, expected)
    table = decision.weighted_table(loss, seed=3).set_index("option")
    assert table.index[0] == "a" or table.index[0] == "c"
    for option in "abcd":
        row = table.loc[option]
        assert row["score"] == pytest.approx(expected[option].mean())
        regret = (expected[option] - expected.min(axis=1)).mean()
        assert row["regret"] == pytest.approx(regret)
        assert row["score_lo"] < row["score"] < row["score_hi"]
        assert row["regret_lo"] <= row["regret"] <= row["regret_hi"]
    assert table["best_in"].sum() == pytest.approx(1.0)  # no ties among continuous losses


def test_evppi_is_positive_for_the_decisive_parameter_and_zero_for_the_irrelevant_one():
    """Two options; B's loss is 0.5, A's is the decisive parameter a (plus noise); b plays no
    part. Knowing a lets one choose A when a < 0.5: the EVPPI of a is E[max(0, 0.5 - a)] =
    0.125 for a uniform on [0, 1]; that of b is zero."""
    rng = np.random.default_rng(11)
    n = 400
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n)})
    noise = rng.normal(0, 0.1, n)
    loss = pd.DataFrame({"A": x["a"] + noise, "B": 0.5 + rng.normal(0, 0.1, n)})
    table = decision.value_of_information(x, {"loss": loss}, seed=5).set_index("parameter")
    decisive, irrelevant = table.loc["a"], table.loc["b"]
    assert decisive["low"] > 0.05 and bool(decisive["decisive"])
    assert decisive["low"] <= 0.125 <= decisive["high"] + 0.01
    assert irrelevant["low"] <= 0.0 <= irrelevant["high"] and not bool(irrelevant["decisive"])
    # The in-sample Strong-Oakley figure flatters the irrelevant parameter: never below zero.
    assert irrelevant["strong_oakley"] >= -1e-9
    assert list(table.index) == ["a", "b"]  # largest first


def _corner_option(name: str) -> Scenario:
    """An option with two uncertain parameters: the Kurdistan (Harir) attack propensity, the
    corner that reverses kurdistan_hub against advisory_500 on follow-on militia attacks, and
    one that cannot matter with ISIS switched off (for speed)."""
    data = load_scenario(OPTIONS / f"{name}.yaml").to_data()
    data["uncertainties"] = {
        "sites.3.attack_propensity": {"uniform": [0.05, 1.0]},
        "isis.capacity_lag_days": {"uniform": [60, 240]},
    }
    data["isis"]["enabled"] = False
    return Scenario.model_validate(data)


def test_flip_analysis_names_the_parameter_that_reverses_kurdistan_hub_and_advisory_500(
    tmp_path: Path,
):
    from drawdown_sim.analysis.sweeps import sweep

    options = [_corner_option("kurdistan_hub"), _corner_option("advisory_500")]
    study = Study(
        name="corner",
        options=["kurdistan_hub.yaml", "advisory_500.yaml"],
        states=24,
        replications=3,
        seed=7,
        objectives=[{"outcome": "attacks", "period": "follow_on"}],
    )
    result = sweep(study, options, workers=1, out=tmp_path / "corner")
    assert result.flips is not None and len(result.flips) == 1
    row = result.flips.iloc[0]
    assert {row["winner"], row["loser"]} == {"kurdistan_hub", "advisory_500"}
    assert 0.2 < row["winner_share"] <= 0.5  # the ranking does flip inside the range
    assert row["deciding_parameter"] == "sites.3.attack_propensity"
    word = "below" if row["winner"] == "kurdistan_hub" else "above"
    assert f"sites.3.attack_propensity is {word}" in row["sentence"]
    written = pd.read_csv(tmp_path / "corner" / "flips.csv")
    assert written.loc[0, "deciding_parameter"] == "sites.3.attack_propensity"


def test_sweep_json_has_the_decision(tmp_path: Path):
    study = tmp_path / "study.yaml"
    study.write_text(
        f"name: tiny\noptions: [{OPTIONS / 'status_quo_talks.yaml'}, "
        f"{OPTIONS / 'kurdistan_hub.yaml'}]\nstates: 4\nreplications: 2\n"
        "objectives:\n  - {outcome: killed, period: both}\n  - {outcome: isis_attacks}\n"
        "weights: {killed_both: 1, isis_attacks_both: 0.02}\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["sweep", str(study), "--workers", "1", "--no-plots", "--json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {"pareto", "weighted", "flips", "value_of_information"} <= set(document)
    assert {r["option"] for r in document["weighted"]} == {"status_quo_talks", "kurdistan_hub"}
    assert {r["option"] for r in document["pareto"]} == {"status_quo_talks", "kurdistan_hub"}
    for name in ("pareto", "weighted", "flips", "value_of_information"):
        assert (out / f"{name}.csv").is_file()
    # Not applicable: the status quo has no plan, so its completion outcomes are null.
    frame = pd.read_parquet(out / "sweep.parquet")
    quo = frame[frame["option"] == "status_quo_talks"]
    assert quo["completion_day"].isna().all() and quo["completed_on_time"].isna().all()
    assert frame.loc[frame["option"] == "kurdistan_hub", "completed_on_time"].notna().all()


def test_study_objectives_and_weights_are_checked():
    from pydantic import ValidationError

    base = {"name": "s", "options": ["a", "b"]}
    with pytest.raises(ValidationError, match="give outcomes or objectives"):
        Study(**base)
    with pytest.raises(ValidationError, match="missing"):
        Study(
            **base,
            objectives=[{"outcome": "killed"}, {"outcome": "attacks"}],
            weights={"killed_both": 1},
        )
    with pytest.raises(ValidationError, match="unknown outcome"):
        Study(**base, objectives=[{"outcome": "killed_follow_on"}])
    study = Study(**base, objectives=[{"outcome": "killed", "period": "both"}])
    assert study.outcomes == ["killed_both"] and study.direction_of("killed_both") == "lower"
    assert Study.model_validate(study.model_dump(mode="json")) == study
