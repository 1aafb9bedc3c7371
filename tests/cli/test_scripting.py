"""The command line in scripts: one JSON document on stdout with --json, -V, shell
completion, tables that do not wrap when piped, and documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import cli


def _json(*args: str) -> dict:
    result = cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # the whole of stdout is one document


def test_validate_json_lists_each_file_with_its_problems(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsites: 3\n")
    result = cli("validate", "baseline", "advisory_options", str(bad), "--json")
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert document["valid"] is False
    ok, study, wrong = document["files"]
    assert ok["ok"] and "baseline" in ok["summary"]
    assert study["ok"] and study["summary"].startswith("study advisory_options")
    assert not wrong["ok"] and any(":2: sites" in p for p in wrong["problems"])


def test_run_compare_sweep_and_calibrate_print_one_json_document(tmp_path: Path):
    run = _json(
        "run",
        "baseline",
        "--reps",
        "20",
        "--workers",
        "1",
        "--no-plots",
        "--out",
        str(tmp_path / "r"),
    )
    assert run["kind"] == "run" and run["replications"] == 20
    assert {row["outcome"] for row in run["summary"]} >= {"attacks", "killed"}
    compare = _json(
        "compare",
        "status_quo",
        "full_exit",
        "--reps",
        "20",
        "--workers",
        "1",
        "--no-plots",
        "--out",
        str(tmp_path / "c"),
    )
    assert compare["reference"] == "status_quo" and compare["table"]
    assert {row["option"] for row in compare["completion"]} == {"status_quo", "full_exit"}
    parts = {(r["period"], r["part"]): r["value"] for r in compare["decomposition"]}
    assert parts[("window", "total")] == pytest.approx(
        sum(parts[("window", g)] for g in ("campaign", "exposure", "intensity"))
    )
    study = tmp_path / "study.yaml"
    options = ROOT / "scenarios" / "options"
    study.write_text(
        f"name: tiny\noptions: [{options / 'full_exit.yaml'}, {options / 'status_quo.yaml'}]\n"
        "states: 3\nreplications: 5\noutcomes: [killed]\n"
    )
    sweep = _json("sweep", str(study), "--workers", "1", "--no-plots", "--out", str(tmp_path / "s"))
    assert sweep["kind"] == "sweep" and len(sweep["satisficing"]) == 2
    calibrate = _json("calibrate")
    assert calibrate["scenario"] == "baseline" and calibrate["checks"]
    assert all({"figure", "reference", "model", "inside"} <= set(c) for c in calibrate["checks"])


def test_version_and_completion():
    short, long = cli("-V"), cli("--version")
    assert short.returncode == 0 and short.stdout == long.stdout
    assert short.stdout.startswith("drawdown-sim ")
    help_text = cli("--help").stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


def test_piped_tables_keep_one_line_per_row(tmp_path: Path):
    result = cli("calibrate")  # a wide table with long source notes, piped
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    checks = json.loads(cli("calibrate", "--json").stdout)["checks"]
    assert len(rows) == len(checks)  # one line per check, however long its notes


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["validate", "no_such_scenario"], 2),
        (["run", "baseline", "--reps", "0"], 2),
    ],
)
def test_exit_codes_are_distinct(args: list[str], status: int):
    assert cli(*args).returncode == status
