"""Deprecated: moved to :mod:`drawdown_sim.present.plots`."""

from .._moved import moved

__getattr__, __dir__ = moved(__name__, "drawdown_sim.present.plots")
