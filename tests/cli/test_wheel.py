"""The package outside the repository: build the wheel, install it into a fresh virtual
environment, and use it from an empty folder as a new user would (shipped scenarios by
name, ``init``, ``calibrate``, ``fit``, ``run`` and ``compare``)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the built wheel; the dependencies come from the test
    environment through a path entry (no network), the package itself only from the wheel."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(work),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = work.glob("drawdown_sim-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The test environment's packages, as a plain path entry: its .pth files (among them the
    # editable install of this repository) are not processed, so drawdown_sim is not there.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return venv


def _use(venv: Path, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(venv / "bin" / "drawdown-sim"), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**env, "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"},
    )


def test_the_installed_wheel_works_from_an_empty_folder(installed: Path, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import drawdown_sim; print(drawdown_sim.__file__)",
        ],
        cwd=empty,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(installed) in where and str(ROOT) not in where  # the wheel, not the checkout

    validated = _use(installed, empty, "validate", "baseline", "full_exit", "advisory_options")
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.count("ok  ") == 3

    calibrated = _use(installed, empty, "calibrate")
    assert calibrated.returncode == 0, calibrated.stderr
    fitted = _use(installed, empty, "fit", "events_2023_2025", "--imputations", "2", "--json")
    assert fitted.returncode == 0, fitted.stderr

    ran = _use(installed, empty, "run", "baseline", "--reps", "30", "--workers", "1")
    assert ran.returncode == 0, ran.stderr
    assert (empty / "results" / "baseline" / "manifest.json").exists()
    assert (empty / "results" / "baseline" / "report.html").exists()

    compared = _use(
        installed,
        empty,
        "compare",
        "status_quo",
        "full_exit",
        "--reps",
        "30",
        "--workers",
        "1",
        "--no-plots",
    )
    assert compared.returncode == 0, compared.stderr
    assert (empty / "results" / "compare" / "comparison.csv").exists()


def test_init_copies_the_shipped_files_with_schema_lines_that_resolve(
    installed: Path, tmp_path: Path
):
    result = _use(installed, tmp_path, "init", "work")
    assert result.returncode == 0, result.stderr
    work = tmp_path / "work"
    for folder in ("scenarios", "studies", "schema", "notebooks"):
        assert (work / folder).is_dir(), folder
    for scenario in [*work.glob("scenarios/*.yaml"), *work.glob("scenarios/options/*.yaml")]:
        first = scenario.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), scenario
        target = (scenario.parent / first.split("$schema=")[1]).resolve()
        assert target.is_file() and target.is_relative_to(work.resolve()), scenario
    again = _use(installed, tmp_path, "init", "work")
    assert again.returncode == 3 and "already exists" in again.stderr
    ran = _use(
        installed, work, "validate", "scenarios/baseline.yaml", "studies/advisory_options.yaml"
    )
    assert ran.returncode == 0, ran.stderr
