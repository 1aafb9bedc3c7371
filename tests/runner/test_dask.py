"""The dask engine gives the same results as the local pool (docs/model.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from drawdown_sim import run
from tests.helpers import scenario


@pytest.mark.slow
def test_dask_engine_matches_local(tmp_path: Path):
    from distributed import Client, LocalCluster

    s = scenario("historical")
    local = run(s, reps=220, seed=4, workers=1, out=tmp_path / "local")
    # A real scheduler on loopback with two worker processes, as a user would start one.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        Client(cluster),
    ):
        remote = run(
            s,
            reps=220,
            seed=4,
            engine="dask",
            scheduler=cluster.scheduler_address,
            out=tmp_path / "dask",
        )
    pd.testing.assert_frame_equal(local.outcomes, remote.outcomes)
    pd.testing.assert_frame_equal(local.series, remote.series)
    assert remote.manifest.engine == "dask"
