"""Files that DuckDB, polars and pandas read without glue: units and provenance in every
Parquet file, a compare's options told apart by an ``option`` column, events split by
period, the series in tidy and xarray form, and uncertain parameters named by site."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from drawdown_sim import Results, compare, load_scenario, run, sweep
from drawdown_sim.runner.provenance import PROVENANCE_KEY, read_provenance
from drawdown_sim.scenario.study import Study
from tests.helpers import scenario


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run with a follow-on period, so that events fall in both periods."""
    out = tmp_path_factory.mktemp("tools") / "r"
    s = scenario("baseline", "follow_on.end=2026-03-31")
    run(s, reps=20, seed=3, workers=1, out=out, trace=4)
    return out


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tools") / "c"
    compare([scenario("status_quo"), scenario("full_exit")], reps=20, seed=4, workers=1, out=out)
    return out


def test_every_run_file_has_units_and_provenance(traced: Path):
    results = Results.load(traced)
    for name in ("outcomes", "series", "events"):
        schema = pq.read_schema(traced / f"{name}.parquet")
        for field in schema:
            assert field.metadata and b"unit" in field.metadata, (name, field.name)
            assert field.metadata[b"description"], (name, field.name)
        record = read_provenance(schema)
        assert record is not None, name
        assert record["seed"] == 3 and record["replications"] == 20
        assert record["scenario_digest"] == results.manifest.scenario_hash
        assert record["version"] and record["kind"] == "run"
    series = pq.read_schema(traced / "series.parquet")
    assert series.field("personnel_mean").metadata[b"unit"] == b"personnel"
    assert series.field("attack_intensity_q95").metadata[b"unit"] == b"attacks/day"
    # polars and DuckDB see the same provenance
    raw = (
        duckdb.connect()
        .execute(
            f"select value from parquet_kv_metadata('{traced / 'outcomes.parquet'}') "
            f"where key = '{PROVENANCE_KEY.decode()}'"
        )
        .fetchone()
    )
    assert json.loads(raw[0])["seed"] == 3


def test_events_have_a_period_that_splits_at_the_window_end(traced: Path):
    results = Results.load(traced)
    window = results.scenario.window_days
    events = pd.read_parquet(traced / "events.parquet")
    assert set(events["period"]) == {"window", "follow_on"}
    assert (events.loc[events["period"] == "window", "time"] < window).all()
    assert (events.loc[events["period"] == "follow_on", "time"] >= window).all()
    # the outcome columns count attacks over the same split
    by_period = (
        duckdb.connect()
        .execute(
            f"select period, count(*) from '{traced / 'events.parquet'}' "
            "where kind = 'attack' group by period"
        )
        .fetchall()
    )
    counts = dict(by_period)
    outcomes = results.outcomes
    traced_rows = outcomes[outcomes["replication"] < 4]
    assert counts.get("window", 0) == traced_rows["attacks"].sum()
    assert counts.get("follow_on", 0) == traced_rows["attacks_follow_on"].sum()


def test_a_compares_files_read_as_one_tidy_table(compared: Path):
    pattern = str(compared / "*" / "outcomes.parquet")
    frame = duckdb.sql(
        f"select option, count(*) as n, avg(killed) as killed from read_parquet('{pattern}') "
        "group by option order by option"
    ).df()
    assert list(frame["option"]) == ["full_exit", "status_quo"]
    assert list(frame["n"]) == [20, 20]
    polars = pl.read_parquet(pattern)
    assert polars.group_by("option").len().sort("option")["len"].to_list() == [20, 20]
    each = pd.read_parquet(compared / "full_exit" / "outcomes.parquet")
    assert set(each["option"]) == {"full_exit"}
    assert frame.set_index("option").loc["full_exit", "killed"] == pytest.approx(
        each["killed"].mean()
    )
    series = pl.read_parquet(str(compared / "*" / "series.parquet"))
    assert sorted(series["option"].unique().to_list()) == ["full_exit", "status_quo"]
    record = read_provenance(pq.read_schema(compared / "full_exit" / "outcomes.parquet"))
    assert record is not None and record["option"] == "full_exit"


def test_series_tidy_and_as_xarray(traced: Path):
    results = Results.load(traced)
    wide = results.series
    tidy = results.series(tidy=True)
    assert list(tidy.columns[:4]) == ["day", "date", "series", "statistic"]
    row = tidy[(tidy["day"] == 100) & (tidy["series"] == "personnel")]
    got = row.set_index("statistic")["value"]
    assert got["mean"] == pytest.approx(wide.loc[wide["day"] == 100, "personnel_mean"].item())
    assert got["q95"] == pytest.approx(wide.loc[wide["day"] == 100, "personnel_q95"].item())
    assert len(tidy) == len(wide) * (len(wide.columns) - 2)
    xr = pytest.importorskip("xarray")
    dataset = results.series(xarray=True)
    assert isinstance(dataset, xr.Dataset)
    assert dataset["personnel"].sel(day=100, statistic="q95").item() == pytest.approx(got["q95"])
    assert dataset["personnel"].attrs["unit"] == "personnel"
    # the same tidy form from DuckDB's unpivot of the file
    unpivoted = (
        duckdb.connect()
        .execute(
            f"select count(*) from (unpivot '{traced / 'series.parquet'}' "
            "on columns(* exclude (day, date)) into name statistic value amount)"
        )
        .fetchone()[0]
    )
    assert unpivoted == len(tidy)


def test_uncertain_parameters_by_site_name_equal_the_index_form():
    base = load_scenario("baseline")  # a shipped name
    names = [site.name for site in base.sites]
    erbil = names.index("Erbil")
    by_name = base.with_values({"sites[Erbil].attack_propensity": 0.31})
    by_index = base.with_values({f"sites.{erbil}.attack_propensity": 0.31})
    assert by_name == by_index and by_name.sites[erbil].attack_propensity == 0.31
    with pytest.raises(KeyError, match="no element named 'Nowhere'"):
        base.with_values({"sites[Nowhere].attack_propensity": 0.3})


def test_a_sweep_file_has_units_provenance_and_site_named_parameters(tmp_path: Path):
    data = scenario("status_quo").to_data()
    data["uncertainties"] = {"sites[Erbil].attack_propensity": {"uniform": [0.1, 0.5]}}
    (tmp_path / "a.yaml").write_text(json.dumps({**data, "name": "a"}))
    (tmp_path / "b.yaml").write_text(
        json.dumps({**data, "name": "b", "militia": {**data["militia"], "branching_ratio": 0.2}})
    )
    options = [load_scenario(tmp_path / "a.yaml"), load_scenario(tmp_path / "b.yaml")]
    study = Study(
        name="tiny",
        options=["a.yaml", "b.yaml"],
        states=3,
        replications=4,
        seed=2,
        outcomes=["killed"],
    )
    result = sweep(study, options, workers=1, out=tmp_path / "s")
    assert "sites[Erbil].attack_propensity" in result.frame.columns
    schema = pq.read_schema(tmp_path / "s" / "sweep.parquet")
    assert schema.field("killed").metadata[b"unit"] == b"personnel"
    assert schema.field("sites[Erbil].attack_propensity").metadata[b"description"]
    record = read_provenance(schema)
    assert record is not None and record["kind"] == "sweep" and record["seed"] == 2
    assert len(pl.read_parquet(tmp_path / "s" / "sweep.parquet")) == 6
