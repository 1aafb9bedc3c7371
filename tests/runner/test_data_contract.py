"""The data contract of a results directory, read by clients nobody here wrote: pandas,
pyarrow and DuckDB SQL. Nulls are nulls, seeds are integers, events have typed columns,
every column says its unit and meaning, and times come in days and as dates."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from drawdown_sim import Results, run
from drawdown_sim.model import OUTCOMES
from drawdown_sim.model.events import EVENT_COLUMNS
from tests.helpers import scenario


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Full exit with a tight slip cap: some replications finish, some are censored."""
    out = tmp_path_factory.mktemp("contract") / "r"
    s = scenario("full_exit", "follow_on.end=2025-10-15", "drawdown.max_slip_days=400")
    run(s, reps=200, seed=11, workers=1, out=out, trace=5)
    return out


def test_outcomes_have_nulls_integer_seeds_dates_and_documented_columns(traced: Path):
    schema = pq.read_schema(traced / "outcomes.parquet")
    assert schema.field("seed").type == pa.int64()
    assert schema.field("replication").type == pa.int64()
    assert schema.field("completion_date").type == pa.date32()
    for name in ("replication", "seed", "completion_date", *OUTCOMES):
        meta = schema.field(name).metadata
        assert meta and meta[b"description"], name
    assert schema.field("killed").metadata[b"unit"] == b"personnel"
    table = pq.read_table(traced / "outcomes.parquet")
    assert set(table.column("seed").to_pylist()) == {11}
    censored = table.column("completion_censored").to_pylist()
    days = table.column("completion_day").to_pylist()
    dates = table.column("completion_date").to_pylist()
    assert any(censored) and not all(censored)  # both kinds, or the test proves nothing
    for c, d, when in zip(censored, days, dates, strict=True):
        assert (d is None) == c and (when is None) == c  # null, never NaN
        if d is not None:
            start = Results.load(traced).scenario.window.start
            assert when == start + timedelta(days=int(d))


def test_duckdb_aggregates_skip_nulls_and_joins_events_to_outcomes(traced: Path):
    outcomes = str(traced / "outcomes.parquet")
    events = str(traced / "events.parquet")
    con = duckdb.connect()
    mean, finished, runs = con.execute(
        f"select avg(completion_day), count(completion_day), count(*) from '{outcomes}'"
    ).fetchone()
    frame = pd.read_parquet(outcomes)
    assert runs == 200 and 0 < finished < 200
    assert mean == pytest.approx(frame["completion_day"].mean())  # pandas skips NaN too
    joined = con.execute(
        f"""
        select o.replication, o.killed, sum(e.killed) as from_events, count(*) as attacks
        from '{events}' e join '{outcomes}' o using (replication)
        where e.kind = 'attack' and e.time < 365
        group by o.replication, o.killed order by o.replication
        """
    ).fetchall()
    assert joined, "no traced attacks to join"
    window = Results.load(traced).scenario.window_days
    for replication, killed, from_events, _ in joined:
        in_window = con.execute(
            f"select coalesce(sum(killed), 0) from '{events}' "
            f"where kind = 'attack' and replication = {replication} and time < {window}"
        ).fetchone()[0]
        assert killed == in_window
        assert from_events is not None


def test_events_have_typed_columns_null_where_they_do_not_apply(traced: Path):
    schema = pq.read_schema(traced / "events.parquet")
    assert tuple(schema.names) == EVENT_COLUMNS
    for name in ("kind", "site", "weapon", "cause", "size", "posture"):
        assert pa.types.is_dictionary(schema.field(name).type), name
    assert schema.field("intercepted").type == pa.bool_()
    assert schema.field("killed").type == pa.int64()
    assert schema.field("date").type == pa.date32()
    for name in EVENT_COLUMNS:
        assert schema.field(name).metadata[b"description"], name
    events = pq.read_table(traced / "events.parquet").to_pandas()
    attacks = events[events["kind"] == "attack"]
    strikes = events[events["kind"] == "strike"]
    assert len(attacks) and attacks["weapon"].notna().all() and attacks["site"].notna().all()
    assert attacks["size"].isna().all() and attacks["iraqi_killed"].isna().all()
    assert set(attacks["cause"]) <= {"background", "attack", "strike"}
    triggered = attacks[attacks["cause"] != "background"]
    assert triggered["parent"].notna().all()
    assert attacks.loc[attacks["cause"] == "background", "parent"].isna().all()
    if len(strikes):
        assert strikes["weapon"].isna().all() and strikes["size"].notna().all()
    shocks = events[events["kind"] == "shock"]
    assert shocks["severity"].between(1, 3).all() and shocks["site"].isna().all()
    start = Results.load(traced).scenario.window.start
    dates = pd.to_datetime(events["date"]).dt.date
    assert (dates == [start + timedelta(days=int(t)) for t in events["time"]]).all()


def test_the_manifest_records_what_made_the_results(traced: Path):
    manifest = Results.load(traced).manifest
    assert manifest.kind == "run" and manifest.format_version == 2
    assert manifest.scenario["replications"] == 200 == manifest.replications
    env = manifest.environment
    assert env.python and env.platform and env.package
    assert set(env.dependencies) >= {"numpy", "scipy", "simpy", "pandas", "pyarrow"}
    assert env.command  # the command line (here: pytest's)
