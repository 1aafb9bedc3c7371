"""One rule for every output path: a command writes only names it owns, in the folder or
file it was given, and never removes or overwrites a file it did not write.

What a command owns in a folder (:data:`OWNED_FILES`, :data:`OWNED_FOLDERS`):

- ``run``: ``manifest.json``, ``outcomes.parquet``, ``series.parquet``, ``events.parquet``,
  ``report.html``, ``plots/`` and ``.partial/``;
- ``compare``: ``manifest.json``, ``comparison.csv``, ``completion.csv`` and the other tables
  of a comparison, ``report.html``, ``plots/``, ``.partial/`` and one ``run`` folder per option;
- ``sweep``: ``manifest.json``, ``sweep.parquet``, its tables, ``discovery.json``,
  ``report.html``, ``plots/`` and ``.partial/``;
- ``backtest``: ``backtest.json``, ``backtest.csv`` and its plot.

A file of an owned name is the tool's only when the folder shows that the tool made it: a
readable manifest, or the identity of interrupted work in ``.partial/run.json``, or (for a
backtest) ``backtest.json``. Inside ``plots/`` a file is the tool's when ``plots/index.json``
lists it (written by :func:`record_plot` as each figure is saved): the figures of results
written before that index existed are left alone, as a user's would be.

The checks (:func:`survey`, then :meth:`Inventory.check`) run before anything is removed:

- a symbolic link, or a file the tool did not write, at a name the command must write:
  refused, even with ``--force`` (the tool would write through it or over it);
- another kind of results, another scenario's or study's results, results of other settings
  (seed, replications), or files the tool does not own: refused unless ``force``; with
  ``force`` only what the tool owns is removed, and other files stay where they are.

A refusal raises :class:`OutputRefused` (the command line's exit status 3); a folder or file
that cannot be written raises :class:`OutputUnwritable` (exit status 4).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("run", "compare", "sweep", "backtest")

OWNED_FILES: dict[str, frozenset[str]] = {
    "run": frozenset(
        {"manifest.json", "outcomes.parquet", "series.parquet", "events.parquet", "report.html"}
    ),
    "compare": frozenset(
        {
            "manifest.json",
            "comparison.csv",
            "completion.csv",
            "decomposition.csv",
            "report.html",
        }
    ),
    "sweep": frozenset(
        {
            "manifest.json",
            "sweep.parquet",
            "regret.csv",
            "satisficing.csv",
            "sensitivity.csv",
            "pareto.csv",
            "pareto_differences.csv",
            "weighted.csv",
            "flips.csv",
            "value_of_information.csv",
            "discovery.json",
            "report.html",
        }
    ),
    "backtest": frozenset({"backtest.json", "backtest.csv", "backtest.png", "backtest.svg"}),
}
"""The files each kind of output folder may hold (the manifest first: it is removed first, so
that a folder stops looking complete before anything else changes)."""

OWNED_FOLDERS: dict[str, frozenset[str]] = {
    "run": frozenset({"plots", ".partial"}),
    "compare": frozenset({"plots", ".partial"}),
    "sweep": frozenset({"plots", ".partial"}),
    "backtest": frozenset(),
}

MARKER = {"backtest": "backtest.json"}
"""The file that shows a folder of this kind was written by the tool (else the manifest)."""

PLOT_INDEX = "index.json"
"""``plots/index.json``: the figures the tool wrote in ``plots/``."""

PLOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.=-]{0,150}\.(png|svg)$")
"""A figure's file name (no folder, no leading dot)."""

_PARTIAL_FILES = re.compile(
    r"^(run\.json|checkpoint\.npz|\.checkpoint\.npz\.tmp|\.run\.json\.tmp|compare\.json|"
    r"\.compare\.json\.tmp)$"
)
_CHUNK_FILES = re.compile(r"^\.?(outcomes|events)-\d{4,}-\d{6,}\.arrow(\.tmp)?$")

