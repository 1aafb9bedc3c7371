"""How numbers read in words: one formatting for the console, the report and the sentences the
analysis writes (counts with thousands separators, no exponents, ``-`` for missing)."""

from __future__ import annotations

import math
from collections.abc import Callable

from numpy import format_float_positional


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
    # ``digits`` significant digits in positional notation: ``.3g`` would write 6.43e-05.
    return format_float_positional(
        value, precision=digits, unique=False, fractional=False, trim="-"
    )


def signed(value: float) -> str:
    """:func:`number` with an explicit sign (differences)."""
    text = number(value)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def percent(value: float) -> str:
    """``62%``: a share in whole percent; ``-`` for missing."""
    return "-" if value != value else f"{value:.0%}"


def with_interval(text: str, low: float, high: float, show: Callable[[float], str] = number) -> str:
    """``text [low, high]``: a value and its 95% interval, each bound shown by ``show``;
    ``text`` alone when there is no interval (NaN)."""
    if low != low or high != high:
        return text
    return f"{text} [{show(low)}, {show(high)}]"


def share(value: float, low: float = math.nan, high: float = math.nan) -> str:
    """``62% [59, 65]``: a share with its 95% interval, the bounds in percent; ``-`` for a
    missing share. The one form of a share in the console, the report and sentences."""
    if value != value:
        return "-"
    return with_interval(percent(value), low, high, lambda v: f"{v * 100:.0f}")


def difference(value: float, low: float, high: float) -> str:
    """``+3.2 [+1.0, +5.4]``: a difference with its 95% interval, signs explicit."""
    return with_interval(signed(value), low, high, signed)


def estimate(
    value: float, low: float, high: float, *, reached: bool = True, percent: bool = False
) -> str:
    """A Kaplan-Meier estimate with its 95% interval: ``not reached`` when the curve does
    not reach it, an open upper bound ``beyond the horizon`` and an unknown lower one ``?``;
    a share (``percent``) as :func:`share`."""
    if not reached:
        return "not reached"
    if percent:
        return share(value, low, high)
    shown_low = "?" if low != low else number(low)
    shown_high = "beyond the horizon" if high != high else number(high)
    return f"{number(value)} [{shown_low}, {shown_high}]"
