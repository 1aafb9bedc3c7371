"""No command removes or overwrites a file it did not write (docs/cli.md, "Output folders").

Each test plants a user's files in and around an output folder, including a link out of it,
runs a command, and checks that every one of them is intact byte for byte, whether the
command succeeded or was refused.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drawdown_sim.cli import EXIT_REFUSED, EXIT_UNWRITABLE, app

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
FAST = ["--reps", "4", "--workers", "1", "--no-plots"]


def snapshot(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under ``root`` (links not followed): its kind and content."""
    found: dict[str, tuple[str, bytes | str]] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = ("link", os.readlink(path))
            elif path.is_dir():
                found[key] = ("dir", b"")
            elif path.is_file():
                found[key] = ("file", path.read_bytes())
            else:
                found[key] = ("special", b"")  # a FIFO: never opened
    return found


def intact(before: dict[str, tuple[str, bytes | str]], after: dict[str, tuple[str, bytes | str]]):
    """Every entry of ``before`` is in ``after``, unchanged."""
    changed = [k for k, v in before.items() if after.get(k) != v]
    assert not changed, f"changed or removed: {changed}"


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A user's folder ``outside/`` with precious files, beside the work folder."""
    outside = tmp_path / "outside"
    (outside / "precious").mkdir(parents=True)
    (outside / "precious" / "fans.png").write_bytes(b"user figure")
    (outside / "notes.txt").write_bytes(b"user notes")
    return tmp_path


def test_run_refuses_a_folder_with_files_it_did_not_write(planted: Path):
    out = planted / "d"
    (out / "plots").mkdir(parents=True)
    (out / "plots" / "fig.png").write_bytes(b"x")
    (out / "report.html").write_bytes(b"x")
    before = snapshot(planted)
    refused = cli("run", "baseline", *FAST, "--out", str(out))
    assert refused.exit_code == EXIT_REFUSED, refused.output
    intact(before, snapshot(planted))
    # --force cannot overwrite the user's report.html either: it is where a report goes.
    forced = cli("run", "baseline", *FAST, "--out", str(out), "--force")
    assert forced.exit_code == EXIT_REFUSED, forced.output
    assert "report.html" in forced.output
    intact(before, snapshot(planted))
    # With report.html moved away, --force writes beside the user's figure and keeps it.
    (out / "report.html").unlink()
    before = snapshot(planted)
    done = cli("run", "baseline", "--reps", "4", "--workers", "1", "--out", str(out), "--force")
    assert done.exit_code == 0, done.output
    intact(before, snapshot(planted))
    assert (out / "manifest.json").exists() and (out / "plots" / "fans.png").exists() is False
    assert (out / "plots" / "index.json").exists()


