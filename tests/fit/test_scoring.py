"""Proper scores out of sample (issue 34, deliverable 5): exact scoring rules, the episode
blocks, the naive forecasts, and a deliberately broken model that must score worse."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from drawdown_sim.calibration.scoring import (
    EPISODES,
    HORIZONS,
    blocks,
    crps_counts,
    episode_scenario,
    read_record,
    score_episode,
)
from drawdown_sim.cli import app

RESTRAINT = next(e for e in EPISODES if e.name == "2024 restraint")
ONSET = next(e for e in EPISODES if e.name == "2023 onset")


@pytest.mark.parametrize("observed", [0, 3, 7, 20])
def test_crps_of_a_count_law_is_the_energy_form(observed: int):
    # CRPS = E|X - y| - E|X - X'| / 2, here summed exactly over a Poisson(6) law's support.
    k = np.arange(80)
    pmf = stats.poisson.pmf(k, 6.0)
    energy = np.sum(pmf * np.abs(k - observed)) - 0.5 * np.sum(
        pmf[:, None] * pmf[None, :] * np.abs(k[:, None] - k[None, :])
    )
    assert crps_counts(np.cumsum(pmf), observed) == pytest.approx(energy, abs=1e-9)
    # A point mass at m scores |y - m|.
    point = (k >= 4).astype(float)
    assert crps_counts(point, observed) == pytest.approx(abs(observed - 4))


def test_episode_blocks_are_about_30_days():
    onset = read_record(ONSET, episode_scenario(ONSET))
    # Report days from 2023-10-07: the first report at least 30 days after the last cut.
    assert blocks(onset) == [(-1, 38), (38, 75), (75, 105), (105, 120)]
    assert onset.attacks == 78
    restraint = read_record(RESTRAINT, episode_scenario(RESTRAINT))
    cut = blocks(restraint)
    assert cut[0] == (-1, 29) and all(b - a == 30 for a, b in cut[:-1]) and cut[-1][1] == 208
    assert restraint.attacks == 4


@pytest.fixture(scope="module")
def shipped():
    return score_episode(RESTRAINT, reps=300, seed=5)


def test_held_out_restraint_is_estimated_on_the_other_episode(shipped):
    # The campaign rate comes from the 2023 episode's 78 attacks in 121 days; the restraint
    # rate has no other episode and is said to be the shipped default.
    assert shipped.values == {"militia.campaign.attack_rate": pytest.approx(78 / 121)}
    assert len(shipped.fallbacks) == 1 and "restraint.attack_rate" in shipped.fallbacks[0]
    recent, long_run = shipped.naive
    assert long_run.rate == pytest.approx(78.5 / 121)
    # A naive onset forecast: Poisson onsets at (onsets + 0.5) / days, here 1 onset in 121.
    assert long_run.brier[-1] == pytest.approx((1 - math.exp(-1.5 / 121 * HORIZONS[-1])) ** 2)
    assert all(0.0 <= p <= 1.0 for p in shipped.model.pit)


def test_talks_that_do_nothing_score_worse_on_the_2024_restraint(shipped):
    """The broken model: talks as provocative as no timetable at all. Its campaign onsets in
    2024 (which did not happen) must cost it in the Brier and the log score."""
    broken = score_episode(
        RESTRAINT, reps=300, seed=5, overrides={"militia.timetable_factor.negotiating": 2.0}
    )
    # The 180-day Brier is (p - 0)^2: p's standard error is at most 0.5/sqrt(300) = 0.03.
    p_shipped = math.sqrt(shipped.model.brier[-1])
    p_broken = math.sqrt(broken.model.brier[-1])
    assert p_broken - p_shipped > 4 * 0.5 * math.sqrt(2 / 300), (p_shipped, p_broken)
    assert np.mean(broken.model.brier) > np.mean(shipped.model.brier)
    assert np.mean(broken.model.log_score) < np.mean(shipped.model.log_score)
    assert np.mean(broken.model.crps) > np.mean(shipped.model.crps)


def test_score_command_json_has_scores_and_skills_per_episode():
    result = CliRunner().invoke(app, ["backtest", "--score", "--reps", "40", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [e["episode"] for e in document["episodes"]] == [e.name for e in EPISODES]
    for episode in document["episodes"]:
        assert set(episode["naive"]) == {"last 90 days", "long-run rate"}
        for naive in episode["skill"].values():
            assert set(naive) == {"crps", "log_score", "brier"}
            assert set(naive["crps"]) == {"skill", "low", "high"}
        assert len(episode["model"]["pit"]) == len(episode["blocks"])
    assert set(document["pooled_skill"]) == {"last 90 days", "long-run rate"}


def test_score_refuses_a_scenario_argument():
    result = CliRunner().invoke(app, ["backtest", "--score", "baseline"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
