"""Results cannot be silently corrupted: the lock, chunk identity and checksums, finishing
verification, damaged checkpoints, and the failures of the engines around them.

Each test is a reproducer of a fault measured on an earlier version: a run that finished
with exit 0 over another run's rows, a resume that ended in a traceback, a compare that left
an old table beside new runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from drawdown_sim import Results, RunRefused, compare, run
from drawdown_sim.cli import app
from drawdown_sim.runner.store import RunDirectory
from tests.conftest import ROOT
from tests.helpers import cli, scenario

BASELINE = ROOT / "scenarios" / "baseline.yaml"
CLI = [sys.executable, "-m", "drawdown_sim"]


class Stop(KeyboardInterrupt):
    """Raised from a progress callback: an interruption after a given number of chunks."""


def interrupted_run(out: Path, reps: int, seed: int, after: int) -> None:
    """Leave ``out`` as a run of ``reps`` replications interrupted after ``after`` chunks."""

    def progress(done: int, total: int) -> None:
        if done >= after * 100:
            raise Stop

    with pytest.raises(Stop):
        run(scenario("baseline"), reps=reps, seed=seed, workers=1, out=out, progress=progress)
    assert (out / ".partial").exists() and not (out / "manifest.json").exists()


def assert_same_results(a: Path, b: Path) -> None:
    for name in ("outcomes", "series"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet")
        )


def chunk(out: Path, index: int) -> Path:
    return out / ".partial" / "chunks" / f"outcomes-0000-{index:06d}.arrow"


def started(out: Path, *args: str) -> subprocess.Popen[str]:
    """``drawdown-sim run BASELINE ARGS --out OUT`` in the background, once its first chunk
    file exists."""
    process = subprocess.Popen(
        [*CLI, "run", str(BASELINE), *args, "--no-plots", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list((out / ".partial" / "chunks").glob("outcomes-*")):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return process


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run of 500 replications, seed 7: what every repaired run must equal."""
    out = tmp_path_factory.mktemp("whole") / "run"
    run(scenario("baseline"), reps=500, seed=7, workers=1, out=out)
    return out


# --- the lock ------------------------------------------------------------------------------
def test_the_lock_cannot_be_defeated_by_deleting_files(tmp_path: Path):
    # The first run holds the directory itself locked; whatever files are deleted, a second
    # run (even with --force) is refused and the first run's rows stay its own.
    out = tmp_path / "D"
    first = started(out, "--reps", "1500", "--seed", "7", "--workers", "1")
    for path in out.iterdir():  # delete everything that is a file, as the old lock was
        if path.is_file():
            path.unlink()
    second = cli(
        "run",
        str(BASELINE),
        "--reps",
        "1500",
        "--seed",
        "8",
        "--workers",
        "1",
        "--no-plots",
        "--out",
        str(out),
        "--force",
    )
    assert second.returncode == 3, second.stderr
    assert "another run is writing" in second.stderr and "Traceback" not in second.stderr
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    results = Results.load(out)
    assert results.manifest.seed == 7
    outcomes = results.outcomes
    assert outcomes["replication"].tolist() == list(range(1500))
    assert (outcomes["seed"] == 7).all()


