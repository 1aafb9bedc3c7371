"""Tables and values as JSON can hold them (``--json`` output, ``discovery.json``)."""

from __future__ import annotations

import math
from typing import Any

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
