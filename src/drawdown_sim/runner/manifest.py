"""The manifest of a results directory: one Pydantic model per kind, written and read here.

Every finished directory has a ``manifest.json`` whose ``kind`` says what made it (``run``,
``compare`` or ``sweep``) and whose ``format_version`` says how to read it. It is written
last, atomically: a directory without one is not a complete result. Reading checks both
fields, so a damaged manifest, or one written by another version of the format, gives one
clear line rather than a wrong number or a traceback.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .files import NotRegularFile, TooLarge, atomic_write_bytes, read_regular

FORMAT_VERSION = 2
"""Version of the results layout this package writes and reads. 1 was the untyped manifest
(no ``kind``) of drawdown-sim 0.x."""

MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""A manifest larger than this is not ours (a million failed replications fit in it)."""


class ManifestError(ValueError):
    """A manifest that is missing, damaged, or of another kind or format version."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Failure(_Model):
    """A replication that raised: which one, its seed, and why."""

    replication: int
    seed: int  # the run's root seed: (seed, replication) fixes the replication's streams
    error: str


class Timings(_Model):
    started: str
    finished: str
    elapsed_seconds: float
    compute_seconds_this_session: float
    replications_per_second: float


class Environment(_Model):
    """What produced the results: versions, platform, command line and git commit."""

    package: str
    python: str
    platform: str
    dependencies: dict[str, str]
    command: list[str]
    git_commit: str | None = None


class RunManifest(_Model):
    """A ``run``: one scenario replicated."""

    kind: Literal["run"] = "run"
    format_version: Literal[2] = 2
    name: str
    run_config: dict[str, Any] = Field(description="The run's identity: what a resume must match.")
    scenario_hash: str
    scenario: dict[str, Any]
    overrides: list[str] = []
    seed: int
    replications: int
    replications_done: int
    replications_failed: int
    failures: list[Failure] = []
    engine: str
    workers: int
    chunk_size: int
    trace: int
    resumed: bool
    timings: Timings
    environment: Environment


OptionName = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$", description="A plain name.")
]
"""An option's name, which names its folder: never ``..``, a slash or a hidden name, so a
crafted manifest cannot send a reader to another folder."""


class CompareManifest(_Model):
    """A ``compare``: options run with common random numbers, one run directory each."""

    kind: Literal["compare"] = "compare"
    format_version: Literal[2] = 2
    run_config: dict[str, Any]
    options: list[OptionName]
    reference: str
    seed: int
    replications: int
    scenario_hashes: dict[str, str]
    environment: Environment


class SweepManifest(_Model):
    """A ``sweep``: every option in every sampled state of the world."""

    kind: Literal["sweep"] = "sweep"
    format_version: Literal[2] = 2
    run_config: dict[str, Any]
    study: dict[str, Any]
    options: list[str]
    option_scenarios: list[dict[str, Any]]
    parameters: list[str]
    replications_failed: int
    failures: list[Failure] = []
    environment: Environment


Manifest = Annotated[RunManifest | CompareManifest | SweepManifest, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[RunManifest | CompareManifest | SweepManifest] = TypeAdapter(Manifest)


def read_manifest(root: Path) -> RunManifest | CompareManifest | SweepManifest:
    """The manifest of the finished results in ``root``.

    Raises:
        ManifestError: no manifest (the results are not complete), or one that is damaged,
            too large, or of another format version; the message is one line.
    """
    path = root / MANIFEST
    try:
        data = read_regular(path, MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        raise ManifestError(
            f"{root} holds no complete results (no {MANIFEST}); run `drawdown-sim run`, "
            "`compare` or `sweep`, or finish an interrupted one with --resume"
        ) from None
    except OSError as error:
        raise ManifestError(f"{path} cannot be read ({error.strerror or error})") from None
    except NotRegularFile:
        raise ManifestError(f"{path} is not a file; rerun with --force") from None
    except TooLarge:
        raise ManifestError(
            f"{path} is larger than any manifest this package writes; rerun with --force"
        ) from None
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ManifestError(f"{path} is damaged (not JSON); rerun with --force") from None
    if not isinstance(value, dict):
        raise ManifestError(f"{path} is damaged (not a JSON object); rerun with --force")
    version = value.get("format_version", 1)
    if version != FORMAT_VERSION:
        raise ManifestError(
            f"{path} is in results format {str(version)[:20]}, this drawdown-sim reads format "
            f"{FORMAT_VERSION}; rerun with --force to replace it"
        )
    try:
        return _ADAPTER.validate_python(value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ManifestError(
            f"{path} is damaged ({where}: {first['msg']}); rerun with --force"
        ) from None


def write_manifest(root: Path, manifest: RunManifest | CompareManifest | SweepManifest) -> None:
    """Write ``manifest.json`` atomically (call it last: it marks the results complete)."""
    atomic_write_bytes(root / MANIFEST, (manifest.model_dump_json(indent=2) + "\n").encode())


def _git_commit() -> str | None:
    """The commit of the source tree the package runs from: only when the package itself
    is that tree's ``src/drawdown_sim`` (an editable install), not a wheel that happens to
    be installed inside some repository."""
    package = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            ["git", "-C", str(package), "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2 or len(lines[1]) != 40:
        return None
    if Path(lines[0]).resolve() / "src" / "drawdown_sim" != package:
        return None
    return lines[1]


_ENVIRONMENT: Environment | None = None


def environment() -> Environment:
    """This process's :class:`Environment` (computed once)."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        from importlib.metadata import PackageNotFoundError, version

        def installed(name: str) -> str:
            try:
                return version(name)
            except PackageNotFoundError:
                return "unknown"

        _ENVIRONMENT = Environment(
            package=installed("drawdown-sim"),
            python=platform.python_version(),
            platform=platform.platform(),
            dependencies={
                name: installed(name)
                for name in ("numpy", "scipy", "simpy", "pandas", "pyarrow", "pydantic")
            },
            command=[Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else [],
            git_commit=_git_commit(),
        )
    return _ENVIRONMENT