MAX_ENTRIES = 10_000
"""Most entries looked at in a folder the tool may write into (other than chunks)."""
MAX_CHUNK_FILES = 2_000_000
"""Most files looked at in ``.partial/chunks/`` (a run of 10^7 replications has 10^5)."""


class OutputRefused(ValueError):
    """The output path holds something this command must not remove or replace."""


class OutputUnwritable(OSError):
    """The output folder or file cannot be written (permissions, a full disk, a read-only
    file system): nothing there was removed."""


def _temporary(name: str) -> str:
    """The temporary name a file of ``name`` is written to before it is renamed."""
    return f".{name}.tmp"


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_file(path: Path) -> bool:
    """A regular file (not a link to one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_folder(path: Path) -> bool:
    """A real folder (not a link to one)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _entries(folder: Path, limit: int = MAX_ENTRIES) -> list[str]:
    """The names in ``folder``, at most ``limit`` of them (bounded time on any folder).

    Raises:
        OutputRefused: more than ``limit`` entries.
    """
    names: list[str] = []
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                names.append(entry.name)
                if len(names) > limit:
                    raise OutputRefused(
                        f"{_shown(folder)} holds more than {limit:,} entries; choose an empty "
                        "folder"
                    )
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        raise OutputRefused(f"{_shown(folder)} is not a folder; choose another") from None
    except PermissionError:
        raise OutputUnwritable(f"{_shown(folder)} cannot be read (permission denied)") from None
    return sorted(names)


def _shown(path: Path | str) -> str:
    from ..common.text import clean

    return clean(str(path), 120)


