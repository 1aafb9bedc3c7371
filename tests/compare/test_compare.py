"""Option comparison and robustness sweeps: paired design, variance reduction, regret."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from drawdown_sim import compare, plot_all
from drawdown_sim.analysis.results import CENSORED_OUTCOMES
from drawdown_sim.analysis.sweeps import Sweep, regret_table, sweep
from drawdown_sim.cli import app
from drawdown_sim.scenario.study import Study, load_study
from tests.conftest import ROOT
from tests.helpers import kill_when, scenario

OPTIONS = ROOT / "scenarios" / "options"


def test_identical_options_are_identical_replication_by_replication(tmp_path: Path):
    a = scenario("kurdistan_hub")
    b = scenario("kurdistan_hub", "name=kurdistan_copy")
    result = compare([a, b], reps=60, workers=1, out=tmp_path)
    # (the option column names each option: the only column that differs)
    left = result.results["kurdistan_hub"].outcomes.drop(columns=["seed", "option"])
    right = result.results["kurdistan_copy"].outcomes.drop(columns=["seed", "option"])
    pd.testing.assert_frame_equal(left, right)
    rows = result.table[result.table["option"] == "kurdistan_copy"]
    # A censored outcome (completion, slip: null where a plan was reversed or unfinished)
    # has no paired mean; every other difference is exactly zero, every pair a tie.
    scored = rows[~(rows["censored"].astype(bool))]
    assert len(scored) > 0.9 * len(rows)
    assert (scored["diff_mean"] == 0).all() and (scored["p_tie"] == 1).all()
    assert set(rows.loc[rows["censored"].astype(bool), "outcome"]) <= set(CENSORED_OUTCOMES)


def test_common_random_numbers_reduce_variance_for_the_shipped_options(tmp_path: Path):
    options = [scenario(name) for name in ("kurdistan_hub", "full_exit", "advisory_500")]
    result = compare(options, reps=200, workers=2, out=tmp_path)
    t = result.table.set_index(["option", "outcome"])
    for option in ("full_exit", "advisory_500"):
        for outcome in ("attacks", "wounded", "isis_attacks"):
            assert t.loc[(option, outcome), "variance_reduction"] > 1.0
    # The interval brackets the mean difference and P(better) is a probability.
    rows = result.table.dropna(subset=["diff_lo"])
    assert (rows["diff_lo"] <= rows["diff_mean"] + 1e-12).all()
    assert (rows["diff_mean"] <= rows["diff_hi"] + 1e-12).all()
    assert rows["p_better"].dropna().between(0, 1).all()
    # ISIS attacks are higher without any residual support, once the drawdown is done (in
    # the window the options differ little, and reversals keep some of full_exit's people).
    assert t.loc[("full_exit", "isis_attacks_follow_on"), "diff_mean"] > 0
    # Each share of pairs carries its Wilson interval over the pairs, and so does each mean.
    from drawdown_sim.analysis.completion import proportion

    for (option, outcome), row in t.iterrows():
        for name in ("p_better", "p_worse", "p_tie"):
            if row[name] != row[name]:
                assert row[f"{name}_lo"] != row[f"{name}_lo"]  # no share, no interval
                continue
            count = round(row[name] * row["pairs"])
            expected = proportion(count, int(row["pairs"]))
            assert (row[f"{name}_lo"], row[f"{name}_hi"]) == pytest.approx(
                (expected.low, expected.high), abs=1e-12
            ), (option, outcome, name)
        if row["mean"] == row["mean"]:
            assert row["mean_lo"] <= row["mean"] <= row["mean_hi"], (option, outcome)


def test_compare_runs_every_option_in_one_stream_and_each_equals_its_own_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # All options' chunks go to one engine as one stream (an engine with room for them all
    # is handed all six at once), and each option is finished as soon as its own chunks are
    # in, before the next option's results are taken.
    from drawdown_sim import run
    from drawdown_sim.analysis import comparison
    from drawdown_sim.runner import protocol

    events: list[str] = []
    compute, finish = protocol.run_chunk, comparison.complete_run
    tabulate = comparison._option_rows

    def computing(task):  # type: ignore[no-untyped-def]
        events.append(f"chunk {task.identity.index}")
        return compute(task)

    def finishing(job, engine, **labels):  # type: ignore[no-untyped-def]
        events.append(f"finish {job.specs[0].scenario.name}")
        return finish(job, engine, **labels)

    class Eager:
        """An engine that takes every task at once, as a pool with room for them would."""

        name, workers = "eager", 1

        def map_ordered(self, fn, tasks):  # type: ignore[no-untyped-def]
            taken = list(tasks)
            events.append(f"submitted {len(taken)}")
            for task in taken:
                yield fn(task)

    def tabulating(option, *args):  # type: ignore[no-untyped-def]
        events.append(f"tabulate {option}")
        return tabulate(option, *args)

    monkeypatch.setattr(protocol, "run_chunk", computing)
    monkeypatch.setattr(comparison, "complete_run", finishing)
    monkeypatch.setattr(comparison, "_option_rows", tabulating)
    options = [scenario("status_quo"), scenario("full_exit")]
    result = compare(options, reps=250, seed=4, engine=Eager(), out=tmp_path / "c")  # type: ignore[arg-type]
    # Each option is also tabulated as soon as it is finished, not after the last.
    assert events == [
        "submitted 6",
        *["chunk 0", "chunk 1", "chunk 2", "finish status_quo", "tabulate status_quo"],
        *["chunk 0", "chunk 1", "chunk 2", "finish full_exit", "tabulate full_exit"],
    ]
    monkeypatch.undo()
    # The tables are those of tabulating every option at the end.
    pd.testing.assert_frame_equal(
        result.table, comparison.comparison_table(result.results, "status_quo", 4)
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "c" / "completion.csv"),
        comparison.completion_frame(result.results),
        check_dtype=False,
    )
    for option in options:
        alone = run(option, reps=250, seed=4, workers=1, out=tmp_path / option.name)
        within = result.results[option.name].outcomes
        assert set(within.pop("option")) == {option.name}  # a compare's files name the option
        pd.testing.assert_frame_equal(within, alone.outcomes)
        series = result.results[option.name].series
        assert set(series.pop("option")) == {option.name}
        pd.testing.assert_frame_equal(series, alone.series)


def test_options_tabulated_as_they_finish_give_the_tables_of_all_at_the_end(tmp_path: Path):
    # Options may finish in any order (a resumed compare finishes the complete ones first)
    # and the reference need not be first: rows wait for the reference and go in the
    # options' order, with the bootstrap draws of tabulating them all at the end.
    from drawdown_sim.analysis.comparison import _Tables, comparison_table, completion_frame

    options = [scenario(name) for name in ("status_quo", "full_exit", "advisory_500")]
    results = compare(options, reps=60, seed=5, workers=1, out=tmp_path).results
    names = list(results)
    for order in (["advisory_500", "status_quo", "full_exit"], ["full_exit", "advisory_500"]):
        tables = _Tables(names, "full_exit", seed=9)
        for name in order:
            tables.add(name, results[name])
        if len(order) < len(names):  # status_quo missing: nothing after it can be tabulated
            assert tables.tabulated == 0 and tables.rows == []
            tables.add("status_quo", results["status_quo"])
        table, completion = tables.tables()
        pd.testing.assert_frame_equal(table, comparison_table(results, "full_exit", seed=9))
        pd.testing.assert_frame_equal(completion, completion_frame(results))


def test_compare_checks_every_option_directory_before_any_work(tmp_path: Path):
    # The second option's directory holds another run: refused before the first option is
    # computed (it used to be computed and finished first).
    from drawdown_sim import RunRefused, run

    out = tmp_path / "c"
    run(scenario("baseline"), reps=20, workers=1, out=out / "full_exit")
    with pytest.raises(RunRefused, match="another run"):
        compare([scenario("status_quo"), scenario("full_exit")], reps=100, workers=1, out=out)
    assert not (out / "status_quo" / "manifest.json").exists()
    assert not (out / "status_quo" / ".partial" / "chunks").exists() or not any(
        (out / "status_quo" / ".partial" / "chunks").iterdir()
    )


def test_compare_cli_writes_every_option_table_and_plots(tmp_path: Path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            str(OPTIONS / "kurdistan_hub.yaml"),
            str(OPTIONS / "full_exit.yaml"),
            "--reps",
            "30",
            "--workers",
            "1",
            "--reference",
            "full_exit",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    for name in ("kurdistan_hub", "full_exit"):
        assert (out / name / "manifest.json").exists()
        assert (out / name / "outcomes.parquet").exists()
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["reference"]) == {"full_exit"}
    assert {"diff_mean", "diff_lo", "diff_hi", "p_better", "variance_reduction"} <= set(table)
    assert (out / "completion.csv").exists()
    assert sorted(p.name for p in (out / "plots").glob("*.png")) == [
        "completion.png",
        "differences.png",
        "distributions.png",
        "fans.png",
        "tradeoff.png",
    ]
    assert "Options compared with 'full_exit'" in result.output
    _every_mean_and_share_has_its_interval(out)


def _every_mean_and_share_has_its_interval(out: Path) -> None:
    """The terminal table and the report's give each option's mean, and each share of
    paired replications, with the 95% interval that comparison.csv holds."""
    from drawdown_sim.analysis.comparison import Comparison
    from drawdown_sim.present.console import comparison_table
    from drawdown_sim.present.report.content import compare_tables, number

    comparison = Comparison.load(out)
    t = comparison.table.set_index(["outcome", "option"])
    console = comparison_table(comparison)
    cells = {column.header: list(column._cells) for column in console.columns}
    report = compare_tables(comparison)[0]
    checked = 0
    for i, (outcome, option) in enumerate(zip(cells["outcome"], cells["option"], strict=True)):
        row = t.loc[(outcome, option)]
        if row["mean"] != row["mean"]:
            continue
        interval = f"[{number(row['mean_lo'])}, {number(row['mean_hi'])}]"
        assert cells["mean [95% CI]"][i] == f"{number(row['mean'])} {interval}"
        if option != "full_exit" and row["p_better"] == row["p_better"]:
            shares = cells["better / worse / tie (95% CI)"][i]
            # the one form of a share (common/numbers.py), as in the report: "62% [59, 65]"
            assert f"[{row['p_better_lo'] * 100:.0f}, {row['p_better_hi'] * 100:.0f}]" in shares
            assert shares.count("[") == 3
        checked += 1
    assert checked >= 5
    means = [r[2] for r in report["rows"] if r[2] not in ("-", "censored")]
    assert means and all(m.count("[") == 1 and m.endswith("]") for m in means)


def test_compare_rejects_bad_input(tmp_path: Path):
    runner = CliRunner()
    one = runner.invoke(app, ["compare", str(OPTIONS / "full_exit.yaml")])
    assert one.exit_code == 2 and "at least two" in one.output
    ref = runner.invoke(
        app,
        [
            "compare",
            str(OPTIONS / "full_exit.yaml"),
            str(OPTIONS / "kurdistan_hub.yaml"),
            "--reference",
            "nope",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert ref.exit_code == 2 and "--reference" in ref.output
    assert not (tmp_path / "x").exists()


def test_regret_is_zero_for_the_best_option_in_each_state(tmp_path: Path):
    study, options = load_study(ROOT / "studies" / "advisory_options.yaml")
    small = study.model_copy(update={"states": 4, "replications": 20})
    result = sweep(small, options[:3], workers=2, out=tmp_path)
    frame = result.frame
    assert len(frame) == 4 * 3
    assert set(result.parameters) <= set(frame.columns)
    assert not (tmp_path / "plots").exists()  # the computation never draws
    reported = result.regret.set_index(["option", "outcome"])
    for outcome in small.outcomes:
        table = frame.pivot(index="state", columns="option", values=outcome)
        if small.direction_of(outcome) == "higher":
            table = -table  # regret is the shortfall from the best, whichever way is better
        regret = table.sub(table.min(axis=1), axis=0)  # per state, against that state's best
        for state, option in table.idxmin(axis=1).items():
            assert regret.loc[state, option] == 0.0
        assert (regret >= 0).all().all()
        for option in table.columns:
            row = reported.loc[(option, outcome)]
            assert row["regret_mean"] == pytest.approx(regret[option].mean(), abs=1e-12)
            assert row["regret_p90"] == pytest.approx(regret[option].quantile(0.9), abs=1e-12)
            sign = -1.0 if small.direction_of(outcome) == "higher" else 1.0
            assert row["mean"] == pytest.approx(sign * table[option].mean(), abs=1e-12)
            assert row["best_in_states"] == pytest.approx((regret[option] == 0).mean())
        assert reported.xs(outcome, level="outcome")["regret_mean"].min() >= 0.0
    assert result.satisficing["satisficing_fraction"].between(0, 1).all()
    assert (tmp_path / "sweep.parquet").exists() and (tmp_path / "regret.csv").exists()
    sensitivity = pd.read_csv(tmp_path / "sensitivity.csv")
    assert len(sensitivity) == 3 * len(small.outcomes) * len(result.parameters)
    assert set(sensitivity["parameter"]) == set(result.parameters)
    assert sensitivity["S1"].isna().all()  # 4 states are too few for an index
    plot_all(tmp_path)
    assert sorted(p.name for p in (tmp_path / "plots").glob("*.png")) == [
        "outcome_vs_parameter.png",
        "regret.png",
        "satisficing.png",
        "tradeoff.png",
        "value_of_information.png",
    ]
    # Sampled parameters stay inside their declared ranges (Latin hypercube).
    lo, hi = options[0].uncertainties["militia.branching_ratio"].support
    assert frame["militia.branching_ratio"].between(lo, hi).all()
    # A sweep written before the tables had intervals gets them from its states on loading.
    assert {"regret_lo", "regret_hi"} <= set(result.regret.columns)
    old = result.regret.drop(columns=["regret_lo", "regret_hi"])
    old.to_csv(tmp_path / "regret.csv", index=False)
    pd.testing.assert_frame_equal(Sweep.load(tmp_path).regret, result.regret)


def test_regret_table_by_hand():
    frame = pd.DataFrame(
        {"state": [0, 0, 1, 1], "option": ["a", "b", "a", "b"], "killed": [1.0, 3.0, 5.0, 2.0]}
    )
    study = Study(name="s", options=["x", "y"], outcomes=["killed"])
    regret = regret_table(frame, study).set_index("option")
    assert regret.loc["a", "regret_mean"] == pytest.approx(1.5)  # (0 + 3) / 2
    assert regret.loc["b", "regret_mean"] == pytest.approx(1.0)  # (2 + 0) / 2
    assert np.isclose(regret.loc["a", "best_in_states"], 0.5)


STUDY = textwrap.dedent("""\
    name: bad_study
    options:
      - ../scenarios/options/full_exit.yaml
      - ../scenarios/options/nowhere.yaml
    outcomes: [killed]
    thresholds:
      killed: {max: 1}
