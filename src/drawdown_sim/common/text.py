"""Text from outside (a scenario's keys and values, a CSV's header, a path) made safe to echo
on a terminal: control characters escaped, long values cut."""

from __future__ import annotations

import unicodedata

LIMIT = 200
"""Characters of one echoed value kept before it is cut."""


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def clean(text: str, limit: int | None = LIMIT) -> str:
    """``text`` with every control or format character (C0, DEL, C1, zero-width and
    bidirectional marks: Unicode categories Cc and Cf) written as an escape such as ``\\x1b``,
    and cut to ``limit`` characters with a note of how long it was. A terminal shown the
    result cannot be made to run an escape sequence (a clipboard write, a title change)."""
    out = "".join(_escaped(c) if unicodedata.category(c) in ("Cc", "Cf") else c for c in str(text))
    if limit is not None and len(out) > limit:
        return f"{out[:limit]}... ({len(out):,} characters)"
    return out


def clean_lines(message: str, limit: int | None = 1000) -> str:
    """A message of several lines (one per problem) with each line cleaned; the line breaks
    between them kept."""
    return "\n".join(clean(line, limit) for line in str(message).split("\n"))