# --- chunks: identity, checksum, verification -----------------------------------------------
@pytest.mark.parametrize(
    "damage",
    ["swapped", "foreign", "truncated", "missing", "garbage checkpoint", "torn checkpoint"],
)
def test_a_damaged_partial_run_resumes_to_the_uninterrupted_results(
    tmp_path: Path, whole: Path, damage: str, caplog: pytest.LogCaptureFixture
):
    out = tmp_path / "cut"
    interrupted_run(out, 500, 7, after=3)
    if damage == "swapped":  # chunk 0's file in chunk 1's place: 100 duplicate replications
        shutil.copy(chunk(out, 0), chunk(out, 1))
    elif damage == "foreign":  # chunk 1 of a run with another seed
        other = tmp_path / "other"
        interrupted_run(other, 500, 8, after=3)
        shutil.copy(chunk(other, 1), chunk(out, 1))
    elif damage == "truncated":
        data = chunk(out, 1).read_bytes()
        chunk(out, 1).write_bytes(data[: len(data) // 2])
    elif damage == "missing":
        chunk(out, 1).unlink()
    elif damage == "torn checkpoint":  # one byte of its counts changed: not forced to disk,
        # a checkpoint may come back from a crash of the machine with wrong data
        path = out / ".partial" / "checkpoint.npz"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    else:
        (out / ".partial" / "checkpoint.npz").write_bytes(b"not a checkpoint" * 100)
    with caplog.at_level("WARNING", logger="drawdown_sim"):
        resumed = run(scenario("baseline"), reps=500, seed=7, workers=1, out=out, resume=True)
    assert_same_results(out, whole)
    assert resumed.outcomes["replication"].tolist() == list(range(500))
    warnings = [r.getMessage() for r in caplog.records]
    if damage in ("swapped", "foreign", "truncated"):
        assert any("discarding chunk 1" in w for w in warnings), warnings
    if damage in ("garbage checkpoint", "torn checkpoint"):
        assert any("checkpoint unreadable" in w for w in warnings), warnings


@pytest.mark.parametrize("where", ["chunk", "checkpoint", "run.json"])
def test_a_fifo_in_a_partial_run_is_discarded_not_waited_on(
    tmp_path: Path, whole: Path, where: str
):
    # A results directory may hold anything: a FIFO where a chunk file, the checkpoint or the
    # run's identity belongs used to block --resume forever on open. Now a chunk or the
    # checkpoint is discarded and recomputed, and without a readable identity the run starts
    # over; each says so in one line, and the results are those of an uninterrupted run.
    out = tmp_path / "cut"
    interrupted_run(out, 500, 7, after=3)
    path = {
        "chunk": chunk(out, 1),
        "checkpoint": out / ".partial" / "checkpoint.npz",
        "run.json": out / ".partial" / "run.json",
    }[where]
    path.unlink()
    os.mkfifo(path)
    args = ["--reps", "500", "--seed", "7", "--workers", "1", "--no-plots", "--out", str(out)]
    result = cli("run", str(BASELINE), *args, "--resume", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    says = {
        "chunk": "discarding chunk 1",
        "checkpoint": "checkpoint unreadable",
        "run.json": "no readable run identity",
    }[where]
    assert sum(says in line for line in result.stderr.splitlines()) == 1, result.stderr
    assert_same_results(out, whole)


def test_the_cli_resume_says_what_it_discarded_in_one_line(tmp_path: Path, whole: Path):
    out = tmp_path / "cut"
    interrupted_run(out, 500, 7, after=3)
    shutil.copy(chunk(out, 0), chunk(out, 2))
    result = cli(
        "run",
        str(BASELINE),
        "--reps",
        "500",
        "--seed",
        "7",
        "--workers",
        "1",
        "--no-plots",
        "--out",
        str(out),
        "--resume",
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "discarding" in line]
    assert len(lines) == 1 and "chunk 2" in lines[0] and "another chunk" in lines[0]
    assert "Traceback" not in result.stderr
    assert_same_results(out, whole)


def test_finishing_verifies_every_chunk_before_anything_looks_complete(
    tmp_path: Path, whole: Path, monkeypatch: pytest.MonkeyPatch
):
    # A chunk changed on disk after it was written (another writer, a bad disk) is found
    # when finishing, recomputed, and the finished results are exactly right.
    original = RunDirectory.save_chunk
    spoiled: list[int] = []

    def spoil(self, identity, *written):  # type: ignore[no-untyped-def]
        original(self, identity, *written)
        if identity.index == 2 and not spoiled:
            spoiled.append(identity.index)
            shutil.copy(chunk(self.root, 0), chunk(self.root, 2))

    monkeypatch.setattr(RunDirectory, "save_chunk", spoil)
    out = tmp_path / "r"
    results = run(scenario("baseline"), reps=500, seed=7, workers=1, out=out)
    assert spoiled == [2]
    assert results.outcomes["replication"].tolist() == list(range(500))
    assert_same_results(out, whole)


def test_a_chunk_that_stays_wrong_is_refused_and_nothing_looks_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Another writer that spoils chunk 2 every time it is written: finishing recomputes it
    # once, then refuses in one line, and no manifest or outcomes appear.
    original = RunDirectory.save_chunk

    def spoil(self, identity, *written):  # type: ignore[no-untyped-def]
        original(self, identity, *written)
        if identity.index == 2:
            shutil.copy(chunk(self.root, 0), chunk(self.root, 2))

    monkeypatch.setattr(RunDirectory, "save_chunk", spoil)
    out = tmp_path / "r"
    with pytest.raises(RunRefused, match="another process writing"):
        run(scenario("baseline"), reps=300, seed=7, workers=1, out=out)
    assert not (out / "manifest.json").exists() and not (out / "outcomes.parquet").exists()


def test_chunk_files_carry_their_identity_and_checksum(tmp_path: Path):
    out = tmp_path / "cut"
    interrupted_run(out, 300, 7, after=2)
    with pa.ipc.open_file(chunk(out, 1)) as reader:  # a chunk file is an Arrow IPC file
        meta = reader.schema.metadata[b"drawdown_sim.chunk"]
    import json

    stamp = json.loads(meta)
    assert stamp["cell"] == 0 and stamp["index"] == 1
    assert stamp["first"] == 100 and stamp["count"] == 100
    assert len(stamp["sha256"]) == 64 and len(stamp["run"]) == 32


# --- compare ---------------------------------------------------------------------------------
def test_an_interrupted_compare_leaves_no_stale_table(tmp_path: Path):
    options = [scenario("status_quo"), scenario("full_exit")]
    compare(options, reps=100, seed=3, workers=1, out=tmp_path)
    assert (tmp_path / "comparison.csv").exists()

    def progress(name: str, done: int, total: int) -> None:
        if name == "full_exit" and done >= total:
            raise Stop

    with pytest.raises(Stop):  # other settings: replacing the first needs force
        compare(options, reps=150, seed=4, workers=1, out=tmp_path, force=True, progress=progress)
    for name in ("comparison.csv", "completion.csv", "manifest.json", "report.html"):
        assert not (tmp_path / name).exists(), name
    report = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert report.exit_code == 2 and "no complete results" in report.output
    finished = compare(options, reps=150, seed=4, workers=1, out=tmp_path, resume=True)
    assert (tmp_path / "comparison.csv").exists() and (tmp_path / "manifest.json").exists()
    assert all(r.manifest.seed == 4 for r in finished.results.values())
    assert all(r.replications == 150 for r in finished.results.values())


# --- bad output directories ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("where", "status"), [("a file", 3), ("under a file", 3), ("long component", 4)]
)
def test_an_unusable_out_is_one_line_and_exit_3_or_4(tmp_path: Path, where: str, status: int):
    """A file where the folder goes is refused (3); a name the system cannot create is an
    output that cannot be written (4)."""
    afile = tmp_path / "f"
    afile.write_text("x")
    out = {
        "a file": afile,
        "under a file": afile / "sub",
        "long component": tmp_path / ("x" * 300),
    }[where]
    result = cli(
        "run", str(BASELINE), "--reps", "10", "--workers", "1", "--no-plots", "--out", str(out)
    )
    assert result.returncode == status, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert afile.read_text() == "x"


def test_run_refused_is_a_library_error_too(tmp_path: Path):
    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(RunRefused, match="is a file"):
        run(scenario("baseline"), reps=10, workers=1, out=afile)


# --- engines ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("address", "seconds"), [("tcp://127.0.0.1:1", 15.0), ("not a url", 5.0)])
def test_an_unreachable_or_malformed_scheduler_fails_fast_and_touches_nothing(
    tmp_path: Path, address: str, seconds: float
):
    out = tmp_path / "d"
    started = time.monotonic()
    result = cli(
        "run",
        str(BASELINE),
        "--reps",
        "10",
        "--engine",
        "dask",
        "--scheduler",
        address,
        "--connect-timeout",
        "2",
        "--no-plots",
        "--out",
        str(out),
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert time.monotonic() - started < seconds + 10  # Python and dask start-up included
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "scheduler" in errors[0], result.stderr
    assert not out.exists()  # nothing was left behind, so a plain rerun is not blocked


def test_workers_above_the_cpu_count_are_capped_with_a_warning(tmp_path: Path):
    out = tmp_path / "w"
    result = cli(
        "run", str(BASELINE), "--reps", "20", "--workers", "1000", "--no-plots", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    cpus = len(os.sched_getaffinity(0))
    assert f"--workers 1000 is more than the {cpus} usable CPUs" in result.stderr
    assert Results.load(out).manifest.workers == cpus


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs for 2 workers")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_exit_when_the_main_process_dies(tmp_path: Path, sig: signal.Signals):
    out = tmp_path / "w"
    main = started(out, "--reps", "20000", "--workers", "2")
    workers = _descendants(main.pid)
    assert len(workers) >= 2
    main.send_signal(sig)
    main.wait()
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [p for p in workers if _alive(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} worker(s) outlived the main process"
