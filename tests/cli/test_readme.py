"""The README's Python snippet runs as written after ``make demo``, and the README points
only at files inside the repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

README = ROOT / "README.md"


def test_the_python_snippet_runs_as_written_after_make_demo(tmp_path: Path):
    (snippet,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    demo = subprocess.run(  # what `make demo` leaves: results/baseline of the baseline run
        [
            sys.executable,
            "-m",
            "drawdown_sim",
            "run",
            "scenarios/baseline.yaml",
            "--reps",
            "200",
            "--trace",
            "3",
            "--no-plots",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    # Saved as a script and run as one: the spawned workers re-import it (`python -c` would
    # hide a missing `if __name__ == "__main__":` guard).
    (tmp_path / "snippet.py").write_text(snippet)
    done = subprocess.run(
        [sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "results" / "baseline" / "manifest.json").exists()


def test_documents_refer_only_to_files_inside_the_repository():
    documents = [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
    for document in documents:
        text = document.read_text()
        # The private design notes beside the repository are never named in its documents.
        for outside in ("../" + "shared", "MODEL" + ".md"):
            assert outside not in text, (document, outside)
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if "://" in target:
                continue
            path = (document.parent / target).resolve()
            assert path.is_relative_to(ROOT.resolve()) and path.exists(), (document, target)
