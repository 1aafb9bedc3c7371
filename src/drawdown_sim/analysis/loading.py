"""Open any finished results directory by its manifest's kind."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..runner.manifest import read_manifest

if TYPE_CHECKING:
    from .comparison import Comparison
    from .results import Results
    from .sweeps import Sweep


def load(path: str | Path) -> Results | Comparison | Sweep:
    """The finished results in ``path``: :class:`Results` for a run, :class:`Comparison`
    for a compare, :class:`Sweep` for a sweep (each read lazily where it can be).

    Raises:
        ManifestError: no finished results there, or a damaged or foreign manifest.
    """
    manifest = read_manifest(Path(path))
    if manifest.kind == "compare":
        from .comparison import Comparison

        return Comparison.load(path)
    if manifest.kind == "sweep":
        from .sweeps import Sweep

        return Sweep.load(path)
    from .results import Results

    return Results.load(path)
