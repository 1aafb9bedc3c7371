"""The SimPy model of one drawdown window."""

from .simulate import (
    OUTCOME_SPECS,
    OUTCOMES,
    Replication,
    direction,
    simulate,
    simulate_seed,
)
from .streams import STREAMS, replication_seeds

__all__ = [
    "OUTCOMES",
    "OUTCOME_SPECS",
    "STREAMS",
    "Replication",
    "direction",
    "replication_seeds",
    "simulate",
    "simulate_seed",
]
