"""The sweep explorer's arrays (:class:`SweepTables`), made once at load so that an
interaction filters and counts arrays, give what a plain pandas pivot gives: the best option
per state, satisficing under thresholds, and regret, with missing values and an empty
filter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drawdown_sim.present.explorer import SweepTables


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    states, options = 40, ["a", "b", "c"]
    rows = [
        {
            "state": state,
            "option": option,
            "p": state / 10.0,
            "q": float(state % 7),
            "killed": float(rng.poisson(3 + i)),
            "isis_attacks": float(rng.normal(10, 3)),
        }
        for state in rng.permutation(states)  # rows out of state order
        for i, option in enumerate(options)
    ]
    table = pd.DataFrame(rows)
    table.loc[(table["state"] == 5) & (table["option"] == "b"), "killed"] = np.nan
    table.loc[table["state"] == 6, "killed"] = np.nan  # no option has a value
    return table


def _pivot(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    return frame.pivot(index="state", columns="option", values=outcome)[["a", "b", "c"]]


def test_tables_match_a_pandas_pivot(frame: pd.DataFrame):
    tables = SweepTables(frame, ["p", "q"], ["a", "b", "c"])
    pivot = _pivot(frame, "killed")
    np.testing.assert_array_equal(tables.states, pivot.index.to_numpy())
    np.testing.assert_array_equal(tables.table("killed"), pivot.to_numpy())
    best = pivot.drop(index=6).idxmin(axis=1).map({"a": 0, "b": 1, "c": 2}).to_numpy()
    got = tables.best("killed")
    np.testing.assert_array_equal(np.delete(got, 6), best)
    assert got[6] == -1
    by_state = frame.drop_duplicates("state").set_index("state").sort_index()
    np.testing.assert_array_equal(tables.values, by_state[["p", "q"]].to_numpy())
    assert tables.scaled.min() == 0 and tables.scaled.max() == 1


def test_filter_satisficing_and_regret_match_pandas(frame: pd.DataFrame):
    tables = SweepTables(frame, ["p", "q"], ["a", "b", "c"])
    mask = tables.mask({"p": (0.5, 3.0), "q": (1.0, 5.0)})
    by_state = frame.drop_duplicates("state").set_index("state").sort_index()
    inside = by_state[by_state["p"].between(0.5, 3.0) & by_state["q"].between(1.0, 5.0)].index
    np.testing.assert_array_equal(tables.states[mask], inside.to_numpy())

    thresholds = {"killed": ("max", 4.0), "isis_attacks": ("min", 9.0)}
    met = (_pivot(frame, "killed").loc[inside] <= 4.0) & (
        _pivot(frame, "isis_attacks").loc[inside] >= 9.0
    )
    np.testing.assert_allclose(tables.satisficing(mask, thresholds), met.mean(axis=0))

    table = _pivot(frame, "killed").loc[inside]
    gaps = table.sub(table.min(axis=1), axis=0)
    mean, p90 = tables.regret("killed", mask)
    np.testing.assert_allclose(mean, gaps.mean(axis=0).to_numpy())
    np.testing.assert_allclose(p90, gaps.quantile(0.9).to_numpy())


def test_an_empty_filter_gives_nan_not_an_error(frame: pd.DataFrame):
    tables = SweepTables(frame, ["p", "q"], ["a", "b", "c"])
    none = tables.mask({"p": (100.0, 200.0)})
    assert not none.any()
    assert np.isnan(tables.satisficing(none, {"killed": ("max", 4.0)})).all()
    mean, p90 = tables.regret("killed", none)
    assert np.isnan(mean).all() and np.isnan(p90).all()


def test_a_run_offers_only_the_outcomes_its_file_holds(tmp_path):
    """A run written before an outcome was added does not offer it (choosing it failed)."""
    from types import SimpleNamespace

    import pyarrow as pa
    import pyarrow.parquet as pq

    from drawdown_sim.present.explorer import period_outcomes

    pq.write_table(
        pa.table({"replication": [0, 1], "killed": [0, 1], "wounded": [2, 3]}),
        tmp_path / "outcomes.parquet",
    )
    run = SimpleNamespace(path=tmp_path, scenario=SimpleNamespace(follow_on=None))
    assert period_outcomes(run) == {"window": ["killed", "wounded"]}  # type: ignore[arg-type]
