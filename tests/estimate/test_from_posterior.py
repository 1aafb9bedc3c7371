"""uncertainties: {from_posterior: PATH}: whole draws per replication and per sweep state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from drawdown_sim.cli import app
from drawdown_sim.scenario import ScenarioError, load_scenario
from drawdown_sim.scenario.posterior import for_replication, posterior_file

ROOT = Path(__file__).resolve().parents[2]


def _posterior(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "posterior.parquet"
    frame.to_parquet(path, index=False)
    return path


def _scenario(tmp_path: Path, posterior: Path | str, extra: str = "") -> Path:
    path = tmp_path / "with_posterior.yaml"
    path.write_text(
        f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: with_posterior\n{extra}"
        f"uncertainties:\n  from_posterior: {posterior}\n"
    )
    return path


TWO_DRAWS = pd.DataFrame(
    {
        "militia.branching_ratio": [0.1, 0.6],
        "militia.trigger_days": [1.0, 4.0],
        "weight": [0.25, 0.75],
    }
)


def test_replications_run_at_whole_draws_by_weight(tmp_path: Path) -> None:
    scenario = load_scenario(_scenario(tmp_path, _posterior(tmp_path, TWO_DRAWS)))
    pairs = [
        (
            for_replication(scenario, r).militia.branching_ratio,
            for_replication(scenario, r).militia.trigger_days,
        )
        for r in range(400)
    ]
    assert set(pairs) == {(0.1, 1.0), (0.6, 4.0)}  # whole draws: never (0.1, 4.0)
    share = np.mean([p == (0.6, 4.0) for p in pairs])
    assert abs(share - 0.75) < 3 * np.sqrt(0.75 * 0.25 / 400)
    # The same replication gets the same draw (options of a comparison are paired).
    assert for_replication(scenario, 7) is for_replication(scenario, 7)


def test_sweep_states_are_whole_draws(tmp_path: Path) -> None:
    from drawdown_sim.scenario.study import Study, state_values

    scenario = load_scenario(_scenario(tmp_path, _posterior(tmp_path, TWO_DRAWS)))
    study = Study.model_validate(
        {
            "name": "s",
            "options": ["a.yaml", "b.yaml"],
            "states": 40,
            "replications": 2,
            "outcomes": ["killed"],
        }
    )
    states = state_values(study, scenario)
    assert len(states) == 40
    for state in states:
        pair = (state["militia.branching_ratio"], state["militia.trigger_days"])
        assert pair in {(0.1, 1.0), (0.6, 4.0)}
        # the baseline's other ranges are still sampled
        assert 2 <= state["shocks.random.rate_per_year"] <= 8


def test_posterior_changes_the_runs(tmp_path: Path) -> None:
    """Two one-draw posteriors differing only in the restraint rate (1.5 against 0.0123 a
    day, with switching and shocks off so the militias stay in restraint): the runs follow
    the draw, about 120 times the attacks."""
    runner = CliRunner()
    outcomes = {}
    for label, rate in (("heavy", 1.5), ("light", 0.0123)):
        folder = tmp_path / label
        folder.mkdir()
        draw = pd.DataFrame({"militia.restraint.attack_rate": [rate], "weight": [1.0]})
        path = _scenario(
            folder,
            _posterior(folder, draw),
            "militia: {switching: false}\nshocks: {enabled: false}\n",
        )
        out = folder / "out"
        args = ["run", str(path), "--reps", "4", "--out", str(out), "--no-plots", "--json"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        outcomes[label] = pd.read_parquet(out / "outcomes.parquet")["attacks"].mean()
    assert outcomes["heavy"] > 40 * max(outcomes["light"], 1.0)


def test_bad_posterior_is_one_line_each(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"uncertainties.from_posterior: no posterior"):
        load_scenario(_scenario(tmp_path, tmp_path / "missing.parquet"))
    wrong = pd.DataFrame({"militia.no_such_field": [1.0], "weight": [1.0]})
    with pytest.raises(ScenarioError, match=r"'militia.no_such_field' is not a numeric field"):
        load_scenario(_scenario(tmp_path, _posterior(tmp_path, wrong)))


def test_shipped_posterior_is_used_by_the_baseline() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert scenario.posterior == "posterior_2019_2024"
    assert posterior_file(scenario.posterior) is not None


def test_a_set_key_the_posterior_draws_keeps_its_value():
    """``--set KEY=VALUE`` of a key the posterior draws is pinned: no draw replaces it (it
    used to be overwritten at every replication, silently)."""
    from drawdown_sim import load_scenario
    from drawdown_sim.scenario.posterior import for_replication, load

    base = load_scenario("baseline")
    assert base.posterior is not None
    key = "militia.campaign.attack_rate"
    assert key in load(base.posterior)[0]
    pinned = load_scenario("baseline", [f"{key}=7.5"])
    assert pinned.uncertainties[key] == "fixed"
    for replication in range(5):
        assert for_replication(pinned, replication).militia.campaign.attack_rate == 7.5
    drawn = {for_replication(base, r).militia.campaign.attack_rate for r in range(20)}
    assert len(drawn) > 1 and 7.5 not in drawn  # without the pin, the draws vary
