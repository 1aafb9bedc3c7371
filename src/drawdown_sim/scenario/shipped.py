"""The scenarios, studies, schema, notebooks and reference data that ship with the package.

They are package data, so they are there wherever the package is installed: a command given
a name such as ``baseline`` or ``full_exit`` instead of a path finds the shipped scenario
(when no file of that name exists), and ``drawdown-sim init DIR`` copies them into a
working folder to edit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
"""The shipped files (a real directory: the package is installed unpacked)."""
REFERENCE = Path(__file__).resolve().parent.parent / "reference"
FOLDERS = ("scenarios", "studies", "schema", "notebooks")
"""What ``init`` copies, laid out as in the repository (the ``$schema`` lines of the
scenarios point at ``schema/`` there by relative paths)."""


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario files by name (``baseline``, ``full_exit``, ...)."""
    root = DATA / "scenarios"
    return {p.stem: p for p in sorted([*root.glob("*.yaml"), *root.glob("options/*.yaml")])}


def shipped_studies() -> dict[str, Path]:
    return {p.stem: p for p in sorted((DATA / "studies").glob("*.yaml"))}


def resolve(argument: Path, kind: str = "scenario") -> Path:
    """``argument`` itself when it names an existing file (or looks like a path); otherwise
    the shipped scenario (or study) of that name, if there is one; otherwise ``argument``,
    so that the loader reports the missing file as usual."""
    if argument.exists() or len(argument.parts) != 1:
        return argument
    name = argument.name.removesuffix(".yaml").removesuffix(".yml")
    found = (shipped_studies() if kind == "study" else shipped_scenarios()).get(name)
    return found if found is not None else argument


def reference_file(argument: Path) -> Path:
    """An events file: the path given, or a shipped reference file of that name."""
    if argument.exists() or len(argument.parts) != 1:
        return argument
    for candidate in (argument.name, f"{argument.name}.csv"):
        if (REFERENCE / candidate).is_file():
            return REFERENCE / candidate
    return argument


def init(target: Path, force: bool = False) -> list[Path]:
    """Copy the shipped scenarios, studies, schema and notebooks into ``target``; the
    folders written.

    Raises:
        FileExistsError: ``target`` already holds one of them (and not ``force``).
    """
    existing = [target / f for f in FOLDERS if (target / f).exists()]
    if existing and not force:
        raise FileExistsError(
            f"{existing[0]} already exists; choose another folder or pass --force to "
            "overwrite the shipped files there"
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in FOLDERS:
        shutil.copytree(
            DATA / folder,
            target / folder,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
        )
        written.append(target / folder)
    return written
