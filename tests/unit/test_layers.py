"""The package's import graph: imports point down the layers only (the import-linter contract
in pyproject.toml, docs/architecture.md), and no module imports itself back through others."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "drawdown_sim"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(config: Path, cwd: Path, src: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package found first in ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_imports_point_down_the_layers() -> None:
    done = lint_imports(ROOT / "pyproject.toml", ROOT, ROOT / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("runner/store.py", "    from ..present import console  # noqa"),  # inside a function
        ("scenario/study.py", "from ..model import OUTCOMES  # noqa"),  # the arrow issue 33 cut
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, upward: str) -> None:
    """The same contract on a copy of the package with one upward import added fails, naming
    the import: the test above can fail."""
    src = tmp_path / "src"
    shutil.copytree(
        PACKAGE,
        src / "drawdown_sim",
        ignore=shutil.ignore_patterns("__pycache__", "data", "reference", "*.j2"),
    )
    target = src / "drawdown_sim" / module
    text = target.read_text()
    if upward.startswith("    "):  # an import inside a function counts too
        text += f"\n\ndef _upward() -> None:\n{upward}\n"
    else:
        text = text.replace("\nfrom ", f"\n{upward}\nfrom ", 1)
    target.write_text(text)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    done = lint_imports(tmp_path / "pyproject.toml", tmp_path, src)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "0 kept, 1 broken" in done.stdout
    importer = "drawdown_sim." + module.removesuffix(".py").replace("/", ".")
    assert importer in done.stdout, done.stdout


def test_no_module_imports_itself_back() -> None:
    """No cycle: for each import A -> B, no chain of imports leads from B back to A. Imports
    under TYPE_CHECKING are annotations only and are left out (the model's components and
    its World name each other's types)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = grimp.build_graph("drawdown_sim", exclude_type_checking_imports=True)
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append(" -> ".join((importer, *back)))
    assert not cycles, "\n".join(cycles)
