"""Tables and values as JSON can hold them (``--json`` output, ``discovery.json``).

JSON has no NaN or infinity (Python writes them, but other readers refuse the document), so
every document the tool writes goes through :func:`strict`, and a value that is not a
number is ``null``.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def plain(value: Any) -> Any:
    """A numpy scalar as its Python value, a date or time as ISO text, anything else as is."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per row, keys as text; NaN and infinities become null."""
    rows = []
    for row in frame.to_dict(orient="records"):
        cleaned = {}
        for key, value in row.items():
            value = plain(value)
            cleaned[str(key)] = (
                None if isinstance(value, float) and not math.isfinite(value) else value
            )
        rows.append(cleaned)
    return rows


def strict(value: Any) -> Any:
    """``value`` with every NaN or infinite float, at any depth of dicts, lists and tuples,
    replaced by None, and numpy scalars as Python values: what ``json.dumps(...,
    allow_nan=False)`` accepts."""
    if isinstance(value, dict):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict(item) for item in value]
    value = plain(value) if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(document: Any) -> str:
    """A document as strict JSON text (see :func:`strict`), indented; anything else JSON
    cannot hold (a path, a date) as its text."""
    return json.dumps(strict(document), indent=2, default=str, allow_nan=False)
