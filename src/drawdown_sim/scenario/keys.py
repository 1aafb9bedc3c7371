"""Dotted scenario keys (``militia.campaign.rate``, ``drawdown.phases[name].day``): reading,
setting and merging them in plain data, below the schema that validates the result."""

from __future__ import annotations

import re
from typing import Any

POSTERIOR_KEY = "from_posterior"
FIXED = "fixed"
"""``uncertainties: {KEY: fixed}``: the scenario's own value of KEY, not the posterior's draw
(what ``--set KEY=VALUE`` of a key the posterior draws writes)."""


_KEY_PART = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def key_parts(key: str) -> list[str]:
    """The parts of a dotted key. A list element is given by index (``sites.2``) or by its
    name in brackets (``sites[Erbil]``, the part ``[Erbil]``), so that
    ``sites[Erbil].attack_propensity`` and ``sites.2.attack_propensity`` name the same
    field when Erbil is the third site."""
    return [
        f"[{m.group(1)}]" if m.group(1) is not None else m.group(2) for m in _KEY_PART.finditer(key)
    ]


def _index(part: str, key: str, node: list[Any] | None = None) -> int:
    """A list position: ``part`` is an index, or ``[name]`` for the element of that name
    (case and surrounding spaces ignored, as site names compare)."""
    if part.startswith("[") and part.endswith("]") and node is not None:
        wanted = part[1:-1].strip().casefold()
        for at, element in enumerate(node):
            name = element.get("name") if isinstance(element, dict) else None
            if isinstance(name, str) and name.strip().casefold() == wanted:
                return at
        names = [e.get("name") for e in node if isinstance(e, dict)]
        raise KeyError(f"{key}: no element named {part[1:-1]!r} (names: {names})")
    if not part.isdigit():
        raise KeyError(f"{key}: {part!r} is not a list index (0, 1, ...) or [name]")
    return int(part)


def set_dotted(data: dict[str, Any], key: str, value: Any, merge: bool = False) -> None:
    """Set ``data[a][b][c] = value`` for ``key = "a.b.c"``; numeric parts (0, 1, ...) index
    lists. With ``merge``, a mapping value is merged into an existing mapping key by key (an
    empty mapping ``{}`` replaces it, which clears it)."""
    parts = key_parts(key)
    node: Any = data
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[_index(part, key, node)]
        else:
            node = node.setdefault(part, {})
            if not isinstance(node, dict | list):
                raise KeyError(f"{key}: {part!r} is not a section")
    last = parts[-1]
    if isinstance(node, list):
        node[_index(last, key, node)] = value
    elif merge and value and isinstance(value, dict) and isinstance(node.get(last), dict):
        node[last] = deep_merge(node[last], value)
    else:
        node[last] = value


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base`` key by key (mappings merge, scalars and lists replace):
    what ``extends`` and a mapping ``--set`` do."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def get_dotted(data: Any, key: str) -> Any:
    """The value at dotted ``key``; raises KeyError when the path does not exist."""
    node = data
    for part in key_parts(key):
        if isinstance(node, list):
            at = _index(part, key, node) if part.startswith("[") else None
            if at is None and (not part.isdigit() or int(part) >= len(node)):
                raise KeyError(key)
            node = node[int(part) if at is None else at]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(key)
    return node
