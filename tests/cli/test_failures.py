"""Failure handling: failed replications reported before any drawing, damaged results read
as one clear line, plots that draw intervals as they are, and a dask worker lost mid-run."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from typer.testing import CliRunner

from drawdown_sim import Results, run
from drawdown_sim.cli import app
from tests.conftest import ROOT
from tests.helpers import RUNAWAY, cli, scenario

matplotlib.use("Agg")

BASELINE = ROOT / "scenarios" / "baseline.yaml"


def test_when_every_replication_fails_the_failures_come_first_and_nothing_crashes(
    tmp_path: Path,
):
    out = tmp_path / "out"
    result = cli("run", str(BASELINE), "--reps", "3", "--workers", "1", "--out", str(out), *RUNAWAY)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "IndexError" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "3 replication(s) failed; see manifest.json"
    failures = [line for line in lines if " failed: " in line]
    assert len(failures) == 3 and all("max_events" in line for line in failures)
    assert "0 replications" in result.stdout
    assert not (out / "plots").exists()  # nothing to draw
    assert Results.load(out).manifest.replications_failed == 3


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "r"
    run(scenario("baseline"), reps=30, seed=2, workers=1, out=out)
    return out


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("manifest not json", "not JSON"),
        ("manifest wrong field", "damaged"),
        ("manifest older format", "results format 1"),
        ("manifest missing", "no complete results"),
        ("outcomes garbage", "cannot read these results"),
        ("series deleted", "series.parquet is missing"),
    ],
)
def test_report_on_damaged_results_is_one_line_and_exit_2(
    tmp_path: Path, finished: Path, damage: str, says: str
):
    out = _copy(finished, tmp_path / "r")
    manifest = out / "manifest.json"
    if damage == "manifest not json":
        manifest.write_text('{"kind": "run", ')
    elif damage == "manifest wrong field":
        data = json.loads(manifest.read_text())
        data["seed"] = "seven"
        manifest.write_text(json.dumps(data))
    elif damage == "manifest older format":
        data = json.loads(manifest.read_text())
        del data["format_version"], data["kind"]
        manifest.write_text(json.dumps(data))
    elif damage == "manifest missing":
        manifest.unlink()
    elif damage == "outcomes garbage":
        (out / "outcomes.parquet").write_bytes(b"PAR1 not really" * 50)
    else:
        (out / "series.parquet").unlink()
    result = CliRunner().invoke(app, ["report", str(out), "--no-plots"])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (out / "report.html").exists() or damage == "outcomes garbage"


@pytest.mark.parametrize(
    ("damage", "says"),
    [("fifo", "is not a file"), ("huge", "larger than any manifest")],
)
def test_report_never_blocks_on_or_reads_whole_a_manifest_that_is_no_file(
    tmp_path: Path, finished: Path, damage: str, says: str
):
    # A FIFO in the manifest's place used to block `report` forever on open; a huge file is
    # refused after reading at most the largest manifest's size, whatever its size.
    import os

    from tests.helpers import cli

    out = _copy(finished, tmp_path / "r")
    manifest = out / "manifest.json"
    manifest.unlink()
    if damage == "fifo":
        os.mkfifo(manifest)
    else:
        with open(manifest, "wb") as handle:
            handle.truncate(4 * 1024**3)  # 4 GiB, sparse
    result = cli("report", str(out), "--no-plots", timeout=120)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_report_handles_every_kind(tmp_path: Path):
    from drawdown_sim import compare, load, load_study, sweep
    from drawdown_sim.analysis.comparison import Comparison
    from drawdown_sim.analysis.sweeps import Sweep

    options = [scenario("status_quo"), scenario("full_exit")]
    compare(options, reps=40, seed=1, workers=1, out=tmp_path / "c")
    study, study_options = load_study(ROOT / "studies" / "advisory_options.yaml")
    small = study.model_copy(update={"states": 3, "replications": 10})
    sweep(small, study_options[:2], workers=1, out=tmp_path / "s")
    assert isinstance(load(tmp_path / "c"), Comparison)
    assert isinstance(load(tmp_path / "s"), Sweep)
    assert isinstance(load(tmp_path / "c" / "full_exit"), Results)
    for kind in ("c", "s", "c/full_exit"):
        result = CliRunner().invoke(app, ["report", str(tmp_path / kind)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / kind / "report.html").stat().st_size > 10_000

    # A FIFO in place of a compare's or a sweep's table is refused in one line; reading it
    # used to block the report forever.
    from tests.helpers import cli

    for table in ("c/comparison.csv", "s/regret.csv", "s/sweep.parquet"):
        (tmp_path / table).unlink()
        os.mkfifo(tmp_path / table)
        result = cli("report", str(tmp_path / table.split("/")[0]), "--no-plots", timeout=120)
        assert result.returncode == 2, result.stderr
        assert "NotRegularFile" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        (tmp_path / table).unlink()


def test_the_forest_plot_draws_an_interval_that_does_not_contain_the_mean():
    # A percentile interval beside its mean used to raise "'xerr' must not contain
    # negative values"; the interval is now drawn from its ends.
    import matplotlib.pyplot as plt

    from drawdown_sim.analysis.comparison import Comparison
    from drawdown_sim.present.plots.compare_plots import plot_forest

    table = pd.DataFrame(
        {
            "option": ["b", "c"],
            "outcome": ["attacks", "attacks"],
            "diff_mean": [1.0, -2.0],
            "diff_lo": [1.5, -3.0],  # b: the interval lies entirely above the mean
            "diff_hi": [4.0, -1.0],
        }
    )
    ax = plot_forest(Comparison({}, table, "a"), "attacks")
    segments = ax.collections[0].get_segments()
    assert [tuple(s[:, 0]) for s in segments] == [(1.5, 4.0), (-3.0, -1.0)]
    plt.close(ax.figure)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs")
def test_a_dask_worker_killed_mid_run_has_its_chunk_recomputed(tmp_path: Path):
    from distributed import LocalCluster

    from drawdown_sim.runner.engines import DaskEngine

    s = scenario("baseline")
    local = run(s, reps=800, seed=5, workers=1, out=tmp_path / "local")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        DaskEngine(cluster.scheduler_address) as engine,
    ):
        killed: list[str] = []

        def progress(done: int, total: int) -> None:
            if done >= 200 and not killed:
                worker = next(iter(engine._client.scheduler_info()["workers"]))
                pid = engine._client.run(os.getpid, workers=[worker])[worker]
                killed.append(worker)
                os.kill(pid, signal.SIGKILL)  # the worker dies at once, mid-chunk

        remote = run(s, reps=800, seed=5, engine=engine, out=tmp_path / "dask", progress=progress)
    assert killed
    pd.testing.assert_frame_equal(local.outcomes, remote.outcomes)
    pd.testing.assert_frame_equal(local.series, remote.series)