def _names(names: list[str]) -> str:
    """The first three of ``names`` for a message, and how many more."""
    shown = ", ".join(_shown(n) for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _read_json(path: Path, limit: int = 64 * 1024 * 1024) -> Any:
    """The JSON value of a regular file, or None when it is missing or unreadable."""
    from .files import read_regular

    try:
        return json.loads(read_regular(path, limit))
    except (OSError, ValueError):
        return None


def existing_kind(root: Path) -> str | None:
    """The kind of results the tool wrote in ``root``, or None when nothing shows it did."""
    manifest = _read_json(root / "manifest.json")
    if isinstance(manifest, dict):
        kind = manifest.get("kind")
        if kind in KINDS:
            return str(kind)
        if "format_version" in manifest or "run_config" in manifest:
            return "run"  # format 1 of drawdown-sim 0.x had no kind: it only made runs
    partial = root / ".partial"
    if _is_folder(partial):
        if isinstance(_read_json(partial / "compare.json"), dict):
            return "compare"
        run = _read_json(partial / "run.json")
        if isinstance(run, dict):
            return "sweep" if "study" in run else "run"
    backtest = _read_json(root / MARKER["backtest"])
    if isinstance(backtest, dict) and backtest.get("kind") == "backtest":
        return "backtest"
    return None


@dataclass
class Inventory:
    """What is in an output folder, by who wrote it (:func:`survey`)."""

    root: Path
    kind: str
    found_kind: str | None
    ours: list[Path] = field(default_factory=list)
    """Files (and then folders, deepest first) the tool wrote and may remove."""
    foreign: list[str] = field(default_factory=list)
    """Entries the tool did not write, which it leaves alone."""
    blocking: list[str] = field(default_factory=list)
    """Entries the tool did not write at names it must write, or links at them."""
    options: dict[str, Inventory] = field(default_factory=dict)
    """A comparison's option folders."""

    @property
    def empty(self) -> bool:
        return not self.ours and not self.foreign and not self.blocking and not self.options

    def check(self, force: bool, what: str | None = None) -> None:
        """Refuse what ``force`` cannot allow, then what it can.

        Raises:
            OutputRefused: a link or a foreign file at an owned name (always); another kind
                of results or files the tool does not own (unless ``force``).
        """
        what = what or self.kind
        for inventory in (self, *self.options.values()):
            if inventory.blocking:
                raise OutputRefused(
                    f"{_shown(inventory.root)} holds {_names(inventory.blocking)}, which "
                    f"drawdown-sim did not write (or a link), where this {what} must write; "
                    "move it away or choose another --out"
                )
        if force:
            return
        if self.found_kind is not None and self.found_kind != self.kind:
            raise OutputRefused(
                f"{_shown(self.root)} holds the results of a {self.found_kind}, not of a "
                f"{self.kind}; choose another --out, or pass --force to replace them (files "
                "drawdown-sim did not write are kept)"
            )
        for inventory in (self, *self.options.values()):
            if inventory.foreign:
                raise OutputRefused(
                    f"{_shown(inventory.root)} holds files drawdown-sim did not write "
                    f"({_names(inventory.foreign)}); choose an empty or new --out, or pass "
                    "--force to write beside them (they are kept)"
                )

    def remove_ours(self, within: str | None = None) -> None:
        """Remove the files the tool wrote (the manifest first), then the folders it made
        that are left empty; only those under the top-level name ``within`` when given
        (``.partial`` once work is finished). Never follows a link.

        Raises:
            OutputUnwritable: a file cannot be removed.
        """
        if within is None:
            for option in self.options.values():
                option.remove_ours()
        ordered = sorted(self.ours, key=lambda p: (p.name != "manifest.json", -len(p.parts)))
        for path in ordered:
            if within is not None and path.relative_to(self.root).parts[0] != within:
                continue
            try:
                if _is_folder(path):
                    os.rmdir(path)  # only when empty: a foreign file keeps its folder
                else:
                    os.unlink(path)  # a file, or damage (a FIFO) at one of the tool's names
            except FileNotFoundError:
                pass
            except OSError as error:
                import errno

                if error.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    continue
                raise OutputUnwritable(
                    f"{_shown(path)} cannot be removed ({error.strerror}); nothing else was "
                    "changed after it"
                ) from None
        if within is not None:
            return
        for option in self.options.values():
            with contextlib.suppress(OSError):
                os.rmdir(option.root)


def _plot_files(folder: Path, recognised: bool) -> tuple[list[Path], list[str]]:
    """The figures the tool wrote in ``plots/`` and the entries it did not."""
    names = _entries(folder)
    index = _read_json(folder / PLOT_INDEX)
    listed: set[str] | None = None
    if isinstance(index, dict) and isinstance(index.get("figures"), list):
        listed = {n for n in index["figures"] if isinstance(n, str) and PLOT_NAME.match(n)}
    ours: list[Path] = []
    foreign: list[str] = []
    for name in names:
        path = folder / name
        if name == PLOT_INDEX and listed is not None and _is_file(path):
            ours.append(path)
        elif name.startswith(".") and name.endswith((".tmp.png", ".tmp.svg")):
            if recognised and _is_file(path):
                ours.append(path)  # a figure whose writing was interrupted
            else:
                foreign.append(f"plots/{name}")
        elif not _is_file(path):
            foreign.append(f"plots/{name}")
        elif listed is not None:
            (ours.append(path) if name in listed else foreign.append(f"plots/{name}"))
        else:
            foreign.append(f"plots/{name}")
    return ours, foreign


def _is_damage_or_file(path: Path) -> bool:
    """A regular file, or a FIFO, socket or device where one of the tool's files of work in
    progress belongs (damage: its name is removed, nothing is read or written through it);
    not a folder or a link."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISDIR(mode) and not stat.S_ISLNK(mode)


def _partial_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The files of interrupted work in ``.partial/`` and the entries the tool did not write."""
    ours: list[Path] = []
    foreign: list[str] = []
    for name in _entries(folder):
        path = folder / name
        if name == "chunks" and _is_folder(path):
            for chunk in _entries(path, MAX_CHUNK_FILES):
                chunk_path = path / chunk
                if _CHUNK_FILES.match(chunk) and _is_damage_or_file(chunk_path):
                    ours.append(chunk_path)
                else:
                    foreign.append(f".partial/chunks/{chunk}")
            ours.append(path)
        elif _PARTIAL_FILES.match(name) and _is_damage_or_file(path):
            ours.append(path)
        else:
            foreign.append(f".partial/{name}")
    return ours, foreign


def survey(root: Path, kind: str, options: Iterable[str] = ()) -> Inventory:
    """What ``root`` holds, by who wrote it, for a command writing results of ``kind`` there
    (a comparison's option folders: ``options``, with those of the comparison already there).
    Looks only; changes nothing.

    Raises:
        OutputRefused: ``root`` is a file, or holds too many entries to look at.
        OutputUnwritable: ``root`` cannot be read.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of output {kind!r}")
    if root.exists() and not root.is_dir():
        raise OutputRefused(f"{_shown(root)} is a file, not a folder; choose another --out")
    found = existing_kind(root)
    recognised = found is not None
    inventory = Inventory(root, kind, found)
    option_names = set(options)
    if found == "compare":
        manifest = _read_json(root / "manifest.json")
        if isinstance(manifest, dict) and isinstance(manifest.get("options"), list):
            option_names |= {o for o in manifest["options"] if isinstance(o, str)}
        partial = _read_json(root / ".partial" / "compare.json")
        if isinstance(partial, dict) and isinstance(partial.get("options"), list):
            option_names |= {o for o in partial["options"] if isinstance(o, str)}
    # An option's name is a plain name (the scenario schema sees to it); anything else in a
    # manifest (``..``, a slash) is not one of the tool's option folders.
    option_names = {n for n in option_names if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", n)}
    owned_files = OWNED_FILES[kind] | (OWNED_FILES[found] if found else frozenset())
    owned_folders = OWNED_FOLDERS[kind] | (OWNED_FOLDERS[found] if found else frozenset())
    temporaries = {_temporary(n) for n in owned_files}
    for name in _entries(root):
        path = root / name
        link = _is_link(path)
        if name in owned_files or name in temporaries:
            writes_here = name in OWNED_FILES[kind] or name in temporaries
            if link or not _is_file(path):
                (inventory.blocking if writes_here else inventory.foreign).append(name)
            elif recognised or name in temporaries:
                inventory.ours.append(path)
            else:
                (inventory.blocking if writes_here else inventory.foreign).append(name)
        elif name in owned_folders:
            if link or not _is_folder(path):
                inventory.blocking.append(name)
                continue
            if name == "plots":
                ours, foreign = _plot_files(path, recognised)
            else:
                ours, foreign = _partial_files(path)
            inventory.ours.extend(ours)
            inventory.foreign.extend(foreign)
            inventory.ours.append(path)
        elif kind == "compare" and name in option_names:
            if link or not _is_folder(path):
                inventory.blocking.append(name)
                continue
            inventory.options[name] = survey(path, "run")
        else:
            inventory.foreign.append(name)
    for name in set(options) - set(inventory.options):
        inventory.options[name] = Inventory(root / name, "run", None)
    return inventory


def can_write(folder: Path) -> None:
    """Create ``folder`` (and its parents) if needed and check it can be written.

    Raises:
        OutputRefused: the path is a file or lies under one.
        OutputUnwritable: it cannot be created or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputRefused(f"{_shown(folder)} is a file, not a folder; choose another") from None
    except NotADirectoryError:
        raise OutputRefused(f"{_shown(folder)} lies under a file; choose another") from None
    except OSError as error:
        raise OutputUnwritable(f"{_shown(folder)} cannot be created ({error.strerror})") from None
    if not folder.is_dir():
        raise OutputRefused(f"{_shown(folder)} is not a folder; choose another")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputUnwritable(f"{_shown(folder)} is not writable; choose another")


def prepare_folder(
    root: Path, kind: str, *, force: bool, what: str | None = None, options: Iterable[str] = ()
) -> Inventory:
    """Survey and check ``root`` for results of ``kind`` (creating it when missing); remove
    nothing. The caller removes what it replaces with :meth:`Inventory.remove_ours`.

    Raises:
        OutputRefused, OutputUnwritable: as :meth:`Inventory.check` and :func:`can_write`.
    """
    inventory = survey(root, kind, options)
    inventory.check(force, what)
    can_write(root)
    return inventory


# --- single files --------------------------------------------------------------------------


def check_single_file(path: Path, mark: bytes | tuple[bytes, ...] | None, what: str) -> None:
    """Whether a command may write the single file ``path`` (``report -o``, ``schema -o``):
    only a new file, or one the tool wrote before (whose first 64 KB hold ``mark``).

    Raises:
        OutputRefused: a folder, a device, a link, or a file the tool did not write.
        OutputUnwritable: the folder it would go in does not exist or cannot be written.
    """
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise OutputUnwritable(f"{_shown(path)}: {error.strerror}") from None
    if status is not None:
        if stat.S_ISDIR(status.st_mode):
            raise OutputRefused(
                f"{_shown(path)} is a folder; give a file name for the {what} (for example "
                f"{_shown(path / 'report.html') if what == 'report' else _shown(path)})"
            )
        if not stat.S_ISREG(status.st_mode):
            raise OutputRefused(
                f"{_shown(path)} is not a regular file (a link or a device); the {what} is "
                "written only to a new file or one drawdown-sim wrote before"
            )
        with open(path, "rb") as handle:
            head = handle.read(65536)
        marks = () if mark is None else (mark,) if isinstance(mark, bytes) else mark
        if not any(m in head for m in marks):
            raise OutputRefused(
                f"{_shown(path)} exists and is not a {what} drawdown-sim wrote; choose "
                "another name (it is never overwritten)"
            )
    parent = path.parent
    if not parent.is_dir():
        raise OutputUnwritable(f"{_shown(parent)} is not an existing folder; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputUnwritable(f"{_shown(parent)} is not writable; choose another place")


def write_single_file(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary name beside it, then a rename); the
    temporary file is removed when the write fails.

    Raises:
        OutputUnwritable: it cannot be written.
    """
    tmp = path.with_name(_temporary(path.name))
    try:
        with open(tmp, "xb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except FileExistsError:
        raise OutputRefused(
            f"{_shown(tmp)} exists (another command writing here?); remove it or choose "
            "another name"
        ) from None
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise OutputUnwritable(f"{_shown(path)} cannot be written ({error.strerror})") from None


def record_plot(path: Path) -> None:
    """Note in ``plots/index.json`` that the tool writes the figure ``path`` (called before
    the figure is written, so an interrupted drawing leaves nothing unlisted).

    Raises:
        OutputRefused: the figure's name is taken by a file the tool did not write, or a
            link.
    """
    folder = path.parent
    index_path = folder / PLOT_INDEX
    index = _read_json(index_path) if _is_file(index_path) else None
    figures: list[str] = []
    if isinstance(index, dict) and isinstance(index.get("figures"), list):
        figures = [n for n in index["figures"] if isinstance(n, str) and PLOT_NAME.match(n)]
    if path.name in figures:
        if _is_link(path):
            raise OutputRefused(f"{_shown(path)} is a link; drawdown-sim does not write through it")
        return
    if os.path.lexists(path):
        raise OutputRefused(
            f"{_shown(path)} exists and drawdown-sim did not write it; move it away"
        )
    figures.append(path.name)
    tmp = folder / _temporary(PLOT_INDEX)
    tmp.write_text(json.dumps({"figures": sorted(set(figures))}, indent=1) + "\n")
    os.replace(tmp, index_path)


def plots_folder(root: Path) -> Path:
    """``root/plots``, created when missing; refused when it is a link or not a folder.

    Raises:
        OutputRefused: ``plots`` is a link or a file.
    """
    folder = root / "plots"
    if _is_link(folder) or (os.path.lexists(folder) and not _is_folder(folder)):
        raise OutputRefused(
            f"{_shown(folder)} is a link or a file; drawdown-sim writes figures only into a "
            "folder of its own"
        )
    folder.mkdir(exist_ok=True)
    return folder
