"""Property: whatever an output folder holds, starting a run there touches only the files the
tool owns (runner/outputs.py): a user's files and folders, links and what they point to stay
byte for byte as they were, whether the run is refused or goes ahead."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drawdown_sim import load_scenario, run
from drawdown_sim.runner.outputs import OWNED_FILES, OutputRefused
from drawdown_sim.runner.protocol import RunSpec
from drawdown_sim.runner.store import RunDirectory
from tests.cli.test_data_loss import snapshot
from tests.conftest import SCENARIOS

OWNED = sorted(OWNED_FILES["run"] | {"plots", ".partial"})
OTHER = ["notes.txt", "data.csv", "fig.png", "sub", ".hidden", "report.htm", "manifest.json.bak"]
PLOT_NAMES = ["fans.png", "fig.png", "index.json", "escalation.svg", "mine.txt"]
PARTIAL_NAMES = ["run.json", "checkpoint.npz", "chunks", "mine.txt"]

entry = st.tuples(
    st.sampled_from(["file", "dir", "link_out", "link_in"]), st.sampled_from(OWNED + OTHER)
)
layouts = st.fixed_dictionaries(
    {
        "top": st.lists(entry, max_size=6, unique_by=lambda e: e[1]),
        "plots": st.lists(st.sampled_from(PLOT_NAMES), max_size=3, unique=True),
        "partial": st.lists(st.sampled_from(PARTIAL_NAMES), max_size=3, unique=True),
        "ours_before": st.booleans(),
        "force": st.booleans(),
        "resume": st.booleans(),
    }
)


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real finished run, copied into layouts where the tool wrote there before."""
    out = tmp_path_factory.mktemp("earlier") / "r"
    run(load_scenario(SCENARIOS / "baseline.yaml"), reps=3, seed=1, workers=1, out=out)
    return out


def _plant(root: Path, outside: Path, layout: dict, earlier: Path) -> set[str]:
    """Make the layout; the names (relative to the work folder) that the user owns."""
    (outside / "target").mkdir(parents=True)
    (outside / "target" / "keep.txt").write_bytes(b"outside")
    root.mkdir()
    user: set[str] = set()
    if layout["ours_before"]:
        for item in earlier.iterdir():
            if item.is_file():
                shutil.copy2(item, root / item.name)
    for kind, name in layout["top"]:
        path = root / name
        if os.path.lexists(path):
            continue
        if kind == "file":
            path.write_bytes(f"user {name}".encode())
        elif kind == "dir":
            path.mkdir()
            (path / "inner.txt").write_bytes(b"inner")
            user.add(f"{name}/inner.txt")
        elif kind == "link_out":
            path.symlink_to(outside / "target")
        else:
            path.symlink_to(root / "elsewhere")
        user.add(name)
    plots = root / "plots"
    if layout["plots"] and (
        not os.path.lexists(plots) or plots.is_dir() and not plots.is_symlink()
    ):
        plots.mkdir(exist_ok=True)
        for name in layout["plots"]:
            (plots / name).write_bytes(f"user plot {name}".encode())
            user.add(f"plots/{name}")
    partial = root / ".partial"
    if layout["partial"] and (
        not os.path.lexists(partial) or partial.is_dir() and not partial.is_symlink()
    ):
        partial.mkdir(exist_ok=True)
        for name in layout["partial"]:
            if name == "chunks":
                (partial / name).mkdir()
                (partial / name / "mine.arrow").write_bytes(b"user chunk")
                user.add(".partial/chunks/mine.arrow")
            else:
                (partial / name).write_bytes(f"user {name}".encode())
                # The user's run.json makes the tool take .partial for an interrupted run of
                # its own (garbage identity: starting over may replace it, and its chunks).
                if name not in ("run.json", "checkpoint.npz"):
                    user.add(f".partial/{name}")
    return user


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(layout=layouts)
def test_starting_a_run_touches_only_what_the_tool_owns(layout: dict, earlier_run: Path):
    spec = RunSpec(load_scenario(SCENARIOS / "baseline.yaml"), 5, 3)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root, outside = base / "work", base / "outside"
        user = _plant(root, outside, layout, earlier_run)
        if layout["ours_before"] and any(n in OWNED_FILES["run"] for _, n in layout["top"]):
            # A user file copied over a name the earlier run wrote is the tool's now.
            user -= OWNED_FILES["run"]
        before = snapshot(base)
        directory = RunDirectory(root)
        try:
            with directory.lock():
                directory.prepare(spec.identity(), "run", layout["resume"], layout["force"])
        except OutputRefused:
            pass
        after = snapshot(base)
        for name in user:
            assert after.get(f"work/{name}") == before[f"work/{name}"], name
        outside_before = {k: v for k, v in before.items() if k.startswith("outside")}
        assert {k: after.get(k) for k in outside_before} == outside_before
