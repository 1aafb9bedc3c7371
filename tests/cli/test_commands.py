"""The other commands: --help speed, --version, schema, report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from drawdown_sim import run
from drawdown_sim.cli import app
from tests.helpers import scenario


def test_help_lists_the_commands_without_heavy_imports():
    # How fast --help answers is a benchmark (benchmarks/bench_cli.py), not a test: timing
    # fails under load. What makes it fast is tested: the CLI module imports nothing heavy.
    done = subprocess.run(
        [sys.executable, "-m", "drawdown_sim", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in (
        "validate",
        "schema",
        "run",
        "compare",
        "sweep",
        "report",
        "calibrate",
        "fit",
        "backtest",
    ):
        assert command in done.stdout
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, drawdown_sim.cli; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for heavy in ("numpy", "pandas", "simpy", "matplotlib", "pydantic", "pyarrow"):
        assert f"'{heavy}'" not in imported


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("drawdown-sim ")


def test_schema_to_file(tmp_path: Path):
    target = tmp_path / "s.json"
    result = CliRunner().invoke(app, ["schema", "-o", str(target)])
    assert result.exit_code == 0
    schema = json.loads(target.read_text())
    assert "militia" in schema["properties"] and schema["additionalProperties"] is False


def test_report_summarises_and_redraws(tmp_path: Path):
    out = tmp_path / "r"
    run(scenario("baseline"), reps=30, workers=1, out=out)
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert "isis_attacks" in result.output
    assert (out / "plots" / "fan_personnel.png").exists()
    assert (out / "report.html").stat().st_size > 50_000
    missing = CliRunner().invoke(app, ["report", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "not a results directory" in missing.output
    (tmp_path / "empty").mkdir()
    empty = CliRunner().invoke(app, ["report", str(tmp_path / "empty")])
    assert empty.exit_code == 2 and "no manifest.json" in empty.output


def test_resume_of_a_complete_run_does_nothing(tmp_path: Path):
    out = tmp_path / "done"
    first = run(scenario("baseline"), reps=20, workers=1, out=out)
    stamp = (out / "outcomes.parquet").stat().st_mtime_ns
    again = run(scenario("baseline"), reps=20, workers=1, out=out, resume=True)
    assert (out / "outcomes.parquet").stat().st_mtime_ns == stamp
    assert again.manifest == first.manifest
    assert not (out / ".partial").exists()
