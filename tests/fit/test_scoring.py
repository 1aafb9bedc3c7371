"""Proper scores out of sample (issue 34, deliverable 5): exact scoring rules; the blocks,
onsets (with their censoring) and naive forecasts read from the record; a deliberately broken
model that must score worse; the whole leave-one-episode-out path at a small budget."""

from __future__ import annotations

import csv
import json
import math
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

pytest.importorskip("pyabc")

from drawdown_sim.calibration.record import Count, Episode, Record, load_record, shipped_record  # noqa: E402
from drawdown_sim.calibration.scoring import (  # noqa: E402
    HORIZONS,
    blocks,
    crps_counts,
    onset_outcomes,
    score_episode,
)
from drawdown_sim.cli import app  # noqa: E402
from drawdown_sim.scenario import load_scenario  # noqa: E402
from drawdown_sim.scenario.posterior import SHIPPED  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def record() -> Record:
    return load_record(shipped_record())


@pytest.fixture(scope="module")
def base():
    return load_scenario(ROOT / "scenarios" / "baseline.yaml")


def _episode(record: Record, name: str) -> Episode:
    return next(e for e in record.episodes if e.name == name)


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


def test_blocks_merge_the_record_tallies_to_about_30_days(record: Record):
    # 2023-10-07..: tallies of 10, 14, 15, 9, 28 and 45 days merged to at least 30 days.
    assert blocks(_episode(record, "onset_2023")) == [(0, 38, 27), (39, 75, 20), (76, 120, 31)]
    # One tally of 209 days is one block: the record does not resolve it further.
    assert blocks(_episode(record, "restraint_2024")) == [(0, 208, 4)]
    # The late-2019 tallies start on 2019-10-28, day 27 of the episode.
    assert blocks(_episode(record, "late_2019")) == [(27, 87, 11)]


def test_onsets_come_from_the_tallies_and_are_censored_where_they_cannot_say(record: Record):
    assert onset_outcomes(_episode(record, "onset_2023"))[0] == [1, 1, 1]
    assert onset_outcomes(_episode(record, "restraint_2024"))[0] == [0, 0, 0]
    # 136 days long: nothing is known of day 180.
    outcomes, why = onset_outcomes(_episode(record, "agreement_2021"))
    assert outcomes == [0, 0, None] and "136 days long" in why[0]
    # The first 27 days are not tallied: no horizon is observed.
    assert onset_outcomes(_episode(record, "late_2019"))[0] == [None, None, None]
    # An onset tally from day 20 to day 39 straddles the 30-day horizon.
    made = Episode("made", date(2022, 1, 1), date(2022, 12, 31), "restraint", 1)
    made.counts = [
        Count(date(2022, 1, 1), date(2022, 1, 20), 1, 0.0),
        Count(date(2022, 1, 21), date(2022, 2, 9), 15, 0.0),
    ]
    outcomes, why = onset_outcomes(made)
    assert outcomes == [None, 1, 1] and "straddles" in why[0]


def _shipped_draws() -> pd.DataFrame:
    return pd.read_parquet(SHIPPED / "posterior_2019_2024.parquet")


@pytest.fixture(scope="module")
def two(record: Record) -> Record:
    return Record(record.folder, record.episodes[-2:])


@pytest.fixture(scope="module")
def shipped(two: Record, base):
    """The 2024 restraint under the shipped posterior (no fit: the mechanism tests)."""
    return score_episode(two, two.episodes[1], base, reps=300, seed=5, draws=_shipped_draws())


def test_naive_forecasts_are_read_from_the_other_episodes(shipped):
    recent, long_run = shipped.naive
    # Long run: 78 attacks in the 121 tallied days of 2023-10-07..2024-02-04, no onset but
    # the one of 2023 (onsets at (1 + 0.5) per 121 days).
    assert long_run.rate == pytest.approx(78.5 / 121)
    assert long_run.brier[-1] == pytest.approx((1 - math.exp(-1.5 / 121 * HORIZONS[-1])) ** 2)
    # Last 90 days (2023-11-07..2024-02-04): 8 of the 15 days of the tally of 13, then 9,
    # 11 and 31 in whole.
    assert recent.rate == pytest.approx((13 * 8 / 15 + 9 + 11 + 31 + 0.5) / 90)
    assert all(0.0 <= p <= 1.0 for p in shipped.model.pit)
    assert shipped.onset_observed == [0, 0, 0] and len(shipped.model.brier) == 3


