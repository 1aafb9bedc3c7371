"""Deprecated: moved to :mod:`drawdown_sim.analysis.results`."""

from ._moved import moved

__getattr__, __dir__ = moved(__name__, "drawdown_sim.analysis.results")
