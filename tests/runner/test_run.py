"""The runner end to end: determinism across workers, resume, round trip, refusals, plots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from drawdown_sim import Results, run
from drawdown_sim.analysis.run import RunRefused
from drawdown_sim.cli import app
from drawdown_sim.model import OUTCOMES
from drawdown_sim.scenario import ScenarioError
from drawdown_sim.series import bands as bands_module
from drawdown_sim.series.bands import Bands
from tests.conftest import ROOT, SHIPPED
from tests.helpers import fail_replication, kill_when, scenario


def _outcomes(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path / "outcomes.parquet")


def test_outcomes_identical_for_one_and_two_workers(tmp_path: Path):
    s = scenario("historical")
    one = run(s, reps=250, seed=11, workers=1, out=tmp_path / "w1")
    two = run(s, reps=250, seed=11, workers=2, out=tmp_path / "w2")
    pd.testing.assert_frame_equal(one.outcomes, two.outcomes)
    pd.testing.assert_frame_equal(one.series, two.series)
    columns = ["replication", "seed", *OUTCOMES]
    columns.insert(columns.index("completion_day") + 1, "completion_date")
    assert list(one.outcomes.columns) == columns
    assert one.outcomes["replication"].tolist() == list(range(250))
    assert one.manifest.workers == 1 and two.manifest.workers == 2


def test_results_round_trip_is_lossless(tmp_path: Path):
    s = scenario("baseline")
    original = run(s, reps=120, seed=3, workers=1, out=tmp_path / "a", trace=2)
    original.save(tmp_path / "b")
    again = Results.load(tmp_path / "b")
    for name in ("outcomes", "series", "events"):
        pd.testing.assert_frame_equal(getattr(original, name), getattr(again, name))
        assert getattr(original, name).dtypes.equals(getattr(again, name).dtypes)
    assert again.manifest == original.manifest
    assert again.scenario == s.model_copy(update={"replications": 120})  # as run
    assert set(again.events["replication"]) == {0, 1}


def test_a_run_hands_back_its_scenario_without_validating_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # The results a run returns carry the scenario it ran (the manifest's, validated), so a
    # summary does not validate the manifest's copy again; the same as loading it afresh.
    from drawdown_sim.scenario import Scenario

    s = scenario("baseline")
    validated: list[object] = []
    validate = Scenario.model_validate.__func__  # type: ignore[attr-defined]

    def counting(cls, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        validated.append(data)
        return validate(cls, data, *args, **kwargs)

    monkeypatch.setattr(Scenario, "model_validate", classmethod(counting))
    results = run(s, reps=100, seed=3, workers=1, out=tmp_path / "r")
    before = len(validated)
    summary = results.summary()
    assert len(validated) == before  # nothing validated for the summary
    monkeypatch.undo()
    fresh = Results.load(tmp_path / "r")
    assert results.scenario == fresh.scenario
    pd.testing.assert_frame_equal(summary, fresh.summary())


def test_a_run_hands_back_the_outcome_table_it_wrote_without_reading_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Finishing holds a small run's outcome table whole as it writes it; the results it
    # returns use that table, which is exactly what a fresh load reads from the file.
    import pyarrow.parquet as pq

    results = run(scenario("baseline"), reps=150, seed=4, workers=1, out=tmp_path / "r")
    reads: list[object] = []
    read_table = pq.read_table

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(args)
        return read_table(*args, **kwargs)

    monkeypatch.setattr(pq, "read_table", counting)
    columns = {name: results.column(name) for name in OUTCOMES}
    summary = results.summary()
    assert reads == []  # nothing read back from outcomes.parquet
    monkeypatch.undo()
    fresh = Results.load(tmp_path / "r")
    for name, values in columns.items():
        np.testing.assert_array_equal(values, fresh.column(name))
    pd.testing.assert_frame_equal(summary, fresh.summary())
    pd.testing.assert_frame_equal(results.outcomes, fresh.outcomes)
    assert results.outcomes.dtypes.equals(fresh.outcomes.dtypes)


def test_series_quantiles_are_exact_for_integer_series():
    rng = np.random.default_rng(0)
    daily = np.zeros((500, 7, 20))
    daily[:, 0, :] = rng.integers(0, 2501, size=(500, 20))  # personnel
    daily[:, 2, :] = rng.poisson(3.0, size=(500, 20))  # attacks
    daily[:, 1, :] = rng.gamma(2.0, 0.1, size=(500, 20))  # intensity (log bins)
    bands = Bands(20, 2500)
    bands.add(daily[:200])
    bands.add(daily[200:])  # folding chunks equals adding all at once
    for q in (0.05, 0.5, 0.95):
        exact = np.quantile(daily[:, 0, :], q, axis=0, method="inverted_cdf")
        np.testing.assert_array_equal(bands.quantile("personnel", q), exact)
        exact = np.quantile(daily[:, 2, :], q, axis=0, method="inverted_cdf")
        np.testing.assert_array_equal(bands.quantile("attacks", q), exact)
        exact = np.quantile(daily[:, 1, :], q, axis=0, method="inverted_cdf")
        np.testing.assert_allclose(bands.quantile("attack_intensity", q), exact, rtol=0.006)
    np.testing.assert_allclose(bands.table()["personnel_mean"], daily[:, 0, :].mean(axis=0))


def test_a_failing_replication_is_reported_not_lost(tmp_path: Path, monkeypatch):
    fail_replication(monkeypatch, 3)
    out = tmp_path / "flaky"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(ROOT / "scenarios/baseline.yaml"),
            "--reps",
            "10",
            "--workers",
            "1",
            "--out",
            str(out),
            "--no-plots",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "replication 3" in result.output and "injected fault" in result.output
    loaded = Results.load(out)
    assert loaded.manifest.replications_failed == 1
    assert loaded.manifest.failures[0].replication == 3
    assert loaded.outcomes["replication"].tolist() == [0, 1, 2, 4, 5, 6, 7, 8, 9]


def test_bad_scenario_writes_nothing(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsites: []\n")
    out = tmp_path / "never"
    result = CliRunner().invoke(app, ["run", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert f"{bad}:2: sites" in result.output
    assert not out.exists()


def test_refuses_to_overwrite_another_scenario(tmp_path: Path):
    out = tmp_path / "shared"
    run(scenario("baseline"), reps=10, workers=1, out=out)
    with pytest.raises(RunRefused, match="results of another run"):
        run(scenario("full_exit"), reps=10, workers=1, out=out)
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(ROOT / "scenarios/options/full_exit.yaml"),
            "--reps",
            "10",
            "--out",
            str(out),
            "--no-plots",
        ],
    )
    assert result.exit_code == 3 and "--force" in result.output
    run(scenario("full_exit"), reps=10, workers=1, out=out, force=True)
    assert Results.load(out).name == "full_exit"


def test_resume_after_sigkill_is_identical(tmp_path: Path):
    args = [
        sys.executable,
        "-m",
        "drawdown_sim",
        "run",
        str(ROOT / "scenarios/historical.yaml"),
        "--reps",
        "1500",
        "--seed",
        "5",
        "--workers",
        "2",
        "--no-plots",
    ]
    killed = tmp_path / "killed"
    checkpoint = killed / ".partial" / "checkpoint.npz"
    kill_when([*args, "--out", str(killed)], checkpoint.exists)
    # Nothing looks complete after the kill.
    assert not (killed / "manifest.json").exists()
    assert not (killed / "outcomes.parquet").exists()
    done = subprocess.run(
        [*args, "--out", str(killed), "--resume"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    whole = subprocess.run(
        [*args, "--workers", "1", "--out", str(tmp_path / "whole")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert whole.returncode == 0, whole.stderr
    pd.testing.assert_frame_equal(_outcomes(killed), _outcomes(tmp_path / "whole"))
    a, b = Results.load(killed), Results.load(tmp_path / "whole")
    pd.testing.assert_frame_equal(a.series, b.series)
    assert a.manifest.resumed is True and not (killed / ".partial").exists()


def test_interrupted_run_needs_resume_or_force(tmp_path: Path):
    out = tmp_path / "partial"
    (out / ".partial").mkdir(parents=True)
    (out / ".partial" / "run.json").write_text("{}")
    with pytest.raises(RunRefused, match="--resume"):
        run(scenario("baseline"), reps=10, workers=1, out=out)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_plots_for_every_shipped_scenario(tmp_path: Path, path: Path):
    out = tmp_path / path.stem
    result = CliRunner().invoke(
        app, ["run", str(path), "--reps", "40", "--workers", "1", "--trace", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (out / "plots").glob("*.png"))
    has_plan = bool(scenario(path.stem).drawdown.phases)
    assert names == [
        *(["completion.png"] if has_plan else []),
        "distributions.png",
        "escalation.png",
        "fan_attack_intensity.png",
        "fan_personnel.png",
        "fan_political_pressure.png",
        "trace.png",
    ]
    assert all((out / "plots" / n).stat().st_size > 10_000 for n in names)
    assert "attacks" in result.output and str(out) in result.output


def test_two_runs_cannot_write_one_directory(tmp_path: Path):
    from drawdown_sim.runner.store import RunDirectory

    out = tmp_path / "locked"
    with RunDirectory(out).lock(), pytest.raises(RunRefused, match="another run"):
        run(scenario("baseline"), reps=10, workers=1, out=out)
    run(scenario("baseline"), reps=10, workers=1, out=out)  # free again


def test_checkpoints_are_written_at_most_every_checkpoint_interval(tmp_path: Path, monkeypatch):
    # 8 chunks finish well within CHECKPOINT_SECONDS: one checkpoint after the first chunk, and
    # none after the last (finishing follows at once). The interval used to be reset after
    # every chunk (8 checkpoints). With no interval, every chunk is checkpointed.
    from drawdown_sim.runner import protocol
    from drawdown_sim.runner.store import RunDirectory

    written: list[int] = []
    original = RunDirectory.save_checkpoint

    def counting(self, bands, folded):
        written.append(len(set(folded)))
        original(self, bands, folded)

    monkeypatch.setattr(RunDirectory, "save_checkpoint", counting)
    monkeypatch.setattr(protocol, "CHECKPOINT_SECONDS", 3600.0)
    s = scenario("baseline", "isis.enabled=false")
    run(s, reps=8 * protocol.CHUNK_SIZE, seed=1, workers=1, out=tmp_path / "r")
    assert written == [1]
    written.clear()
    monkeypatch.setattr(protocol, "CHECKPOINT_SECONDS", 0.0)
    run(s, reps=8 * protocol.CHUNK_SIZE, seed=1, workers=1, out=tmp_path / "r", force=True)
    assert written == list(range(1, 9))


def test_run_without_out_keeps_the_results_in_memory(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may appear here, not even results/
    s = scenario("baseline")
    memory = run(s, reps=150, seed=3, workers=1, trace=2)
    assert list(tmp_path.iterdir()) == [] and memory.path is None
    disk = run(s, reps=150, seed=3, workers=1, trace=2, out=tmp_path / "d")
    pd.testing.assert_frame_equal(memory.outcomes, disk.outcomes)
    pd.testing.assert_frame_equal(memory.series, disk.series)
    pd.testing.assert_frame_equal(memory.events, disk.events)
    pd.testing.assert_frame_equal(memory.summary(), disk.summary())
    assert memory.manifest.run_config == disk.manifest.run_config


def test_load_scenario_takes_a_mapping_of_typed_values():
    from drawdown_sim import load_scenario

    path = ROOT / "scenarios" / "baseline.yaml"
    typed = load_scenario(path, {"militia.branching_ratio": 0.4, "sites.0.personnel": 100})
    text = load_scenario(path, ["militia.branching_ratio=0.4", "sites.0.personnel=100"])
    assert typed == text and typed.militia.branching_ratio == 0.4
    with pytest.raises(ScenarioError, match="unknown key"):
        load_scenario(path, {"militia.nope": 1})
    with pytest.raises(ScenarioError, match="personnel"):
        load_scenario(path, {"sites.0.personnel": True})  # strict: true is not a count


@pytest.mark.parametrize("reserved", ["room for every bin", "grown as bins are reached"])
def test_bands_hold_exactly_the_counts_of_the_replications_folded_in_any_chunking(
    tmp_path, monkeypatch, reserved
):
    # Rows of the histograms are added as bins are first reached, in whatever order the
    # chunks bring them, and grow as needed: the counts must be those of one dense
    # histogram of all the values, and a checkpoint must give back the same bands.
    if reserved == "grown as bins are reached":
        monkeypatch.setattr(bands_module, "RESERVED_BYTES", 0)
    rng = np.random.default_rng(3)
    days = 15
    daily = np.zeros((300, 7, days))
    daily[:, 0, :] = rng.integers(0, 2501, size=(300, days))  # personnel: many integer bins
    daily[:, 1, :] = rng.lognormal(0.0, 2.0, size=(300, days))  # log bins, wide spread
    daily[:, 2, :] = rng.poisson(4.0, size=(300, days))
    one = Bands(days, 2500)
    one.add(daily)
    for sizes in ((1, 299), (7,) * 42 + (6,), (150, 150)):
        folded = Bands(days, 2500)
        edges = np.cumsum((0, *sizes))
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            folded.add(daily[lo:hi])
        for k, series in enumerate(("personnel", "attack_intensity", "attacks")):
            bins = folded.bins[series]
            index = bins.index(daily[:, k, :])
            expected = np.zeros((bins.size, days), dtype=np.int64)
            np.add.at(expected, (index, np.arange(days)), 1)
            np.testing.assert_array_equal(folded.histogram(series), expected)
        for name, column in one.table().items():  # means: sums rounded chunk by chunk
            check = (
                np.testing.assert_allclose
                if name.endswith("_mean")
                else np.testing.assert_array_equal
            )
            check(folded.table()[name], column)
    with open(tmp_path / "c.npz", "wb") as handle:
        one.save(handle, folded=[0, 1])
    restored = Bands(days, 2500)
    restored.add(daily[:5])  # whatever it held before is replaced
    with open(tmp_path / "c.npz", "rb") as handle:
        assert restored.load(handle) == {0, 1}
    for name, column in one.table().items():
        np.testing.assert_array_equal(restored.table()[name], column)


@pytest.mark.parametrize(
    "damage",
    [
        "negative count",
        "count above the replications",
        "replications beyond 32 bits",
        "cell out of range",
        "repeated cell",
    ],
)
def test_a_checkpoint_with_impossible_counts_is_refused(tmp_path, damage):
    bands = Bands(10, 100)
    bands.add(np.ones((4, 7, 10)))
    with open(tmp_path / "c.npz", "wb") as handle:
        bands.save(handle, folded=[0])
    with np.load(tmp_path / "c.npz") as data:
        arrays = dict(data)
    cells = arrays["cells_attacks"]
    counts = arrays["counts_attacks"] = arrays["counts_attacks"].astype(np.int64)
    if damage == "negative count":
        counts[0] = -4
    elif damage == "count above the replications":
        counts[0] = 2**40  # would wrap in the histogram's 32-bit counts
    elif damage == "replications beyond 32 bits":
        arrays["count"] = np.int64(2**40)
        counts[0] = 2**40
    elif damage == "cell out of range":
        cells[-1] = 201 * 10
    else:
        cells[1] = cells[0]
    np.savez(tmp_path / "bad.npz", **arrays)
    with open(tmp_path / "c.npz", "rb") as handle:
        assert Bands(10, 100).load(handle) == {0}  # undamaged, the same arrays load
    with (
        open(tmp_path / "bad.npz", "rb") as handle,
        pytest.raises(ValueError, match="do not fit|impossible number"),
    ):
        Bands(10, 100).load(handle)
