"""Hawkes maximum likelihood: parameter recovery on the model's own attack process, the
reference tallies, and the ``fit`` command's input errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from drawdown_sim.calibration.fitting import (
    FitError,
    fit_daily_events,
    fit_event_times,
    fit_tallies,
    rescaled_gaps,
)
from drawdown_sim.cli import app
from drawdown_sim.common.hawkes import log_likelihood
from drawdown_sim.model import simulate
from tests.conftest import ROOT
from tests.helpers import REDUCTION, scenario

REFERENCE = ROOT / "src" / "drawdown_sim" / "reference"
TRUE = {"background_rate": 0.3, "branching_ratio": 0.6, "trigger_days": 7.0}


@pytest.fixture(scope="module")
def simulated_log():
    """About 3,000 days of the model's own attack process with known parameters.

    Under the reduction with escalation off, mu is the background rate, derived from the
    campaign attack rate: choose the rate that gives mu = 0.3 at the reference level."""
    base = scenario(
        "baseline",
        *REDUCTION,
        "window.end=2032-11-17",
        "follow_on=null",
        "militia.branching_ratio=0.6",
        "militia.trigger_days=7",
    )
    rate = 0.3 / base.background_rate("campaign") * base.militia.campaign.attack_rate
    s = base.with_values({"militia.campaign.attack_rate": rate})
    assert s.background_rate("campaign") == pytest.approx(0.3)
    replication = simulate(s, seed=7)
    return np.array([a.time for a in replication.log.attacks]), float(s.horizon_days)


def test_parameters_are_recovered_from_a_simulated_event_log(simulated_log):
    times, horizon = simulated_log
    assert horizon == 3000 and times.size > 1500
    fit = fit_event_times(times, horizon)
    for name, true in TRUE.items():
        p = getattr(fit, name)
        assert abs(p.estimate - true) < 3 * p.stderr, (name, p)
        assert abs(p.estimate - true) < 0.25 * true, (name, p)
    assert fit.ks_pvalue > 0.01  # the right model passes the time-rescaling test


def test_date_only_times_are_recovered_with_imputation(simulated_log):
    times, horizon = simulated_log
    fit = fit_daily_events(np.floor(times), horizon, imputations=4, seed=2)
    assert fit.method == "ties imputed within days" and fit.imputations == 4
    for name, true in TRUE.items():
        p = getattr(fit, name)
        assert abs(p.estimate - true) < 3 * p.stderr, (name, p)


def test_time_rescaling_rejects_a_poisson_model_of_clustered_data(simulated_log):
    times, _ = simulated_log
    from scipy import stats

    wrong = rescaled_gaps(times, times.size / 3000.0, 0.0, 1.0)  # Poisson, same mean
    assert stats.kstest(wrong, "expon").pvalue < 1e-6


def test_log_likelihood_matches_the_direct_double_sum(simulated_log):
    times, _ = simulated_log
    t = times[times < 400.0]
    mu, n, beta = 0.3, 0.5, 0.2
    age = t[:, None] - t[None, :]
    kernel = np.where(age > 0, n * beta * np.exp(-beta * np.where(age > 0, age, 0.0)), 0.0)
    direct = (
        np.log(mu + kernel.sum(axis=1)).sum()
        - mu * 400.0
        - n * (1 - np.exp(-beta * (400.0 - t))).sum()
    )
    assert log_likelihood(t, 400.0, mu, n, beta) == pytest.approx(direct, rel=1e-10)


def test_reference_tallies_do_not_identify_the_kernel():
    import csv

    rows = [
        r
        for r in csv.DictReader((REFERENCE / "us_attacks_2023_2024.csv").open())
        if r["date"] <= "2024-02-04"
    ]
    from datetime import date

    start = date.fromisoformat(rows[0]["date"])
    days = [(date.fromisoformat(r["date"]) - start).days for r in rows]
    fit = fit_tallies(days, [int(r["cumulative_total"]) for r in rows])
    assert fit.events == 170 and fit.days == 110
    # No self-excitation, with a rate that changes between reports, fits as well: the
    # profile interval of n reaches 0 and the test against Poisson does not reject.
    low, high = fit.branching_ratio.interval()
    assert low == 0.0 and high > 0.5
    assert fit.poisson_test is not None and fit.poisson_test.p_value > 0.05


def test_too_few_events_is_a_fit_error():
    with pytest.raises(FitError, match="too few"):
        fit_event_times([1.0, 2.0, 3.0], 10.0)


def _fit(*args: str):
    return CliRunner().invoke(app, ["fit", *args])


def test_fit_command_json_on_the_reference_tallies():
    result = _fit(
        str(REFERENCE / "us_attacks_2023_2024.csv"),
        "--count-column",
        "cumulative_total",
        "--end",
        "2024-02-04",
        "--imputations",
        "3",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) >= {"background_rate", "branching_ratio", "trigger_days", "events"}
    assert document["events"] == 170 and "ks_pvalue" in document
    assert set(document["branching_ratio"]) == {
        "estimate",
        "stderr",
        "interval_95",
        "interval_kind",
    }
    assert document["branching_ratio"]["interval_kind"] == "profile likelihood"
    test = document["poisson_test"]
    assert set(test) == {"statistic", "df", "p_value", "reference"}
    assert test["df"] == 1 and "chi2(0)" in test["reference"] and 0 <= test["p_value"] <= 1


def test_fit_command_table_on_an_event_log():
    result = _fit(str(REFERENCE / "events_2023_2025.csv"), "--imputations", "2")
    assert result.exit_code == 0, result.output
    assert "branching ratio" in result.output and "ties imputed within days" in result.output


def test_fit_says_when_an_event_log_looks_like_running_totals(tmp_path: Path):
    """Running totals read without --count-column are one event per row: fit says so, and
    how to fit the totals, on standard error (the JSON on standard output stays clean)."""
    result = _fit(str(REFERENCE / "us_attacks_2023_2024.csv"), "--imputations", "2", "--json")
    assert result.exit_code == 0, result.output
    assert "pass --count-column cumulative_total" in result.stderr
    assert json.loads(result.stdout)["events"] < 20  # rows, not the hundreds of attacks
    # A log of events with a row counter and a severity column raises no such note.
    log = tmp_path / "log.csv"
    log.write_text(
        "date,id,severity\n"
        + "".join(f"2024-01-{day:02d},{day},{day % 3}\n" for day in range(1, 29))
    )
    quiet = _fit(str(log), "--imputations", "2")
    assert quiet.exit_code == 0, quiet.output
    assert "count-column" not in quiet.stderr
    shipped = _fit(str(REFERENCE / "events_2023_2025.csv"), "--imputations", "2")
    assert "count-column" not in shipped.stderr


def _strict_json(text: str):
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_a_standard_error_the_likelihood_cannot_give_is_said_so(tmp_path: Path):
    """One event a day, every day: no self-excitation, the branching ratio at its edge and an
    information matrix that cannot be inverted. No numpy warning, no 'nan' in the table, and
    null (not NaN, which is not JSON) in the document."""
    import warnings

    days = [float(day) for day in range(28)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_daily_events(days, 28.0, 2, 0)
    assert np.isnan(fit.branching_ratio.stderr) and fit.branching_ratio.estimate < 1e-3
    log = tmp_path / "daily.csv"
    log.write_text("date\n" + "".join(f"2024-01-{day:02d}\n" for day in range(1, 29)))
    table = _fit(str(log), "--imputations", "2")
    assert table.exit_code == 0, table.output
    assert "not estimable" in table.stdout and "nan" not in table.stdout
    assert "Warning" not in table.output
    document = _strict_json(_fit(str(log), "--imputations", "2", "--json").stdout)
    assert document["branching_ratio"]["stderr"] is None


def test_every_json_document_is_strict_json():
    from drawdown_sim.common.jsonable import dumps, strict

    value = {"a": [1.0, float("nan"), (float("inf"), np.float64("-inf"))], "b": np.int64(3)}
    assert strict(value) == {"a": [1.0, None, [None, None]], "b": 3}
    assert _strict_json(dumps(value)) == {"a": [1.0, None, [None, None]], "b": 3}


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("date,total\n2024-01-01,1\n", ["--count-column", "cumulative"], "no column 'cumulative'"),
        ("date,total\n2024-01-01,5\n2024-01-09,3\n", ["--count-column", "total"], "must not"),
        ("date,total\nyesterday,5\n2024-01-09,9\n", ["--count-column", "total"], "ISO date"),
        ("date\n2024-01-01\n2024-01-02\n", [], "too few"),
        ("when\n2024-01-01\n", [], "no 'date' or 'time' column"),
        ("date,total\n2024-01-01,5\n", ["--count-column", "total", "--end", "tomorrow"], "--end"),
    ],
    ids=["missing-column", "decreasing", "bad-date", "too-few", "no-time-column", "bad-option"],
)
def test_fit_command_bad_input_is_one_line_and_exit_2(tmp_path: Path, text, args, message):
    path = tmp_path / "events.csv"
    path.write_text(text)
    result = _fit(str(path), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