""")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (STUDY, 4, "options.1: "),
        (STUDY.replace("killed: {max: 1}", "killed: {min: 3, max: 1}"), 7, "min 3 exceeds max 1"),
        (STUDY.replace("killed: {max: 1}", "deaths: {max: 1}"), 6, "unknown outcome"),
        (
            STUDY.replace("outcomes: [killed]", "outcomes: [residual_personnel]"),
            5,
            "no better direction",
        ),
        (STUDY + "colour: red\n", 8, "colour: unknown key"),
    ],
)
def test_bad_study_exits_2_with_file_and_line(tmp_path: Path, text, line, fragment):
    studies = tmp_path / "studies"
    studies.mkdir()
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    path = studies / "bad.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert f"{path}:{line}:" in result.output and fragment in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_sweep_resumes_after_sigkill_to_identical_results(tmp_path: Path):
    import subprocess
    import sys

    study = tmp_path / "study.yaml"
    study.write_text(
        textwrap.dedent(f"""\
        name: resumable
        options: [{OPTIONS / "kurdistan_hub.yaml"}, {OPTIONS / "full_exit.yaml"}]
        states: 6
        replications: 200
        outcomes: [killed, isis_attacks]
    """)
    )
    args = [
        sys.executable,
        "-m",
        "drawdown_sim",
        "sweep",
        str(study),
        "--workers",
        "2",
        "--no-plots",
    ]
    cut = tmp_path / "cut"
    chunks = cut / ".partial" / "chunks"
    kill_when([*args, "--out", str(cut)], lambda: len(list(chunks.glob("outcomes-*"))) >= 4)
    assert not (cut / "sweep.parquet").exists()
    refused = subprocess.run(
        [*args, "--out", str(cut)], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 3 and "--resume" in refused.stderr
    resumed = subprocess.run(
        [*args, "--out", str(cut), "--resume"], capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    whole = subprocess.run(
        [*args, "--out", str(tmp_path / "whole")], capture_output=True, text=True, check=False
    )
    assert whole.returncode == 0, whole.stderr
    pd.testing.assert_frame_equal(
        pd.read_parquet(cut / "sweep.parquet"),
        pd.read_parquet(tmp_path / "whole" / "sweep.parquet"),
    )
    assert not (cut / ".partial").exists()


def test_sensitivity_ranks_the_parameter_that_drives_the_outcome():
    from drawdown_sim.analysis.sweeps import sensitivity_table

    study, options = load_study(ROOT / "studies" / "advisory_options.yaml")
    study = study.model_copy(update={"states": 64, "outcomes": ["killed"]})
    parameters = sorted(options[0].uncertainties)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.random((64, len(parameters))), columns=parameters)
    # Only the branching ratio matters, through a non-linear response.
    frame["killed"] = np.exp(3 * frame["militia.branching_ratio"]) + rng.normal(0, 0.05, 64)
    frame["state"], frame["option"] = range(64), "x"
    table = sensitivity_table(frame, study, options[:1], parameters).set_index("parameter")
    assert table["S1"].idxmax() == "militia.branching_ratio"
    assert table.loc["militia.branching_ratio", "S1"] > 0.8


@pytest.mark.parametrize("joint_pairs", [50_000, 10])
def test_each_paired_figure_is_that_of_the_outcomes_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, joint_pairs: int
):
    # Every difference row recomputed from the two options' outcome columns: the mean
    # difference, the shares of pairs better, worse and tied (by the outcome's direction),
    # and the variance reduction. Outcomes are summarised together, as rows of one array, up
    # to JOINT_PAIRS pairs, and one at a time above it (10: every outcome here).
    from drawdown_sim.analysis import comparison
    from drawdown_sim.analysis.completion import proportion

    monkeypatch.setattr(comparison, "JOINT_PAIRS", joint_pairs)
    options = [scenario(name) for name in ("kurdistan_hub", "full_exit", "advisory_500")]
    result = compare(options, reps=60, workers=1, out=tmp_path)
    reference = result.results["kurdistan_hub"].outcomes
    checked = 0
    for row in result.table.itertuples():
        if row.option == "kurdistan_hub" or row.diff_mean != row.diff_mean:
            continue
        own = result.results[row.option].outcomes[row.outcome].to_numpy(float)
        d = own - reference[row.outcome].to_numpy(float)
        assert row.pairs == d.size == 60
        assert row.diff_mean == d.mean(), (row.option, row.outcome)
        lower, higher = int((d < 0).sum()), int((d > 0).sum())
        better, worse = {"lower": (lower, higher), "higher": (higher, lower)}.get(
            row.direction, (None, None)
        )
        for name, count in (("p_better", better), ("p_worse", worse), ("p_tie", (d == 0).sum())):
            got = getattr(row, name)
            if count is None:
                assert got != got, (row.option, row.outcome, name)  # no direction: no share
            else:
                assert got == proportion(int(count), d.size).value, (row.option, row.outcome, name)
        if d.var(ddof=1) > 0:
            expected = (own.var(ddof=1) + reference[row.outcome].to_numpy(float).var(ddof=1)) / (
                d.var(ddof=1)
            )
            assert row.variance_reduction == pytest.approx(expected, rel=1e-12)
        assert row.diff_lo <= row.diff_mean <= row.diff_hi or d.min() == d.max()
        checked += 1
    assert checked >= 20
