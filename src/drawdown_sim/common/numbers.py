"""How numbers read in words: one formatting for the console, the report and the sentences the
analysis writes (counts with thousands separators, no exponents, ``-`` for missing)."""

from __future__ import annotations


def number(value: float, digits: int = 3) -> str:
    """A number for people: thousands separators, no exponent, ``-`` for missing."""
    if value != value:  # NaN
        return "-"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:,.{max(digits - 2, 1)}f}"
    return f"{value:.{digits}g}"


def signed(value: float) -> str:
    """:func:`number` with an explicit sign (differences)."""
    text = number(value)
    return text if text.startswith("-") or text == "0" else f"+{text}"
