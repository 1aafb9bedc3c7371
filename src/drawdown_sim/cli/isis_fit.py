"""``drawdown-sim isis-fit``: the ISIS trend fit."""

from __future__ import annotations

from ._common import _emit


def isis_fit_command() -> None:
    """Fit the ISIS trend and capacity effect to the shipped 2018-2023 tallies (JSON)."""
    from ..calibration.isis_fit import summary

    _emit(summary())
