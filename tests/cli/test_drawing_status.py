"""Drawing plots and writing a report take seconds after a run: a terminal is told what is
going on, while logs and pipes keep one line per problem on stderr and only results on
stdout."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from drawdown_sim.present import console as console_module
from tests.conftest import SCENARIOS

BASELINE = SCENARIOS / "baseline.yaml"


def test_a_terminal_sees_what_is_being_drawn_until_it_is_done(monkeypatch: pytest.MonkeyPatch):
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=80)
    monkeypatch.setattr(console_module, "console", terminal)
    with console_module.drawing("drawing the plots"):
        time.sleep(0.3)  # the spinner refreshes while the work goes on
    assert "drawing the plots..." in screen.getvalue()


def test_logs_and_pipes_get_no_status_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    piped = Console(file=io.StringIO(), force_terminal=False)
    monkeypatch.setattr(console_module, "console", piped)
    with console_module.drawing("drawing the plots"):
        pass
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert piped.file.getvalue() == ""  # type: ignore[attr-defined]


def test_json_output_gets_no_spinner_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch):
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=80, quiet=True)
    monkeypatch.setattr(console_module, "console", terminal)
    with console_module.drawing("drawing the plots"):
        time.sleep(0.2)
    assert screen.getvalue() == ""


def test_a_run_without_plots_never_imports_matplotlib(tmp_path: Path):
    # --format used to import matplotlib (about a second) before any replication ran, even
    # with --no-plots; the choice is now applied when drawing begins.
    out = tmp_path / "r"
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from drawdown_sim.cli import app\n"
        f"args = ['run', {str(BASELINE)!r}, '--reps', '10', '--workers', '1', '--out', "
        f"{str(out)!r}, '--no-plots', '--format', 'svg']\n"
        "result = CliRunner().invoke(app, args)\n"
        "assert result.exit_code == 0, result.output\n"
        "print('matplotlib' in sys.modules, 'scipy.stats' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
    assert (out / "outcomes.parquet").exists() and not (out / "plots").exists()