def test_talks_that_do_nothing_score_worse_on_the_2024_restraint(two: Record, base, shipped):
    """The broken model: talks as provocative as no timetable at all. Its campaign onsets in
    2024 (which did not happen) must cost it in the Brier and the log score."""
    broken = score_episode(
        two,
        two.episodes[1],
        base,
        reps=300,
        seed=5,
        draws=_shipped_draws(),
        overrides={"militia.timetable_factor.negotiating": 4.0},
    )
    # The 180-day Brier is (p - 0)^2: each p's standard error is at most 0.5/sqrt(300).
    p_shipped = math.sqrt(shipped.model.brier[-1])
    p_broken = math.sqrt(broken.model.brier[-1])
    assert p_broken - p_shipped > 4 * 0.5 * math.sqrt(2 / 300), (p_shipped, p_broken)
    assert np.mean(broken.model.brier) > np.mean(shipped.model.brier)
    assert np.mean(broken.model.log_score) < np.mean(shipped.model.log_score)
    assert np.mean(broken.model.crps) > np.mean(shipped.model.crps)


def _trimmed(tmp_path: Path, first: str = "2023-10-07") -> Path:
    """The shipped record from ``first`` on (a short record for the suite's budget)."""
    folder = tmp_path / "record"
    shutil.copytree(shipped_record(), folder)
    for name, column in (("episodes.csv", "start"), ("attack_counts.csv", "start")):
        path = folder / name
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields = reader.fieldnames or []
            rows = [row for row in reader if row[column] >= first]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fields)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def test_score_command_json_has_scores_and_skills_per_record_episode(tmp_path: Path):
    folder = _trimmed(tmp_path)
    result = CliRunner().invoke(
        app,
        ["backtest", "--score", "--record", str(folder), "--budget", "20", "--reps", "20"]
        + ["--json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [e["episode"] for e in document["episodes"]] == ["onset_2023", "restraint_2024"]
    assert document["budget"] == 20 and document["not_scored"] == []
    # Each fold is estimated by rejection ABC on the other episode only.
    fits = [e["estimated_on_the_others"] for e in document["episodes"]]
    assert [f["episodes"] for f in fits] == [["restraint_2024"], ["onset_2023"]]
    assert all(f["method"].startswith("rejection ABC") for f in fits)
    for episode in document["episodes"]:
        assert set(episode["naive"]) == {"last 90 days", "long-run rate"}
        for naive in episode["skill"].values():
            assert set(naive) == {"crps", "log_score", "brier"}
            assert set(naive["crps"]) == {"skill", "low", "high"}
        assert len(episode["model"]["pit"]) == len(episode["blocks"])
        assert len(episode["model"]["brier"]) == 3
    pooled = document["pooled_skill"]
    assert set(pooled) == {"last 90 days", "long-run rate"}
    # Four count blocks and six onset horizons pooled: each skill has an interval.
    for naive in pooled.values():
        for kind in ("crps", "log_score", "brier"):
            assert naive[kind]["low"] is not None and naive[kind]["high"] is not None
            assert naive[kind]["episode_low"] is not None
            assert naive[kind]["episode_low"] <= naive[kind]["episode_high"]


def test_score_refuses_a_scenario_argument():
    result = CliRunner().invoke(app, ["backtest", "--score", "baseline"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_forecast_runs_on_past_the_episode_for_a_later_horizon(two: Record, base):
    """The 2023 onset (121 days) is scored at 180 days: its runs go on to day 180."""
    from drawdown_sim.calibration.scoring import forecast_paths

    onset = two.episodes[0]
    times, _ = forecast_paths(onset, base, _shipped_draws(), 10, 1, days=180)
    assert max(float(t.max(initial=0.0)) for t in times) > onset.days
    short, _ = forecast_paths(onset, base, _shipped_draws(), 10, 1)
    assert max(float(t.max(initial=0.0)) for t in short) < onset.days


def test_score_command_prints_its_tables(tmp_path: Path):
    """Without --json: a table per held-out episode and the pooled line."""
    folder = _trimmed(tmp_path)
    result = CliRunner().invoke(
        app, ["backtest", "--score", "--record", str(folder), "--budget", "20", "--reps", "20"]
    )
    assert result.exit_code == 0, result.output
    assert "Held out: onset_2023" in result.stdout and "Held out: restraint_2024" in result.stdout
    assert "Pooled skill" in result.stdout
