"""The SimPy model of one drawdown window."""

from .simulate import OUTCOMES, Replication, simulate, simulate_seed
from .streams import STREAMS, replication_seeds

__all__ = ["OUTCOMES", "STREAMS", "Replication", "replication_seeds", "simulate", "simulate_seed"]
