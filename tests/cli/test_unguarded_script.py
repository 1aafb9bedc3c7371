"""A script that calls run (compare, sweep) at its top level, without the
``if __name__ == "__main__":`` guard: the spawned workers re-import it. It stops with one
error naming the guard, before anything is removed; the same script guarded works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from drawdown_sim.runner.engines import default_workers

pytestmark = pytest.mark.skipif(default_workers() < 2, reason="needs 2 CPUs for a pool")

BODY = """\
from drawdown_sim import load_scenario, run

scenario = load_scenario("baseline")
run(scenario, reps=8, workers=2, out="results/b", force=True)
print("done")
"""


def _script(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "script.py").write_text(text)
    return subprocess.run(
        [sys.executable, "script.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )


def test_an_unguarded_script_names_the_guard_and_removes_nothing(tmp_path: Path):
    earlier = tmp_path / "results" / "b"
    earlier.mkdir(parents=True)
    (earlier / "keep.txt").write_text("earlier results")
    done = _script(tmp_path, BODY)
    assert done.returncode != 0
    assert "UnguardedScript" in done.stderr, done.stderr
    assert 'if __name__ == "__main__":' in done.stderr
    assert "BrokenProcessPool" not in done.stderr and "RunRefused" not in done.stderr
    assert "done" not in done.stdout
    assert (earlier / "keep.txt").read_text() == "earlier results"  # nothing removed


def test_the_same_script_guarded_runs(tmp_path: Path):
    head, call = BODY.split("\nrun(")
    guarded = (
        head + '\nif __name__ == "__main__":\n    run(' + call.replace("\nprint", "\n    print")
    )
    done = _script(tmp_path, guarded)
    assert done.returncode == 0, done.stderr
    assert "done" in done.stdout
    assert (tmp_path / "results" / "b" / "manifest.json").exists()