def test_run_into_the_current_folder_refuses(planted: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(planted / "outside")
    before = snapshot(planted)
    for out in (".", ""):
        result = cli("run", "baseline", *FAST, "--out", out)
        assert result.exit_code == EXIT_REFUSED, result.output
    intact(before, snapshot(planted))


def test_python_run_into_the_current_folder_refuses(planted: Path, monkeypatch):
    from drawdown_sim import load_scenario, run
    from drawdown_sim.runner.outputs import OutputRefused

    monkeypatch.chdir(planted / "outside")
    before = snapshot(planted)
    scenario = load_scenario(Path(__file__).parents[2] / "scenarios" / "baseline.yaml")
    with pytest.raises(OutputRefused):
        run(scenario, reps=4, workers=1, out="")
    intact(before, snapshot(planted))


def test_run_never_writes_through_a_link_out_of_its_folder(planted: Path):
    out = planted / "d"
    out.mkdir()
    (out / "plots").symlink_to(planted / "outside" / "precious")
    before = snapshot(planted)
    for extra in ([], ["--force"]):
        result = cli("run", "baseline", "--reps", "4", "--workers", "1", "--out", str(out), *extra)
        assert result.exit_code == EXIT_REFUSED, result.output
        assert "link" in result.output
    intact(before, snapshot(planted))


def test_run_replaces_its_own_results_of_other_settings_only_with_force(planted: Path):
    out = planted / "d"
    assert cli("run", "baseline", *FAST, "--out", str(out)).exit_code == 0
    before = snapshot(out)
    other = cli("run", "baseline", *FAST, "--seed", "7", "--out", str(out))
    assert other.exit_code == EXIT_REFUSED, other.output
    assert "other settings" in other.output
    intact(before, snapshot(out))
    assert cli("run", "baseline", *FAST, "--seed", "7", "--out", str(out), "--force").exit_code == 0


def test_compare_checks_everything_before_it_removes_anything(planted: Path):
    out = planted / "c"
    options = ["full_exit", "kurdistan_hub"]
    first = cli("compare", *options, *FAST, "--out", str(out))
    assert first.exit_code == 0, first.output
    before = snapshot(planted)
    # Another comparison into the same folder: refused, and nothing of the first is lost.
    other = cli("compare", "full_exit", "accelerated", *FAST, "--out", str(out))
    assert other.exit_code == EXIT_REFUSED, other.output
    intact(before, snapshot(planted))
    # The same comparison with another seed: refused too.
    reseeded = cli("compare", *options, *FAST, "--seed", "3", "--out", str(out))
    assert reseeded.exit_code == EXIT_REFUSED, reseeded.output
    intact(before, snapshot(planted))


def test_compare_refuses_a_run_folder(planted: Path):
    run_out = planted / "r"
    assert cli("run", "baseline", *FAST, "--out", str(run_out)).exit_code == 0
    before = snapshot(planted)
    result = cli("compare", "full_exit", "kurdistan_hub", *FAST, "--out", str(run_out))
    assert result.exit_code == EXIT_REFUSED, result.output
    assert "results of a run" in result.output
    intact(before, snapshot(planted))


def test_report_output_is_a_new_file_or_an_earlier_report(planted: Path):
    out = planted / "r"
    assert cli("run", "baseline", *FAST, "--out", str(out)).exit_code == 0
    fifo = planted / "fifo"
    os.mkfifo(fifo)
    (planted / "link.html").symlink_to(planted / "outside" / "notes.txt")
    before = snapshot(planted)
    for target, status in (
        (out / "outcomes.parquet", EXIT_REFUSED),
        (planted / "outside" / "notes.txt", EXIT_REFUSED),
        (fifo, EXIT_REFUSED),
        (planted / "link.html", EXIT_REFUSED),
        (planted / "outside", EXIT_REFUSED),
        (planted / "missing" / "x.html", EXIT_UNWRITABLE),
    ):
        result = cli("report", str(out), "--no-plots", "-o", str(target))
        assert result.exit_code == status, (target, result.output)
        assert "--force" not in result.output
    intact(before, snapshot(planted))
    new = planted / "new.html"
    assert cli("report", str(out), "--no-plots", "-o", str(new)).exit_code == 0
    again = cli("report", str(out), "--no-plots", "-o", str(new))
    assert again.exit_code == 0, again.output  # its own earlier report is replaced


def test_schema_output_to_a_folder_is_refused_and_leaves_nothing(planted: Path):
    folder = planted / "outside"
    before = snapshot(planted)
    result = cli("schema", "-o", str(folder))
    assert result.exit_code == EXIT_REFUSED, result.output
    intact(before, snapshot(planted))
    assert not (planted / "outside.tmp").exists()
    notes = cli("schema", "-o", str(folder / "notes.txt"))
    assert notes.exit_code == EXIT_REFUSED
    intact(before, snapshot(planted))
    target = planted / "schema.json"
    assert cli("schema", "-o", str(target)).exit_code == 0
    assert cli("schema", "-o", str(target)).exit_code == 0  # its own file, replaced


def test_validate_escapes_terminal_control_sequences(tmp_path: Path):
    scenario = tmp_path / "evil.yaml"
    scenario.write_text(f'extends: {SCENARIO_DIR / "baseline.yaml"}\n"\\e]52;c;ZXZpbA==\\a": 1\n')
    result = subprocess.run(
        [sys.executable, "-m", "drawdown_sim", "validate", str(scenario)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b]52" in result.stderr


def test_a_full_disk_gives_one_line_exit_4_and_leaves_no_temporary_file(tmp_path: Path):
    """A file-size limit makes every write past 64 KB fail as a full disk would."""
    out = tmp_path / "d"
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))\n"
        "from drawdown_sim.cli import main\n"
        f"sys.argv = ['drawdown-sim', 'run', 'baseline', '--reps', '300', '--workers', '1',"
        f" '--no-plots', '--out', {str(out)!r}]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == EXIT_UNWRITABLE, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    said = [line for line in result.stderr.splitlines() if "replications (" not in line]
    assert len(said) == 1 and said[0].startswith("cannot write"), result.stderr
    leftovers = [p.name for p in out.rglob("*.tmp")]
    assert not leftovers


def test_ctrl_c_prints_one_line(tmp_path: Path):
    """SIGINT sent to the whole process group, as a terminal sends it."""
    out = tmp_path / "d"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "drawdown_sim",
            "run",
            "baseline",
            "--reps",
            "200000",
            "--workers",
            "2",
            "--no-plots",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not (out / ".partial" / "chunks").exists() or not any(
        (out / ".partial" / "chunks").iterdir()
    ):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip() and "replications" not in line]
    assert lines == [lines[0]] and lines[0].startswith("interrupted; finish with:"), stderr


def test_report_on_a_run_where_every_replication_failed(tmp_path: Path):
    from tests.helpers import RUNAWAY

    out = tmp_path / "out"
    made = cli("run", "baseline", "--reps", "3", "--workers", "1", "--out", str(out), *RUNAWAY)
    assert made.exit_code == 1, made.output
    result = cli("report", str(out))
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (out / "report.html").exists()
